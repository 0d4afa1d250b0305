"""Where the point of an answer is: the clause after the last contrast.

"oui mais c'est trop cher" answers yes and objects; what the prospect means is the
objection. "pas le matin, plutôt l'après-midi" rules the morning out and picks the
afternoon. In both, the clause that starts at the last contrast word (``mais``,
``plutôt``, ``par contre``, ``sauf que``, ``en revanche``, ``cependant``, ``pourtant``)
carries the answer, and what comes before it is context (often negated). The hybrid NLU
scores both the whole utterance and that clause (see ``mbs.nlu.hybrid``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mbs.nlu.normalize import fold

_CONTRAST = re.compile(
    r"(?<![\w'])(?:mais|plutot|par contre|sauf que|en revanche|cependant|pourtant)(?![\w'])"
)
# "non mais non", "mais oui": a contrast word with nothing meaningful before it is a filler.
_FILLER = re.compile(r"[\W_]*(?:(?:euh|ben|bah|bon|ah|oh|alors|enfin)[\W_]+)*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Split:
    head: str  # what comes before the last contrast word (folded)
    tail: str  # from the contrast word on (folded)


def split_contrast(text: str) -> Split | None:
    """The utterance cut at its last contrast word, or None when there is none, or when
    either side is empty ("mais oui", "plutôt le matin")."""
    folded = fold(text)
    last = None
    for m in _CONTRAST.finditer(folded):
        last = m
    if last is None:
        return None
    head, tail = folded[: last.start()], folded[last.start() :]
    if _FILLER.fullmatch(head) or not tail[last.end() - last.start() :].strip(" .,!?;:"):
        return None
    return Split(head=head.strip(" ,;:"), tail=tail.strip())
