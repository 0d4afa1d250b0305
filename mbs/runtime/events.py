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
``intent``        intent (or null), score, runner_up, runner_up_score
``objection``     objection (or null), pack, score, response, audio
``routed``        case (intent name, objection, silence, unclear, otherwise, dtmf:D), target
``freestyle``     prompt, answer, fallback, reason
``captured``      var, value
``set``           var, value
``transfer``      destination, ok
``opt_out``
``call_event``    which (machine|hangup|max_turns), target (null: the default result)
``error``         message (file:line:col: ...)
``result``        result, opt_out, turns
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

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


class EventLogError(Exception):
    """An event log that cannot be read."""


def read_log(path: str | Path) -> list[Event]:
    """Every event of a JSON-lines log, in order."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EventLogError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise EventLogError(f"{path} is not a text event log") from None
    events: list[Event] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError as exc:
            raise EventLogError(f"{path}:{n}: not a JSON event ({exc})") from None
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
