"""``amd.default``: the second layer of answering-machine detection.

The switch's own detector (first layer) hears the line's energy pattern; it is good at
MACHINE, unsure on short or noisy greetings. This layer reads what was said and how
long it lasted:

1. the switch said MACHINE: trusted;
2. the greeting contains a voicemail phrase of ``Program.amd.machine`` (fuzzy, on word
   boundaries, accents and case folded): machine, even if the switch said HUMAN
   (voicemail greetings recorded by people fool energy-based detectors);
3. the switch said HUMAN: human;
4. the greeting contains a human phrase (``allô``, ``j'écoute``) and is short: human;
5. a long stretch of speech (> ``long_greeting_ms``, default 2.5 s) or, when the length
   is unknown, a long transcript (>= ``long_greeting_words`` words): machine;
6. otherwise human: hanging up on a person costs more than talking to a recorder.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from pydantic import Field
from rapidfuzz import fuzz

from mbs.program import Program
from mbs.runtime.builtins.base import AmdVerdict
from mbs.runtime.builtins.options import BuiltinOptions, read_options

_OWNER = "amd.default"
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation and apostrophes as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", bare).strip()


def phrase_score(phrase: str, words: Sequence[str]) -> float:
    """How well ``phrase`` occurs in ``words`` as a run of whole words, in [0, 1].

    Windows one word shorter or longer than the phrase absorb a dropped or an extra
    word from the recogniser.
    """
    target = fold(phrase).split()
    if not target or not words:
        return 0.0
    wanted = " ".join(target)
    n = len(target)
    best = 0.0
    for size in {max(1, n - 1), n, n + 1}:
        for start in range(max(1, len(words) - size + 1)):
            window = " ".join(words[start : start + size])
            best = max(best, fuzz.ratio(wanted, window) / 100.0)
    return best


class AmdOptions(BuiltinOptions):
    phrase_threshold: float = Field(
        default=0.85, ge=0.0, le=1.0, description="Score a voicemail phrase needs in the greeting"
    )
    long_greeting_ms: int = Field(
        default=2500, ge=0, description="Speech longer than this is a machine"
    )
    long_greeting_words: int = Field(
        default=12,
        ge=1,
        description="A greeting this many words long is a machine (length unknown)",
    )


class DefaultAmd:
    Options = AmdOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        self.machine_phrases = program.amd.machine
        self.human_phrases = program.amd.human
        options = read_options(AmdOptions, config, owner=_OWNER)
        self.threshold = options.phrase_threshold
        self.long_ms = options.long_greeting_ms
        self.long_words = options.long_greeting_words

    def _best(self, phrases: Sequence[str], words: Sequence[str]) -> tuple[float, str]:
        scored = [(phrase_score(p, words), p) for p in phrases]
        return max(scored, default=(0.0, ""))

    def classify(self, greeting: str, greeting_ms: int, switch_result: str | None) -> AmdVerdict:
        switch = (switch_result or "").strip().upper() or None
        if switch == "MACHINE":
            return AmdVerdict(machine=True, reason="the switch detected a machine", score=1.0)

        words = fold(greeting).split()
        machine_score, machine_phrase = self._best(self.machine_phrases, words)
        if machine_score >= self.threshold:
            return AmdVerdict(
                machine=True,
                reason=f"voicemail phrase {machine_phrase!r} in the greeting",
                score=machine_score,
            )
        if switch == "HUMAN":
            return AmdVerdict(machine=False, reason="the switch detected a human", score=1.0)

        if greeting_ms > 0:
            long_greeting = greeting_ms > self.long_ms
            length = f"{greeting_ms} ms of speech"
        else:
            long_greeting = len(words) >= self.long_words
            length = f"{len(words)} words"

        human_score, human_phrase = self._best(self.human_phrases, words)
        if human_score >= self.threshold and not long_greeting:
            return AmdVerdict(
                machine=False,
                reason=f"human phrase {human_phrase!r} in a short greeting",
                score=human_score,
            )
        if long_greeting:
            return AmdVerdict(
                machine=True, reason=f"long greeting ({length})", score=0.6 + 0.2 * machine_score
            )
        return AmdVerdict(
            machine=False, reason=f"short greeting ({length}), no voicemail phrase", score=0.6
        )
