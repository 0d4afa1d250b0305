"""A tampered program cannot spin: ``Program.load`` checks the control flow as the
compiler does, and the VM caps the instructions a call runs between two turns."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from runtime_asm import KeywordNlu, assemble

from mbs.program import Program, ProgramError, Result
from mbs.runtime import vm as vm_module
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import Vm


def reload(program: Program) -> Program:
    return Program.from_json(program.to_json())


def test_a_jump_to_itself_is_refused_at_load() -> None:
    program = assemble([("enter", "a"), ("label", "spin"), ("jump", "spin")])
    with pytest.raises(ProgramError, match=r"loop at instruction 1 \(step a\) never listens"):
        reload(program)


def test_a_loop_of_speech_without_listening_is_refused() -> None:
    program = assemble([("enter", "a"), ("label", "x"), ("say", "Allô ?"), ("jump", "x")])
    with pytest.raises(ProgramError, match="never listens"):
        reload(program)


def test_a_loop_through_a_listen_loads() -> None:
    program = assemble(
        [
            ("enter", "a"),
            ("say", "Allô ?"),
            ("listen", 5000),
            ("dispatch", {"otherwise": "a"}),
        ]
    )
    assert reload(program) == program


def test_a_loop_bounded_by_a_counter_loads_unless_the_loop_resets_it() -> None:
    bounded = assemble(
        [
            ("enter", "a"),
            ("label", "again"),
            ("count", "a/retry", 3, "line", "out"),
            ("label", "line"),
            ("say", "Encore ?"),
            ("jump", "again"),  # back to the counter, not to `enter a`
            ("enter", "out"),
            ("end", "NOT_QUALIFIED"),
        ]
    )
    assert reload(bounded) == bounded
    resetting = assemble(
        [
            ("enter", "a"),
            ("count", "a/retry", 3, "line", "out"),
            ("label", "line"),
            ("say", "Encore ?"),
            ("jump", "a"),  # `enter a` resets a/retry: this loop never ends
            ("enter", "out"),
            ("end", "NOT_QUALIFIED"),
        ]
    )
    with pytest.raises(ProgramError, match="never listens"):
        reload(resetting)


def test_an_instruction_falling_off_the_end_is_refused() -> None:
    program = assemble([("enter", "a"), ("say", "Bonjour.")])
    with pytest.raises(ProgramError, match="runs past the end"):
        reload(program)


def test_the_program_file_is_checked_too(tmp_path: Any) -> None:
    good = assemble([("enter", "a"), ("end", "QUALIFIED")])
    raw = json.loads(good.to_json())
    raw["code"][1] = {"op": "jump", "target": 1}
    path = tmp_path / "x.mbsc"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ProgramError, match="never listens"):
        Program.load(path)


@pytest.mark.parametrize(
    "loop",
    [
        [("enter", "a"), ("label", "spin"), ("jump", "spin")],
        [("enter", "a"), ("label", "x"), ("say", "Allô ?"), ("jump", "x")],
    ],
)
async def test_a_program_past_the_budget_fails_its_call_not_the_process(
    loop: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vm_module, "MAX_INSTRUCTIONS_PER_TURN", 500)
    spinning = assemble(loop)  # built in memory: Program.from_json never saw it
    fine = assemble([("enter", "a"), ("say", "Bonjour."), ("listen", 5000), ("end", "QUALIFIED")])
    bad_call, good_call = TextCall([]), TextCall(["oui"])
    bad, good = await asyncio.gather(
        Vm(spinning, nlu=KeywordNlu()).run_call(bad_call, contact={}),
        Vm(fine, nlu=KeywordNlu()).run_call(good_call, contact={}),
    )
    assert bad.result is Result.TECHNICAL_ERROR
    assert bad.error is not None and "over 500 instructions without listening" in bad.error
    assert len(bad_call.said) < 500
    assert good.result is Result.QUALIFIED


def test_compiled_loops_bounded_by_a_freestyle_or_retry_counter_load() -> None:
    from mbs.compiler import compile_source

    source = (
        'scenario r "R" {\n    record no; disclosure no "test"\n}\n'
        "step s0 {\n    freestyle max 2\n    otherwise -> s0\n}\n"
    )
    program = compile_source(source, "r.mbs").program
    assert program is not None
    assert reload(program) == program
