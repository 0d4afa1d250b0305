"""`mbs nlu classify` and `mbs objections match`: output contracts and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.cli import nlu_cmd, objections_cmd
from tests.nlu.conftest import STDLIB_SCENARIO
from tests.nlu.fixtures import make_program

runner = CliRunner()

SCENARIO = """\
use intents.common
use objections.standard

scenario essai "Essai" {
    threshold intent 0.5
}

objections maison {
    "Je suis allergique aux chats" | "les chats me font éternuer" => "Nous n'avons pas de chat."
}

step intro {
    ask "Bonjour, avez-vous deux minutes ?"
    on yes -> end QUALIFIED
    on no -> end NOT_INTERESTED
    on objection -> answer objection then intro
    otherwise -> end NOT_QUALIFIED
}
"""


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    nlu_cmd.register(app)
    objections_cmd.register(app)
    return app


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "essai.mbs"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_classify_json_one_object_per_utterance(app: typer.Typer, scenario: Path) -> None:
    result = runner.invoke(app, ["nlu", "classify", str(scenario), "ouais", "non merci", "--json"])
    assert result.exit_code == 0, result.output
    rows = lines(result.stdout)
    assert [r["utterance"] for r in rows] == ["ouais", "non merci"]
    assert set(rows[0]) == {
        "utterance",
        "intent",
        "score",
        "runner_up",
        "runner_up_score",
        "decision",
    }
    assert rows[0]["intent"] == "yes"
    assert rows[1]["intent"] in {"no", "not_interested"}


def test_classify_below_threshold_is_null(app: typer.Typer, scenario: Path) -> None:
    result = runner.invoke(
        app, ["nlu", "classify", str(scenario), "le chat dort sur le canapé", "--json"]
    )
    assert result.exit_code == 0
    assert lines(result.stdout)[0]["intent"] is None


def test_classify_reads_stdin(app: typer.Typer, scenario: Path) -> None:
    result = runner.invoke(
        app,
        ["nlu", "classify", str(scenario), "--stdin", "--json"],
        input="oui\n\nretirez-moi de vos listes\n",
    )
    assert result.exit_code == 0
    rows = lines(result.stdout)
    assert [r["intent"] for r in rows] == ["yes", "stop_calling"]


def test_classify_table(app: typer.Typer, scenario: Path) -> None:
    result = runner.invoke(app, ["nlu", "classify", str(scenario), "ouais"])
    assert result.exit_code == 0
    assert "ouais" in result.stdout and "yes" in result.stdout
    assert "threshold 0.5" in result.stdout  # the scenario's own threshold


def test_match_json_reports_objection_response_and_pack(app: typer.Typer, scenario: Path) -> None:
    result = runner.invoke(
        app,
        [
            "objections",
            "match",
            str(scenario),
            "les chats ça me fait éternuer",
            "je m'appelle Paul",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    first, second = lines(result.stdout)
    assert set(first) == {"utterance", "objection", "response", "score", "pack"}
    assert first["objection"] == "Je suis allergique aux chats"
    assert first["response"] == "Nous n'avons pas de chat."
    assert first["pack"] == "maison"
    assert second["objection"] is None and second["pack"] is None


def test_match_sees_every_pack_in_scope(app: typer.Typer) -> None:
    result = runner.invoke(
        app,
        ["objections", "match", str(STDLIB_SCENARIO), "le bitcoin c'est juste une bulle", "--json"],
    )
    assert result.exit_code == 0
    row = lines(result.stdout)[0]
    assert (row["objection"], row["pack"]) == ("Le bitcoin c'est une bulle", "objections.crypto")


def test_threshold_option_overrides(app: typer.Typer, scenario: Path) -> None:
    args = [
        "objections",
        "match",
        str(scenario),
        "les chats me font vraiment éternuer tout le temps",
        "--json",
    ]
    loose = lines(runner.invoke(app, args).stdout)[0]
    assert loose["objection"] and loose["score"] < 1.0
    strict = runner.invoke(app, [*args, "--threshold", "1"])
    assert strict.exit_code == 0
    assert lines(strict.stdout)[0]["objection"] is None
    assert runner.invoke(app, [*args, "--threshold", "2"]).exit_code == 2


def test_match_reads_a_compiled_program(app: typer.Typer, tmp_path: Path) -> None:
    compiled = tmp_path / "p.mbsc"
    compiled.write_text(make_program().to_json(), encoding="utf-8")
    result = runner.invoke(app, ["objections", "match", str(compiled), "c'est trop cher", "--json"])
    assert result.exit_code == 0
    assert lines(result.stdout)[0]["objection"] == "C'est trop cher"


def test_missing_file_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    for command in (["nlu", "classify"], ["objections", "match"]):
        result = runner.invoke(app, [*command, str(tmp_path / "absent.mbs"), "oui"])
        assert result.exit_code == 2
        assert "Traceback" not in result.output


def test_no_utterance_exits_2(app: typer.Typer, scenario: Path) -> None:
    result = runner.invoke(app, ["nlu", "classify", str(scenario)])
    assert result.exit_code == 2


def test_compile_errors_print_diagnostics_and_exit_1(app: typer.Typer, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mbs"
    broken.write_text(
        'scenario s "S" {\n}\nstep a {\n    ask "Oui ?"\n    on yes -> nowhere\n}\n',
        encoding="utf-8",
    )
    for command in (["nlu", "classify"], ["objections", "match"]):
        result = runner.invoke(app, [*command, str(broken), "oui"])
        assert result.exit_code == 1
        assert "nowhere" in result.output
        assert "Traceback" not in result.output


def test_match_an_audio_answer_has_a_null_response(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "audio.mbs"
    path.write_text(
        SCENARIO.replace('=> "Nous n\'avons pas de chat."', '=> audio "audio/chats.wav"'),
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["objections", "match", str(path), "les chats me font éternuer", "--json"]
    )
    assert result.exit_code == 0, result.output
    row = lines(result.stdout)[0]
    assert set(row) == {"utterance", "objection", "response", "score", "pack"}
    assert (row["objection"], row["response"], row["pack"]) == (
        "Je suis allergique aux chats",
        None,
        "maison",
    )
