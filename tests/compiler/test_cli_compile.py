"""`mbs compile` and `mbs lint`: exit codes, output files, JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.cli import compile_cmd, lint_cmd
from mbs.program import Program

runner = CliRunner()
GOOD = (
    'scenario s "Test" {\n    record no; disclosure no "test"\n}\n'
    'step a {\n    say "Bonjour"\n    end NOT_INTERESTED\n}\n'
)
WARNS = GOOD + "step unused { end QUALIFIED }\n"
BAD = 'scenario s "Test" {\n    record no; disclosure no "test"\n}\nstep a {\n    otherwise -> nowhere\n}\n'


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    compile_cmd.register(app)
    lint_cmd.register(app)
    return app


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_compile_writes_the_program_next_to_the_source(app: typer.Typer, tmp_path: Path) -> None:
    src = write(tmp_path / "good.mbs", GOOD)
    result = runner.invoke(app, ["compile", str(src)])
    assert result.exit_code == 0, result.output
    program = Program.load(tmp_path / "good.mbsc")
    assert program.scenario.name == "s"


def test_compile_output_option(app: typer.Typer, tmp_path: Path) -> None:
    src = write(tmp_path / "good.mbs", GOOD)
    out = tmp_path / "out" / "x.mbsc"
    out.parent.mkdir()
    result = runner.invoke(app, ["compile", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert Program.load(out).scenario.name == "s"


def test_compile_errors_exit_1_with_text_on_stderr(app: typer.Typer, tmp_path: Path) -> None:
    src = write(tmp_path / "bad.mbs", BAD)
    result = runner.invoke(app, ["compile", str(src)])
    assert result.exit_code == 1
    assert "error[E009]: no step named `nowhere`" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "bad.mbsc").exists()


def test_compile_json_lines_on_stdout(app: typer.Typer, tmp_path: Path) -> None:
    src = write(tmp_path / "bad.mbs", BAD)
    result = runner.invoke(app, ["compile", str(src), "--format", "json"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines and lines[0]["code"] == "E009"
    assert set(lines[0]) == {
        "code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "hint",
    }
    assert (lines[0]["line"], lines[0]["column"]) == (5, 18)


def test_warnings_pass_unless_strict(app: typer.Typer, tmp_path: Path) -> None:
    src = write(tmp_path / "warn.mbs", WARNS)
    assert runner.invoke(app, ["compile", str(src)]).exit_code == 0
    strict = runner.invoke(app, ["compile", str(src), "--strict"])
    assert strict.exit_code == 1
    assert "warning[W001]" in strict.stderr


def test_missing_file_and_bad_format_are_usage_errors(app: typer.Typer, tmp_path: Path) -> None:
    assert runner.invoke(app, ["compile", str(tmp_path / "nope.mbs")]).exit_code == 2
    src = write(tmp_path / "good.mbs", GOOD)
    assert runner.invoke(app, ["compile", str(src), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["lint", str(tmp_path / "nope")]).exit_code == 2


def test_binary_junk_is_a_diagnostic(app: typer.Typer, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mbs"
    junk.write_bytes(bytes(range(256)))
    result = runner.invoke(app, ["compile", str(junk), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout.splitlines()[0])["code"] == "E004"


def test_lint_walks_folders_and_checks_modules(app: typer.Typer, tmp_path: Path) -> None:
    write(tmp_path / "a" / "good.mbs", GOOD)
    write(tmp_path / "a" / "b" / "module.mbs", 'intent oui { "oui" }\nintent ok { "oui" }\n')
    write(tmp_path / ".venv" / "junk.mbs", "this is not checked")
    result = runner.invoke(app, ["lint", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    codes = [json.loads(line)["code"] for line in result.stdout.splitlines()]
    assert codes == ["W007"]
    assert runner.invoke(app, ["lint", str(tmp_path), "--strict"]).exit_code == 1


def test_lint_reports_errors_with_exit_1(app: typer.Typer, tmp_path: Path) -> None:
    write(tmp_path / "bad.mbs", BAD)
    write(tmp_path / "good.mbs", GOOD)
    result = runner.invoke(app, ["lint", str(tmp_path)])
    assert result.exit_code == 1
    assert "E009" in result.stderr
    assert "checked 2 files: 1 error, 0 warnings" in result.stderr


def test_compile_refuses_a_program_and_overwriting_its_source(
    app: typer.Typer, tmp_path: Path
) -> None:
    src = write(tmp_path / "good.mbs", GOOD)
    assert runner.invoke(app, ["compile", str(src), "-o", str(src)]).exit_code == 2
    assert src.read_text(encoding="utf-8") == GOOD
    assert runner.invoke(app, ["compile", str(src)]).exit_code == 0
    again = runner.invoke(app, ["compile", str(tmp_path / "good.mbsc")])
    assert again.exit_code == 2 and "already a compiled program" in again.stderr


def test_lint_explains_a_code(app: typer.Typer) -> None:
    result = runner.invoke(app, ["lint", "--explain", "e017"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("E017 NoWayOut (error)")
    as_json = runner.invoke(app, ["lint", "--explain", "W002", "--format", "json"])
    assert json.loads(as_json.stdout)["name"] == "RecordingNotAnnounced"
    assert runner.invoke(app, ["lint", "--explain", "E999"]).exit_code == 2
    assert runner.invoke(app, ["lint"]).exit_code == 2
