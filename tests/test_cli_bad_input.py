"""Hostile or mistaken input to the CLI: text that looks like rich markup prints as is,
`mbs api --database` reaches the key commands, and `contacts forget` / `purge` refuse
what would lose data or crash, with one clear line and exit 2."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from mbs.campaign.privacy import purge
from mbs.campaign.store import Store
from mbs.campaign.store.models import WebhookOutbox
from mbs.cli import app
from tests.api.conftest import NOW, seed

runner = CliRunner()

# "[/x]" made rich raise MarkupError; "[bold]x" vanished into a style; ":fire:" became 🔥
HOSTILE = ["[/x]", "[bold]x", ":fire:"]

SCENARIO = """\
use intents.common
use objections.standard

scenario essai "Essai" {
    threshold intent 0.5; disclosure no "a test fixture, never dialled"
}

step intro {
    say "Prix [/b] et [bold]gras :fire:"
    ask "Bonjour, avez-vous deux minutes ?"
    on yes -> end QUALIFIED
    on no -> end NOT_INTERESTED
    on objection -> answer objection then intro
    otherwise -> end NOT_QUALIFIED
}
"""


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every command on a fresh SQLite store in tmp_path, run from tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'default.sqlite'}")
    return tmp_path


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "essai.mbs"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def invoke(*args: str, stdin: str | None = None) -> Result:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "MarkupError" not in result.output
    return result


def one_error(result: Result, *literal: str) -> str:
    """The command failed with exactly one ``error:`` line holding ``literal`` as typed."""
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in literal:
        assert text in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ markup in user text


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "command",
    [
        ["compile"],
        ["lint"],
        ["inspect"],
        ["chat"],
        ["replay"],
        ["graph"],
    ],
)
def test_a_missing_file_is_named_as_typed(command: list[str], text: str) -> None:
    name = f"missing/{text}.mbs"
    result = invoke(*command, name, stdin="")
    one_error(result, name)


@pytest.mark.parametrize("text", HOSTILE)
def test_names_in_store_commands_print_as_typed(text: str) -> None:
    one_error(invoke("campaign", "status", text), text)
    one_error(invoke("run", "--campaign", text), text)
    one_error(invoke("blocklist", "add", text), text)


def test_contacts_import_keeps_good_rows_and_reports_the_bad_as_typed(tmp_path: Path) -> None:
    csv = tmp_path / "contacts.csv"
    csv.write_text(
        "Prénom;Téléphone\nAnne;0612345601\n" + "".join(f"X;{t}\n" for t in HOSTILE),
        encoding="utf-8",
    )
    result = invoke("contacts", "import", str(csv))
    assert result.exit_code == 0, result.output
    for text in HOSTILE:
        assert f"unreadable phone number '{text}'" in result.stdout
    store = Store.open(f"sqlite:///{tmp_path / 'default.sqlite'}")
    try:
        assert store.get_contact("+33612345601") is not None
    finally:
        store.close()


@pytest.mark.parametrize("text", HOSTILE)
def test_blocklist_import_names_a_bad_header_as_typed(tmp_path: Path, text: str) -> None:
    listing = tmp_path / "numbers.txt"
    listing.write_text(f"{text}\n0612345602\n", encoding="utf-8")
    one_error(invoke("blocklist", "import", str(listing)), text)


def test_utterances_print_as_typed(scenario: Path) -> None:
    result = invoke("nlu", "classify", str(scenario), "oui [/x]", "[bold]x", ":fire:")
    assert result.exit_code == 0, result.output
    for text in ("oui [/x]", "[bold]x", ":fire:"):
        assert text in result.stdout
    result = invoke("objections", "match", str(scenario), "trop [/cher]", "[bold]x")
    assert result.exit_code == 0, result.output
    assert "trop [/cher]" in result.stdout and "[bold]x" in result.stdout


def test_scenario_lines_print_as_typed(scenario: Path) -> None:
    result = invoke("inspect", str(scenario))
    assert result.exit_code == 0, result.output
    assert '"Prix [/b] et [bold]gras :fire:"' in result.stdout
    piped = invoke("chat", str(scenario), stdin="oui [/x] [bold]x\n")
    assert "Prix [/b] et [bold]gras :fire:" in piped.stdout
    assert "prospect: oui [/x] [bold]x" in piped.stdout


def test_a_bad_chat_turn_is_reported_as_typed(scenario: Path) -> None:
    result = invoke("chat", str(scenario), stdin="/nope [/x]\n")
    assert "error: unknown turn '/nope [/x]'" in result.stderr


# ------------------------------------------------------------------ api --database


def keys(url: str) -> list[str]:
    store = Store.open(url)
    try:
        return [k.name for k in store.list_api_keys()]
    finally:
        store.close()


def test_api_key_commands_use_the_given_database(tmp_path: Path) -> None:
    one, two = (f"sqlite:///{tmp_path / name}" for name in ("one.sqlite", "two.sqlite"))
    default = f"sqlite:///{tmp_path / 'default.sqlite'}"
    assert invoke("api", "--database", one, "key", "create", "--name", "k1").exit_code == 0
    # the subcommand's own --database works too
    assert invoke("api", "key", "create", "--name", "k2", "--database", two).exit_code == 0
    assert keys(one) == ["k1"] and keys(two) == ["k2"] and keys(default) == []
    listed = invoke("api", "--database", two, "key", "list")
    assert listed.stdout.split()[0] == "k2" and "k1" not in listed.stdout
    assert invoke("api", "--database", one, "key", "revoke", "k1").exit_code == 0
    one_error(invoke("api", "--database", two, "key", "revoke", "k1"), "'k1'")
    assert "revoked" in invoke("api", "key", "list", "--database", one).stdout


# ------------------------------------------------------------------ forget, purge


def test_forget_refuses_a_missing_base_dir_and_erases_nothing(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'default.sqlite'}")
    try:
        seeded = seed(store, tmp_path)
        phone = seeded.phones[0]
        missing = str(tmp_path / "nonexistent")
        result = invoke("contacts", "forget", phone, "--base-dir", missing)
        assert result.exit_code == 2
        one_error(result, missing)
        assert store.get_contact(phone) is not None and seeded.transcript.exists()
        result = invoke("contacts", "forget", phone, "--base-dir", str(tmp_path))
        assert result.exit_code == 0, result.output
        assert store.get_contact(phone) is None and not seeded.transcript.exists()
    finally:
        store.close()


def test_purge_refuses_a_missing_base_dir_and_keeps_the_paths(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'default.sqlite'}")
    try:
        seeded = seed(store, tmp_path)
        missing = str(tmp_path / "nonexistent")
        result = invoke("purge", "--older-than-days", "1", "--base-dir", missing)
        assert result.exit_code == 2
        one_error(result, missing)
        # the rows still know their files: a purge from the right folder deletes them
        report = purge(store, before=NOW + timedelta(days=1), base_dir=tmp_path)
        assert report.files == 1 and not seeded.transcript.exists()
    finally:
        store.close()


@pytest.mark.parametrize("days", ["3000000", "999999999", str(10**30)])
def test_purge_refuses_a_cutoff_before_year_one(days: str) -> None:
    result = invoke("purge", "--older-than-days", days)
    assert result.exit_code == 2
    one_error(result, f"--older-than-days {days}")


def test_store_commands_use_the_given_database(tmp_path: Path) -> None:
    """``purge``, ``contacts forget`` and ``webhook deliver`` work on the store
    ``--database`` names, not on the default one."""
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    store = Store.open(other)
    try:
        seeded = seed(store, tmp_path)
        phone = seeded.phones[0]
        base = str(tmp_path)
        result = invoke("purge", "--older-than-days", "1", "--base-dir", base)
        assert result.exit_code == 0 and result.stdout.startswith("purged 0 calls")
        result = invoke("purge", "--older-than-days", "1", "--base-dir", base, "--database", other)
        assert result.exit_code == 0 and "(1 files deleted)" in result.stdout, result.output
        assert not seeded.transcript.exists()
        result = invoke("contacts", "forget", phone, "--base-dir", base)
        assert "nothing stored" in result.stdout and store.get_contact(phone) is not None
        result = invoke("contacts", "forget", phone, "--base-dir", base, "--database", other)
        assert "forgotten" in result.stdout and store.get_contact(phone) is None
        with store.session() as s:
            s.add(
                WebhookOutbox(
                    idempotency_key="k",
                    event="call.ended",
                    payload={},
                    created_at=NOW,
                    next_attempt_at=NOW,
                )
            )
    finally:
        store.close()
    deliver = ["webhook", "deliver", "--url", "http://127.0.0.1:9/"]  # refused at once
    secret = {"MBS_WEBHOOK_SECRET": "s"}
    result = runner.invoke(app, deliver, env=secret)
    assert result.exit_code == 0 and result.stdout == "0 delivered, 0 failed, 0 waiting\n"
    result = runner.invoke(app, [*deliver, "--database", other], env=secret)
    assert result.exit_code == 0 and result.stdout == "0 delivered, 1 failed, 1 waiting\n"
