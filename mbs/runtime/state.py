"""The whole state of one call, as plain data.

Everything the VM needs to continue a call lives in :class:`CallState`: where it is in
the program, the variables, the per-visit counters, the turns. It round-trips through
``to_dict``/``from_dict`` (JSON-safe), so a call can be inspected, logged and resumed
at a listening point by another process.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mbs.program import Result
from mbs.runtime.builtins.base import ObjectionResult, Turn
from mbs.runtime.telephony import Heard, HeardKind

HISTORY_TURNS = 5  # the last turns kept for freestyle prompts


class ExecutionState(StrEnum):
    """What the call is doing right now (what it waits for, if anything)."""

    READY = "ready"  # built, not started
    RUNNING = "running"  # executing instructions
    SPEAKING = "speaking"  # waiting for a say/play to finish
    LISTENING = "listening"  # waiting for the prospect
    THINKING = "thinking"  # waiting for a builtin (nlu, llm)
    TRANSFERRING = "transferring"
    FINISHED = "finished"  # result is set


@dataclass(slots=True)
class CallState:
    call_id: str
    address: int
    contact: dict[str, str] = field(default_factory=dict)
    agent: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)  # captured and set
    counters: dict[str, int] = field(default_factory=dict)  # per visit of the step
    step: str | None = None
    turns: int = 0  # listening turns so far (bounded by max_turns)
    history: deque[Turn] = field(default_factory=lambda: deque(maxlen=HISTORY_TURNS))
    last_input: Heard | None = None  # what the last listen got
    objection: ObjectionResult | None = None  # matched by the last dispatch
    # The utterance the last dispatch routed (a freestyle reached through a transition
    # answers it; the dispatch consumed ``last_input``), until a freestyle answers it.
    routed: str = ""
    unverified: set[str] = field(default_factory=set)  # captures that matched no choice
    answered: dict[str, int] = field(default_factory=dict)  # objection -> times answered
    offer_opt_out: bool = False  # the robot offered to remove the number since the last listen
    now: str = ""  # ISO time the call started, in the callee's zone: dates are relative to it
    whens: dict[str, dict[str, str | None]] = field(default_factory=dict)  # typed captures
    # a capture understood the last answer: "full" (a choice, or a day), "partial" (only
    # a time or a part of the day: the step's own intents go first), "" (no)
    captured_now: str = ""
    mentioned: dict[str, str | None] | None = None  # the last day/time the prospect said
    callback_at: str | None = None  # ISO moment a call-back was asked for
    handled: set[str] = field(default_factory=set)  # call events already handled
    hung_up: bool = False
    opt_out: bool = False
    transferred_to: str | None = None
    execution: ExecutionState = ExecutionState.READY
    result: Result | None = None
    error: str | None = None  # the runtime error that ended the call, with location

    # -------------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        last = self.last_input
        obj = self.objection
        return {
            "call_id": self.call_id,
            "address": self.address,
            "contact": dict(self.contact),
            "agent": dict(self.agent),
            "variables": dict(self.variables),
            "counters": dict(self.counters),
            "step": self.step,
            "turns": self.turns,
            "history": [[t.speaker, t.text] for t in self.history],
            "last_input": None
            if last is None
            else {"kind": last.kind.value, "text": last.text, "digit": last.digit},
            "objection": None
            if obj is None
            else {
                "objection": obj.objection,
                "response": obj.response,
                "audio": obj.audio,
                "pack": obj.pack,
                "score": obj.score,
            },
            "routed": self.routed,
            "unverified": sorted(self.unverified),
            "answered": dict(self.answered),
            "offer_opt_out": self.offer_opt_out,
            "now": self.now,
            "whens": {k: dict(v) for k, v in self.whens.items()},
            "captured_now": self.captured_now,
            "mentioned": None if self.mentioned is None else dict(self.mentioned),
            "callback_at": self.callback_at,
            "handled": sorted(self.handled),
            "hung_up": self.hung_up,
            "opt_out": self.opt_out,
            "transferred_to": self.transferred_to,
            "execution": self.execution.value,
            "result": None if self.result is None else self.result.value,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        last = data.get("last_input")
        obj = data.get("objection")
        return cls(
            call_id=data["call_id"],
            address=data["address"],
            contact=dict(data.get("contact", {})),
            agent=dict(data.get("agent", {})),
            variables=dict(data.get("variables", {})),
            counters=dict(data.get("counters", {})),
            step=data.get("step"),
            turns=data.get("turns", 0),
            history=deque((Turn(s, t) for s, t in data.get("history", [])), maxlen=HISTORY_TURNS),
            last_input=None
            if last is None
            else Heard(HeardKind(last["kind"]), text=last["text"], digit=last["digit"]),
            objection=None if obj is None else ObjectionResult(**obj),
            routed=data.get("routed", ""),
            unverified=set(data.get("unverified", [])),
            answered=dict(data.get("answered", {})),
            offer_opt_out=data.get("offer_opt_out", False),
            now=data.get("now", ""),
            whens={k: dict(v) for k, v in data.get("whens", {}).items()},
            captured_now=str(data.get("captured_now") or ""),
            mentioned=data.get("mentioned"),
            callback_at=data.get("callback_at"),
            handled=set(data.get("handled", [])),
            hung_up=data.get("hung_up", False),
            opt_out=data.get("opt_out", False),
            transferred_to=data.get("transferred_to"),
            execution=ExecutionState(data.get("execution", "ready")),
            result=None if data.get("result") is None else Result(data["result"]),
            error=data.get("error"),
        )
