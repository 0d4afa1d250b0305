"""Mutated scenarios produce diagnostics, never exceptions.

Valid scenarios are damaged at random (byte flips, token deletions and duplications,
truncation); whatever comes out, the compiler must return a result whose diagnostics
point inside the file, and any program it still produces must survive a JSON round trip.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbs.compiler import compile_source
from mbs.compiler.render import render_json, render_text
from mbs.program import Program

DATA = Path(__file__).parent / "data"
SEEDS = [
    (DATA / "or_rdv.mbs").read_text(encoding="utf-8"),
    (DATA / "errors.mbs").read_text(encoding="utf-8"),
    'scenario s "T" {\n    record no; disclosure no "test"\n}\nintent oui { "oui" keywords ouais }\n'
    'always { on silence -> retry 1 "Allô ?" then b ; on hangup -> end HUNG_UP }\n'
    'step a {\n    freestyle max 2 { context "c" goal "g" }\n    capture x from ["a", "b"]\n'
    '    set y = "{{ x }}"\n    on oui -> b\n    on dtmf "1" -> end QUALIFIED\n    otherwise -> b\n}\n'
    'step b {\n    say "Fin \\u00e9 {{ y }}"\n    transfer "+33100"\n}\n',
    'scenario t "T" {\n    record no; disclosure no "test"\n    fields budget\n}\n'
    'step a {\n    say "{% if contact.budget %}{{ contact.budget|upper }}{% else %}rien{% endif %}"\n'
    "    set z = \"{{ agent.name ~ ' ' ~ (contact.first_name or 'x') }}\"\n    end QUALIFIED\n}\n",
]
TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?[a-z]*|\S')


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(SEEDS))
    data = text.encode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "delete", "duplicate", "truncate", "swap"]))
        if kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        elif kind == "truncate" and data:
            data = data[: draw(st.integers(0, len(data)))]
        else:
            decoded = data.decode("utf-8", errors="replace")
            spans = [m.span() for m in TOKEN.finditer(decoded)]
            if not spans:
                continue
            a, b = spans[draw(st.integers(0, len(spans) - 1))]
            piece = decoded[a:b]
            if kind == "delete":
                decoded = decoded[:a] + decoded[b:]
            elif kind == "duplicate":
                decoded = decoded[:b] + " " + piece + decoded[b:]
            else:
                c, d = spans[draw(st.integers(0, len(spans) - 1))]
                decoded = decoded[:a] + decoded[c:d] + decoded[b:]
            data = decoded.encode("utf-8")
    return data


def _check(data: bytes) -> None:
    result = compile_source(data, "fuzz.mbs")
    lines = data.count(b"\n") + 1
    for d in result.diagnostics:
        assert d.code and d.message
        if d.file == "fuzz.mbs":
            assert 1 <= d.span.line <= lines + 1, d
            assert d.span.col >= 1
    render_text(result.diagnostics, result.sources)
    render_json(result.diagnostics)
    if result.ok:
        assert result.program is not None
        assert Program.from_json(result.program.to_json()) == result.program


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_only_produce_diagnostics(data: bytes) -> None:
    _check(data)


@pytest.mark.slow
@settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_only_produce_diagnostics_long_run(data: bytes) -> None:
    _check(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes(range(256)) * 4,
        b'scenario s "T" {\n    record no; disclosure no "test"\n}\nstep a { say "never closed }\n',
        b"{" * 5000,
        b'scenario s "T" {' + b"step a { " * 5000,
        b"\xef\xbb\xbf" + b"step a { end QUALIFIED }",
        ("é" * 10000).encode(),
        b'scenario s "T" {\n    record no; disclosure no "test"\n}\nstep a { say "x\\ud800y" end QUALIFIED }\n',
        b'scenario s "T" {\n    record no; disclosure no "test"\n}\nstep a { say "{{ '
        + b"(" * 3000
        + b"1"
        + b")" * 3000
        + b' }}" end QUALIFIED }\n',
        b'scenario s "T" {\n    record no; disclosure no "test"\n}\nstep a { say "{{ 1|nofilter }}" end QUALIFIED }\n',
    ],
    ids=[
        "empty",
        "binary",
        "unterminated",
        "braces",
        "deep",
        "bom",
        "accents",
        "surrogate",
        "deep-template",
        "unknown-filter",
    ],
)
def test_hostile_inputs(data: bytes) -> None:
    _check(data)
    assert compile_source(data, "fuzz.mbs").diagnostics


# ------------------------------------------------------------------ random scenarios

ACTIONS = [
    'say "Bonjour {{ contact.first_name }}"',
    'say "Attendez" uninterruptible',
    'play "a.wav"',
    'ask "Oui ou non ?"',
    'ask "Vraiment ?" timeout 3s',
    "listen",
    "listen timeout 500ms",
    "freestyle",
    "freestyle max 2",
    'freestyle max 1 { context "c" goal "g" fallback "f" }',
    "capture v",
    'capture v from ["a", "b"]',
    'set w = "{{ v }}"',
    "opt_out",
]
ENDINGS = ["", "", "end QUALIFIED", 'transfer "+331"']
CASES = ["oui", "non", "objection", "silence", "unclear", 'dtmf "1"', 'dtmf "#"']


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 6))
    names = [f"s{i}" for i in range(n)]
    target = st.one_of(
        st.sampled_from(names),
        st.sampled_from(["end QUALIFIED", "end NOT_INTERESTED"]),
        st.builds(
            lambda k, t: f'retry {k} "Allô ?" then {t}', st.integers(1, 3), st.sampled_from(names)
        ),
        st.builds(lambda t: f"retry 1 then {t}", st.sampled_from(names)),
    )
    out = [
        'scenario r "Random" {\n    record no; disclosure no "test"\n}\n',
        'intent oui { "oui" }\nintent non { "non" }\n',
        'objections p {\n    "trop cher" => "Gratuit."\n}\n',
    ]
    if draw(st.booleans()):
        handlers = draw(
            st.lists(
                st.sampled_from(["oui", "silence", "unclear", "hangup", "machine"]), unique=True
            )
        )
        lines = []
        for case in handlers:
            if case in ("hangup", "machine"):
                lines.append(f"    on {case} -> end HUNG_UP")
            else:
                lines.append(f"    on {case} -> {draw(target)}")
        out.append("always {\n" + "\n".join(lines) + "\n}\n")
    for name in names:
        body = [f"    {a}" for a in draw(st.lists(st.sampled_from(ACTIONS), max_size=4))]
        for case in draw(st.lists(st.sampled_from(CASES), unique=True, max_size=4)):
            t = draw(target)
            if case == "objection" and draw(st.booleans()):
                t = f"answer objection then {draw(st.sampled_from(names))}"
            body.append(f"    on {case} -> {t}")
        if draw(st.booleans()):
            body.append(f"    otherwise -> {draw(target)}")
        ending = draw(st.sampled_from(ENDINGS))
        if ending:
            body.append(f"    {ending}")
        out.append(f"step {name} {{\n" + "\n".join(body) + "\n}\n")
    return "".join(out)


def _check_program(source: str) -> None:
    result = compile_source(source, "random.mbs")
    if not result.ok:
        assert result.errors
        return
    program = result.program
    assert program is not None
    assert Program.from_json(program.to_json()) == program  # re-validates every address
    assert set(program.debug) == set(range(len(program.code)))
    assert program.code[program.entry].op == "enter"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_scenarios_compile_or_explain(source: str) -> None:
    _check_program(source)


@pytest.mark.slow
@settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_scenarios_compile_or_explain_long_run(source: str) -> None:
    _check_program(source)
