"""A campaign's calls as a table for CSV/XLSX: the store's columns, then one typed column
per captured answer (``capture.day``, ``capture.budget``...).

A capture column is numeric when every non-empty value in it is a number (so a
spreadsheet sums budgets), text otherwise. Text cells that a spreadsheet would read as
a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) are written with a
leading apostrophe, so an exported contact name never runs as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from mbs.campaign.store import EXPORT_COLUMNS, Store

CAPTURE_PREFIX = "capture."
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip().replace(" ", "").replace(",", ".")
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
    return None


def export_table(store: Store, campaign: str | int) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows) of every call of ``campaign``, captures as typed columns."""
    rows = list(store.export_calls(campaign))
    names: dict[str, None] = {}
    for row in rows:
        for var in row.get("captures") or {}:
            names.setdefault(str(var), None)
    numeric = {
        var: all(
            _number(r["captures"][var]) is not None
            for r in rows
            if (r.get("captures") or {}).get(var) not in (None, "")
        )
        for var in names
    }
    columns = [*EXPORT_COLUMNS, *(CAPTURE_PREFIX + v for v in names)]
    table = []
    for row in rows:
        captures = row.pop("captures", None) or {}
        for var in names:
            value = captures.get(var)
            if value in (None, ""):
                row[CAPTURE_PREFIX + var] = None
            elif numeric[var]:
                row[CAPTURE_PREFIX + var] = _number(value)
            else:
                row[CAPTURE_PREFIX + var] = str(value)
        table.append(row)
    return columns, table


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return safe_text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str):
        return safe_text(value)
    return "" if value is None else value


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def xlsx_bytes(columns: list[str], rows: list[dict[str, Any]], sheet_name: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "".join(ch for ch in sheet_name if ch not in "[]:*?/\\")[:31] or "calls"
    sheet.append(columns)
    for row in rows:
        values: list[Any] = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, datetime):  # Excel has no time zones: UTC, naive
                value = value.astimezone(UTC).replace(tzinfo=None)
            elif isinstance(value, list | dict):
                value = safe_text(json.dumps(value, ensure_ascii=False))
            elif isinstance(value, str):
                value = safe_text(value)
            values.append(value)
        sheet.append(values)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # never a live formula, whatever slipped through
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
