"""A contact value the store cannot keep is caught while reading: its row is rejected
with the reason (or the value cleaned, with a note), and the other rows are kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from mbs.campaign.contacts import read_contacts
from mbs.campaign.store.types import UTCDateTime


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00"])
def test_a_consent_date_outside_utc_rejects_its_row_only(tmp_path: Path, when: str) -> None:
    path = write(
        tmp_path,
        "c.csv",
        f"prenom;tel;date_consentement\nA;0611111111;\nB;0622222222;{when}\n"
        "C;0633333333;2026-03-01T10:00:00+01:00\n",
    )
    result = read_contacts(path)
    assert [c.phone for c in result.contacts] == ["+33611111111", "+33633333333"]
    (rejected,) = result.rejected
    assert rejected.row == 3
    assert rejected.reason.startswith("date_consentement: consent date out of range: ")
    assert when in rejected.reason
    kept = result.contacts[1].consent_at
    assert kept == datetime(2026, 3, 1, 9, 0, tzinfo=UTC) and kept.tzinfo is UTC


def test_a_consent_date_outside_utc_in_json(tmp_path: Path) -> None:
    rows = [
        {"phone": "0611111111", "consent_date": "9999-12-31T23:59:59-05:00"},
        {"phone": "0622222222", "consent_date": "31/12/9999"},  # a UTC day: kept
    ]
    result = read_contacts(write(tmp_path, "c.json", json.dumps(rows)))
    assert [c.phone for c in result.contacts] == ["+33622222222"]
    assert "consent date out of range" in result.rejected[0].reason


def test_the_store_type_names_an_out_of_range_time() -> None:
    late = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5)))
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        with pytest.raises(ValueError, match="out of range in UTC"):
            UTCDateTime().process_bind_param(late, dialect)


def test_lone_surrogates_and_nul_are_cleaned_with_a_note(tmp_path: Path) -> None:
    # JSON escapes decode to a lone surrogate or NUL: neither can be stored as text
    text = (
        '[{"phone": "0611111111", "first_name": "Ann\\ud800e", "tags": ["a\\udc00"], '
        '"ville\\ud800": "Pa\\u0000ris"},'
        ' {"phone": "06222\\ud80022222"},'
        ' {"phone": "0633333333", "first_name": "Bob"}]'
    )
    result = read_contacts(write(tmp_path, "c.json", text))
    assert [c.phone for c in result.contacts] == ["+33611111111", "+33633333333"]
    first = result.contacts[0]
    assert first.first_name == "Ann\ufffde" and first.tags == ["a\ufffd"]
    assert first.extra == {"ville": "Paris"}
    assert "row 1: invalid character (NUL dropped, lone surrogate replaced by U+FFFD)" in (
        result.notes
    )
    (rejected,) = result.rejected  # the number itself was broken: rejected, printable
    assert rejected.row == 2
    rejected.reason.encode("utf-8")
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")


def test_a_utf16_file_with_a_lone_surrogate_is_read(tmp_path: Path) -> None:
    text = "phone;name\n0611111111;Anne\n0622222222;B\ud800b\n"
    path = write(tmp_path, "c.csv", b"\xff\xfe" + text.encode("utf-16-le", "surrogatepass"))
    result = read_contacts(path)
    assert [c.extra["name"] for c in result.contacts] == ["Anne", "B\ufffdb"]
    assert any("not valid UTF-16" in note for note in result.notes)


def test_a_value_longer_than_its_column_rejects_its_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        f"phone;societe;email\n0611111111;{'C' * 201};\n0622222222;{'C' * 200};a@b.fr\n",
    )
    result = read_contacts(path)
    assert [c.phone for c in result.contacts] == ["+33622222222"]
    assert [(r.row, r.reason) for r in result.rejected] == [
        (2, "societe: 201 characters, at most 200")
    ]


def test_a_huge_value_is_rejected_by_its_row_and_quoted_short(tmp_path: Path) -> None:
    """A JSON number past Python's 4,300-digit conversion limit, and a 1 MB phone cell:
    each rejects its row, and the reason quotes 40 characters, not the whole value."""
    path = tmp_path / "c.json"
    path.write_text(
        '[{"phone": "0612345678"}, {"phone": ' + "9" * 5000 + "}, "
        '{"phone": "' + "0" * 1_000_000 + '"}, {"phone": 612345679}]',
        encoding="utf-8",
    )
    result = read_contacts(path)
    assert [c.phone for c in result.contacts] == ["+33612345678", "+33612345679"]
    assert len(result.rejected) == 2
    for rejected in result.rejected:
        assert len(rejected.reason) < 120 and "characters)" in rejected.reason
