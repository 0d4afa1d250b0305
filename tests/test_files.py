"""Files a user names: a FIFO, a folder, a device or a huge file is refused at once with
one clear line, at every door that reads one (mbs.files)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from mbs.cli import app
from mbs.compiler import compile_file
from mbs.files import (
    SCENARIO_LIMIT,
    SETTINGS_LIMIT,
    FileTooLarge,
    UnreadableFile,
    read_file,
    read_text,
    size_text,
)

runner = CliRunner()

SCENARIO = """\
use intents.common

scenario essai "Essai" {
    disclosure no "a test fixture, never dialled"
}

step intro {
    ask "Bonjour, avez-vous deux minutes ?"
    on yes -> end QUALIFIED
    otherwise -> end NOT_INTERESTED
}
"""


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A FIFO nobody writes to: opening it for reading the ordinary way blocks forever."""
    path = tmp_path / "tube.mbs"
    os.mkfifo(path)
    return path


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_reads_a_regular_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfbonjour\n")
    assert read_file(path, limit=11) == b"\xef\xbb\xbfbonjour\n"
    assert read_text(path, limit=11) == "bonjour\n"


def test_refuses_a_fifo_without_blocking(fifo: Path) -> None:
    with pytest.raises(UnreadableFile, match="not a regular file"):
        read_file(fifo, limit=100, what="the scenario")


def test_refuses_a_folder_and_a_device(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="it is a folder"):
        read_file(tmp_path, limit=100)
    with pytest.raises(UnreadableFile, match="not a regular file"):
        read_file("/dev/zero", limit=100)


def test_refuses_a_file_past_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    with pytest.raises(FileTooLarge, match="larger than 100 bytes") as caught:
        read_file(path, limit=100, what="the campaign file")
    assert str(caught.value).startswith(f"cannot read the campaign file {path}: ")
    assert read_file(path, limit=101) == b"x" * 101


def test_names_a_missing_file_and_text_that_is_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="No such file"):
        read_file(tmp_path / "absent", limit=10)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'a = 1\nnom = "\xe9t\xe9"\n')
    with pytest.raises(UnreadableFile, match=r"not UTF-8 text \(line 2\)"):
        read_text(bad, limit=100)


def test_sizes_read_as_people_write_them() -> None:
    assert size_text(SCENARIO_LIMIT) == "8 MiB"
    assert size_text(1536) == "1.5 KiB"
    assert size_text(37) == "37 bytes"


def test_a_fifo_scenario_is_not_found_instead_of_blocking(fifo: Path) -> None:
    result = compile_file(fifo)
    assert [d.name for d in result.diagnostics] == ["ImportNotFound"]
    out = invoke("compile", str(fifo))
    assert out.exit_code == 1 and "cannot find" in out.output


def test_a_scenario_past_the_limit_is_one_diagnostic(tmp_path: Path) -> None:
    big = tmp_path / "enorme.mbs"
    with big.open("wb") as f:
        f.truncate(SCENARIO_LIMIT + 1)  # sparse: no megabytes written
    result = compile_file(big)
    assert [(d.name, d.span.line) for d in result.diagnostics] == [("SourceTooLarge", 1)]
    assert "larger than 8 MiB" in result.diagnostics[0].message


def test_an_import_of_a_fifo_is_not_found(tmp_path: Path, fifo: Path) -> None:
    entry = tmp_path / "essai.mbs"
    entry.write_text(SCENARIO + f'import "{fifo.name}"\n', encoding="utf-8")
    result = compile_file(entry)
    assert "ImportNotFound" in [d.name for d in result.diagnostics]


def test_a_scenario_given_as_text_past_the_limit_is_refused() -> None:
    from mbs.compiler import compile_source

    result = compile_source(" " * (SCENARIO_LIMIT + 1), "grand.mbs")
    assert [d.name for d in result.diagnostics] == ["SourceTooLarge"]


@pytest.mark.parametrize(
    "command",
    [
        ["inspect"],
        ["campaign", "check"],
        ["contacts", "import", "--campaign", "essai"],
        ["blocklist", "import"],
        ["test"],
        ["replay", "--program", "{scenario}"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_every_door_refuses_a_fifo_in_one_line(
    command: list[str], fifo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    scenario = tmp_path / "essai.mbs"
    scenario.write_text(SCENARIO, encoding="utf-8")
    args = [a.replace("{scenario}", str(scenario)) for a in command]
    if command[0] == "test":
        test_file = tmp_path / "essai.test.toml"
        os.mkfifo(test_file)
        args += [str(scenario), str(test_file)]
    else:
        args.append(str(fifo))
    out = invoke(*args)
    assert out.exit_code not in (0, 3), out.output
    assert "Traceback" not in out.output
    assert "not a regular file" in out.output or "cannot find" in out.output, out.output


def test_a_settings_file_past_its_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "campagne.toml"
    with big.open("wb") as f:
        f.truncate(SETTINGS_LIMIT + 1)
    out = invoke("campaign", "check", str(big))
    assert out.exit_code in (1, 2) and "larger than 4 MiB" in out.output, out.output


def test_inspect_shows_only_scenario_files_a_program_names(tmp_path: Path) -> None:
    """A compiled program is data from anywhere: one that names another file as its
    source must not make inspect print that file's lines."""
    scenario = tmp_path / "essai.mbs"
    scenario.write_text(SCENARIO, encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("\n".join(f"mot de passe {n}" for n in range(40)), encoding="utf-8")
    program = tmp_path / "essai.mbsc"
    assert invoke("compile", str(scenario), "-o", str(program)).exit_code == 0
    raw = json.loads(program.read_text(encoding="utf-8"))
    shown = invoke("inspect", str(program), "--format", "json").output
    assert "Bonjour, avez-vous deux minutes" in shown  # its own source is shown
    for location in raw["debug"].values():
        location["file"] = str(secret)
    program.write_text(json.dumps(raw), encoding="utf-8")
    out = invoke("inspect", str(program), "--format", "json")
    assert out.exit_code == 0, out.output
    assert "mot de passe" not in out.output


def test_an_import_naming_a_nul_byte_is_not_found(tmp_path: Path) -> None:
    """The OS cannot look such a name up (Python raised "embedded null byte")."""
    entry = tmp_path / "essai.mbs"
    entry.write_text(SCENARIO + 'import "a\\u0000b.mbs"\n', encoding="utf-8")
    result = compile_file(entry)
    assert [d.name for d in result.diagnostics if d.severity == "error"] == ["ImportNotFound"]
