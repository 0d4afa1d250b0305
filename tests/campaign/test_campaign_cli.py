"""mbs contacts / blocklist / campaign: reports, exit codes, exports (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import psycopg
import pytest
import typer
from typer.testing import CliRunner

from mbs.campaign.law import CallingLaw
from mbs.campaign.store import CallOutcome, Store
from mbs.campaign.store.engine import make_engine
from mbs.cli import blocklist_cmd, campaign_cmd, contacts_cmd, run_cmd
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None: ...

    for module in (contacts_cmd, blocklist_cmd, campaign_cmd):
        module.register(app)
    return app


APP = make_app()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """DATABASE_URL for the commands, and a Store on the same database for checks."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
        monkeypatch.setenv("DATABASE_URL", url)
        store = Store.open(url)
        try:
            yield store
        finally:
            store.close()
        return
    base = os.environ.get("DATABASE_URL", "")
    base = base if base.startswith("postgres") else PG_DEFAULT
    try:
        admin = make_engine(base)
        with admin.begin() as conn:
            schema = f"mbs_cli_{uuid.uuid4().hex[:10]}"
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # unreachable server
        if isinstance(getattr(exc, "orig", None), psycopg.OperationalError):
            pytest.skip(f"PostgreSQL unreachable at {base}: {exc}")
        raise
    # the commands reach the schema through libpq's search_path option in the URL
    sep = "&" if "?" in base else "?"
    monkeypatch.setenv("DATABASE_URL", f"{base}{sep}options=-csearch_path%3D{schema}")
    store = Store.open(base, schema=schema)
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(APP, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_import_example_then_status_list_export(db: Store, tmp_path: Path) -> None:
    code, out, _ = run("contacts", "import", str(EXAMPLES / "contacts.csv"), "-c", "demo")
    assert code == 0 and "64 contacts imported (64 new, 0 updated)" in out
    assert "campaign demo (new campaign): 64 contacts added" in out
    assert db.campaign_size("demo") == 64

    # a few calls, so status and export have something to say
    claims = db.claim_due("demo", NOW, 3, "w1", CallingLaw()).claims
    assert len(claims) == 3
    for claim, status, result in zip(
        claims,
        (CallStatus.COMPLETED, CallStatus.NO_ANSWER, CallStatus.COMPLETED),
        (Result.APPOINTMENT_SCHEDULED, None, Result.NOT_INTERESTED),
        strict=True,
    ):
        db.update_call_status(claim.call_id, CallStatus.CALLING, at=NOW)
        if status == CallStatus.COMPLETED:
            db.update_call_status(claim.call_id, CallStatus.IN_PROGRESS, at=NOW)
        db.finish_call(claim.call_id, CallOutcome(status, ended_at=NOW, result=result))

    code, out, _ = run("campaign", "status", "demo")
    assert code == 0
    assert "contacts 64: 3 done, 0 in flight, 61 waiting" in out
    assert "attempts 3: 3 dialled, 2 answered (answer rate 66.7 %)" in out
    assert "by result:" in out and "APPOINTMENT_SCHEDULED 1" in out

    code, out, _ = run("campaign", "status", "demo", "--format", "json")
    status = json.loads(out)
    assert status["by_status"] == {"COMPLETED": 2, "NO_ANSWER": 1}
    assert status["answer_rate"] == pytest.approx(2 / 3)

    code, out, _ = run("campaign", "list", "--format", "json")
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert listed["name"] == "demo" and listed["contacts"] == 64 and listed["calls"] == 3

    code, out, _ = run("campaign", "export", "demo")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3
    assert {r["result"] for r in rows} == {"APPOINTMENT_SCHEDULED", "", "NOT_INTERESTED"}
    assert all(r["policy"] == "fr-D223-9" for r in rows)

    target = tmp_path / "demo.xlsx"
    code, _, err = run("campaign", "export", "demo", "--format", "xlsx", "-o", str(target))
    assert code == 0 and "3 calls written" in err
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("call_id", "campaign", "phone") and len(values) == 4


def test_import_reports_bad_rows_and_merges(db: Store) -> None:
    code, out, _ = run(
        "contacts", "import", str(EXAMPLES / "contacts-demo-bad.csv"), "--format", "json"
    )
    report = json.loads(out)
    assert code == 0 and report["imported"] == 2 and report["created"] == 2
    assert [r["row"] for r in report["rejected"]] == [3, 4, 5, 7, 9]
    assert report["merged"] == [{"row": 6, "into_row": 2, "phone": "+33261914410"}]
    contact = db.get_contact("+33261914410")
    assert contact is not None and contact.company == "Crêperie Ty Armor SARL"


def test_exit_codes(db: Store, tmp_path: Path) -> None:
    all_bad = tmp_path / "bad.csv"
    all_bad.write_text("tel;nom\n12;A\nxx;B\n", encoding="utf-8")
    code, out, err = run("contacts", "import", str(all_bad), "-c", "x")
    assert code == 1 and "rejected" in out and "every row was rejected" in err
    assert db.get_campaign("x") is None  # nothing imported: no campaign made

    no_phone = tmp_path / "nophone.csv"
    no_phone.write_text("nom\nA\n", encoding="utf-8")
    code, _, err = run("contacts", "import", str(no_phone))
    assert code == 1 and "no phone column" in err

    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert run("contacts", "import", str(empty))[0] == 1

    code, _, err = run("contacts", "import", str(tmp_path / "absent.csv"))
    assert code == 2 and "cannot read" in err
    garbage = tmp_path / "g.xlsx"
    garbage.write_bytes(b"nope")
    assert run("contacts", "import", str(garbage))[0] == 2

    code, _, err = run("campaign", "status", "nope")
    assert code == 1 and "no campaign 'nope'" in err
    assert run("campaign", "export", "nope")[0] == 1
    assert run("campaign", "export", "nope", "--format", "xlsx")[0] == 2


def test_blocklisted_numbers_are_never_claimed(db: Store, tmp_path: Path) -> None:
    run("contacts", "import", str(EXAMPLES / "contacts.csv"), "-c", "demo")
    first = next(iter(csv.DictReader((EXAMPLES / "contacts.csv").open(), delimiter=";")))
    listing = tmp_path / "opposition.txt"
    listing.write_text(f"{first['Téléphone']}\n0612345678\nnot a number\n", encoding="utf-8")
    code, out, _ = run("blocklist", "import", str(listing))
    assert code == 0 and "2 numbers, 2 new on the blocklist, 1 rejected" in out
    assert "line 3" in out
    code, out, _ = run("blocklist", "list", "--format", "json")
    assert len(out.splitlines()) == 2
    code, out, _ = run("blocklist", "list")  # tab-separated for scripts, tabs kept
    assert [len(line.split("\t")) for line in out.splitlines()] == [3, 3]
    claimed = db.claim_due("demo", NOW, 100, "w", CallingLaw())
    blocked = [d for d in claimed.deferred if d.reason == "blocklisted"]
    assert len(blocked) == 1 and blocked[0].phone not in {c.contact.phone for c in claimed.claims}
    assert run("blocklist", "add", "01 99 00 00 01")[0] == 0
    assert run("blocklist", "add", "12")[0] == 1
    assert run("blocklist", "remove", "01 99 00 00 01")[1].startswith("1 removed")


def test_campaign_check(tmp_path: Path) -> None:
    code, out, _ = run("campaign", "check", str(EXAMPLES / "campagne-or.toml"))
    assert code == 0 and "or-rdv-demo" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nscenario = "absent.mbs"\nmax_concurrent = "many"\n')
    code, _, err = run("campaign", "check", str(bad))
    assert code == 1 and f"{bad}:3: max_concurrent: Input should be a valid integer" in err
    bad.write_text('name = "x"\nscenario = "absent.mbs"\n')
    code, _, err = run("campaign", "check", str(bad))
    assert code == 1 and f"{bad}:2: scenario: no such file" in err


def test_run_by_name_needs_a_campaign_run_from_its_file(db: Store) -> None:
    app = make_app()
    run_cmd.register(app)
    code, _, _ = run("contacts", "import", str(EXAMPLES / "contacts.csv"), "-c", "imported")
    assert code == 0
    result = CliRunner().invoke(app, ["run", "--campaign", "imported", "-q"])
    assert result.exit_code == 2
    assert "campaign 'imported' has no campaign file yet" in result.stderr
    result = CliRunner().invoke(app, ["run", "--campaign", "nowhere", "-q"])
    assert result.exit_code == 2
    assert "no campaign file nowhere and no campaign named 'nowhere'" in result.stderr
