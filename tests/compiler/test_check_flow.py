"""Flow checks on scenarios far larger than anyone writes by hand."""

from __future__ import annotations

from mbs.compiler import compile_source

HEAD = 'scenario s "Test" {\n    record no; disclosure no "test"\n}\n'


def _ring(n: int) -> str:
    steps = "".join(f'step a{i} {{ say "x" ; otherwise -> a{(i + 1) % n} }}\n' for i in range(n))
    return HEAD + steps


def test_a_long_loop_that_never_listens_is_one_short_e019() -> None:
    result = compile_source(_ring(5000), "ring.mbs")
    cycles = [d for d in result.errors if d.code == "E019"]
    assert len(cycles) == 1
    message = cycles[0].message
    assert (cycles[0].span.line, cycles[0].span.col) == (4, 6)
    assert "(5000 steps)" in message and len(message) < 300
    assert message.count("->") == 8
    assert "`a0` -> `a1`" in message and message.endswith(
        "`a4999` -> `a0` loop forever without listening"
    )


def test_a_short_loop_names_every_step() -> None:
    result = compile_source(_ring(3), "ring.mbs")
    assert [d.message for d in result.errors] == [
        "steps `a0` -> `a1` -> `a2` -> `a0` loop forever without listening"
    ]
