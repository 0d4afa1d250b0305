"""Reading contact lists (CSV, XLSX, JSON) into validated, de-duplicated contacts.

(Phone rules are in :mod:`mbs.campaign.phones`; writing the contacts to the store in
:mod:`mbs.campaign.contacts`.)

Every row is either kept (its number parsed to E.164) or reported with its row number
and the reason; one bad row never sinks the file. Column names are matched in French
or English, accents and case ignored (``Téléphone``, ``tel``, ``numéro``, ``phone``...);
any other column becomes a template variable (``contact.<column>``). The same number
twice is merged: later non-empty values win, tags are unioned.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import String

from mbs.campaign.errors import CampaignError
from mbs.campaign.phones import parse_phone
from mbs.campaign.store.models import Contact
from mbs.campaign.store.records import ContactData
from mbs.errors import InputError
from mbs.files import CONTACTS_LIMIT, UnreadableFile, read_file

FORMATS = ("csv", "xlsx", "json")

ALIASES: dict[str, tuple[str, ...]] = {
    "phone": (
        "phone",
        "telephone",
        "tel",
        "numero",
        "num",
        "phone_number",
        "numero_de_telephone",
        "numero_telephone",
        "num_tel",
        "mobile",
        "portable",
        "gsm",
        "msisdn",
        "number",
    ),
    "first_name": ("first_name", "firstname", "prenom", "given_name", "first"),
    "last_name": ("last_name", "lastname", "nom", "nom_de_famille", "surname", "family_name"),
    "email": ("email", "mail", "e_mail", "courriel", "adresse_email", "adresse_mail"),
    "company": (
        "company",
        "societe",
        "entreprise",
        "organisation",
        "organization",
        "raison_sociale",
        "employeur",
    ),
    "tags": ("tags", "tag", "etiquettes", "etiquette", "labels", "segments"),
    "consent": ("consent", "consentement", "opt_in", "optin", "accord"),
    "consent_date": ("consent_date", "date_consentement", "consent_at", "date_accord"),
    "opted_out": ("opted_out", "opt_out", "optout", "opposition", "stop", "desinscrit"),
}
_FIELD_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_TRUE = {"1", "true", "yes", "y", "oui", "o", "vrai", "x"}


class ContactFileError(CampaignError, InputError):
    """The file cannot be read at all (missing, not the format it claims, no rows)."""


@dataclass(frozen=True)
class Rejected:
    row: int
    reason: str


@dataclass(frozen=True)
class Merged:
    row: int
    into_row: int
    phone: str


@dataclass
class ImportResult:
    """What a contact file held: the good contacts, and what happened to every other row."""

    path: str
    format: str
    contacts: list[ContactData] = field(default_factory=list)
    rows: int = 0  # data rows read (blank rows not counted)
    rejected: list[Rejected] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # header -> field or extra name
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # a file-level problem: no row could be used

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "format": self.format,
            "rows": self.rows,
            "imported": len(self.contacts),
            "merged": [
                {"row": m.row, "into_row": m.into_row, "phone": m.phone} for m in self.merged
            ],
            "rejected": [{"row": r.row, "reason": r.reason} for r in self.rejected],
            "columns": self.columns,
            "encoding": self.encoding,
            "notes": self.notes,
            "error": self.error,
        }


# ---------------------------------------------------------------------- columns


def normalise_column(name: str) -> str:
    """``"Numéro de Téléphone"`` -> ``"numero_de_telephone"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def map_columns(headers: list[str]) -> dict[str, str]:
    """Header -> known field name, or the normalised header for extra columns."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        norm = normalise_column(header)
        if not norm:
            continue
        target = _FIELD_OF.get(norm, norm)
        if target in ALIASES:  # a known field may come from several columns
            mapping[header] = target
            continue
        base, n = target, 2
        while target in used:
            target = f"{base}_{n}"
            n += 1
        used.add(target)
        mapping[header] = target
    return mapping


# ---------------------------------------------------------------------- reading


def detect_format(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix == "json":
        return "json"
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def decode_text(data: bytes) -> tuple[str, str, str | None]:
    """(text, encoding, note): UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError:  # a lone surrogate, an odd last byte
            note = "the file is not valid UTF-16: unreadable characters replaced by \ufffd"
            return data.decode("utf-16", errors="replace"), "utf-16", note
    if b"\x00" in data[:4096]:
        raise ContactFileError("this is a binary file, not text (CSV or JSON)")
    try:
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return data.decode(encoding), encoding, None
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, encoding, f"the file is not UTF-8: read it as {encoding}"
    raise ContactFileError("cannot decode the file")  # pragma: no cover - latin-1 decodes all


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


Rows = list[tuple[int, dict[str, Any]]]


def _csv_rows(
    text: str, notes: list[str], rejected: list[Rejected] | None = None
) -> tuple[list[str], Rows]:
    """Header and rows of a CSV text, each row with its line number.

    A quote that never closes would swallow every later line into one cell (or stop
    the reader at its field size limit): that row is rejected, naming its line, and
    reading starts again on the next line, so the good rows after it are kept.
    """
    delimiter = _sniff_delimiter(text)
    lines = text.splitlines(keepends=True)
    headers: list[str] | None = None
    rows: Rows = []
    offset = 0  # lines already consumed
    while offset < len(lines):
        chunk = "".join(lines[offset:])
        reader = csv.reader(io.StringIO(chunk, newline=""), delimiter=delimiter)
        first = 1  # line of the chunk where the current record begins
        broken: tuple[int, str] | None = None  # (line, reason)
        try:
            for record in reader:
                line = offset + first
                multiline = reader.line_num > first
                at_end = reader.line_num >= len(lines) - offset
                if multiline and at_end and _unterminated(chunk, first):
                    broken = (line, 'unterminated quote: a " on this line never closes')
                    break
                first = reader.line_num + 1
                if not any(cell.strip() for cell in record):
                    continue
                if headers is None:
                    headers = [cell.strip() for cell in record]
                    continue
                values = dict(zip(headers, (c.strip() for c in record), strict=False))
                if len(record) > len(headers):
                    notes.append(f"row {line}: {len(record) - len(headers)} extra cells ignored")
                rows.append((line, values))
        except csv.Error as exc:
            reason = f"malformed CSV: {exc}"
            if "field larger than field limit" in str(exc):
                reason = (
                    f'unterminated quote: a " on this line opens a cell longer than '
                    f"{csv.field_size_limit():,} characters"
                )
            broken = (offset + first, reason)
        if broken is None:
            break
        if rejected is None:
            raise ContactFileError(f"line {broken[0]}: {broken[1]}")
        rejected.append(Rejected(broken[0], broken[1]))
        offset = broken[0]  # read again from the line after the broken one
    return headers or [], rows


def _unterminated(chunk: str, line: int) -> bool:
    """Whether the CSV record starting at ``line`` (1-based) of ``chunk`` runs into the
    end of the text inside a quote (the strict reader says "unexpected end of data")."""
    tail = "".join(chunk.splitlines(keepends=True)[line - 1 :])
    try:
        for _ in csv.reader(
            io.StringIO(tail, newline=""), strict=True, delimiter=_sniff_delimiter(chunk)
        ):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()  # a date cell: spreadsheets store it as midnight
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


MAX_XLSX_ROWS = 1_000_000
MAX_XLSX_COLUMNS = 200
_XLSX_HINT = "delete the rows and columns past your data (or copy it to a new sheet) and save again"


# An XLSX is a zip of XML. openpyxl holds a workbook's shared strings in memory, so a
# small file that unpacks to gigabytes (a "zip bomb") would take the memory with it:
# the sizes the zip declares (zipfile never unpacks past them) are checked first.
MAX_XLSX_UNPACKED = 256 * 1024 * 1024
MAX_XLSX_RATIO = 100  # XML of contacts packs 5 to 20 times; a bomb thousands of times


def _check_unpacked(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ContactFileError(f"not a readable XLSX workbook ({_why(exc)})") from None
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNPACKED:
        raise ContactFileError(
            f"the workbook unpacks to {total / 2**20:,.0f} MiB: a contact list is read up to "
            f"{MAX_XLSX_UNPACKED // 2**20} MiB of sheet data; save it as CSV, or split it"
        )
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > MAX_XLSX_RATIO * max(1, m.compress_size):
            raise ContactFileError(
                f"{m.filename} in the workbook unpacks {m.file_size // max(1, m.compress_size):,} "
                f"times its packed size, which no sheet of contacts does; save it again as "
                "XLSX or CSV"
            )


def _xlsx_rows(path: Path) -> tuple[list[str], Rows]:
    """Header and rows of the first sheet, each with its row number.

    openpyxl pads every row to the sheet's size, so a 5 KB file with one cell at
    XFD1048576 would be 17 billion empty cells: the declared size is checked, then
    ignored (``reset_dimensions``), and rows are read one at a time up to the limits,
    so the work follows the cells the file really holds. A damaged workbook is a
    :class:`ContactFileError`: openpyxl reports broken zips, XML and values through
    many exception types, so every one raised inside it is caught.
    """
    import openpyxl

    _check_unpacked(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ContactFileError(f"not a readable XLSX workbook ({_why(exc)})") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return [], []
        _check_declared_size(sheet)
        sheet.reset_dimensions()
        headers: list[str] | None = None
        rows: Rows = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_XLSX_ROWS:
                raise ContactFileError(
                    f"the sheet goes past row {MAX_XLSX_ROWS:,}: a contact list has at most "
                    f"{MAX_XLSX_ROWS:,} rows; {_XLSX_HINT}"
                )
            if not record:  # a row the file leaves out
                continue
            if len(record) > MAX_XLSX_COLUMNS:
                last = _column_name(len(record))
                what = (
                    "has a value in"
                    if any(v is not None for v in record[MAX_XLSX_COLUMNS:])
                    else "has formatted empty cells up to"
                )
                raise ContactFileError(
                    f"row {number} {what} column {last} ({len(record):,}): a contact "
                    f"list has at most {MAX_XLSX_COLUMNS} columns; {_XLSX_HINT}"
                )
            cells = [_cell(v) for v in record]
            if not any(str(c).strip() for c in cells):
                continue
            if headers is None:
                headers = [str(c) for c in cells]
                continue
            rows.append((number, dict(zip(headers, cells, strict=False))))
        return headers or [], rows
    except ContactFileError:
        raise
    except Exception as exc:
        raise ContactFileError(f"damaged XLSX workbook ({_why(exc)})") from None
    finally:
        book.close()


def _check_declared_size(sheet: Any) -> None:
    """Refuse a sheet whose ``<dimension>`` claims more than a contact list can hold."""
    max_row, max_col = sheet.max_row, sheet.max_column
    if (max_row or 0) <= MAX_XLSX_ROWS and (max_col or 0) <= MAX_XLSX_COLUMNS:
        return
    size = f"{max_row or '?'} rows × {max_col or '?'} columns"
    if max_row and max_col:
        size = f"{max_row:,} rows × {max_col:,} columns, up to {_column_name(max_col)}{max_row}"
    raise ContactFileError(
        f"the sheet declares {size}: a contact list has at most {MAX_XLSX_ROWS:,} rows "
        f"and {MAX_XLSX_COLUMNS} columns; {_XLSX_HINT}"
    )


def _column_name(number: int) -> str:
    from openpyxl.utils import get_column_letter

    try:
        return str(get_column_letter(number))
    except ValueError:  # past XFD
        return f"#{number}"


def _why(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_TOO_DEEP = object()  # a list element that could not be decoded: nested too deeply
MAX_JSON_DEPTH = 8  # a contact is an object of values and lists of tags: 3 levels


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a decoded JSON value, counted no further than ``limit + 1``."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list) and level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        if isinstance(item, dict):
            todo.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, level + 1) for v in item)
    return deepest


def _json_elements(text: str) -> list[str] | None:
    """The texts of the top-level list's elements (or of ``{"contacts": [...]}``'s),
    found by a linear scan that needs no recursion; None when the text has no such list."""
    i, n = 0, len(text)
    while i < n and text[i].isspace():
        i += 1
    if i < n and text[i] == "{":
        m = re.search(r'"contacts"\s*:\s*\[', text)
        if m is None:
            return None
        i = m.end() - 1
    if i >= n or text[i] != "[":
        return None
    elements: list[str] = []
    depth, start, in_string, escaped = 0, i + 1, False, False
    for j in range(i, n):
        c = text[j]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                last = text[start:j].strip()
                if last:
                    elements.append(last)
                return elements
        elif c == "," and depth == 1:
            elements.append(text[start:j].strip())
            start = j + 1
    return elements


def _json_int(digits: str) -> int | str:
    """A JSON integer: as a number when it could be one a contact holds (a phone number
    written as one), else as its text, which that field then rejects. Python refuses to
    convert past 4,300 digits, and a number that long is no contact's anyway."""
    return int(digits) if len(digits) <= 30 else digits


def _json_rows(text: str, rejected: list[Rejected]) -> tuple[list[str], Rows]:
    items: list[Any]
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise ContactFileError(f"invalid JSON: {exc}") from None
    except RecursionError:
        # nested past Python's limit somewhere: decode the contacts one by one, so
        # the deep one is reported and the others kept
        elements = _json_elements(text)
        if elements is None:
            raise ContactFileError(
                f"JSON nested too deeply (a contact file is a list of objects; "
                f"at most {MAX_JSON_DEPTH} levels)"
            ) from None
        items = []
        for element in elements:
            try:
                items.append(json.loads(element, parse_int=_json_int))
            except RecursionError:
                items.append(_TOO_DEEP)
            except json.JSONDecodeError as exc:
                raise ContactFileError(f"invalid JSON: {exc}") from None
        data = items
    if isinstance(data, dict) and isinstance(data.get("contacts"), list):
        data = data["contacts"]
    if not isinstance(data, list):
        raise ContactFileError('expected a JSON list of objects (or {"contacts": [...]})')
    headers: dict[str, None] = {}
    rows: Rows = []
    for number, item in enumerate(data, start=1):
        if item is _TOO_DEEP or _depth(item, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            rejected.append(Rejected(number, f"nested more than {MAX_JSON_DEPTH} levels deep"))
            continue
        if not isinstance(item, dict):
            rejected.append(Rejected(number, "not a JSON object"))
            continue
        for key in item:
            headers.setdefault(str(key), None)
        rows.append((number, {str(k): _cell(v) for k, v in item.items()}))
    return list(headers), rows


# ---------------------------------------------------------------------- building


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return [t.strip() for t in re.split(r"[,;|]", str(value)) if t.strip()]


def _when(value: str) -> datetime | None:
    """The date in UTC (as the store keeps it), None when it is not a date.

    Raises OverflowError for a date UTC cannot hold (``9999-12-31T23:59:59-05:00``).
    """
    text = value.strip()
    for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# The store's column sizes, read from its model: PostgreSQL refuses a longer value, and
# would take the whole import down with it.
MAX_LENGTH: dict[str, int] = {
    name: cast(String, Contact.__table__.c[name].type).length or 0
    for name in ("first_name", "last_name", "email", "company")
}
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def _clean(value: Any, found: set[str]) -> Any:
    """``value`` without what no store can keep, each kind met added to ``found``: a lone
    UTF-16 surrogate (JSON's ``"\\ud800"``) cannot be encoded to UTF-8 (it becomes
    U+FFFD), and PostgreSQL refuses NUL in text (it is dropped)."""
    if isinstance(value, str):
        if value.isascii() and "\x00" not in value:
            return value

        def swap(m: re.Match[str]) -> str:
            if m.group() == "\x00":
                found.add("NUL dropped")
                return ""
            found.add("lone surrogate replaced by U+FFFD")
            return "\ufffd"

        return _UNSTORABLE.sub(swap, value)
    if isinstance(value, list):
        return [_clean(v, found) for v in value]
    if isinstance(value, dict):
        return {_clean(k, found): _clean(v, found) for k, v in value.items()}
    return value


def _clean_rows(headers: list[str], rows: Rows, notes: list[str]) -> tuple[list[str], Rows]:
    cleaned: Rows = []
    for number, values in rows:
        found: set[str] = set()
        cleaned.append((number, _clean(values, found)))
        if found:
            notes.append(f"row {number}: invalid character ({', '.join(sorted(found))})")
    found = set()
    headers = [_clean(h, found) for h in headers]
    if found:
        notes.append(f"header: invalid character ({', '.join(sorted(found))})")
    return headers, cleaned


def _contact(phone: str, values: dict[str, Any], columns: dict[str, str]) -> ContactData:
    data = ContactData(phone=phone)
    for header, value in values.items():
        name = columns.get(header)
        if name is None or name == "phone" or value in ("", None, []):
            continue
        text = value if isinstance(value, list) else str(value).strip()
        if name in MAX_LENGTH:
            if len(str(text)) > MAX_LENGTH[name]:
                raise ValueError(
                    f"{header}: {len(str(text))} characters, at most {MAX_LENGTH[name]}"
                )
            setattr(data, name, str(text))
        elif name == "tags":
            data.tags = _tags(value)
        elif name == "consent":
            data.consent = str(text).strip().lower() in _TRUE
        elif name == "consent_date":
            try:
                data.consent_at = _when(str(text))
            except OverflowError:
                raise ValueError(
                    f"{header}: consent date out of range: {str(text)[:40]!r} is before "
                    "year 1 or after year 9999 in UTC"
                ) from None
            if data.consent_at is None:
                raise ValueError(
                    f"{header}: {str(text)[:40]!r} is not a date (DD/MM/YYYY or ISO 8601); "
                    "a consent needs its real date"
                )
        elif name == "opted_out":
            data.opted_out = str(text).strip().lower() in _TRUE
        else:
            data.extra[name] = text
    if data.consent_at and data.consent is None:
        data.consent = True
    return data


def _merge_into(first: ContactData, later: ContactData) -> None:
    for name in ("first_name", "last_name", "email", "company", "consent_at"):
        value = getattr(later, name)
        if value:
            setattr(first, name, value)
    first.tags = list(dict.fromkeys([*first.tags, *later.tags]))
    first.extra.update(later.extra)
    if later.consent is not None:
        first.consent = bool(first.consent) or later.consent
    if later.opted_out is not None:
        first.opted_out = bool(first.opted_out) or later.opted_out


def read_contacts(
    path: str | Path, *, region: str = "FR", format: str | None = None
) -> ImportResult:
    """Read a contact file; raise :class:`ContactFileError` only if it is unreadable."""
    path = Path(path)
    try:
        data = read_file(path, limit=CONTACTS_LIMIT, what="the contact file")
    except UnreadableFile as exc:
        raise ContactFileError(f"cannot read {path}: {exc.reason}") from None
    fmt = (format or detect_format(path, data)).lower()
    if fmt not in FORMATS:
        raise ContactFileError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    result = ImportResult(path=str(path), format=fmt)
    if not data.strip():
        result.error = "the file is empty"
        return result
    if fmt == "xlsx":
        headers, rows = _xlsx_rows(path)
    else:
        text, result.encoding, note = decode_text(data)
        if note:
            result.notes.append(note)
        if fmt == "json":
            headers, rows = _json_rows(text, result.rejected)
        else:
            headers, rows = _csv_rows(text, result.notes, result.rejected)
    headers, rows = _clean_rows(headers, rows, result.notes)
    result.rows = len(rows) + len(result.rejected)
    result.columns = map_columns(headers)
    if not rows and not result.rejected:
        result.error = "no contact rows (only a header, or nothing)"
        return result
    phone_headers = [h for h, name in result.columns.items() if name == "phone"]
    if not phone_headers:
        expected = ", ".join(ALIASES["phone"][:6])
        result.error = (
            f"no phone column: found {', '.join(headers) or 'none'}; expected one of {expected}"
        )
        return result
    seen: dict[str, tuple[int, ContactData]] = {}
    for number, values in rows:
        raw = next((str(values[h]) for h in phone_headers if values.get(h)), "")
        try:
            phone = parse_phone(raw, region)
        except ValueError as exc:
            result.rejected.append(Rejected(number, str(exc)))
            continue
        try:
            contact = _contact(phone, values, result.columns)
        except ValueError as exc:
            result.rejected.append(Rejected(number, str(exc)))
            continue
        if phone in seen:
            first_row, first = seen[phone]
            _merge_into(first, contact)
            result.merged.append(Merged(number, first_row, phone))
        else:
            seen[phone] = (number, contact)
            result.contacts.append(contact)
    result.rejected.sort(key=lambda r: r.row)
    return result


def read_numbers(
    path: str | Path, *, region: str = "FR"
) -> tuple[list[str], list[Rejected], list[str]]:
    """A blocklist file: one number per line, or a CSV/XLSX/JSON with a phone column.

    Returns (E.164 numbers, rejected rows, notes).
    """
    path = Path(path)
    try:
        data = read_file(path, limit=CONTACTS_LIMIT, what="the contact file")
    except UnreadableFile as exc:
        raise ContactFileError(f"cannot read {path}: {exc.reason}") from None
    fmt = detect_format(path, data)
    if fmt == "csv":
        text, _, note = decode_text(data)
        notes = [note] if note else []
        lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
        lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
        first = lines[0][1] if lines else ""
        if lines and not any(ch.isalpha() for ch in first):  # no header: a plain list
            numbers: list[str] = []
            rejected: list[Rejected] = []
            for n, line in lines:
                try:
                    numbers.append(parse_phone(line, region))
                except ValueError as exc:
                    rejected.append(Rejected(n, str(exc)))
            return list(dict.fromkeys(numbers)), rejected, notes
    result = read_contacts(path, region=region, format=fmt)
    if result.error:
        raise ContactFileError(result.error)
    return [c.phone for c in result.contacts], result.rejected, result.notes
