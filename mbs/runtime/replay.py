"""Deterministic replay of a recorded call.

A call's event log holds everything that came from outside the machine: what the
prospect did (``heard``), how each line went (``said``/``played`` outcomes), and every
builtin answer (``intent``, ``objection``, ``freestyle``, ``transfer``, builtin
failures in ``error``). Replay feeds those back, in order, to the same VM and compares
the events it emits with the recorded ones. Any difference means the program (or the
VM) no longer behaves as it did: the first differing event is reported.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from mbs.errors import InputError
from mbs.program import Program
from mbs.runtime.builtins.base import (
    FreestyleAnswer,
    FreestyleRequest,
    IntentResult,
    ObjectionResult,
)
from mbs.runtime.errors import VmError
from mbs.runtime.events import (
    ErrorEvent,
    Event,
    EventLogError,
    FreestyleEvent,
    HeardEvent,
    IntentEvent,
    MemorySink,
    ObjectionEvent,
    Played,
    Said,
    Transferred,
    comparable,
    parse_event,
)
from mbs.runtime.telephony import Heard, PlayOutcome
from mbs.runtime.vm import LoadedProgram, Vm

T = TypeVar("T")

# fields of call_started that describe the recording rather than the behaviour
_HEADER_ONLY = frozenset({"program_hash", "source", "now"})  # "now": replayed as recorded


class ReplayError(VmError, InputError):
    """The log cannot be replayed (no call_started header, ...)."""


class Exhausted(VmError):
    """The replayed call asked for more than the recording holds."""


class _Failure:
    """A recorded builtin failure, re-raised at the same point."""

    def __init__(self, detail: str) -> None:
        self.detail = detail


# The queue whose answers an operation reads; a recorded failure of the operation
# (``ErrorEvent.failed``) goes into the same queue, at its place in the call.
_QUEUE_OF = {
    "listen": "heard",
    "speak": "said",
    "play": "played",
    "classify": "intent",
    "match_objection": "objection",
    "freestyle": "freestyle",
    "transfer": "transfer",
}


class Recording:
    """The outside world of one recorded call, as queues of answers."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.queues: dict[str, deque[Any]] = {k: deque() for k in _QUEUE_OF.values()}
        for event in events:
            e = parse_event(event)
            if isinstance(e, HeardEvent):
                self.queues["heard"].append(e.heard)
            elif isinstance(e, Said):
                self.queues["said"].append(e.outcome)
            elif isinstance(e, Played):
                self.queues["played"].append(e.outcome)
            elif isinstance(e, IntentEvent | ObjectionEvent):
                self.queues[e.kind].append(e.result)
            elif isinstance(e, FreestyleEvent):
                self.queues["freestyle"].append(e.answer)
            elif isinstance(e, Transferred):
                self.queues["transfer"].append(e.ok)
            elif isinstance(e, ErrorEvent) and e.failed is not None:
                detail = e.message.split(" failed: ", 1)[-1]
                self.queues[_QUEUE_OF[e.failed]].append(_Failure(detail))

    def next(self, queue: str, kind: type[T]) -> T:
        """The queue's next answer (a ``kind``), or the recorded failure raised again."""
        q = self.queues[queue]
        if not q:
            raise Exhausted(f"the recording has no more {queue!r} answers")
        item = q.popleft()
        if isinstance(item, _Failure):
            raise RuntimeError(item.detail)
        if not isinstance(item, kind):  # pragma: no cover - the queues are filled by kind
            raise ReplayError(f"a {queue!r} answer that is not a {kind.__name__}")
        return item


class _ReplayCall:
    def __init__(self, call_id: str, rec: Recording) -> None:
        self._call_id = call_id
        self.rec = rec

    @property
    def call_id(self) -> str:
        return self._call_id

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> PlayOutcome:
        return self.rec.next("said", PlayOutcome)

    async def play(self, path: str, *, barge_in: bool) -> PlayOutcome:
        return self.rec.next("played", PlayOutcome)

    async def listen(self, timeout_s: float) -> Heard:
        return self.rec.next("heard", Heard)

    async def transfer(self, destination: str) -> bool:
        return self.rec.next("transfer", bool)

    async def hangup(self) -> None:
        return None


class _ReplayNlu:
    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    async def classify(self, utterance: str) -> IntentResult:
        return self.rec.next("intent", IntentResult)

    async def match_objection(self, utterance: str) -> ObjectionResult:
        return self.rec.next("objection", ObjectionResult)


class _ReplayLlm:
    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    async def freestyle(self, request: FreestyleRequest, fallback: str) -> FreestyleAnswer:
        return self.rec.next("freestyle", FreestyleAnswer)


@dataclass
class Divergence:
    index: int  # position in the call's events
    expected: Event | None  # recorded (None: the replay emitted more events)
    got: Event | None  # replayed (None: the replay stopped earlier)


@dataclass
class ReplayReport:
    call_id: str
    recorded: list[Event]
    replayed: list[Event] = field(default_factory=list)
    divergence: Divergence | None = None
    program_changed: bool = False  # the recorded program hash differs from this program's

    @property
    def identical(self) -> bool:
        return self.divergence is None


def _key(event: Event) -> Event:
    # through the typed form: a log written before a field existed (the failed
    # operation of an error) compares equal to the same call replayed today
    try:
        e = comparable(parse_event(event).to_json())
    except EventLogError:
        e = comparable(event)
    if e.get("event") == "call_started":
        e = {k: v for k, v in e.items() if k not in _HEADER_ONLY}
        if isinstance(e.get("agent"), dict):  # fields added since (gender) are empty in old logs
            e["agent"] = {k: v for k, v in e["agent"].items() if v not in ("", None)}
    elif e.get("event") == "routed":
        # the dispatch's address moves when unrelated steps are edited; the case and
        # the target's name are the behaviour
        e.pop("address", None)
    return e


def first_divergence(recorded: Sequence[Event], replayed: Sequence[Event]) -> Divergence | None:
    for i, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
        if _key(a) != _key(b):
            return Divergence(i, a, b)
    n = min(len(recorded), len(replayed))
    if len(recorded) != len(replayed):
        return Divergence(
            n,
            recorded[n] if n < len(recorded) else None,
            replayed[n] if n < len(replayed) else None,
        )
    return None


async def replay_call(program: Program | LoadedProgram, events: Sequence[Event]) -> ReplayReport:
    """Re-run one recorded call (its events, in order) and compare."""
    if not events or events[0].get("event") != "call_started":
        raise ReplayError("the log does not start with a call_started event")
    header = events[0]
    call_id = str(header.get("call_id", ""))
    loaded = program if isinstance(program, LoadedProgram) else LoadedProgram(program)
    try:
        rec = Recording(events)
    except EventLogError as exc:
        raise ReplayError(str(exc)) from None
    vm = Vm(loaded, nlu=_ReplayNlu(rec), llm=_ReplayLlm(rec), filler_after=None)
    sink = MemorySink()
    await vm.run_call(
        _ReplayCall(call_id, rec),
        contact=header.get("contact", {}),
        sink=sink,
        machine_at_answer=bool(header.get("machine_at_answer", False)),
        now=_recorded_now(header.get("now")),
    )
    replayed = sink.events
    return ReplayReport(
        call_id=call_id,
        recorded=list(events),
        replayed=replayed,
        divergence=first_divergence(events, replayed),
        program_changed=header.get("program_hash") != loaded.program_hash,
    )


def _recorded_now(value: object) -> datetime | None:
    """The recorded call's start (dates the prospect said are relative to it)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
