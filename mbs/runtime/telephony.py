"""The telephony interface the VM talks to, whatever is behind it.

Implementations: the text channel (chat, conversation tests), and the ESL backends
(``esl`` against a real FreeSWITCH, ``sim`` against the in-process simulator).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class HeardKind(StrEnum):
    UTTERANCE = "utterance"
    SILENCE = "silence"
    DTMF = "dtmf"
    HANGUP = "hangup"
    MACHINE = "machine"


@dataclass(frozen=True, slots=True)
class Heard:
    """What came back from the prospect's side while listening."""

    kind: HeardKind
    text: str = ""  # the utterance (UTTERANCE), or the voicemail greeting (MACHINE)
    digit: str = ""  # DTMF
    confidence: float = 1.0
    duration_ms: int = 0  # length of the speech, when known


class PlayOutcome(StrEnum):
    DONE = "done"
    INTERRUPTED = "interrupted"  # barge-in: the prospect spoke; listen() returns it
    HANGUP = "hangup"


class CallStatus(StrEnum):
    """Call statuses (the store's), as far as telephony decides them."""

    PENDING = "PENDING"
    CALLING = "CALLING"
    RINGING = "RINGING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    NO_ANSWER = "NO_ANSWER"
    BUSY = "BUSY"
    ANSWERING_MACHINE = "ANSWERING_MACHINE"
    CANCELLED = "CANCELLED"


class Call(Protocol):
    """One answered call, seen from the robot."""

    @property
    def call_id(self) -> str: ...

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> PlayOutcome:
        """Speak ``text``; ``audio`` is its synthesised file when a TTS produced one."""
        ...

    async def play(self, path: str, *, barge_in: bool) -> PlayOutcome: ...

    async def listen(self, timeout_s: float) -> Heard: ...

    async def transfer(self, destination: str) -> bool: ...

    async def hangup(self) -> None: ...


@dataclass(frozen=True)
class DialResult:
    """The outcome of dialling: an answered call, or the status it ended with."""

    status: CallStatus
    call: Call | None = None
    hangup_cause: str = ""
    machine: bool = False  # the switch's AMD said MACHINE at answer time
    variables: Mapping[str, str] = field(default_factory=dict)


class Telephony(Protocol):
    """A telephony backend: dials numbers and hands back answered calls."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def dial(
        self,
        number: str,
        *,
        call_id: str,
        variables: Mapping[str, str],
        on_status: Callable[[CallStatus], None] | None = None,
    ) -> DialResult:
        """Dial and wait until the call is answered or has failed.

        ``on_status`` is told of progress before the result: CALLING once the switch
        accepted the originate, RINGING when the far end rings (early media or 180).
        """
        ...
