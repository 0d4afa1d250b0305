"""A slur thrown at the caller: the ``insult`` intent, by rule.

Abuse is a closed class of words, and one of them says it whatever surrounds it: "fils
de pute", "toi idiot laisse-moi tranquille", "bouffon va trouver un vrai travail". The
examples cannot hold every sentence around a slur, and a long one dilutes its score
under the threshold. So:

- a word that is abuse and nothing else (``_SLUR``: "connard", "enfoiré", "crétin",
  "tocard") is an insult wherever it stands;
- a word with an everyday sense as well (``_HARSH``: "idiot", "con", "nul", "escroc",
  "ordure", "fumier"...) is one only when it is thrown at someone: after "espèce de",
  "bande de", "sale", "gros", "pauvre", "quel", or "vous êtes", "t'es" ("c'est idiot",
  "je suis nul en informatique", "les ordures passent le mardi" are no insults); a
  word of fraud ("escroc", "voleur", "charlatan") is left to the scores, since "vous
  êtes des escrocs" is the library's objection that the call is a scam;
- an abusive formula is one wherever it stands: "allez vous faire voir", "ta gueule",
  "vous me cassez les pieds", "va crever", "votre offre à la con", "robot de merde";
- neither when the speaker speaks of themselves or repeats a word said of them ("je suis
  pas idiot", "vous me prenez pour une conne", "il m'a traité de connard"), nor in a
  fact about someone of theirs told to no one ("mon voisin est un vrai connard",
  ``mbs.nlu.others``).
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_rule
from mbs.nlu.normalize import ascii_words
from mbs.nlu.others import speaks_of_another

INTENT = "insult"
# What the scores may have said instead: never a stop request, a minor or a request for
# a person, which keep their own reactions ("passez-moi un humain bande de guignols").
MISREAD = frozenset((
    "yes", "no", "not_interested", "callback", "question", "who_is_calling",
    "wrong_person", "repeat", "goodbye", "robot_question",
))  # fmt: skip

_SLUR = (
    r"connards?|connasses?|encules?|enculees?|enfoires?|enfoirees?|salauds?|salopes?"
    r"|salopards?|putes?|fils de (?:pute|chienne|garce)|batards?|abrutis?|abruties?"
    r"|cretins?|cretines?|imbeciles?|bouffons?|guignols?|tocards?|couillons?|branleurs?"
    r"|petasses?|pouffiasses?|raclures?|crevures?|trous? du cul|tetes? de (?:noeud|con)"
    r"|casse (?:couilles|burnes)|emmerdeurs?|emmerdeuses?|gogols?|baltringues?|boloss"
    r"|cassos|pignoufs?|ducons?|connaud|grognasses?|morveux|morveuse"
)
_HARSH = (
    r"idiots?|idiotes?|debiles?|cons?|connes?|nuls?|nulles?|minables?|nazes?|charlots?"
    r"|clowns?|rapaces?|vautours?|sangsues?|parasites?"
    r"|charognards?|ordures?|pourris?|pourritures?|fumiers?|blaireaux?|blaireau|andouilles?"
    r"|tares?|taree?s?|cingles?|cinglee?s?|requins?|rigolos?|vermines?"
    r"|casse pieds|malades?|incapables?|abrutis?|marioles?|zozos?|glands?|tanches?"
)
# who is called it: "espèce de", "bande de", "sale", "pauvre", "quel(le)", "vous êtes
# (vraiment) (des)", "t'es (qu'un)", "toi"
_AT = (
    r"(?:espece|bande|tas|ramassis|troupeau)(?: de| d| des)?|sales?|gros|grosse|pauvres?"
    r"|vieux|vieille|quels?|quelles?|toi|tu es|t es|vous etes|z etes"
)
_THROWN = re.compile(
    rf"\b(?<!attrape )(?:{_SLUR})\b"  # "un attrape-couillon" is a scam, said of the offer
    rf"|\b(?:{_AT})(?: (?:vraiment|tous|toutes|que|qu|juste|rien que|qu une bande|une bande"
    rf"|d|de|des|un|une|le|la|les|bien|completement|franchement|encore|un vrai|une vraie"
    rf"|un sacre|une sacree|un gros|une grosse|un pauvre|une pauvre))* (?:{_HARSH})\b"
    # a complaint about what was not done is no name called ("vous êtes incapables de me
    # dire le prix")
    r"(?! (?:de|d)\b)"
    rf"|\ba la con\b"
)
_FORMULA = re.compile(
    # (not "il faut aller vous faire voir chez le docteur")
    r"(?<!faut )\b(?:va|allez|aller|vas|allez donc|va donc) (?:te|vous) faire"
    r" (?:foutre|voir|cuire|enculer"
    r"|mettre)|\b(?:ta|ferme ta|fermez votre|fermez ta|ferme la|fermez la) gueule\b"
    r"|\bnique ta (?:mere|race)\b|\b(?:tu|vous) (?:me|nous) (?:fais|faites|font) chier\b"
    r"|\b(?:tu|vous) (?:me|nous) (?:casses?|cassez) (?:les (?:couilles|pieds|burnes|bonbons"
    r"|noix)|le cul)\b|\b(?:va|allez|aller) (?:crever|mourir|chier|au diable)\b|\bcrevez\b"
    r"|\bje (?:t|vous) (?:emmerde|encule)\b|\b(?:tu|vous) m emmerdez?\b"
    r"|\b(?:robot|machine|appel|appels|offre|truc|boite|societe|arnaque)s? (?:de merde|a la con)\b"
    r"|\bmange tes morts\b|\bta mere la\b"
    # "pauvre tache" (a loser), not "quelle tâche ingrate"
    r"|\b(?:pauvre|espece de|sale|grosse|t es|t es qu une|vous etes des) taches?\b"
)
# the speaker of themselves, or a word said of them: "je suis pas idiot", "vous me
# prenez pour une conne", "il m'a traité de connard", "pas si bête"
_OF_SELF = re.compile(
    r"\b(?:je suis|j suis|chui|suis|je ne suis|je serais|moi|me prenez|me prends|me prend"
    r"|m prenez|pour un|pour une|pour des|traite|traitee|traiter|traitez|traitent|pas si"
    r"|pas un|pas une|pas des|pas d)"
    r"(?: (?:pas|ne|vraiment|si|completement|totalement|quand meme|un|une|des|de|d|la))*"
    rf" (?:{_SLUR}|{_HARSH})\b"
)


@form_rule
def insults(text: str) -> bool:
    """Whether the utterance throws a slur at someone, not of the speaker nor of one of
    theirs told to no one."""
    words = ascii_words(text)
    # a slur still there once the words said of oneself are taken out
    thrown = _THROWN.search(words) and _THROWN.search(_OF_SELF.sub(" ", words))
    return bool(_FORMULA.search(words) or thrown) and not speaks_of_another(text)
