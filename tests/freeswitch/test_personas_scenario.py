"""Simulated prospects who speak the scenario being rehearsed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mbs.compiler import compile_file
from mbs.freeswitch.sim.personas import PersonaBook, PersonaKind, scripts_for
from mbs.nlu.when import parse_when
from mbs.program import Capture, Program

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def program(name: str) -> Program:
    result = compile_file(SCENARIOS / f"{name}.mbs")
    assert result.program is not None
    return result.program


@pytest.mark.parametrize("name", ["or_rdv", "vin_lead", "energie_transfer"])
def test_every_line_comes_from_the_scenario(name: str) -> None:
    prog = program(name)
    known: set[str] = set()
    for intent in prog.intents:
        known.update(e.lower() for e in intent.examples)
    for pack in prog.objection_packs:
        for o in pack.objections:
            known.update(t.lower() for t in (o.text, *o.variants))
    choices = [c for ins in prog.code if isinstance(ins, Capture) for c in ins.choices or ()]
    scripts = scripts_for(prog, count=18)
    assert len(scripts) == 18 and all(scripts)
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    for script in scripts:
        for line in script:
            core = line.lower().rstrip(" ?!.")
            for filler in ("euh ", "ben ", "bah ", "alors ", "bon ", "hmm "):
                core = core.removeprefix(filler)
            from_scenario = (
                any(core in k or k.rstrip(" ?!.") in core for k in known)
                or any(c.lower() in core for c in choices)
                or parse_when(core, now) is not None
                or core.replace("ouais", "oui").replace("d'acc", "d'accord") in " ".join(known)
                or core.replace("chuis", "je suis") in " ".join(known)
                or core.replace("j'", "je ne ") in " ".join(known)
            )
            assert from_scenario, (name, line)
    stop = set(next(i.examples for i in prog.intents if i.name == "stop_calling"))
    assert any(any(s.lower() in line for s in stop) for script in scripts for line in script)


def test_the_persona_book_speaks_the_scenario() -> None:
    prog = program("vin_lead")
    scripts = scripts_for(prog, seed=3)
    assert scripts == scripts_for(prog, seed=3)  # the same seed, the same callers
    book = PersonaBook(seed=3, mix={PersonaKind.HUMAN: 1}, scripts=scripts)
    persona = book.choose("+33612345678")
    assert tuple(t.text for t in persona.turns) in scripts
