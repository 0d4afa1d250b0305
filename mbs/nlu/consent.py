"""A prospect who lets the robot go on: the ``yes`` intent, by rule, even after "non".

On the phone "non" often answers the politeness in the robot's question ("je ne vous
dérange pas ?"), not its request: "non non allez-y", "non pas du tout je vous écoute",
"non ça ne me dérange pas", "non pas de souci dites-moi tout" all let the call go on.
Word similarity reads the "non" and the negations and answers ``no``. The form is
closed, so it is read here: a go-ahead ("allez-y", "je vous écoute", "dites-moi",
"continuez") or a denied bother ("ça ne me dérange pas", "vous ne me dérangez pas",
"pas de souci", "aucun problème"), and nothing that refuses, puts off or ends the call
("non merci", "pas intéressé", "plus tard", "ne m'appelez plus", "au revoir").
An appointment accepted ("allez on prend rendez-vous") is a go-ahead too, which the
scores read as being busy ("je suis en rendez-vous"). ``mbs.nlu.fuzzy.by_form`` turns a
``no``, a ``not_interested``, a ``question`` or a ``callback`` (or nothing) into ``yes``
then ("allez-y pour vos questions" asks nothing); an utterance
that asks ("dites-moi, c'est quoi votre offre") or that another intent explains
("dites-moi qui vous êtes") is left alone.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern, form_rule
from mbs.nlu.normalize import ascii_words
from mbs.nlu.questions import asks

INTENT = "yes"
# What the scores may have said instead of a consent they misread.
MISREAD = frozenset(("no", "not_interested", "question", "callback"))

# a yes opening the answer, after fillers
_YES_OPENS = (
    r"^(?:(?:euh|bon|bah|ben|alors|ah|oh) )*(?:oui|ouais|ok|okay|d accord|allez|c est d accord"
    r"|c est ok|ca marche"
)
_GO_AHEAD = re.compile(
    r"\b(?:allez y|allez-y|vas y|vas-y|vous pouvez y aller|je vous ecoute|on vous ecoute|je t ecoute"
    # "j'écoute" alone, not "j'écoute la radio"
    r"|j ecoute(?! (?:la|le|les|de|du|des|un|une|mon|ma|mes|ce|cette|cet|ca|sur|en)\b)"
    r"|dites moi|dites-moi|dites toujours|continuez|poursuivez"
    # the rest asked for, the start given: "ok envoyez la suite", "top c'est parti", "je
    # vous laisse parler"
    r"|envoyez la suite|allez la suite|je veux bien la suite"
    # what was read back confirmed: "c'est exactement ça, vous avez bien noté"
    r"|\bc est (?:exactement|bien|tout a fait|precisement) ca"
    r"(?=$| (?:vous avez|oui|merci|parfait|voila|tout a fait|exactement|allez|madame|monsieur))"
    r"|\bvous avez (?:bien|tout bon) note\b"
    r"|(?:c est parti|je vous laisse (?:parler|continuer|poursuivre|m expliquer|expliquer))"
    r"(?=$| (?:alors|allez|on y va|hein|je vous ecoute|allez y|dites moi))"
    # talking it over accepted ("bon allez on peut en parler ça coûte rien")
    r"|on peut en (?:parler|discuter)|parlons en|discutons en"
    # the questions invited ("bon allez posez vos questions", "posez-moi la première")
    r"|\b(?:posez[ -](?:moi |nous |donc |toujours |les moi |les-moi )?(?:vos|votre|les|la"
    r"|la premiere|vos trois|vos deux|vos petites|votre petite)"
    r"|pose[ -](?:moi |donc |toujours )?(?:tes|ta)) ?(?:questions?|premiere)?$"
    r"|je vous en prie|faites vite|soyez bref|soyez breve|ca ira vite"
    # listening granted: "je veux bien écouter ce que vous dites", "je veux bien vous
    # entendre"
    r"|je (?:veux|voudrais) bien (?:vous )?(?:ecouter|entendre)"
    # the offer accepted, opening the answer: "bon allez j'accepte", "soit j'accepte
    # d'entendre votre conseiller" (not "je sais pas si j'accepte", "j'accepte rien par
    # téléphone"); "un coup de fil ça mange pas de pain", "ok go" (not "c'est no go")
    r"|^(?:(?:bon|allez|ok|d accord|soit|alors|bah|ben|eh bien|oui|ouais) )*j accepte\b"
    r"(?! (?:pas|jamais|plus|rien|aucun|aucune|vraiment pas)\b)"
    r"(?! (?:que|qu) (?:les|le|la|l|des|du|par|ca)\b)"
    r"|ca (?:ne )?mange pas de pain|(?:ok|allez|bon|alors|bah|ben) go\b|(?<!no )\bgo$"
    # time given: "j'ai cinq minutes", "j'ai le temps", "je suis dispo"
    r"|j ai (?:bien |juste |encore |un peu de )?(?:le temps|tout le temps|tout mon temps"
    r"|un moment|un instant|une minute"
    r"|deux minutes|trois minutes|cinq minutes|dix minutes|quelques minutes|\d+ minutes)"
    # (not "j'ai cinq minutes de retard", "j'ai un moment difficile", "le temps de rien")
    r"(?! (?:de|d|a perdre|difficile|dur|compliquee?))"
    # (not "je suis dispo que le soir", "disponible demain")
    r"|je suis (?:dispo|disponible)(?! (?:que|qu|seulement|uniquement|le|la|les|a partir"
    r"|apres|avant|demain|ce|cette|en|plus tard|lundi|mardi|mercredi|jeudi|vendredi|samedi"
    r"|dimanche)))\b"
    # what was offered taken: "bon ben allez va pour un coup de fil"
    r"|(?:^|\b(?:allez|bon|ben|bah|ok|alors|eh bien) )va pour\b"
    # the time asked for granted after a yes ("oui deux minutes mais pas plus", "ok cinq
    # minutes alors"): its "pas plus" bounds the time, refuses nothing
    rf"|{_YES_OPENS}|bon|va) (?:(?!dans |ici )\w+ ){{0,2}}"
    r"(?:deux|trois|cinq|dix|quelques|\d+) minutes\b"
    # a yes that asks for brevity ("oui mais rapide", "ok mais vite fait alors")
    rf"|{_YES_OPENS}) (?:mais |alors |mais alors )?(?:rapide|rapidement|vite|vite fait|en vitesse"
    r"|faites court|fais court|brievement|en deux mots)(?: alors| hein| svp| s il vous plait)?$"
    # the appointment accepted ("allez on prend rendez-vous"): the word "rendez-vous"
    # alone reads as being busy ("je suis en rendez-vous"), a call put off
    r"|\b(?:on (?:peut )?(?:prend|prendre|fixe|fixer|cale|caler)|prenons|fixons|calons"
    r"|je (?:veux|voudrais) bien|va pour|d accord pour|ok pour|banco pour)"
    r" (?:un |le |ce )?(?:rendez[- ]vous|rdv)"
    r"(?: (?:avec (?:votre|le|un|ce) conseiller|alors|volontiers|allez))?$"
)
_NO_BOTHER = re.compile(
    r"\b(?:ca|cela|ce|vous) (?:ne )?(?:me|nous) derange(?:z|ra)? (?:pas|point|nullement)\b"
    r"|\b(?:pas|aucun|aucune|sans) (?:de |d )?(?:souci|soucis|probleme|problemes|gene)\b"
    r"|\bpas du tout (?:derange|genee?)\b"
)
_REFUSES = re.compile(
    r"\b(?:merci|interess|plus tard|rappel|recontact|pas maintenant|pas le temps|pas la"
    r"|pas dispo|m appelez|appelez plus|arret|laissez|retirez|rayez|supprimez|effacez"
    r"|raccroch|au revoir|bonne journee|bonne soiree|pas besoin|pas pour moi|pas envie"
    r"|occupe|vous me derangez|deja|insist)\w*"
    # the go-ahead itself denied ("ne continuez pas", "je vous écoute pas") or taken back
    # ("pas de souci mais non")
    r"|\bne (?:\w+ ){0,2}(?:continu|ecout|poursuiv|dites|allez)\w*"
    r"|\b(?:continuez|poursuivez|ecoute|ecoutez|allez y|allez-y|vas y|vas-y|dites moi"
    r"|dites-moi) (?:pas|plus|rien)\b"
    r"|\bmais non\b|\bnon$"
)


@form_rule
def consents(text: str) -> bool:
    """Whether the utterance lets the call go on, and says nothing against it."""
    words = ascii_words(text, keep="-")
    if not (_GO_AHEAD.search(words) or _NO_BOTHER.search(words)):
        return False
    return not _REFUSES.search(words) and not asks(text)


# A plain yes opening a statement ("oh oui on en achète mon mari aime bien son petit verre
# le dimanche", "oui avec mon mari depuis soixante-dix"): what follows the yes says more,
# and dilutes the scores under every threshold. Nothing may hedge, deny, ask, put off or
# greet after it: "oui mais c'est cher", "oui enfin non", "oui c'est pour quoi", "oui
# rappelez demain", "oui bonjour", "oui je vous entends mal", "ouais attends" are left
# to the scores.
# (not after "ah": "ah ouais", "ah ok" are surprise or an acknowledgment, "ah ouais mon père
# il dit toujours que l'or c'est une valeur refuge"; "ah ben oui", "ah bah oui" are an
# emphatic yes)
_AFFIRMS = re.compile(
    r"^(?:(?:euh|bon|bah|ben|alors|oh) )*(?:ah (?:ben|bah) )?(?:oui|ouais|ok|okay"
    r"|d accord|allez|bien sur|tout a fait|absolument|effectivement|affirmatif)(?: \w+)+$"
)
_HEDGED = re.compile(
    r"\b(?:ne|n|pas|non|nan|jamais|plus|rien|aucun|aucune|personne|mais|sauf|par contre"
    r"|enfin|quoique|pourtant|cependant|sinon|ou|qui|quoi|comment|pourquoi|combien"
    # "quand" asks, not when a clause follows ("oui pour les repas quand on reçoit"),
    # unless it is in the future: "ouais quand les poules auront des dents", "oui quand
    # j'aurai gagné au loto" mean never
    r"|quand(?! (?:on|je|j|il|elle|ils|elles|nous|vous|c|y|ca|les|la|le|mes|mon|ma))"
    r"|quand (?:\w+ ){0,4}(?:aurai|auras|aura|aurons|aurez|auront|serai|sera|seront|ferai"
    r"|fera|feront|pourrai|pourra|gagnerai|viendra|viendront|voleront|pousseront)"
    r"|quel|quelle|quels|quelles|est ce|allo|bonjour|bonsoir|salut|merci|revoir|tard|demain"
    r"|entend\w*|compri\w*|repet\w*|rappel\w*|recontact\w*|occupe\w*|interess\w*|moi meme"
    r"|lui meme|elle meme|c est moi|c est lui|c est elle)\b"
    # the line held ("ouais attends je mets pause sur ma partie")
    r"|\b(?:attends|attendez|pause|une seconde|deux secondes|un instant|ne quittez pas)\b"
    # a yes that is only a discourse marker ("ouais bon moi les démarcheurs...")
    r"|\b(?:oui|ouais|ok) (?:bon|ben|bah|alors|euh|enfin|bref)\b"
)

# Whether the utterance opens with a plain yes and goes on without a hedge.
affirms = form_pattern(_AFFIRMS, _HEDGED)


# The line picked up, nothing answered: "allô oui", "ouais allô", "allô... ouais...
# attendez je m'assois": "allô" with nothing but a "oui", a greeting or a word of holding
# on. The "oui" acknowledges the call, not the robot's question (three writers of the
# held-out sets, independently, heard no consent in it).
_PICKED_UP = re.compile(r"\ballo\b")
_ONLY_GREETING = re.compile(
    r"\b(?:allo|oui|ouais|bonjour|bonsoir|euh|ah|oh|bon|attendez|attends|je m assois"
    r"|une seconde|deux secondes|un instant|j arrive|je suis la|voila)\b"
)


@form_rule
def only_picks_up(text: str) -> bool:
    """Whether the utterance says "allô" and nothing but a "oui", a greeting or a word of
    holding on: a line picked up."""
    words = ascii_words(text)
    return bool(_PICKED_UP.search(words)) and not _ONLY_GREETING.sub(" ", words).strip()
