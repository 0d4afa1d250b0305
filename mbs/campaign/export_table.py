"""A campaign's calls as a table for CSV/XLSX: the store's columns, then one typed column
per captured answer (``capture.day``, ``capture.budget``...).

A capture column is numeric when every non-empty value in it is a number (so a
spreadsheet sums budgets), text otherwise. The writers are :mod:`mbs.campaign.export`'s,
which neutralise every cell a spreadsheet would read as a formula.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

from mbs.campaign.export import neutralise, write_csv, write_xlsx
from mbs.campaign.store import EXPORT_COLUMNS, Store

CAPTURE_PREFIX = "capture."


# Excel keeps 15 significant digits: a longer number is an identifier, kept as text
_MAX_DIGITS = 15
# a plain decimal in ASCII digits: what int()/float() also take ("nan", "1e400", "1_000",
# Arabic-Indic digits) is an answer, not a number; a leading zero keeps a code (a
# postcode "01000") whole
_PLAIN_NUMBER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)?(?:[.,][0-9]+)?")


def _number(value: Any) -> int | float | None:
    """``value`` as a number when it is one a spreadsheet shows exactly, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**_MAX_DIGITS else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "")
    digits = sum(c.isdigit() for c in text)
    if not _PLAIN_NUMBER.fullmatch(text) or not 0 < digits <= _MAX_DIGITS:
        return None
    text = text.replace(",", ".")
    return float(text) if "." in text else int(text)


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
    return neutralise(value)


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer, columns)
    return buffer.getvalue()


def xlsx_bytes(columns: list[str], rows: list[dict[str, Any]], sheet_name: str) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, sheet_name, columns)
    return buffer.getvalue()
