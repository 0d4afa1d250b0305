"""The builtin interfaces. An implementation is any class that fits the Protocol.

Implementations are found by name through the entry-point group ``mbs.builtins``
(entry-point names are ``KIND.NAME``, e.g. ``nlu.fuzzy``); see ``registry``.
Every factory is called as ``Factory(program, config)`` where ``config`` is the
mapping of settings given on the command line or in the campaign file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mbs.errors import InputError
from mbs.program import Program
from mbs.runtime.errors import VmError


class BuiltinError(VmError):
    """A builtin failed; the VM ends that call with TECHNICAL_ERROR."""


class UnknownBuiltin(BuiltinError, InputError):
    """No implementation is registered under that name (the message lists those that are)."""


class MissingDependency(BuiltinError):
    """The implementation needs an optional dependency or a data file that is absent.

    ``extra`` names the package extra that brings it (``pip install 'mbs[vosk]'``), when
    there is one.
    """

    def __init__(self, message: str, extra: str | None = None) -> None:
        super().__init__(message)
        self.extra = extra


# ------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class IntentResult:
    intent: str | None  # None when nothing passes the threshold
    score: float
    runner_up: str | None = None
    runner_up_score: float = 0.0
    # the score at which this NLU accepts the runner-up's label: scores are on each
    # NLU's own scale (and per label when calibrated so), and the VM's safety rules
    # ("sure" and "unsure" stop requests) are read against it; None: not reported
    runner_up_threshold: float | None = None


@dataclass(frozen=True, slots=True)
class ObjectionResult:
    objection: str | None  # the objection text exactly as written in its pack
    response: str | None = None
    audio: str | None = None
    pack: str | None = None
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: str  # "robot" | "prospect"
    text: str


@dataclass(frozen=True, slots=True)
class FreestyleRequest:
    utterance: str
    context: str
    goal: str
    history: Sequence[Turn]  # the last turns, oldest first (the VM passes 5)
    variables: dict[str, object]  # contact, agent and captured variables


@dataclass(frozen=True, slots=True)
class FreestyleAnswer:
    text: str
    fallback: bool  # True when the scripted fallback line was used
    prompt: str = ""  # what the model was sent (for the event log)
    reason: str = ""  # why the fallback was used: timeout, down, garbage, ...
    filler: str = ""  # the holding line played while the model was slow (set by the VM)


@dataclass(frozen=True, slots=True)
class AmdVerdict:
    machine: bool
    reason: str
    score: float = 1.0


# --------------------------------------------------------------------- interfaces


class Stt(Protocol):
    """Speech to text: turns caller audio into an utterance."""

    async def transcribe(self, pcm: bytes, sample_rate: int) -> str: ...


@dataclass(frozen=True, slots=True)
class SpeechUpdate:
    """What a streaming recogniser heard in the audio fed so far.

    ``start``: the prospect began speaking (barge-in may stop the prompt); ``partial``:
    the words so far; ``final``: the utterance, ended by ``end_ms`` of silence
    (``duration_ms`` is the speech's length).
    """

    kind: str  # "start" | "partial" | "final"
    text: str = ""
    confidence: float = 1.0
    duration_ms: int = 0


class SttStream(Protocol):
    """One call's audio, fed as it arrives (16-bit mono PCM at the stream's rate)."""

    def feed(self, pcm: bytes) -> list[SpeechUpdate]: ...

    def close(self) -> list[SpeechUpdate]:
        """End of the audio: an utterance under way is finished (``final``)."""
        ...


class StreamingStt(Protocol):
    """An STT that listens to a live stream (the audio fork's)."""

    def open_stream(self, sample_rate: int) -> SttStream: ...


class Nlu(Protocol):
    async def classify(self, utterance: str) -> IntentResult: ...

    async def match_objection(self, utterance: str) -> ObjectionResult: ...


class Llm(Protocol):
    async def freestyle(self, request: FreestyleRequest, fallback: str) -> FreestyleAnswer: ...


class Tts(Protocol):
    async def synthesize(self, text: str) -> Path | None:
        """The audio file for ``text`` (cached), or None when this TTS makes no audio."""
        ...


class Amd(Protocol):
    def classify(
        self, greeting: str, greeting_ms: int, switch_result: str | None
    ) -> AmdVerdict: ...


class Factory(Protocol):
    """What an entry point loads: usually the implementation class itself.

    It should raise :class:`BuiltinError` (or :class:`MissingDependency`) for a bad
    setting or a missing dependency; the registry wraps anything else.
    """

    def __call__(self, program: Program, config: Mapping[str, object]) -> object: ...
