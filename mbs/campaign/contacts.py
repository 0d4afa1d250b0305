"""Reading contact lists (CSV, XLSX, JSON) into validated, de-duplicated contacts.

Every row is either kept (its number parsed to E.164) or reported with its row number
and the reason; one bad row never sinks the file. Column names are matched in French
or English, accents and case ignored (``Téléphone``, ``tel``, ``numéro``, ``phone``...);
any other column becomes a template variable (``contact.<column>``). The same number
twice is merged: later non-empty values win, tags are unioned.

Numbers written the French national way for an overseas department (``0692 12 34 56``)
are given their own country code (+262), not +33: the French numbering plan shares
those prefixes, phonenumbers alone would not.
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
from typing import TYPE_CHECKING, Any

import phonenumbers

from mbs.campaign.store.records import ContactData

if TYPE_CHECKING:
    from mbs.campaign.store import Store

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

# National significant numbers of +33 that belong to an overseas territory.
_OVERSEAS_PREFIXES = {
    "262": "RE",
    "263": "RE",
    "692": "RE",
    "693": "RE",
    "269": "YT",
    "639": "YT",
    "590": "GP",
    "690": "GP",
    "691": "GP",
    "594": "GF",
    "694": "GF",
    "596": "MQ",
    "696": "MQ",
    "697": "MQ",
    "508": "PM",
}


class ContactFileError(Exception):
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


# ---------------------------------------------------------------------- numbers


def parse_phone(raw: str, region: str = "FR") -> str:
    """A phone number as written by a human -> E.164, or ValueError saying why not."""
    text = str(raw).strip()
    if re.fullmatch(r"\d+\.0", text):  # a spreadsheet number read as a float
        text = text[:-2]
    if not text:
        raise ValueError("missing phone number")
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        raise ValueError(f"unreadable phone number {text!r}") from None
    if number.country_code == 33:
        national = str(number.national_number)
        territory = _OVERSEAS_PREFIXES.get(national[:3])
        if territory and len(national) == 9:
            overseas = phonenumbers.parse("0" + national, territory)
            if phonenumbers.is_valid_number(overseas):
                number = overseas
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"invalid phone number {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
        return data.decode("utf-16"), "utf-16", None
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


def _csv_rows(text: str, notes: list[str]) -> tuple[list[str], Rows]:
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    rows: Rows = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if headers is None:
                headers = [cell.strip() for cell in record]
                continue
            values = dict(zip(headers, (c.strip() for c in record), strict=False))
            if len(record) > len(headers):
                notes.append(
                    f"row {reader.line_num}: {len(record) - len(headers)} extra cells ignored"
                )
            rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise ContactFileError(f"malformed CSV near line {reader.line_num}: {exc}") from None
    return headers or [], rows


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


def _xlsx_rows(path: Path) -> tuple[list[str], Rows]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ContactFileError(f"not a readable XLSX workbook ({exc})") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return [], []
        headers: list[str] | None = None
        rows: Rows = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in record]
            if not any(str(c).strip() for c in cells):
                continue
            if headers is None:
                headers = [str(c) for c in cells]
                continue
            rows.append((number, dict(zip(headers, cells, strict=False))))
        return headers or [], rows
    finally:
        book.close()


def _json_rows(text: str, rejected: list[Rejected]) -> tuple[list[str], Rows]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContactFileError(f"invalid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("contacts"), list):
        data = data["contacts"]
    if not isinstance(data, list):
        raise ContactFileError('expected a JSON list of objects (or {"contacts": [...]})')
    headers: dict[str, None] = {}
    rows: Rows = []
    for number, item in enumerate(data, start=1):
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
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _contact(phone: str, values: dict[str, Any], columns: dict[str, str]) -> ContactData:
    data = ContactData(phone=phone)
    for header, value in values.items():
        name = columns.get(header)
        if name is None or name == "phone" or value in ("", None, []):
            continue
        text = value if isinstance(value, list) else str(value).strip()
        if name in ("first_name", "last_name", "email", "company"):
            setattr(data, name, str(text))
        elif name == "tags":
            data.tags = _tags(value)
        elif name == "consent":
            data.consent = str(text).strip().lower() in _TRUE
        elif name == "consent_date":
            data.consent_at = _when(str(text))
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
        data = path.read_bytes()
    except OSError as exc:
        raise ContactFileError(f"cannot read {path}: {exc.strerror or exc}") from None
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
            headers, rows = _csv_rows(text, result.notes)
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
        contact = _contact(phone, values, result.columns)
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
        data = path.read_bytes()
    except OSError as exc:
        raise ContactFileError(f"cannot read {path}: {exc.strerror or exc}") from None
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


@dataclass(frozen=True)
class SaveReport:
    created: int
    updated: int
    added_to_campaign: int
    campaign_created: bool


def save_contacts(
    store: Store, result: ImportResult, *, now: datetime, campaign: str | None = None
) -> SaveReport:
    """Write the good contacts to the store and, with ``campaign``, enrol them in it.

    A campaign that does not exist yet is created bare (no scenario: ``mbs run``
    fills it in from the campaign file).
    """
    upserted = store.upsert_contacts(result.contacts, now=now)
    added, created = 0, False
    if campaign:
        if store.get_campaign(campaign) is None:
            store.create_campaign(campaign, now=now, exist_ok=True)
            created = True
        added = store.add_to_campaign(campaign, upserted.ids.values(), now=now)
    return SaveReport(upserted.created, upserted.updated, added, created)
