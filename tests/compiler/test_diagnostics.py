"""Every diagnostic of the registry: its example triggers it, where the table says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mbs.compiler import compile_source
from mbs.compiler.diagnostics import BY_CODE, DESCRIPTORS, markdown

ROOT = Path(__file__).resolve().parents[2]
NLU_CODES = {"W006", "W007", "W008"}


def _nlu_lints_available() -> bool:
    try:
        import mbs.nlu.lints  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("desc", DESCRIPTORS, ids=[d.code for d in DESCRIPTORS])
def test_example_reports_its_code_at_its_place(desc, tmp_path: Path) -> None:
    if desc.code in NLU_CODES and not _nlu_lints_available():
        pytest.skip("mbs.nlu.lints is not installed")
    for name, text in desc.files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name, size in desc.blank_files.items():
        (tmp_path / name).write_bytes(b" " * size)
    entry = tmp_path / "example.mbs"
    entry.write_text(desc.example, encoding="utf-8")
    result = compile_source(desc.example, str(entry), path=entry)
    found = [(d.code, d.span.line, d.span.col) for d in result.diagnostics]
    assert (desc.code, desc.line, desc.col) in found, found
    mine = next(d for d in result.diagnostics if d.code == desc.code)
    assert mine.severity == desc.severity
    assert mine.message and "{" not in mine.message.replace("{{", "")
    if desc.severity == "error":
        assert result.program is None and not result.ok


def test_codes_are_unique_and_well_formed() -> None:
    codes = [d.code for d in DESCRIPTORS]
    names = [d.name for d in DESCRIPTORS]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for d in DESCRIPTORS:
        assert re.fullmatch(r"[EW]\d{3}", d.code)
        assert (d.code[0] == "E") == (d.severity == "error")
        assert re.fullmatch(r"[A-Z][A-Za-z]+", d.name)
    assert BY_CODE["E001"].name == "SyntaxError"


def test_committed_diagnostics_doc_is_generated_from_the_table() -> None:
    committed = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert committed == markdown(), (
        "run: python -m mbs.compiler.diagnostics --markdown > docs/diagnostics.md"
    )


def test_markdown_command_prints_the_doc() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mbs.compiler.diagnostics", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == markdown()
    for d in DESCRIPTORS:
        assert f"## {d.code}" in out
