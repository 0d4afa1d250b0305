"""The frame of a rule on an utterance's form (``minors``, ``questions``, ``repeat``,
``later``, ``consent``, ``optout``, ...): it reads the first ``MAX_CHARS`` of the
utterance, like the scorers, and remembers its answer per text (a turn asks several
rules of one text). Most rules are a pattern over the utterance's folded words
(``form_pattern``), a few a set of formulas said alone (``said_alone``)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from mbs.nlu.normalize import ascii_words
from mbs.nlu.scoring import MAX_CHARS


def form_rule(test: Callable[[str], bool]) -> Callable[[str], bool]:
    """``test`` on an utterance's first ``MAX_CHARS``, cached per text."""
    cached = functools.lru_cache(maxsize=4096)(test)

    @functools.wraps(test)
    def rule(text: str) -> bool:
        return cached(text[:MAX_CHARS])

    return rule


def form_pattern(
    says: re.Pattern[str], unless: re.Pattern[str] | None = None, *, keep: str = ""
) -> Callable[[str], bool]:
    """A rule: ``says`` is found in the utterance's folded words (``ascii_words``, with
    ``keep``), and ``unless`` is not."""

    def test(text: str) -> bool:
        words = ascii_words(text, keep)
        return bool(says.search(words)) and (unless is None or not unless.search(words))

    return form_rule(test)


def said_alone(formulas: re.Pattern[str], around: re.Pattern[str]) -> Callable[[str], bool]:
    """A rule: the utterance's folded words are one or more of ``formulas`` and, besides
    them, only words of ``around`` (fillers, titles, thanks): "point du tout monsieur",
    "merci pour l'appel au plaisir"."""

    def test(text: str) -> bool:
        rest, found = formulas.subn(" ", ascii_words(text))
        return found > 0 and not around.sub(" ", rest).strip()

    return form_rule(test)
