"""A prospect who puts the call off: the ``callback`` intent, by rule.

"Plus tard", "dans une heure", "un autre jour", "rappelez demain": French puts a call
off with a closed set of words for a later time. Word similarity can miss them when the
rest is new ("dans une heure ce serait mieux"), and can read a stop request in them:
speech to text drops the "ne" of "ne me rappelez plus", so "rappelez plus tard" shares
"rappelez plus" with it. ``by_form`` in ``mbs.nlu.fuzzy`` gives ``callback`` when the
scores found nothing or a refusal, unless the utterance also says never, asks to be
taken off ("rappelez plus jamais", "arrêtez de m'appeler", "rayez mon numéro") or
denies the call ("ne me rappelez pas plus tard", "pas la peine de rappeler", "non
merci"). It never overrides a stop request: a wrong callback would break the law, and
the VM confirms an unsure stop request instead of acting on it. One exception, by form:
a stop request the scores alone read in a call put off "plus tard" (``explains_the_plus``).
A request to hold the line is no call put off (``holds_on``).
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern, form_rule
from mbs.nlu.normalize import ascii_words

INTENT = "callback"
# What the scores may have said instead: a "non" or a refusal in front, or a yes read in
# the words around the later time ("là ça tombe mal mais lundi sans problème"): the form
# names a later call, which no yes to the robot's question says.
# Never a stop request: a wrong callback would break the law; an unsure stop request is
# for the VM to confirm.
MISREAD = frozenset(("no", "not_interested", "yes"))

_N = (
    r"(?:une|un|deux|trois|quatre|cinq|six|dix|quinze|vingt|trente|quarante|quelques"
    r"|une demi|un quart d|une petite|un petit|\d+)"
)
# "dans" a delay ("dans une heure", "dans la soirée"), not "dans tous les cas"
_DANS = r"dans(?! (?:tous|toutes|tout|ce cas|le doute|l ensemble|le fond)\b)"
_LATER = re.compile(
    r"\bplus tard\b"
    rf"|\b(?:dans|d ici) {_N} ?(?:heure|heures|h|minutes|min|instant|instants|moment)\b"
    r"|\b(?:un|une) autre (?:fois|jour|moment)\b"
    r"|\bd ici (?:quelques|deux|trois|quatre|cinq|dix|quinze|\d+) (?:jours|semaines)\b"
    # a later time proposed first: "la semaine prochaine plutôt là on est en pleines vendanges"
    r"|^(?:(?:euh|bah|ben|bon|alors|ah|oh|non) )*(?:la semaine prochaine|le mois prochain"
    r"|demain|ce soir|un autre jour|en fin de semaine|dans la soiree) plutot\b"
    # now refused for a later time ("pas maintenant mais demain dans la journée")
    r"|\b(?:pas (?:maintenant|tout de suite|aujourd hui|ce matin|cet apres midi|en ce moment)"
    # ... or the moment said bad ("là ça tombe mal mais lundi sans problème")
    r"|(?:ca|la ca|ca me) tombe mal|c est pas le (?:bon )?moment|mauvais moment)"
    r" (?:mais |plutot |par contre )+(?:demain|ce soir|cet apres midi|la semaine prochaine"
    rf"|lundi|mardi|mercredi|jeudi|vendredi|samedi|un autre jour|plus tard|{_DANS})\b"
    # a call back by someone else ("rappelez-moi avec un vrai conseiller", "recontactez-moi
    # par un de vos commerciaux"): not "rappelez-moi votre nom", a reminder
    r"|\b(?:rappelez|recontactez|rappelle|recontacte) (?:moi|nous) (?:plutot |donc |alors )?"
    r"(?:avec|par) (?:un|une|votre|vos|le|la|l|quelqu un)\b"
    r"|\b(?:rappel\w*|recontact\w*|reessayez|reessayer|repass\w*|essayez|essayer|retentez"
    r"|retenter|tentez|appelez|appeler|telephonez|telephoner|retelephonez|retelephoner|joignez"
    r"|(?:re)?faites (?:moi|nous) signe|(?:re)?faites signe"
    # "refaites un essai vers midi", "tentez une autre fois demain"
    r"|refaites un essai|refaites une tentative|faites un (?:autre|nouvel) essai"
    r"|(?:re)?tentez votre chance"
    # "passez un coup de fil ce soir", "donnez-moi un coup de fil demain"
    r"|(?:passez|donnez|passer|donner) (?:moi |nous )?un (?:petit )?coup (?:de fil|de telephone)"
    # slang ("capte-moi ce soir", "bipe-moi demain"), a moment said possible ("ce serait
    # possible en soirée")
    r"|(?:capte|captez|bipe|bipez|sonne|sonnez) (?:moi|nous)"
    r"|(?:ce serait|ca serait|ce sera|ca sera) possible)"
    r" (?:moi |nous |me |vous |le |la |plutot |donc |alors |un coup de fil |un coup |un petit"
    r" coup )*(?:demain|ce soir|cet apres midi|cet aprem"
    r"|en fin de journee|en fin de semaine|en debut de semaine|en fin de matinee|en soiree"
    r"|en fin d apres midi|en debut d apres midi|dans l apres midi|dans la soiree"
    r"|la semaine prochaine|le mois prochain|lundi|mardi|mercredi|jeudi|vendredi|samedi"
    rf"|dimanche|ce week end|le week end|{_DANS}|tout a l heure"
    # a time said just before: "il rentre vers midi, rappelez à cette heure-là" (not
    # "cette heure-ci", the hour of this call: "vous appelez à cette heure-ci ?")
    r"|a cette heure la|a ce moment la"
    # a time of day: "retéléphonez vers les cinq heures", "rappelez vers midi"
    r"|(?:vers|aux alentours de|sur les coups de|a partir de|apres) (?:les )?(?:midi|\d+ ?h"
    r"|(?:\w+ )?heures?))\b"
)
_NEVER = re.compile(
    r"\b(?:jamais|arret\w*|cesse\w*|retir\w*|ray\w*|supprim\w*|efface\w*|liste|listes"
    r"|harcel\w*|plainte|bloctel|merci)\b"
    # a call denied ("ne me rappelez plus", "ne m'appelez pas", "pas la peine de rappeler",
    # "je ne veux pas que vous me rappeliez", "pas plus tard")
    r"|\bne (?:me |m |nous |vous )?(?:\w+ )?(?:rappel\w*|appel\w*|contact\w*|recontact\w*)"
    r" (?:plus|pas|jamais)\b"
    r"|\b(?:pas la peine|inutile|ne veux pas|veux pas|pas besoin|pas plus tard|non plus tard)\b"
    r"|\b(?:rappel\w*|appel\w*) (?:pas|plus)\b(?! tard)"
    # an instruction reported, to the speaker ("ma mère m'a dit de la rappeler ce soir")
    r"|\b(?:dit|demande|conseille) de (?:la|le|les|l) (?:rappeler|appeler)\b"
)


# "Se rappeler" is to remember: "je me rappelle très bien du temps du franc", "vous vous
# rappelez de moi", "tu te rappelles" ask no call ("on se rappelle" may: "je conduis là
# on se rappelle").
_REMEMBERS = re.compile(
    r"\b(?:je me|tu te|vous vous|il se|elle se|je m en|tu t en|vous vous en)"
    r" (?:rappelle|rappelles|rappelez|rappelons|rappelait|rappelais|souviens|souvenez)\b"
)
# (a call asked in the imperative besides: "je me rappelle plus de mon planning,
# rappelez-moi demain")
_CALL_ASKED = re.compile(
    r"(?<!vous vous )\b(?:rappelez|recontactez|appelez|telephonez|retelephonez)\b"
)

# Whether the utterance says the speaker remembers and asks no call: a veto on a call-back
# the scores read.
remembers = form_pattern(_REMEMBERS, _CALL_ASKED)


# Whether the utterance asks for the call later, and nothing says never.
puts_off = form_pattern(_LATER, unless=_NEVER)


_PLUS_TARD = re.compile(r"\bplus tard\b")


@form_rule
def explains_the_plus(text: str) -> bool:
    """Whether the call is put off with "plus tard", nothing saying never: its "plus" is
    the later time's, not a "ne ... plus" speech to text dropped ("j'ai pas le temps
    rappelez plus tard" is no stop request)."""
    return puts_off(text) and bool(_PLUS_TARD.search(ascii_words(text)))


# Asked to hold the line: "attendez deux secondes je sors de la voiture", "un instant je
# baisse la radio". The situation ("la voiture", "la cuisine") reads as a call-back's
# ("je suis en voiture"), but the prospect stays on the line.
_HOLD = re.compile(
    r"^(?:(?:euh|oh|ah|bon|ben|bah|oui|ouais|alors|pardon|excusez moi|attendez) )*"
    r"(?:attendez|attends|patientez|une seconde|une petite seconde|deux secondes"
    r"|un instant|un petit instant|un moment|ne quittez pas"
    r"|bougez pas|ne bougez pas)\b"
    # ... or anywhere, while the speaker does something ("le robot fait un boucan attendez
    # que je l'éteigne")
    r"|\b(?:attendez|attends) (?:que je|que j)\b"
)
_CALL = re.compile(r"\b(?:rappel\w*|recontact\w*|plus tard|demain|autre fois|pas le temps)\b")


@form_rule
def holds_on(text: str) -> bool:
    """Whether the prospect asks to hold the line, and puts nothing off."""
    words = ascii_words(text)
    return bool(_HOLD.search(words)) and not puts_off(text) and not _CALL.search(words)
