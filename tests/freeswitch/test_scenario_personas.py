"""Simulated prospects speak the scenario they are called with (``scripts_for``).

Each script follows the scenario's own routing: an agreeable caller answers the slot
question with a date, so played through the VM the call books; a refusing one refuses.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mbs.compiler import compile_source
from mbs.freeswitch.sim.personas import scripts_for
from mbs.program import Program, Result
from mbs.runtime.builtins import registry
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import Vm

ROOT = Path(__file__).resolve().parents[2]


def program(name: str) -> Program:
    path = ROOT / "scenarios" / f"{name}.mbs"
    result = compile_source(path.read_text(encoding="utf-8"), str(path))
    assert result.program is not None
    return result.program


def play(prog: Program, lines: tuple[str, ...]) -> Result | None:
    nlu = registry.create("nlu", "fuzzy", prog, {})
    vm = Vm(prog, nlu=nlu)  # type: ignore[arg-type]
    state = asyncio.run(vm.run_call(TextCall(list(lines)), contact={"first_name": "Marie"}))
    return state.result


def test_the_scripts_are_deterministic_and_varied() -> None:
    prog = program("or_rdv")
    assert scripts_for(prog, seed=3) == scripts_for(prog, seed=3)
    assert len(set(scripts_for(prog))) > 6


@pytest.mark.parametrize("name", ["or_rdv"])
def test_agreeable_callers_reach_the_objective(name: str) -> None:
    prog = program(name)
    scripts = scripts_for(prog, count=9)
    agreeable = [scripts[i] for i in (0, 1, 2)]  # the moods cycle: three agreeable first
    booked = [play(prog, s) for s in agreeable]
    assert booked.count(Result.APPOINTMENT_SCHEDULED) >= 2, (agreeable, booked)
    refusing = scripts[4]
    assert play(prog, refusing) in (Result.NOT_INTERESTED, Result.CALLBACK_REQUESTED)
