"""A CSV export stays formula-free whatever separator the spreadsheet splits it on (French
Excel splits on ``;``, a paste on tabs), and only plain numbers become number cells."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from mbs.campaign.export import FORMULA_STARTS, write_csv, write_xlsx
from mbs.campaign.export_table import _number, csv_text, export_table, xlsx_bytes
from mbs.campaign.law import CallingLaw
from mbs.campaign.store import EXPORT_COLUMNS, CallOutcome, ContactData, RetryPolicy, Store
from mbs.runtime.telephony import CallStatus

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # a Tuesday, inside the legal hours
HOSTILE = [
    "ACME;=2+5;x",
    "ACME\t=2+5\tx",
    'ACME;"=2+5";x',
    "ACME;\t=1;-2;+3;@SUM(A1)",
    "ACME\r\n=2+5",
    "ACME\n@x",
    ";=1",
    "\t=1",
]


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...] = EXPORT_COLUMNS) -> str:
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer, columns)
    return buffer.getvalue()


def _fields(text: str, delimiter: str) -> list[str]:
    return [
        f for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for f in row
    ]


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
@pytest.mark.parametrize("column", ["call_id", "company", EXPORT_COLUMNS[-1]])
def test_no_field_is_a_formula_whatever_the_separator(delimiter: str, column: str) -> None:
    # first, middle and last column: a quote protects only a field that starts with it
    rows = [{"attempt": 2, column: text} for text in [*HOSTILE, "ACME;", "x\r\n"]]
    fields = _fields(_csv(rows), delimiter)
    if delimiter != ",":
        assert any("=2+5" in f for f in fields)  # the text is there, split up
    for field in fields:
        # not even once a reader drops the quotes and blanks it finds first
        assert not field.lstrip('" \t\r\n').startswith(FORMULA_STARTS), repr(field)


def test_a_cell_holding_a_separator_is_quoted_and_reads_back() -> None:
    rows = [{"company": t, "attempt": 2} for t in ["ACME;x", "a\tb", "plain"]]
    text = _csv(rows, ("company", "attempt"))
    assert text.splitlines()[1:] == ['"ACME;x",2', '"a\tb",2', "plain,2"]
    # a spreadsheet splitting on ";" or tabs reads the quoted cell whole
    assert next(csv.reader(io.StringIO(text.splitlines()[1]), delimiter=";")) == ["ACME;x,2"]
    read = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["company"] for r in read] == ["ACME;x", "a\tb", "plain"]
    # the formula start after a separator gets the same "'" as one at the start
    (row,) = csv.DictReader(io.StringIO(_csv([{"company": "ACME;=2+5;x"}]), newline=""))
    assert row["company"] == "ACME;'=2+5;x"


def test_other_cells_are_written_as_the_csv_module_writes_them() -> None:
    columns = ("first_name", "company", "attempt", "duration_s", "objections")
    rows: list[dict[str, Any]] = [
        {
            "first_name": 'Jo "Jo"',
            "company": "A, B\nC",
            "attempt": -3,
            "duration_s": 1.5,
            "objections": ["trop cher"],
        },
        {"first_name": "", "company": None, "attempt": True, "duration_s": 1e16},
    ]
    expected = io.StringIO(newline="")
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(
        [
            ['Jo "Jo"', "A, B\nC", -3, 1.5, '["trop cher"]'],
            ["", "", True, 1e16, ""],
        ]
    )
    assert _csv(rows, columns) == expected.getvalue()
    assert _csv([{"company": ""}], ("company",)) == 'company\r\n""\r\n'  # not a blank line


@pytest.mark.parametrize(
    "text", ["nan", "NaN", "inf", "-Infinity", "1e400", "1e3", "1_000", "٣", "５", "0x1F", "01000"]
)
def test_only_plain_decimals_are_numbers(text: str) -> None:
    assert _number(text) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("-3,5", -3.5), ("+7", 7), (".5", 0.5), ("0,25", 0.25), ("1 000", 1000)],
)
def test_plain_decimals_are_numbers(text: str, number: float) -> None:
    assert _number(text) == number and type(_number(text)) is type(number)


def test_numbers_are_bounded() -> None:
    assert _number("123456789012345") == 123456789012345
    assert _number("1234567890123456") is None  # past Excel's 15 digits: text, exact
    assert _number(float("nan")) is None and _number(float("inf")) is None
    assert _number(10**20) is None and _number(True) is None and _number(2.5) == 2.5


def _calls_with_captures(store: Store, budgets: list[str]) -> None:
    store.create_campaign("budgets", now=NOW)
    phones = [f"+3361234560{i}" for i in range(len(budgets))]
    report = store.upsert_contacts([ContactData(p) for p in phones], now=NOW)
    store.add_to_campaign("budgets", [report.ids[p] for p in phones], now=NOW)
    batch = store.claim_due("budgets", NOW, len(phones), "w", CallingLaw())
    by_phone = {c.contact.phone: c.call_id for c in batch.claims}
    for phone, budget in zip(phones, budgets, strict=True):
        outcome = CallOutcome(
            status=CallStatus.COMPLETED,
            ended_at=NOW + timedelta(seconds=30),
            captures={"budget": budget},
        )
        store.finish_call(by_phone[phone], outcome, retry=RetryPolicy())


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    yield s
    s.close()


def test_a_nan_answer_keeps_its_column_text(store: Store) -> None:
    _calls_with_captures(store, ["1500", "nan", "2 000"])
    columns, rows = export_table(store, "budgets")
    assert sorted(r["capture.budget"] for r in rows) == ["1500", "2 000", "nan"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(columns, rows, "budgets")))
    sheet = book.active
    assert sheet is not None
    at = columns.index("capture.budget")
    cells = [row[at] for row in sheet.iter_rows(min_row=2)]
    assert sorted(str(c.value) for c in cells) == ["1500", "2 000", "nan"]  # none empty
    assert "capture.budget" in csv_text(columns, rows).splitlines()[0]


def test_a_numeric_column_stays_numeric(store: Store, tmp_path: Path) -> None:
    _calls_with_captures(store, ["1500", "2 000,5"])
    columns, rows = export_table(store, "budgets")
    assert sorted(r["capture.budget"] for r in rows) == [1500, 2000.5]
    target = tmp_path / "b.xlsx"
    write_xlsx(rows, target, "budgets", columns)
    with zipfile.ZipFile(target) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
