"""A prospect who puts the call off: the ``callback`` intent, by rule.

"Plus tard", "dans une heure", "un autre jour", "rappelez demain": French puts a call
off with a closed set of words for a later time. Word similarity can miss them when the
rest is new ("dans une heure ce serait mieux"), and can read a stop request in them:
speech to text drops the "ne" of "ne me rappelez plus", so "rappelez plus tard" shares
"rappelez plus" with it. ``by_form`` in ``mbs.nlu.fuzzy`` gives ``callback`` when the
scores found nothing, a refusal or a stop request, unless the utterance also says
never or asks to be taken off ("rappelez plus jamais", "arrêtez de m'appeler", "rayez
mon numéro"): a wrong stop loses a prospect, a wrong callback would break the law, so
any doubt leaves the stop request to the VM, which confirms it.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_rule
from mbs.nlu.normalize import ascii_words

INTENT = "callback"
# What the scores may have said instead.
MISREAD = frozenset(("no", "not_interested", "stop_calling"))

_N = (
    r"(?:une|un|deux|trois|quatre|cinq|six|dix|quinze|vingt|trente|quarante|quelques"
    r"|une demi|un quart d|une petite|un petit|\d+)"
)
_LATER = re.compile(
    r"\bplus tard\b"
    rf"|\b(?:dans|d ici) {_N} ?(?:heure|heures|h|minutes|min|instant|instants|moment)\b"
    r"|\b(?:un|une) autre (?:fois|jour|moment)\b"
    r"|\b(?:rappel\w*|recontact\w*|reessay\w*|repass\w*) (?:moi |nous |me |vous )?(?:demain"
    r"|ce soir|cet apres midi|en fin de journee|en soiree|la semaine prochaine|lundi|mardi"
    r"|mercredi|jeudi|vendredi|samedi|dans)\b"
)
_NEVER = re.compile(
    r"\b(?:jamais|arret\w*|cesse\w*|retir\w*|ray\w*|supprim\w*|efface\w*|liste|listes"
    r"|harcel\w*|plainte|bloctel)\b"
    r"|\bne (?:me |nous )?(?:rappel\w*|appel\w*|contact\w*|recontact\w*) plus\b"
)


@form_rule
def puts_off(text: str) -> bool:
    """Whether the utterance asks for the call later, and nothing says never."""
    words = ascii_words(text)
    return bool(_LATER.search(words)) and not _NEVER.search(words)
