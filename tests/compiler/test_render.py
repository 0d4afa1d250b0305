"""Rendering: the text form is pinned by a golden file; JSON is one object per line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mbs.compiler import compile_file
from mbs.compiler.render import render_json, render_text

DATA = Path(__file__).parent / "data"


def test_text_rendering_matches_the_golden_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    result = compile_file("errors.mbs")
    expected = (DATA / "errors.expected.txt").read_text(encoding="utf-8")
    assert render_text(result.diagnostics) == expected


def test_json_rendering_has_one_object_per_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    result = compile_file("errors.mbs")
    lines = render_json(result.diagnostics).splitlines()
    assert len(lines) == len(result.diagnostics)
    first = json.loads(lines[0])
    assert first["file"] == "errors.mbs" and first["severity"] == "error"
    assert first["code"] == result.diagnostics[0].code


def test_no_diagnostics_render_as_nothing() -> None:
    assert render_text([]) == ""
    assert render_json([]) == ""
