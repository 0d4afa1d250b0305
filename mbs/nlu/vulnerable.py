"""The ``vulnerable`` intent by rule: the speaker says they are a minor
(``mbs.nlu.minors``) or pregnant (``mbs.nlu.pregnancy``). Its examples decide only
within its field (``mbs.nlu.fields``): ages are the minors rule's to read."""

from __future__ import annotations

from mbs.nlu.minors import INTENT, says_minor
from mbs.nlu.pregnancy import says_pregnant

__all__ = ["INTENT", "by_rule"]


def by_rule(text: str) -> bool:
    """Whether a rule says the speaker is vulnerable: a minor, or pregnant."""
    return says_minor(text) or says_pregnant(text)
