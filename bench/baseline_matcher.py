"""The original platform's objection matcher, kept as the baseline for bench_nlu.py.

For every objection: ``difflib.SequenceMatcher(None, utterance, objection).ratio() * 0.7
+ keyword_overlap * 0.3`` on lower-cased text, where keyword_overlap is the share of the
objection's words that the utterance contains. The best objection wins if it scores at
least 0.5. The candidates are what the brief's matcher scored: one text per objection
(175 for the stdlib), not the variants the fuzzy matcher indexes besides (548 phrasings
in all); ``all_phrasings=True`` scores every phrasing instead, for an accuracy upper
bound at about three times the cost.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from mbs.program import ObjectionPack

MIN_SCORE = 0.5


def _words(text: str) -> set[str]:
    return set(text.lower().split())


@dataclass(frozen=True, slots=True)
class BaselineMatch:
    objection: str | None
    score: float


class BaselineMatcher:
    def __init__(
        self,
        packs: Sequence[ObjectionPack],
        min_score: float = MIN_SCORE,
        *,
        all_phrasings: bool = False,
    ) -> None:
        self.min_score = min_score
        self._entries: list[tuple[str, str, set[str]]] = []  # (objection text, phrase, words)
        for pack in packs:
            for objection in pack.objections:
                phrases = (
                    (objection.text, *objection.variants) if all_phrasings else (objection.text,)
                )
                for phrase in phrases:
                    self._entries.append((objection.text, phrase.lower(), _words(phrase)))

    def match(self, utterance: str) -> BaselineMatch:
        text = utterance.lower()
        words = _words(utterance)
        best: tuple[float, str | None] = (0.0, None)
        for objection, phrase, phrase_words in self._entries:
            ratio = difflib.SequenceMatcher(None, text, phrase).ratio()
            overlap = len(words & phrase_words) / len(phrase_words) if phrase_words else 0.0
            score = ratio * 0.7 + overlap * 0.3
            if score > best[0]:
                best = (score, objection)
        if best[0] < self.min_score:
            return BaselineMatch(None, best[0])
        return BaselineMatch(best[1], best[0])
