"""The operations the VM's machine yields when it needs the outside world.

Each is answered by the driver (``Vm.perform``) with the value named in its docstring,
or by a :class:`RuntimeFailure` thrown back into the machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from mbs.runtime.builtins.base import FreestyleRequest
from mbs.runtime.errors import VmError


@dataclass(frozen=True, slots=True)
class SpeakOp:
    """Say ``text``; answered with a PlayOutcome."""

    text: str
    barge_in: bool


@dataclass(frozen=True, slots=True)
class PlayOp:
    """Play a recording; answered with a PlayOutcome."""

    path: str
    barge_in: bool


@dataclass(frozen=True, slots=True)
class ListenOp:
    """Wait for the prospect; answered with a Heard."""

    timeout_s: float


@dataclass(frozen=True, slots=True)
class ClassifyOp:
    """Classify an utterance; answered with an IntentResult."""

    utterance: str


@dataclass(frozen=True, slots=True)
class MatchObjectionOp:
    """Match an utterance against the objections; answered with an ObjectionResult."""

    utterance: str


@dataclass(frozen=True, slots=True)
class FreestyleOp:
    """Ask the LLM; answered with a FreestyleAnswer."""

    request: FreestyleRequest
    fallback: str


@dataclass(frozen=True, slots=True)
class TransferOp:
    """Bridge to a human; answered with a bool (bridged or not)."""

    destination: str


Op = SpeakOp | PlayOp | ListenOp | ClassifyOp | MatchObjectionOp | FreestyleOp | TransferOp


class RuntimeFailure(VmError):
    """Something outside the machine failed (a builtin, the call); ends that call.

    ``operation`` names the operation that failed (``OPERATION_NAME``), when one did:
    the error event records it, and replay raises the failure again at that point."""

    def __init__(self, message: str, operation: str | None = None) -> None:
        super().__init__(message)
        self.operation = operation


# How the event log names each operation (``error.failed``; see mbs.runtime.events).
OPERATION_NAME: dict[type, str] = {
    ListenOp: "listen",
    SpeakOp: "speak",
    PlayOp: "play",
    ClassifyOp: "classify",
    MatchObjectionOp: "match_objection",
    FreestyleOp: "freestyle",
    TransferOp: "transfer",
}
