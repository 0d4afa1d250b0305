"""What the ``vulnerable`` intent may be taken from: a rule (``mbs.nlu.minors``,
``mbs.nlu.pregnancy``), or its examples when the utterance speaks of what they speak of.

Its examples say ages ("j'ai quatorze ans"), and a similarity score has no notion of
"under 18": "j'ai soixante-quatorze ans" and "le quinze du mois" came out close to them,
and an alcohol call ended on them. Ages are the minors rule's to read; so the examples
count only when the utterance holds a word of the intent's field (childhood, school,
majority, pregnancy, the law on alcohol), a child said in the singular: "deux ados de
quatorze et seize ans", "trois gamins" are the household, not the speaker.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern
from mbs.nlu.minors import says_minor
from mbs.nlu.pregnancy import says_pregnant

INTENT = "vulnerable"

_CUES = re.compile(
    r"\b(?:mineure?|majeure?|majorite|age|jeune|trop jeune"
    r"|enfant|gamine?|gosse|mome|ado|adolescente?"
    r"|ecole|college|collegienne?|lycee|lyceenne?|bac|brevet|classe|rentree|eleve"
    r"|sixieme|cinquieme|quatrieme|troisieme|seconde|premiere|terminale"
    r"|parents|papa|maman|fils|fille|decroche"
    r"|enceinte|grossesse|bebe|accouche|accoucher|accouchement|cloque|polichinelle"
    r"|heureux evenement|future maman"
    r"|alcool|boire|droit|interdit|interdite)\b"
)

# Whether the utterance speaks of what the intent's examples speak of.
cued = form_pattern(_CUES)


def by_rule(text: str) -> bool:
    """Whether a rule says the speaker is vulnerable: a minor, or pregnant."""
    return says_minor(text) or says_pregnant(text)
