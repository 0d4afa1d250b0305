"""Deterministic replay of a recorded call.

A call's event log holds everything that came from outside the machine: what the
prospect did (``heard``), how each line went (``said``/``played`` outcomes), and every
builtin answer (``intent``, ``objection``, ``freestyle``, ``transfer``, builtin
failures in ``error``). Replay feeds those back, in order, to the same VM and compares
the events it emits with the recorded ones. Any difference means the program (or the
VM) no longer behaves as it did: the first differing event is reported.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mbs.program import Program
from mbs.runtime.builtins.base import (
    FreestyleAnswer,
    FreestyleRequest,
    IntentResult,
    ObjectionResult,
)
from mbs.runtime.events import Event, MemorySink, comparable
from mbs.runtime.ops import (
    ClassifyOp,
    FreestyleOp,
    ListenOp,
    MatchObjectionOp,
    PlayOp,
    SpeakOp,
    TransferOp,
)
from mbs.runtime.telephony import Heard, HeardKind, PlayOutcome
from mbs.runtime.vm import FAILED_OPERATION, LoadedProgram, Vm

# fields of call_started that describe the recording rather than the behaviour
_HEADER_ONLY = frozenset({"program_hash", "source"})


class ReplayError(Exception):
    """The log cannot be replayed (no call_started header, ...)."""


class Exhausted(Exception):
    """The replayed call asked for more than the recording holds."""


class _Failure:
    """A recorded builtin failure, re-raised at the same point."""

    def __init__(self, detail: str) -> None:
        self.detail = detail


# The queue whose answer a recorded builtin failure stands for, by operation.
_QUEUE_OF = {
    ListenOp: "heard",
    SpeakOp: "said",
    PlayOp: "played",
    ClassifyOp: "intent",
    MatchObjectionOp: "objection",
    FreestyleOp: "freestyle",
    TransferOp: "transfer",
}
_FAILURE_QUEUE = {FAILED_OPERATION[op]: queue for op, queue in _QUEUE_OF.items()}
_FAILED = re.compile(": (" + "|".join(map(re.escape, _FAILURE_QUEUE)) + ") failed: (.*)$")


class Recording:
    """The outside world of one recorded call, as queues of answers."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.queues: dict[str, deque[Any]] = {k: deque() for k in _FAILURE_QUEUE.values()}
        for e in events:
            kind = e["event"]
            if kind == "heard":
                self.queues["heard"].append(
                    Heard(HeardKind(e["kind"]), text=e.get("text", ""), digit=e.get("digit", ""))
                )
            elif kind in ("said", "played"):
                self.queues[kind].append(PlayOutcome(e["outcome"]))
            elif kind == "intent":
                self.queues["intent"].append(
                    IntentResult(
                        intent=e["intent"],
                        score=e["score"],
                        runner_up=e.get("runner_up"),
                        runner_up_score=e.get("runner_up_score", 0.0),
                    )
                )
            elif kind == "objection":
                self.queues["objection"].append(
                    ObjectionResult(
                        objection=e["objection"],
                        response=e.get("response"),
                        audio=e.get("audio"),
                        pack=e.get("pack"),
                        score=e.get("score", 0.0),
                    )
                )
            elif kind == "freestyle":
                self.queues["freestyle"].append(
                    FreestyleAnswer(
                        text=e["answer"],
                        fallback=e["fallback"],
                        prompt=e.get("prompt", ""),
                        reason=e.get("reason", ""),
                        filler=e.get("filler", ""),
                    )
                )
            elif kind == "transfer":
                self.queues["transfer"].append(bool(e["ok"]))
            elif kind == "error":
                m = _FAILED.search(e.get("message", ""))
                if m:
                    self.queues[_FAILURE_QUEUE[m.group(1)]].append(_Failure(m.group(2)))

    def next(self, queue: str) -> Any:
        q = self.queues[queue]
        if not q:
            raise Exhausted(f"the recording has no more {queue!r} answers")
        item = q.popleft()
        if isinstance(item, _Failure):
            raise RuntimeError(item.detail)
        return item


class _ReplayCall:
    def __init__(self, call_id: str, rec: Recording) -> None:
        self._call_id = call_id
        self.rec = rec

    @property
    def call_id(self) -> str:
        return self._call_id

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> PlayOutcome:
        return self.rec.next("said")

    async def play(self, path: str, *, barge_in: bool) -> PlayOutcome:
        return self.rec.next("played")

    async def listen(self, timeout_s: float) -> Heard:
        return self.rec.next("heard")

    async def transfer(self, destination: str) -> bool:
        return self.rec.next("transfer")

    async def hangup(self) -> None:
        return None


class _ReplayNlu:
    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    async def classify(self, utterance: str) -> IntentResult:
        return self.rec.next("intent")

    async def match_objection(self, utterance: str) -> ObjectionResult:
        return self.rec.next("objection")


class _ReplayLlm:
    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    async def freestyle(self, request: FreestyleRequest, fallback: str) -> FreestyleAnswer:
        return self.rec.next("freestyle")


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
    e = comparable(event)
    if e.get("event") == "call_started":
        e = {k: v for k, v in e.items() if k not in _HEADER_ONLY}
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
    rec = Recording(events)
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
