"""The frame of a rule on an utterance's form (``minors``, ``questions``, ``repeat``,
``later``, ``consent``): it reads the first ``MAX_CHARS`` of the utterance, like the
scorers, and remembers its answer per text (a turn asks several rules of one text)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from mbs.nlu.scoring import MAX_CHARS


def form_rule(test: Callable[[str], bool]) -> Callable[[str], bool]:
    """``test`` on an utterance's first ``MAX_CHARS``, cached per text."""
    cached = functools.lru_cache(maxsize=4096)(test)

    @functools.wraps(test)
    def rule(text: str) -> bool:
        return cached(text[:MAX_CHARS])

    return rule
