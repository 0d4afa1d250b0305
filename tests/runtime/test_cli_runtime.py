"""``mbs chat``, ``mbs test`` and ``mbs replay`` end to end, through the real CLI and the
real fuzzy NLU, on a hand-assembled program saved as ``.mbsc``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from runtime_asm import assemble
from typer.testing import CliRunner

from mbs.cli import COMMAND_MODULES
from mbs.program import Program

INTENTS = {
    "yes": ["oui", "d'accord", "bien sûr", "volontiers", "avec plaisir"],
    "no": ["non", "pas du tout", "non merci", "certainement pas"],
    "question": ["c'est quoi", "pourquoi", "comment ça marche"],
}

SOURCE = [
    ("enter", "intro"),
    ("say", "Bonjour {{ contact.first_name }}, {{ agent.name }} à l'appareil."),
    ("label", "intro.ask"),
    ("say", "Avez-vous deux minutes ?"),
    ("listen", 5000),
    (
        "dispatch",
        {
            "intents": {"yes": "pitch", "no": "bye"},
            "objection": "intro.obj",
            "silence": "intro.retry",
            "unclear": "intro.retry",
            "dtmf": {"1": "pitch"},
        },
    ),
    ("label", "intro.obj"),
    ("answer_objection", "pitch"),
    ("label", "intro.retry"),
    ("count", "intro/retry", 1, "intro.ask", "bye"),
    ("enter", "pitch"),
    ("say", "Nous proposons de l'or physique."),
    ("freestyle", "L'or", "Un rendez-vous", "Un conseiller vous rappellera."),
    ("end", "QUALIFIED"),
    ("enter", "bye"),
    ("say", "Au revoir."),
    ("end", "NOT_INTERESTED"),
]


def program(**kw: object) -> Program:
    return assemble(
        SOURCE,
        intents=INTENTS,
        objections={"Je n'ai pas le temps": "Deux minutes suffiront."},
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    import importlib

    app = typer.Typer(add_completion=False)
    for name in COMMAND_MODULES:
        if name.split(".")[-1] in ("chat_cmd", "test_cmd", "replay_cmd"):
            importlib.import_module(name).register(app)
    return app


@pytest.fixture
def mbsc(tmp_path: Path) -> Path:
    path = tmp_path / "demo.mbsc"
    path.write_text(program().to_json())
    return path


runner = CliRunner()


def test_chat_with_piped_input_prints_a_plain_transcript(app: typer.Typer, mbsc: Path) -> None:
    result = runner.invoke(
        app, ["chat", str(mbsc), "--contact", "first_name=Marie"], input="oui volontiers\n"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "robot [intro]: Bonjour Marie, Julie à l'appareil."
    assert "prospect: oui volontiers" in lines
    assert any(line.startswith("  intent yes ") for line in lines)
    assert "robot [pitch] (freestyle): Un conseiller vous rappellera." in lines
    assert lines[-1] == "== result: QUALIFIED (1 turn)"
    assert "vous>" not in result.stdout and "\x1b[" not in result.stdout


def test_chat_markers_objection_and_end_of_input(app: typer.Typer, mbsc: Path) -> None:
    result = runner.invoke(
        app, ["chat", str(mbsc), "-c", "first_name=Paul"], input="/silence\nje n'ai pas le temps\n"
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "prospect: /silence" in out
    assert 'objection "Je n\'ai pas le temps" 1.00' in out
    assert "robot [intro] (objection): Deux minutes suffiront." in out
    # end of input = the prospect hangs up
    result = runner.invoke(app, ["chat", str(mbsc), "-c", "first_name=Paul"], input="")
    assert result.stdout.splitlines()[-1] == "== result: HUNG_UP (1 turn)"


def test_chat_runtime_error_exits_3_with_the_source_location(app: typer.Typer, mbsc: Path) -> None:
    # a first name longer than a line may be: the sandbox's output bound, at run time
    huge = "first_name=" + "x" * 20_000
    result = runner.invoke(app, ["chat", str(mbsc), "-c", huge], input="oui\n")
    assert result.exit_code == 3
    assert "test.mbs:2:5 (step intro): template error" in result.stderr
    assert "Traceback" not in result.output


def test_chat_asks_for_a_contact_field_a_line_says(app: typer.Typer, mbsc: Path) -> None:
    result = runner.invoke(app, ["chat", str(mbsc)], input="oui\n")
    assert result.exit_code == 2
    assert "the scenario says contact.first_name: give it (-c first_name=...)" in result.stderr
    assert "robot" not in result.stdout  # before the call, not after the greeting


def test_chat_usage_errors(app: typer.Typer, mbsc: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["chat", str(mbsc), "--contact", "oops"])
    assert result.exit_code == 2 and "key=value" in result.stderr
    result = runner.invoke(app, ["chat", str(mbsc), "--nlu", "nope"], input="")
    assert result.exit_code == 2 and "no nlu builtin named 'nope'" in result.stderr
    result = runner.invoke(app, ["chat", str(tmp_path / "missing.mbs")])
    assert result.exit_code == 2
    result = runner.invoke(app, ["chat", str(mbsc), "-c", "first_name=A"], input="/bogus\n")
    assert "unknown turn '/bogus'" in result.stderr


def test_chat_json_prints_events(app: typer.Typer, mbsc: Path) -> None:
    result = runner.invoke(app, ["chat", str(mbsc), "-c", "first_name=A", "--json"], input="non\n")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "call_started" and events[-1]["result"] == "NOT_INTERESTED"


# ---------------------------------------------------------------------------- replay


def test_replay_of_a_chat_log_is_identical_and_a_changed_program_diverges(
    app: typer.Typer, mbsc: Path, tmp_path: Path
) -> None:
    log = tmp_path / "call.jsonl"
    turns = "euh\nje n'ai pas le temps\n"
    result = runner.invoke(
        app, ["chat", str(mbsc), "-c", "first_name=Marie", "--log", str(log)], input=turns
    )
    assert result.exit_code == 0, result.output
    header = json.loads(log.read_text().splitlines()[0])
    assert header["source"] == str(mbsc) and len(header["program_hash"]) == 64

    result = runner.invoke(app, ["replay", str(log)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("call chat: identical (")
    assert result.stdout.splitlines()[-1] == "1 call replayed: 1 identical, 0 diverged"

    changed = tmp_path / "changed.mbsc"
    src = [
        ("say", "Avez-vous un instant ?") if s == ("say", "Avez-vous deux minutes ?") else s
        for s in SOURCE
    ]
    changed.write_text(
        assemble(
            src, intents=INTENTS, objections={"Je n'ai pas le temps": "Deux minutes suffiront."}
        ).to_json()
    )
    result = runner.invoke(app, ["replay", str(log), "--program", str(changed)])
    assert result.exit_code == 1
    assert "diverges at event 3" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 call replayed: 0 identical, 1 diverged"
    assert '"text": "Avez-vous deux minutes ?"' in result.stdout
    assert '"text": "Avez-vous un instant ?"' in result.stdout
    assert "the program differs" in result.stderr

    result = runner.invoke(app, ["replay", str(log), "--format", "json"])
    (report,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert report["identical"] is True


def test_replay_bad_log_is_a_usage_error(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    result = runner.invoke(app, ["replay", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1" in result.stderr


# ------------------------------------------------------------------------------ test

TESTS = """
scenario = "demo.mbsc"
[defaults]
contact = { first_name = "Marie" }

[[test]]
name = "yes at once"
turns = ["oui bien sûr"]
path = ["intro", "pitch"]
said = ["Bonjour Marie", "or physique"]
intents = ["yes"]
result = "QUALIFIED"

[[test]]
name = "silence, retry, then no"
turns = ["/silence", "non merci"]
path = ["intro", "bye"]
said = ["deux minutes", "deux minutes", "Au revoir"]
result = "NOT_INTERESTED"
opt_out = false
"""


def test_mbs_test_passes_and_reports_coverage(app: typer.Typer, mbsc: Path) -> None:
    tests = mbsc.with_name("demo.test.toml")
    tests.write_text(TESTS)
    result = runner.invoke(app, ["test", str(tests)])
    assert result.exit_code == 0, result.output
    assert "  ok    yes at once" in result.stdout
    assert "2 passed, 0 failed" in result.stdout
    # 6 transitions: yes, no, objection, silence, unclear, dtmf 1
    assert f"coverage {mbsc}: 3/6 transitions (50.0%)" in result.stdout
    assert "  not taken: intro: on objection -> answer objection then pitch" in result.stdout
    result = runner.invoke(app, ["test", str(tests), "--min-coverage", "90"])
    assert result.exit_code == 1


def test_mbs_test_failure_shows_a_path_diff_and_exits_1(app: typer.Typer, mbsc: Path) -> None:
    tests = mbsc.with_name("demo.test.toml")
    tests.write_text(
        TESTS.replace('path = ["intro", "pitch"]', 'path = ["intro", "bye"]').replace(
            'turns = ["/silence", "non merci"]', 'turns = ["/silence", "non merci", "encore"]'
        )
    )
    result = runner.invoke(app, ["test", str(tests), "--format", "json"])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    first = rows[0]
    assert first["passed"] is False
    assert "-bye\n" in first["failures"][0].replace("  ", "") and "+pitch" in first["failures"][0]
    assert "1 turn(s) never heard" in rows[1]["failures"][0]
    assert rows[-1] == {"passed": 0, "failed": 2}
    result = runner.invoke(app, ["test", str(tests)])
    assert "--- expected path" in result.stdout and "+++ actual path" in result.stdout


def test_mbs_test_bad_file_and_discovery(app: typer.Typer, mbsc: Path) -> None:
    (mbsc.parent / "demo.test.toml").write_text('[[test]]\nname = "x"\nresult = "WIN"\n')
    result = runner.invoke(app, ["test", str(mbsc.parent)])
    assert result.exit_code == 1 and "unknown result 'WIN'" in result.stdout
    result = runner.invoke(app, ["test", str(mbsc.parent / "nothing")])
    assert result.exit_code == 2


def test_chat_on_a_tampered_constant_runs_nothing(app: typer.Typer, mbsc: Path) -> None:
    """The issue's exploit, written into a compiled program behind the compiler's back."""
    marker = mbsc.parent / "pwned"
    raw = json.loads(mbsc.read_text(encoding="utf-8"))
    exploit = "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}"
    raw["consts"][0] = exploit.replace("MARKER", str(marker))
    mbsc.write_text(json.dumps(raw), encoding="utf-8")
    result = runner.invoke(app, ["chat", str(mbsc)], input="oui\n")
    assert result.exit_code == 3
    assert "test.mbs:2:5 (step intro): template error" in result.stderr
    assert not marker.exists()
