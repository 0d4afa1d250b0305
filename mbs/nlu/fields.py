"""The words an utterance must share with an intent's field before its examples decide.

Some intents act on the call the moment they are taken: a request for a human hands the
call over, a vulnerable person, a goodbye, a stop request or a wrong person end it, a
request to hear again makes the robot repeat itself. A similarity score reads any shared
word as evidence, a topical one too: "c'est commercial ?" came out close to "vous
pouvez me passer un commercial", "j'ai soixante-quatorze ans" to "j'ai quatorze ans", a
bare "salut" (a hello as much as a goodbye) to "allez salut", "j'ai un thé qui infuse
pardon" to the requests to hear again, "va pour un coup de fil" to "plus de coups de
fil". So for these intents the examples decide only when the utterance holds a word of
the intent's field; otherwise the intent is not taken and stays the best candidate
(``mbs.nlu.fuzzy.by_form``). The rules of form (``mbs.nlu.minors``,
``mbs.nlu.pregnancy``, ...) are not concerned: they read the form itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mbs.nlu.form_rule import form_pattern

_FIELDS = {
    # childhood and school, majority and age, pregnancy, the law on alcohol; a child in
    # the singular ("deux ados de quatorze et seize ans", "trois gamins" are the
    # household, not the speaker)
    "vulnerable": re.compile(
        r"\b(?:mineure?|majeure?|majorite|age|jeune"
        r"|enfant|gamine?|gosse|mome|ado|adolescente?"
        r"|ecole|college|collegienne?|lycee|lyceenne?|bac|brevet|classe|rentree|eleve"
        r"|sixieme|cinquieme|quatrieme|troisieme|seconde|premiere|terminale"
        r"|parents|papa|maman|fils|fille|decroche"
        r"|enceinte|grossesse|bebe|accouche|accoucher|accouchement|cloque|polichinelle"
        r"|sage femme|maternite|echographie|terme prevu|mon terme|neuvieme mois|septieme mois"
        r"|huitieme mois|futur papa|future maman|on attend (?:notre|un|une) \w+"
        r"|je suis a \w+ mois"
        r"|heureux evenement"
        # (drinking alone is abstinence's: "j'ai arrêté de boire il y a huit ans")
        r"|alcool|droit|interdit|interdite|(?:pas|trop jeune|age) (?:pour |de |d )?boire)\b"
    ),
    # someone asked for: a verb of asking or talking, or a person of the company
    "human_request": re.compile(
        r"\b(?:parler|parle|joindre|voir|avoir|rencontrer|entretenir|discuter|echanger"
        # putting through, not dropping by ("on peut passer", "passer chez vous") nor
        # spending time ("il passe sa vie au téléphone")
        r"|(?:me|nous|m) (?:passer|passez|passe)"
        r"|(?:passer|passez|passe)(?! (?:chez|en|au|dans|par|vous voir|voir|a la|a l|a votre"
        r"|sa vie|son temps|ses journees|ma vie|mon temps|mes journees))"
        r"(?!$)"
        # a salesperson asked for, not the call called commercial ("c'est commercial ?")
        r"|(?:un|une|votre|le|la) (?:commercial|commerciale|vendeur|vendeuse)"
        r"|transferer|transferez|transfere|mettez|mettre|mets|relation|standard|service"
        r"|vrai|vraie|humain|humaine|personne|quelqu un|vivant|physique|interlocuteur"
        r"|responsable|chef|superieur|superviseur|directeur|directrice|collegue"
        r"|conseiller|conseillere|operateur|operatrice|agent|employe|gens|homme|femme"
        r"|monsieur|madame)\b"
    ),
    # a refusal: a negation, a verb of stopping or removing, an annoyance, the lists; a
    # stop request says one ("va pour un coup de fil" accepts a call the scores read as
    # "plus de coups de fil")
    "stop_calling": re.compile(
        r"\b(?:ne|n|pas|plus|jamais|aucun|aucune|rien|nul|nulle|non|stop|cess\w*"
        # ("je vous arrête tout de suite" interrupts the robot)
        r"|(?<!je vous )(?<!je t )arret\w*"
        r"|retir\w*|ray\w*|supprim\w*|effac\w*|enlev\w*|desinscri\w*|oubli\w*|sort\w*"
        r"|refus\w*|harcel\w*|derang\w*|embet\w*|emmerd\w*|importun\w*|saoul\w*|soul\w*"
        r"|fatigu\w*|lach\w*|foutez|fous|fiche|fichez|paix|tranquille|suffit|assez|marre"
        r"|ras le bol|fini|finir|encore|fois|tous les jours|chaque jour|sans arret|signal\w*"
        r"|bloqu\w*|bloctel|cnil|liste|listes|fichier|fichiers|base|plainte|interdi\w*"
        r"|opposition|oppose)\b"
    ),
    # someone else than the contact: a denial, an absence, the number, the contact spoken
    # of in the third person ("c'est sa femme"); a relative named in an answer is not
    # one ("pour offrir à mon beau-frère surtout")
    "wrong_person": re.compile(
        r"\b(?:ne|n|pas|plus|jamais|aucun|aucune|personne|erreur|errone\w*|tromp\w*|confond\w*"
        r"|faux|mauvais|mauvaise|numero|connais\w*|connait|absent\w*|parti|partie|mort|morte"
        r"|decede\w*|demenag\w*|disparu\w*|expatri\w*|hospitalis\w*|hopital|ehpad|retraite"
        r"|ici|existe|exister|sorti|sortie|vacances|voyage|deplacement|travail|boulot|bureau"
        r"|etranger|joignable|dispo\w*|chez|habite|vit|particulier|entreprise|societe|cabinet"
        r"|occupe|parle|parlez|voulez|cherchez|demandez|suis|etes|moi|lui|elle|la|sa|son|ses"
        r"|autre|message|appareil|compose|composee|tape)\b"
    ),
    # hearing, understanding, saying again; a "pardon" said in passing is an apology
    # ("j'ai un thé qui infuse pardon"), alone it asks to hear again; a line cut, not
    # "du coup" (a filler: "un mail c'est plus sûr du coup")
    "repeat": re.compile(
        r"\b(?:entend\w*|compri\w*|compren\w*|capt\w*|repet\w*|redi\w*|reformul\w*"
        r"|repren\w*|recommenc\w*|dit|dites|disiez|disais|disait|quoi|comment|hein|parl\w*"
        r"|fort|voix|coupe\w*|coupure|reseau|ligne|son|audible|articul\w*|vite|lentement|encore"
        r"|gresill\w*|sourd\w*|oreille|bruit|mal|plait|suivi|suivre|perdu|saisi"
        r"|raccroch\w*|loin|bas|micro|haut|clair|distinct\w*|rate|manque|marmonn\w*"
        r"|hache\w*|saute|communication|autrement|debut|fin|phrase|mot|mots|refaire|refaites|reposer|reposez)\b"
        r"|^(?:(?:euh|ah|oh|hum|hein|pardon|excusez moi|excusez|desole|desolee|madame"
        r"|monsieur|mademoiselle|oui|allo) ?)+$"
    ),
    # leave-taking; "salut" (and "bonsoir") also greet, so they take leave only with a
    # word that closes ("allez salut", "salut bonne journée"): "salut c'est qui ?" and a
    # bare "salut" at the first line are a hello, and a goodbye ends the call
    "goodbye": re.compile(
        r"\b(?:revoir|revoyure|adieu|ciao|tchao|bye|journee|soiree|nuit|week end"
        r"|continuation|courage|salutations|laisse|laisser|quitte|quitter|raccroche|raccrocher"
        r"|au plaisir|portez vous bien|prenez soin|adishatz|adiu|kenavo|a tantot"
        r"|arreter|arrete|merci|a plus|a la prochaine|a bientot|a tout|a la revoyure"
        r"|(?:allez|bon|bah|ben|aller) salut|salut (?:allez|alors)"
        # the formal leave-taking "je vous salue (bien)"
        r"|je vous salue)\b"
    ),
}
# what keeps a field's word from counting
_UNLESS = {
    # the speaker's own job ("je bosse au service client d'un opérateur")
    "human_request": re.compile(
        r"\b(?:je|j) (?:bosse|travaille|travaillais|bossais|suis employee?) (?:au|a la|a l|dans"
        r"|chez|comme|en)\b"
    ),
    # the speaker's own child named, and not as the one on the line: the speaker is the
    # parent ("ma fille de quinze ans fait de l'équitation", "je vais chercher ma fille
    # à l'école", "mon petit-fils me parle"); "c'est ma fille de quatorze ans qui a
    # décroché" says who answered
    "vulnerable": re.compile(
        r"^(?!.*\b(?:repond\w*|decroch\w*|vous parle|au telephone|a l appareil|au bout du fil"
        r"|c est (?:mon|ma|le|la|un|une)\b))"
        r".*\b(?:mon|ma|mes|notre|nos) (?:petit |petite |grand |grande |plus grand |aine )?"
        r"(?:fils|fille|filles|enfant|enfants|gamin|gamine|gamins|gosse|gosses|ado|ados)\b"
    ),
}
_RULES: dict[str, Callable[[str], bool]] = {
    intent: form_pattern(field, _UNLESS.get(intent)) for intent, field in _FIELDS.items()
}


def speaks_of(intent: str, text: str) -> bool:
    """Whether ``intent``'s examples may decide ``text`` (always, for an intent with no
    field of its own)."""
    rule = _RULES.get(intent)
    return rule is None or rule(text)
