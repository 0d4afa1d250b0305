"""``mbs contacts import`` with values the store cannot keep, on SQLite and PostgreSQL:
the bad rows are reported, the good ones imported, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from mbs.campaign.store import Store
from tests.campaign import test_campaign_cli

# the CLI, and DATABASE_URL on SQLite then on a PostgreSQL schema of its own, as the
# other contact commands are tested
db = test_campaign_cli.db
run = test_campaign_cli.run


def test_consent_dates_outside_utc_reject_their_rows_only(db: Store, tmp_path: Path) -> None:
    path = tmp_path / "ov.csv"
    path.write_text(
        "prenom;tel;date_consentement\nA;0611111111;\nB;0622222222;9999-12-31T23:59:59-05:00\n"
        "C;0633333333;0001-01-01T00:00:00+14:00\nD;0644444444;01/03/2026\n",
        encoding="utf-8",
    )
    code, out, _ = run("contacts", "import", str(path), "--campaign", "probe-ov")
    assert code == 0
    assert "2 contacts imported (2 new, 0 updated), 0 merged, 2 rejected" in out
    assert "row 3: rejected: date_consentement: consent date out of range" in out
    assert "row 4: rejected: date_consentement: consent date out of range" in out
    assert db.campaign_size("probe-ov") == 2
    assert db.get_contact("+33611111111") is not None
    kept = db.get_contact("+33644444444")
    assert kept is not None and kept.consent
    assert db.get_contact("+33622222222") is None


def test_unstorable_text_is_cleaned_and_long_values_rejected(db: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        '[{"phone": "0611111111", "first_name": "A\\ud800", "note": "x\\u0000y"},'
        ' {"phone": "0622222222", "company": "' + "C" * 300 + '"},'
        ' {"phone": "0633333333", "first_name": "B\\u0000", "tags": ["t\\udfff"]}]',
        encoding="utf-8",
    )
    code, out, err = run("contacts", "import", str(path), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["imported"] == 2 and report["created"] == 2
    assert report["rejected"] == [{"row": 2, "reason": "company: 300 characters, at most 200"}]
    assert "row 1: invalid character" in err
    first = db.get_contact("+33611111111")
    assert first is not None and first.first_name == "A\ufffd" and first.extra == {"note": "xy"}
    third = db.get_contact("+33633333333")
    assert third is not None and third.first_name == "B" and third.tags == ("t\ufffd",)


def test_a_broken_workbook_is_one_line_and_nothing_written(db: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["phone"])
    sheet.append(["0611111111"])
    sheet["XFD1048576"] = "x"
    book.save(path)
    code, _, err = run("contacts", "import", str(path), "-c", "big")
    assert code == 2
    assert "XFD1048576" in err and "Traceback" not in err
    assert db.get_campaign("big") is None
