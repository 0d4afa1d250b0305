"""`mbs tts prebuild` and the line collection behind it, on a compiled scenario."""

from __future__ import annotations

import importlib
import json
import shutil
import wave
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.cli import COMMAND_MODULES
from mbs.runtime.builtins.prebuild import Line, Skipped, classify, fixed_lines


def make_app() -> typer.Typer:
    """The mbs command line, registered the way ``mbs.cli.main`` does it."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None: ...

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


app = make_app()

SCENARIO = """
scenario essai "Essai de pré-synthèse" {
    agent "Julie" from "Aurum Conseil"
    voice "fr"
}

intent yes { "oui" "d'accord" "volontiers" }

objections maison {
    "Je n'ai pas le temps" | "je suis pressé" => "Je comprends, deux minutes suffiront."
    "Envoyez-moi un mail" => audio "audio/mail.wav"
    "C'est qui ?" => "Je suis {{ agent.name }}, du cabinet {{ agent.company }}."
}

step intro {
    say "Bonjour {{ contact.first_name }}, ici {{ agent.name }}, assistante automatisée."
    ask "Avez-vous deux minutes ?"
    on yes -> pitch
    on objection -> answer objection then pitch
    on silence -> retry 1 "Vous m'entendez ?" then bye
    otherwise -> bye
}

step pitch {
    freestyle max 2 {
        context "Le prospect pose une question."
        goal "Proposer un rendez-vous."
        fallback "Un conseiller vous répondra en détail."
    }
    on yes -> bye
    on silence -> bye
    otherwise -> bye
}

step bye {
    say "Merci, au revoir."
    end NOT_INTERESTED
}
"""

FIXED = {
    "Avez-vous deux minutes ?",
    "Vous m'entendez ?",
    "Un conseiller vous répondra en détail.",
    "Merci, au revoir.",
    "Je comprends, deux minutes suffiront.",
    "Je suis Julie, du cabinet Aurum Conseil.",  # agent.* is the same in every call
    # the safe default: an objection heard a second time in the call ends it politely
    "Je comprends, je ne vais pas insister. Merci pour votre temps, et au revoir.",
}


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "essai.mbs"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_fixed_lines_and_skipped_ones(scenario: Path) -> None:
    from mbs.compiler import compile_file

    result = compile_file(scenario)
    assert result.ok and result.program is not None, result.diagnostics
    lines, skipped = fixed_lines(result.program)
    assert {line.text for line in lines} >= FIXED
    assert all(not set(line.text) & set("{}") for line in lines)
    assert [(s.source, s.reason) for s in skipped] == [
        (
            "Bonjour {{ contact.first_name }}, ici {{ agent.name }}, assistante automatisée.",
            "uses contact.first_name",
        ),
    ]
    origins = {line.text: line.origin for line in lines}
    assert origins["Un conseiller vous répondra en détail."] == "freestyle fallback"
    assert origins["Je comprends, deux minutes suffiront."].startswith("objection")


def test_classify_renders_like_the_vm() -> None:
    assert classify("  {{ 'bonjour' | capitalize }} !  ", "say") == Line("Bonjour !", "say")
    assert classify("{% set x = 'oui' %}{{ x }}", "say") == Line("oui", "say")
    skipped = classify("{% if contact.city %}à {{ contact.city }}{% endif %}{{ when }}", "say")
    assert isinstance(skipped, Skipped) and skipped.reason == "uses contact.city, when"
    without_agent = classify("ici {{ agent.name }}", "say")  # a scenario with no agent
    assert isinstance(without_agent, Skipped) and without_agent.reason == "uses agent.name"
    broken = classify("{{ oops", "say")
    assert isinstance(broken, Skipped) and broken.reason.startswith("invalid template")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_prebuild_command_builds_then_hits_the_cache(scenario: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    cache = tmp_path / "cache"
    args = ["tts", "prebuild", str(scenario), "--cache-dir", str(cache), "--rate", "16000"]

    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    summary = rows[-1]
    assert summary["built"] == len(FIXED) and summary["cached"] == 0
    assert summary["skipped"] == 1
    built = {r["text"]: r for r in rows if r.get("status") == "built"}
    assert set(built) == FIXED
    for row in built.values():
        with wave.open(row["path"], "rb") as w:
            assert w.getframerate() == 16000 and w.getnframes() > 0
        assert Path(row["path"]).is_relative_to(cache)

    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert f"{len(FIXED)} already cached" in again.stderr
    assert "0 synthesised" in again.stderr
    assert "skipped  (uses contact.first_name)" in again.stdout


def test_prebuild_reports_user_mistakes(scenario: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["tts", "prebuild", str(tmp_path / "nope.mbs")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    bad_rate = runner.invoke(app, ["tts", "prebuild", str(scenario), "--rate", "22050"])
    assert bad_rate.exit_code == 2 and "must be one of 8000, 16000" in bad_rate.stderr
    engine = runner.invoke(app, ["tts", "prebuild", str(scenario), "--tts", "polly"])
    assert engine.exit_code == 2 and "available: coqui, espeak, none" in engine.stderr
    broken = tmp_path / "broken.mbs"
    broken.write_text('scenario x "x" {\n', encoding="utf-8")
    assert runner.invoke(app, ["tts", "prebuild", str(broken)]).exit_code == 1
