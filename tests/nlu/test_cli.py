"""`mbs nlu classify` and `mbs objections match`: output contracts and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.cli import nlu_cmd, objections_cmd
from mbs.nlu.calibration import calibration
from tests.nlu.conftest import STDLIB_SCENARIO
from tests.nlu.fixtures import make_program

runner = CliRunner()

SCENARIO = """\
use intents.common
use objections.standard

scenario essai "Essai" {
    threshold intent 0.5; disclosure no "a test fixture, never dialled"
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
        "les chats me font éternuer à chaque fois que j en croise un",
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


# ------------------------------------------------------ decisions and evaluation

STEPS = """\
use intents.common
use objections.standard

scenario rdv "Rendez-vous" {
    record no
}

intent slot_morning { "le matin" "plutôt le matin" "en matinée" }
intent slot_afternoon { "l'après-midi" "plutôt l'après-midi" "après le déjeuner" }

always {
    on stop_calling -> bye
}

step intro {
    say "Bonjour, je suis l'assistante vocale automatisée du cabinet."
    ask "Avez-vous deux minutes ?"
    on yes -> propose
    on objection -> answer objection then intro
    otherwise -> propose
}

step propose {
    ask "Le matin ou l'après-midi ?"
    capture moment from ["matin", "après-midi"]
    on slot_morning -> bye
    on slot_afternoon -> bye
    on objection -> answer objection then propose
    otherwise -> bye
}

step bye { end QUALIFIED }
"""


@pytest.fixture
def steps(tmp_path: Path) -> Path:
    path = tmp_path / "rdv.mbs"
    path.write_text(STEPS, encoding="utf-8")
    return path


def decisions(app: typer.Typer, path: Path, *args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["nlu", "classify", str(path), *args, "--json"])
    assert result.exit_code == 0, result.output
    return [row["decision"] for row in lines(result.stdout)]  # type: ignore[misc]


def test_classify_decides_as_the_entry_step_by_default(app: typer.Typer, steps: Path) -> None:
    got = decisions(app, steps, "oui allez-y", "c'est trop cher", "le matin", "j'habite à Lyon")
    assert got == [
        {"kind": "intent", "name": "yes", "score": got[0]["score"]},
        {"kind": "objection", "name": "C'est trop cher", "score": got[1]["score"]},
        {"kind": "none", "name": None, "score": 0.0},  # not an answer the intro handles
        {"kind": "none", "name": None, "score": 0.0},
    ]


def test_classify_at_a_step(app: typer.Typer, steps: Path) -> None:
    got = decisions(
        app,
        steps,
        "pas le matin, plutôt l'après-midi",
        "oui mais c'est trop cher",
        "--step",
        "propose",
    )
    assert (got[0]["kind"], got[0]["name"]) == ("intent", "slot_afternoon")
    assert (got[1]["kind"], got[1]["name"]) == ("objection", "C'est trop cher")


def test_classify_an_unknown_step_exits_2(app: typer.Typer, steps: Path) -> None:
    result = runner.invoke(app, ["nlu", "classify", str(steps), "oui", "--step", "nowhere"])
    assert result.exit_code == 2
    assert "no step named 'nowhere'" in result.output and "Traceback" not in result.output


def test_classify_with_the_fuzzy_nlu(app: typer.Typer, steps: Path) -> None:
    got = decisions(app, steps, "oui", "--nlu", "fuzzy")
    assert (got[0]["kind"], got[0]["name"]) == ("intent", "yes")
    assert runner.invoke(app, ["nlu", "classify", str(steps), "oui", "--nlu", "x"]).exit_code == 2


def test_eval_reports_labels_confusion_false_matches_and_thresholds(
    app: typer.Typer, steps: Path, tmp_path: Path
) -> None:
    labelled = tmp_path / "set.tsv"
    labelled.write_text(
        "kind\tlabel\ttext\n"
        "intent\tyes\toui allez-y\n"
        "intent\tyes\td'accord je vous écoute\n"
        "objection\tC'est trop cher\tc'est hors de prix\n"
        "none\t\tj'habite à Lyon depuis vingt ans\n"
        "none\t\tnous sommes quatre à la maison\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["nlu", "eval", str(labelled), "--scenario", str(steps), "--json"])
    assert result.exit_code == 0, result.output
    data = lines(result.stdout)[0]
    assert data["items"] == 5
    assert set(data["labels"]) == {"intent:yes", "objection:C'est trop cher", "none"}  # type: ignore[arg-type]
    assert data["labels"]["none"]["total"] == 2  # type: ignore[index]
    assert sum(data["confusion"]["intent:yes"].values()) == 2  # type: ignore[index]
    assert 0.0 <= data["false_match_rate"] <= 1.0  # type: ignore[operator]
    assert set(data["suggested"]) == {"intent", "objection"}  # type: ignore[arg-type]
    # the committed calibration's learned acceptance decides where it has a model
    assert set(data["thresholds"]) == {"intent", "objection", *_acceptances()}  # type: ignore[arg-type]
    model = calibration().intent_acceptance
    assert model is not None and data["thresholds"]["intent acceptance"] == model.cutoff  # type: ignore[index]
    table = runner.invoke(app, ["nlu", "eval", str(labelled), "--scenario", str(steps)])
    assert table.exit_code == 0 and "false-match rate" in table.stdout


def test_eval_names_the_sparse_objections_threshold_of_a_one_phrasing_pack(
    app: typer.Typer, tmp_path: Path
) -> None:
    from tests.nlu.heldout import OWN_PACK_SCENARIO

    labelled = tmp_path / "set.tsv"
    labelled.write_text(
        "objection\tMa porte est blindée\tla porte d'entrée est blindée\n"
        "none\t\tj'habite à Nantes\n",
        encoding="utf-8",
    )
    args = ["nlu", "eval", str(labelled), "--scenario", str(OWN_PACK_SCENARIO), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    thresholds = lines(result.stdout)[0]["thresholds"]
    expected = {"intent", "objection", "sparse objection", *_acceptances()}
    model = calibration().objection_acceptance
    if model is not None and model.sparse_cutoff is not None:
        expected.add("sparse objection acceptance")
    assert set(thresholds) == expected  # type: ignore[arg-type]


def _acceptances() -> set[str]:
    """The acceptance cutoffs ``nlu eval`` names: one per learned model committed."""
    cal = calibration()
    models = {"intent": cal.intent_acceptance, "objection": cal.objection_acceptance}
    return {f"{kind} acceptance" for kind, model in models.items() if model is not None}


def test_eval_reads_jsonl_with_steps(app: typer.Typer, steps: Path, tmp_path: Path) -> None:
    labelled = tmp_path / "set.jsonl"
    labelled.write_text(
        '{"kind": "intent", "label": "slot_afternoon", "text": "plutôt l\'après-midi",'
        ' "step": "propose"}\n{"kind": "ordinary", "text": "je suis plombier"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["nlu", "eval", str(labelled), "--scenario", str(steps), "--json"])
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[0]["labels"]["intent:slot_afternoon"]["right"] == 1  # type: ignore[index]


@pytest.mark.parametrize(
    "content", ["intent\tyes\n", "maybe\tyes\toui\n", "none\tyes\toui\n", "intent\t\toui\n"]
)
def test_eval_bad_set_is_one_line_exit_2(
    app: typer.Typer, steps: Path, tmp_path: Path, content: str
) -> None:
    labelled = tmp_path / "bad.tsv"
    labelled.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["nlu", "eval", str(labelled), "--scenario", str(steps)])
    assert result.exit_code == 2
    assert "bad.tsv:1" in result.output and "Traceback" not in result.output
