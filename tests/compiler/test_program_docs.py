"""The committed JSON Schema of the program is the one pydantic generates."""

from __future__ import annotations

import json
from pathlib import Path

from mbs.compiler.schema import program_schema

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "program.schema.json").read_text(encoding="utf-8")
    assert committed == program_schema(), (
        "run: python -m mbs.compiler.schema > docs/program.schema.json"
    )


def test_schema_names_every_instruction() -> None:
    schema = json.loads(program_schema())
    ops = {
        d["properties"]["op"]["const"]
        for d in schema["$defs"].values()
        if "op" in d.get("properties", {})
    }
    assert ops == {
        "enter",
        "say",
        "play",
        "listen",
        "capture",
        "set",
        "freestyle",
        "confirm",
        "dispatch",
        "count",
        "jump",
        "answer_objection",
        "transfer",
        "opt_out",
        "end",
    }
    doc = (ROOT / "docs" / "program.md").read_text(encoding="utf-8")
    for op in ops:
        assert f"| `{op}` |" in doc, op
