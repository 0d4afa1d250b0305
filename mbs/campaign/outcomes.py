"""What a finished call amounts to, read from its events: the answers captured, the step
it ended in, what happened at each step, and whether the objective was reached.

The objective counts as reached when the call enters a step that ends with one of the
objective's results without waiting for the prospect again (``booked``: two ``say``
then ``end APPOINTMENT_SCHEDULED``). A prospect who hangs up during the goodbye has
still booked the appointment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mbs.program import Capture, End, Enter, Jump, Play, Program, Result, Say, Set

# When a scenario declares no objective: the results that are a success.
SUCCESS = frozenset({Result.APPOINTMENT_SCHEDULED, Result.QUALIFIED, Result.TRANSFERRED})


def objective_results(program: Program) -> frozenset[Result]:
    """The results that reach the scenario's objective (the successes when it has none)."""
    return frozenset(program.objective.results) if program.objective is not None else SUCCESS


def committed_steps(program: Program) -> dict[str, Result]:
    """Steps that, once entered, lead to an objective result whatever the prospect does."""
    wanted = objective_results(program)
    code = program.code
    found: dict[str, Result] = {}
    for step, address in program.steps.items():
        pc, seen = address + 1, set()
        while 0 <= pc < len(code) and pc not in seen:
            seen.add(pc)
            ins = code[pc]
            if isinstance(ins, End):
                if ins.result in wanted:
                    found[step] = ins.result
                break
            if isinstance(ins, Jump):
                pc = ins.target
            elif isinstance(ins, Say | Play | Set | Capture | Enter):
                pc += 1
            else:  # listen, dispatch, transfer...: the prospect still has a say
                break
    return found


@dataclass
class StepCounts:
    reached: int = 0
    unclear: int = 0
    fallback: int = 0
    objections: int = 0


@dataclass
class CallFacts:
    captures: dict[str, Any] = field(default_factory=dict)
    last_step: str | None = None
    objective_result: Result | None = None
    objective_at: datetime | None = None
    steps: dict[str, StepCounts] = field(default_factory=dict)


def call_facts(
    events: Iterable[tuple[datetime, str, dict[str, Any]]], committed: dict[str, Result]
) -> CallFacts:
    """Read a call's stored events (time, kind, data) into :class:`CallFacts`."""
    facts = CallFacts()
    current: StepCounts | None = None
    for at, kind, data in events:
        if kind == "step_entered":
            step = str(data.get("step") or "")
            if not step:
                continue
            facts.last_step = step
            current = facts.steps.setdefault(step, StepCounts())
            current.reached += 1
            if step in committed and facts.objective_result is None:
                facts.objective_result, facts.objective_at = committed[step], at
        elif kind == "captured":
            var = data.get("var")
            if isinstance(var, str) and var:
                facts.captures[var] = data.get("value")
        elif current is not None:
            if kind == "routed" and data.get("case") == "unclear":
                current.unclear += 1
            elif kind == "routed" and data.get("case") == "otherwise":
                current.fallback += 1
            elif kind == "objection" and data.get("objection"):
                current.objections += 1
    return facts
