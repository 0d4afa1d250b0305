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

# What an intent or an objection recognised by its form scores at least. A form is
# evidence of its own kind, not a similarity: at its bare threshold, a step's decision let
# any objection scoring a little more take over ("vous êtes commerciale chez qui" went to
# "Vous voulez juste me vendre quelque chose", "vous êtes de chez edf c'est ça" to "Je
# reste au tarif réglementé"). At 0.75, an objection must be said nearly as written
# (above 0.85 with the decision's margin) to override it. On the dev split, 0.75 to 0.95
# decide alike (4 answers more right, none lost); the lowest of them leaves the most to
# objections.
FORM_SCORE = 0.75


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
