"""Hostile XLSX contact files: a damaged workbook is one clear error, and a sheet that
claims (or holds) a huge size is refused at once instead of padded cell by cell."""

from __future__ import annotations

import re
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from mbs.campaign.contacts import ContactFileError, ImportResult, read_contacts

SHEET = "xl/worksheets/sheet1.xml"
BOUND_S = 60  # far above the fraction of a second these take; only a hang reaches it


def workbook(path: Path, *cells: tuple[str, object]) -> Path:
    """A two-row contact sheet, plus ``cells`` (coordinate, value) anywhere."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["phone", "name"])
    sheet.append(["06 12 34 56 01", "Anne"])
    for coordinate, value in cells:
        sheet[coordinate] = value
    book.save(path)
    return path


def rewrite_sheet(path: Path, change: re.Pattern[bytes] | None, to: bytes = b"") -> Path:
    """The workbook with ``change`` replaced in its sheet XML (None: cut it in half)."""
    out = path.with_name(f"edited-{path.name}")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == SHEET:
                data = data[: len(data) // 2] if change is None else change.sub(to, data)
            dst.writestr(info, data)
    return out


DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')


def read_bounded(path: Path) -> ImportResult:
    """read_contacts, failing (not hanging) the test if it does not return in time."""
    done = threading.Event()
    outcome: list[ImportResult | BaseException] = []

    def work() -> None:
        try:
            outcome.append(read_contacts(path))
        except BaseException as exc:  # handed to the test below
            outcome.append(exc)
        done.set()

    threading.Thread(target=work, daemon=True).start()
    assert done.wait(BOUND_S), f"reading {path.name} did not finish: unbounded work"
    (got,) = outcome
    if isinstance(got, BaseException):
        raise got
    return got


def test_a_truncated_sheet_is_a_clear_error(tmp_path: Path) -> None:
    broken = rewrite_sheet(workbook(tmp_path / "c.xlsx"), None)
    with pytest.raises(ContactFileError, match=r"damaged XLSX workbook \(ParseError: "):
        read_bounded(broken)


def test_a_shared_string_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx")
    broken = rewrite_sheet(
        path,
        re.compile(rb'<c r="B2" t="inlineStr"><is><t>Anne</t></is></c>'),
        b'<c r="B2" t="s"><v>999</v></c>',
    )
    with pytest.raises(ContactFileError, match="damaged XLSX workbook"):
        read_bounded(broken)


def test_one_cell_at_xfd1048576_is_refused_at_once(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", ("XFD1048576", "x"))
    assert path.stat().st_size < 10_000  # the 17-billion-cell sheet of the bug report
    with pytest.raises(ContactFileError) as caught:
        read_bounded(path)
    message = str(caught.value)
    assert "declares 1,048,576 rows × 16,384 columns, up to XFD1048576" in message
    assert "at most 1,000,000 rows and 200 columns" in message


def test_a_far_cell_behind_a_small_declared_size_is_refused(tmp_path: Path) -> None:
    # the <dimension> lies (or is missing): the cells themselves are bounded
    path = workbook(tmp_path / "c.xlsx", ("XFD1048576", "x"))
    for replacement in (b'<dimension ref="A1:B2"/>', b""):
        lying = rewrite_sheet(path, DIMENSION, replacement)
        with pytest.raises(ContactFileError, match="the sheet goes past row 1,000,000"):
            read_bounded(lying)


def test_a_value_past_column_200_is_refused(tmp_path: Path) -> None:
    lying = rewrite_sheet(workbook(tmp_path / "c.xlsx", ("XFD3", "x")), DIMENSION)
    with pytest.raises(ContactFileError, match=r"row 3 has a value in column XFD \(16,384\)"):
        read_bounded(lying)


def test_formatted_empty_cells_past_column_200_are_named_as_such(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["phone"])
    sheet.append(["06 12 34 56 01"])
    sheet["GS2"].font = Font(bold=True)  # a styled cell with no value, column 201
    book.save(tmp_path / "c.xlsx")
    with pytest.raises(ContactFileError, match="declares 2 rows × 201 columns, up to GS2"):
        read_bounded(tmp_path / "c.xlsx")
    undeclared = rewrite_sheet(tmp_path / "c.xlsx", DIMENSION)
    with pytest.raises(ContactFileError, match=r"row 2 has formatted empty cells up to column GS"):
        read_bounded(undeclared)


def test_rows_far_apart_within_the_limits_are_all_read(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", ("A999999", "06 12 34 56 02"), ("GR999999", "last col"))
    result = read_bounded(rewrite_sheet(path, DIMENSION))  # no size declared: nothing padded
    assert [c.phone for c in result.contacts] == ["+33612345601", "+33612345602"]
    assert result.rows == 2 and not result.rejected


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    """A small workbook whose shared strings unpack to far more than they pack (here
    64 MiB of one letter in 64 KiB) would take gigabytes once openpyxl holds them."""
    bomb = workbook(tmp_path / "bomb.xlsx")
    out = tmp_path / "bomb2.xlsx"
    with zipfile.ZipFile(bomb) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        with dst.open("xl/padding.xml", "w") as f:
            for _ in range(64):
                f.write(b"a" * (1 << 20))
    assert out.stat().st_size < 1 << 20
    with pytest.raises(
        ContactFileError, match=r"xl/padding.xml in the workbook unpacks [\d,]+ times"
    ):
        read_contacts(out)


def test_a_workbook_past_the_unpacked_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mbs.campaign.contact_files as files

    path = workbook(tmp_path / "c.xlsx")
    assert read_contacts(path).contacts  # under the limit: read
    monkeypatch.setattr(files, "MAX_XLSX_UNPACKED", 1000)
    with pytest.raises(ContactFileError, match=r"unpacks to .* save it as CSV"):
        read_contacts(path)
