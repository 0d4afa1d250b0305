"""The step graph and disassembly, from hand-built programs (independent of the parser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.compiler import disasm, flowgraph, graph
from mbs.program import (
    AnswerObjection,
    Count,
    Dispatch,
    End,
    Enter,
    Handlers,
    Jump,
    Listen,
    Program,
    Result,
    Say,
    Scenario,
    SourceLocation,
)


def _program() -> Program:
    code = (
        Enter(step="intro"),  # 0
        Say(text=0),  # 1
        Say(text=1),  # 2
        Listen(timeout_ms=6000),  # 3
        Dispatch(
            intents={"yes": 11, "stop_calling": 17}, objection=6, silence=7, otherwise=14
        ),  # 4
        Jump(target=3),  # 5  (unused filler keeps addresses honest)
        AnswerObjection(then=11),  # 6
        Count(counter="intro/silence", limit=2, below=9, exhausted=14),  # 7
        Jump(target=3),  # 8
        Say(text=2),  # 9
        Jump(target=3),  # 10
        Enter(step="booked"),  # 11
        Say(text=3),  # 12
        End(result=Result.APPOINTMENT_SCHEDULED),  # 13
        Enter(step="goodbye"),  # 14
        Say(text=4),  # 15
        End(result=Result.NOT_INTERESTED),  # 16
        Enter(step="opt_out"),  # 17
        End(result=Result.NOT_INTERESTED),  # 18
        Enter(step="orphan"),  # 19
        End(result=Result.QUALIFIED),  # 20
        End(result=Result.ANSWERING_MACHINE),  # 21 machine handler
    )
    loc = SourceLocation(file="x.mbs", line=3, column=5, end_line=3, end_column=20)
    return Program(
        compiler_version="test",
        source_hash="0" * 64,
        scenario=Scenario(name="t", title="Test"),
        consts=(
            "Bonjour, cet appel est enregistré.",
            "Deux minutes ?",
            "Vous m'entendez ?",
            "Parfait.",
            "Au revoir.",
        ),
        intents=(),
        objection_packs=(),
        personalities=(),
        code=code,
        steps={"intro": 0, "booked": 11, "goodbye": 14, "opt_out": 17, "orphan": 19},
        entry=0,
        handlers=Handlers(machine=21),
        always=Dispatch(intents={"stop_calling": 17}),
        debug={1: loc},
    )


def test_edges_follow_retry_and_objection_chains() -> None:
    g = flowgraph.build(_program())
    edges = {(e.source, e.target, e.kind, e.label) for e in g.edges}
    assert ("intro", "booked", flowgraph.EdgeKind.INTENT, "yes") in edges
    assert ("intro", "booked", flowgraph.EdgeKind.OBJECTION, "objection") in edges
    assert ("intro", "goodbye", flowgraph.EdgeKind.RETRY, "silence (retry 2)") in edges
    assert ("intro", "goodbye", flowgraph.EdgeKind.OTHERWISE, "otherwise") in edges
    # the always handler is drawn once, not on every step
    assert not any(e.label == "stop_calling" for e in g.edges)
    assert {(e.label, e.target) for e in g.always} == {
        ("stop_calling", "opt_out"),
        ("machine", "end:ANSWERING_MACHINE"),
    }


def test_reachability_and_results() -> None:
    g = flowgraph.build(_program())
    assert g.entry == "intro"
    assert {n for n, s in g.steps.items() if not s.reachable} == {"orphan"}
    assert g.steps["booked"].results == {"APPOINTMENT_SCHEDULED"}
    assert g.steps["intro"].listens


@pytest.mark.parametrize("suffix", ["dot", "svg", "png"])
def test_render_formats(tmp_path: Path, suffix: str) -> None:
    out = graph.render(_program(), tmp_path / f"g.{suffix}")
    data = out.read_bytes()
    assert data
    if suffix == "dot":
        text = data.decode()
        assert "step_orphan" in text and "unreachable" in text and "dotted" in text
    elif suffix == "svg":
        assert b"<svg" in data and b"orphan" in data
    else:
        assert data.startswith(b"\x89PNG")


def test_render_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown graph format"):
        graph.render(_program(), tmp_path / "g.gif")


def test_disassembly_rows() -> None:
    program = _program()
    rows = list(disasm.rows(program))
    assert len(rows) == len(program.code)
    assert (
        rows[1].op == "say" and "enregistré" in rows[1].operands and rows[1].source == "x.mbs:3:5"
    )
    assert rows[4].operands.startswith("yes->@11(booked)")
    assert rows[7].operands == "intro/silence <= 2 ? @9 : @14(goodbye)"
    assert rows[13].step == "booked" and rows[13].operands == "APPOINTMENT_SCHEDULED"
    assert dict(disasm.header(program))["scenario"] == "t — Test"


@pytest.mark.parametrize("name", ["or_rdv", "vin_lead", "energie_transfer"])
def test_shipped_scenarios_draw_cleanly(name: str) -> None:
    from mbs.compiler import compile_file

    root = Path(__file__).resolve().parents[2]
    result = compile_file(root / "scenarios" / f"{name}.mbs")
    assert result.program is not None
    g = flowgraph.build(result.program)
    for edge in g.edges:
        if g.steps[edge.source].listens:
            assert edge.label, f"unlabelled edge {edge} from a listening step"
    assert all(step.reachable for step in g.steps.values())
    source = graph.to_digraph(result.program).source
    assert "end:" not in source  # a colon would make DOT read node:port
