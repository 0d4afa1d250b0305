"""Call events: what a call did, in order, as JSON-safe dicts, and where they go.

An event is ``{"event": TYPE, "call_id": ..., "step": ..., ...fields, "at": seconds}``.
``at`` (seconds since the call started) is the only field that depends on the clock;
replay compares everything else. Types, in the order a call emits them:

``call_started``  program_hash, source, scenario, contact, agent, machine_at_answer
                  (the log's header)
``step_entered``  the step name
``said``          text, kind (say|objection|freestyle|retry), outcome (done|interrupted|hangup)
``played``        path, outcome
``heard``         kind (utterance|silence|dtmf|hangup|machine), text, digit, turn
``intent``        intent (or null), score, runner_up, runner_up_score, runner_up_threshold
                  (absent when the NLU does not report it, and in older logs)
``objection``     objection (or null), pack, score, response, audio
``routed``        case (intent name, objection, silence, unclear, otherwise, dtmf:D), target
``freestyle``     prompt, answer, fallback, reason
``captured``      var, value
``set``           var, value
``transfer``      destination, ok
``opt_out``
``call_event``    which (machine|hangup|max_turns), target (null: the default result)
``error``         message (file:line:col: ...), failed (the operation whose failure
                  ended the call: listen, speak, play, classify, match_objection,
                  freestyle, transfer; absent when the call failed for another reason)
``result``        result, opt_out, turns

The VM writes and the sinks carry the JSON form (``Event``, a dict: what the logs
hold). Readers work on the typed form: :func:`parse_event` turns a JSON event into one
frozen dataclass per kind, with typed payloads (the NLU's :class:`IntentResult`, the
failed operation as a field), and ``to_json`` gives the same JSON back. A kind this
module does not know parses to :class:`OtherEvent`, its fields kept as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol

from mbs.errors import InputError
from mbs.files import DATA_LIMIT, UnreadableFile, read_text
from mbs.runtime.builtins.base import FreestyleAnswer, IntentResult, ObjectionResult
from mbs.runtime.errors import VmError
from mbs.runtime.telephony import Heard, HeardKind, PlayOutcome

Event = dict[str, Any]

CLOCK_FIELDS = frozenset({"at"})  # ignored when comparing events


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


class MemorySink:
    """Keeps every event in a list (tests, chat, replay)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of_call(self, call_id: str) -> list[Event]:
        return [e for e in self.events if e.get("call_id") == call_id]


class JsonlSink:
    """Appends one compact JSON object per line to a file (the event log)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] = self.path.open("a", encoding="utf-8")

    def emit(self, event: Event) -> None:
        self._file.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CallbackSink:
    """Hands each event to a function (the chat's live display)."""

    def __init__(self, callback: Callable[[Event], None]) -> None:
        self.callback = callback

    def emit(self, event: Event) -> None:
        self.callback(event)


class TeeSink:
    """Sends every event to several sinks, in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = [s for s in sinks if s is not None]

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.emit(event)


class EventLogError(VmError, InputError):
    """An event log that cannot be read."""


def read_log(path: str | Path) -> list[Event]:
    """Every event of a JSON-lines log, in order."""
    try:
        lines = read_text(path, limit=DATA_LIMIT, what="the event log").splitlines()
    except UnreadableFile as exc:
        raise EventLogError(str(exc)) from None
    events: list[Event] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError as exc:
            raise EventLogError(f"{path}:{n}: not a JSON event ({exc})") from None
        except RecursionError:
            raise EventLogError(f"{path}:{n}: not an mbs event (nested too deeply)") from None
        if not isinstance(event, dict) or "event" not in event:
            raise EventLogError(f"{path}:{n}: not an mbs event")
        events.append(event)
    return events


def calls_in(events: list[Event]) -> Iterator[tuple[str, list[Event]]]:
    """Group a log's events by call, in order of each call's first event."""
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(str(event.get("call_id", "")), []).append(event)
    yield from groups.items()


def comparable(event: Event) -> Event:
    """The event without its clock fields."""
    return {k: v for k, v in event.items() if k not in CLOCK_FIELDS}


# --- the typed form -------------------------------------------------------------------

# The operations whose failure ends a call (``error.failed``): named like the VM's ops.
OPERATIONS = ("listen", "speak", "play", "classify", "match_objection", "freestyle", "transfer")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """What every event has: the call, the step it happened in, seconds since the start."""

    kind: ClassVar[str] = ""
    call_id: str = ""
    step: str | None = None
    at: float | None = None

    def payload(self) -> dict[str, Any]:
        """The kind's own fields, JSON-safe, in the order the log writes them."""
        return {}

    def to_json(self) -> Event:
        out: Event = {"event": self.kind, "call_id": self.call_id, "step": self.step}
        out.update(self.payload())
        if self.at is not None:
            out["at"] = self.at
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStarted(CallEvent):
    kind: ClassVar[str] = "call_started"
    program_hash: str = ""
    source: str = ""
    scenario: str = ""
    contact: Mapping[str, Any] = field(default_factory=dict)
    agent: Mapping[str, Any] = field(default_factory=dict)
    machine_at_answer: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "program_hash": self.program_hash,
            "source": self.source,
            "scenario": self.scenario,
            "contact": dict(self.contact),
            "agent": dict(self.agent),
            "machine_at_answer": self.machine_at_answer,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StepEntered(CallEvent):
    kind: ClassVar[str] = "step_entered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Said(CallEvent):
    kind: ClassVar[str] = "said"
    text: str = ""
    said_as: str = "say"  # say | objection | freestyle | retry (JSON: "kind")
    outcome: PlayOutcome = PlayOutcome.DONE

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.said_as, "outcome": self.outcome.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class Played(CallEvent):
    kind: ClassVar[str] = "played"
    path: str = ""
    outcome: PlayOutcome = PlayOutcome.DONE

    def payload(self) -> dict[str, Any]:
        return {"path": self.path, "outcome": self.outcome.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class HeardEvent(CallEvent):
    kind: ClassVar[str] = "heard"
    heard: Heard = field(default_factory=lambda: Heard(HeardKind.SILENCE))
    turn: int = 0

    def payload(self) -> dict[str, Any]:
        h = self.heard
        return {"kind": h.kind.value, "text": h.text, "digit": h.digit, "turn": self.turn}


@dataclass(frozen=True, slots=True, kw_only=True)
class IntentEvent(CallEvent):
    kind: ClassVar[str] = "intent"
    result: IntentResult = field(default_factory=lambda: IntentResult(intent=None, score=0.0))

    def payload(self) -> dict[str, Any]:
        r = self.result
        payload: dict[str, Any] = {
            "intent": r.intent,
            "score": r.score,
            "runner_up": r.runner_up,
            "runner_up_score": r.runner_up_score,
        }
        if r.runner_up_threshold is not None:  # absent from older logs
            payload["runner_up_threshold"] = r.runner_up_threshold
        return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectionEvent(CallEvent):
    kind: ClassVar[str] = "objection"
    result: ObjectionResult = field(default_factory=lambda: ObjectionResult(objection=None))

    def payload(self) -> dict[str, Any]:
        r = self.result
        return {
            "objection": r.objection,
            "pack": r.pack,
            "score": r.score,
            "response": r.response,
            "audio": r.audio,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Routed(CallEvent):
    kind: ClassVar[str] = "routed"
    case: str = ""
    target: str | None = None
    address: int | None = None

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"case": self.case, "target": self.target}
        if self.address is not None:
            out["address"] = self.address
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FreestyleEvent(CallEvent):
    kind: ClassVar[str] = "freestyle"
    answer: FreestyleAnswer = field(default_factory=lambda: FreestyleAnswer("", fallback=True))

    def payload(self) -> dict[str, Any]:
        a = self.answer
        out = {"prompt": a.prompt, "answer": a.text, "fallback": a.fallback, "reason": a.reason}
        if a.filler:
            out["filler"] = a.filler
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Captured(CallEvent):
    kind: ClassVar[str] = "captured"
    var: str = ""
    value: Any = None

    def payload(self) -> dict[str, Any]:
        return {"var": self.var, "value": self.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class VariableSet(Captured):
    kind: ClassVar[str] = "set"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transferred(CallEvent):
    kind: ClassVar[str] = "transfer"
    destination: str = ""
    ok: bool = False

    def payload(self) -> dict[str, Any]:
        return {"destination": self.destination, "ok": self.ok}


@dataclass(frozen=True, slots=True, kw_only=True)
class OptedOut(CallEvent):
    kind: ClassVar[str] = "opt_out"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEventFired(CallEvent):
    kind: ClassVar[str] = "call_event"
    which: str = ""  # machine | hangup | max_turns
    target: str | None = None  # None: the default result

    def payload(self) -> dict[str, Any]:
        return {"which": self.which, "target": self.target}


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorEvent(CallEvent):
    kind: ClassVar[str] = "error"
    message: str = ""
    failed: str | None = None  # one of OPERATIONS, or None

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.failed is not None:
            out["failed"] = self.failed
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CallResult(CallEvent):
    kind: ClassVar[str] = "result"
    result: str = ""
    opt_out: bool = False
    turns: int = 0

    def payload(self) -> dict[str, Any]:
        return {"result": self.result, "opt_out": self.opt_out, "turns": self.turns}


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherEvent(CallEvent):
    """A kind this module does not know (a newer VM's): its fields as they came."""

    name: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> Event:
        out: Event = {"event": self.name, "call_id": self.call_id, "step": self.step}
        out.update(self.fields)
        if self.at is not None:
            out["at"] = self.at
        return out


# Logs written before the error event said which operation failed (mbs 0.1) name it
# in the message only, with these words: read once here, when such a log is parsed.
_LEGACY_FAILED = {
    "listening": "listen",
    "speaking": "speak",
    "playing": "play",
    "the nlu builtin (classify)": "classify",
    "the nlu builtin (objections)": "match_objection",
    "the llm builtin": "freestyle",
    "the transfer": "transfer",
}
_LEGACY_FAILED_RE = re.compile(": (" + "|".join(map(re.escape, _LEGACY_FAILED)) + ") failed: ")


def _failed_of(e: Mapping[str, Any]) -> str | None:
    failed = e.get("failed")
    if isinstance(failed, str) and failed in OPERATIONS:
        return failed
    if "failed" in e:
        return None
    m = _LEGACY_FAILED_RE.search(str(e.get("message", "")))
    return _LEGACY_FAILED[m.group(1)] if m else None


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def parse_event(e: Mapping[str, Any]) -> CallEvent:
    """The typed form of one JSON event (as written by any mbs version so far).

    Raises ``EventLogError`` when a known kind lacks a field it cannot do without."""
    kind = str(e.get("event", ""))
    base: dict[str, Any] = {
        "call_id": str(e.get("call_id", "") or ""),
        "step": e.get("step"),
        "at": _opt_float(e.get("at")),
    }
    try:
        if kind == "call_started":
            return CallStarted(
                **base,
                program_hash=str(e.get("program_hash", "")),
                source=str(e.get("source", "")),
                scenario=str(e.get("scenario", "")),
                contact=dict(e.get("contact") or {}),
                agent=dict(e.get("agent") or {}),
                machine_at_answer=bool(e.get("machine_at_answer", False)),
            )
        if kind == "step_entered":
            return StepEntered(**base)
        if kind == "said":
            return Said(
                **base,
                text=str(e.get("text", "")),
                said_as=str(e.get("kind", "say")),
                outcome=PlayOutcome(e["outcome"]),
            )
        if kind == "played":
            return Played(**base, path=str(e.get("path", "")), outcome=PlayOutcome(e["outcome"]))
        if kind == "heard":
            heard = Heard(
                HeardKind(e["kind"]), text=str(e.get("text", "")), digit=str(e.get("digit", ""))
            )
            return HeardEvent(**base, heard=heard, turn=int(e.get("turn", 0)))
        if kind == "intent":
            return IntentEvent(
                **base,
                result=IntentResult(
                    intent=e["intent"],
                    score=e["score"],
                    runner_up=e.get("runner_up"),
                    runner_up_score=e.get("runner_up_score", 0.0),
                    runner_up_threshold=e.get("runner_up_threshold"),
                ),
            )
        if kind == "objection":
            return ObjectionEvent(
                **base,
                result=ObjectionResult(
                    objection=e["objection"],
                    response=e.get("response"),
                    audio=e.get("audio"),
                    pack=e.get("pack"),
                    score=e.get("score", 0.0),
                ),
            )
        if kind == "routed":
            address = e.get("address")
            return Routed(
                **base,
                case=str(e["case"]),
                target=e.get("target"),
                address=int(address) if isinstance(address, int) else None,
            )
        if kind == "freestyle":
            return FreestyleEvent(
                **base,
                answer=FreestyleAnswer(
                    text=e["answer"],
                    fallback=e["fallback"],
                    prompt=e.get("prompt", ""),
                    reason=e.get("reason", ""),
                    filler=e.get("filler", ""),
                ),
            )
        if kind in ("captured", "set"):
            cls = Captured if kind == "captured" else VariableSet
            return cls(**base, var=str(e["var"]), value=e.get("value"))
        if kind == "transfer":
            return Transferred(**base, destination=str(e.get("destination", "")), ok=bool(e["ok"]))
        if kind == "opt_out":
            return OptedOut(**base)
        if kind == "call_event":
            return CallEventFired(**base, which=str(e["which"]), target=e.get("target"))
        if kind == "error":
            return ErrorEvent(**base, message=str(e.get("message", "")), failed=_failed_of(e))
        if kind == "result":
            return CallResult(
                **base,
                result=str(e["result"]),
                opt_out=bool(e.get("opt_out", False)),
                turns=int(e.get("turns", 0)),
            )
    except (KeyError, ValueError, TypeError) as exc:
        raise EventLogError(f"a {kind!r} event without a valid {exc}") from None
    rest = {k: v for k, v in e.items() if k not in ("event", "call_id", "step", "at")}
    return OtherEvent(**base, name=kind, fields=rest)
