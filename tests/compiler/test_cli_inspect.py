"""`mbs inspect` on what `mbs compile` writes, and on .mbsc files it must refuse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.cli import compile_cmd, inspect_cmd
from mbs.program import FORMAT_VERSION, Program

runner = CliRunner()
DATA = Path(__file__).parent / "data"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    compile_cmd.register(app)
    inspect_cmd.register(app)
    return app


@pytest.fixture
def compiled(app: typer.Typer, tmp_path: Path) -> Path:
    out = tmp_path / "or_rdv.mbsc"
    result = runner.invoke(app, ["compile", str(DATA / "or_rdv.mbs"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_compile_then_inspect_the_written_program(app: typer.Typer, compiled: Path) -> None:
    program = Program.load(compiled)
    result = runner.invoke(app, ["inspect", str(compiled), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(program.code)
    entry = rows[program.entry]
    assert entry["op"] == "enter" and entry["step"] == "intro"
    assert re.fullmatch(r".*or_rdv\.mbs:\d+:6", entry["source"]), entry["source"]
    assert "step intro" in entry["line"]
    text = runner.invoke(app, ["inspect", str(compiled)])
    assert text.exit_code == 0 and "or_rdv" in text.stdout and "enter" in text.stdout


def test_a_newer_format_version_is_refused_with_a_clear_message(
    app: typer.Typer, compiled: Path
) -> None:
    raw = json.loads(compiled.read_text(encoding="utf-8"))
    raw["format_version"] = FORMAT_VERSION + 1
    compiled.write_text(json.dumps(raw), encoding="utf-8")
    result = runner.invoke(app, ["inspect", str(compiled)])
    assert result.exit_code == 1
    assert f"format version {FORMAT_VERSION + 1}" in result.stderr
    assert "upgrade mbs or recompile" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "invalid JSON"),  # the compiled program cut in half
        (b"\xff\xfe\x00junk", "invalid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"format_version": 1, "code": []}', "invalid compiled program"),
    ],
)
def test_a_corrupted_program_is_a_message_and_exit_1(
    app: typer.Typer, compiled: Path, content: bytes | None, message: str
) -> None:
    data = compiled.read_bytes()
    compiled.write_bytes(data[: len(data) // 2] if content is None else content)
    result = runner.invoke(app, ["inspect", str(compiled)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_inspect_usage_errors_exit_2(app: typer.Typer, compiled: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["inspect", str(tmp_path / "none.mbsc")]).exit_code == 2
    bad = runner.invoke(app, ["inspect", str(compiled), "--format", "xml"])
    assert bad.exit_code == 2 and "text or json" in bad.stderr


def test_a_compiled_program_under_another_name_is_read_as_one(
    app: typer.Typer, tmp_path: Path
) -> None:
    # "mbs compile x.mbs -o out.json" then "mbs inspect out.json": a program, not a scenario
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["compile", str(DATA / "or_rdv.mbs"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["inspect", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "enter" in shown.stdout and "E001" not in shown.output
