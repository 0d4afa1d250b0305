"""Reading contact files: formats, encodings, column names, numbers, duplicates, bad rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from mbs.campaign.contacts import (
    ContactFileError,
    map_columns,
    normalise_column,
    parse_phone,
    read_contacts,
    read_numbers,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("612345678", "+33612345678"),  # a spreadsheet dropped the leading 0
        ("612345678.0", "+33612345678"),
        ("01 99 00 12 34", "+33199001234"),
        ("0692 12 34 56", "+262692123456"),  # Réunion mobile, national format
        ("0262 30 12 34", "+262262301234"),  # Réunion landline
        ("+262 692 12 34 56", "+262692123456"),
        ("0596 30 12 34", "+596596301234"),  # Martinique, not +33 596...
        ("0696 20 12 34", "+596696201234"),
        ("0590 20 12 34", "+590590201234"),  # Guadeloupe
        ("0269 61 23 45", "+262269612345"),  # Mayotte
    ],
)
def test_parse_phone(raw: str, e164: str) -> None:
    assert parse_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("01 23 45", "invalid"),
        ("pas de numéro", "unreadable"),
        ("0899 99 99 99 99", "invalid"),
        ("+33 6 12", "invalid"),
    ],
)
def test_parse_phone_rejects(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_phone(raw)


def test_region_option() -> None:
    assert parse_phone("0470 12 34 56", "BE") == "+32470123456"
    assert parse_phone("0470 12 34 56", "FR") == "+33470123456"  # Allier


def test_column_names_french_and_english() -> None:
    assert normalise_column("Numéro de Téléphone") == "numero_de_telephone"
    mapping = map_columns(
        ["Téléphone", "Prénom", "NOM", "E-mail", "Société", "Étiquettes", "Code Postal", "Ville"]
    )
    assert mapping == {
        "Téléphone": "phone",
        "Prénom": "first_name",
        "NOM": "last_name",
        "E-mail": "email",
        "Société": "company",
        "Étiquettes": "tags",
        "Code Postal": "code_postal",
        "Ville": "ville",
    }
    assert map_columns(["tel", "first_name", "last_name", "mail", "entreprise"]) == {
        "tel": "phone",
        "first_name": "first_name",
        "last_name": "last_name",
        "mail": "email",
        "entreprise": "company",
    }


def test_semicolon_csv_with_extra_columns_and_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        "prénom;nom;téléphone;société;tags;ville\n"
        "Jeanne;Moreau;06 12 34 56 78;Acme;vip,salon;Lyon\n"
        "Paul;Girard;01 23;Beta;;Nancy\n"
        "\n"
        ";Moreau-Dupont;+33612345678;;relance;\n"
        "Luc;Petit;0692 12 34 56;;;Le Tampon\n",
    )
    result = read_contacts(path)
    assert result.error is None and result.rows == 4
    assert [c.phone for c in result.contacts] == ["+33612345678", "+262692123456"]
    jeanne = result.contacts[0]
    assert (jeanne.first_name, jeanne.last_name, jeanne.company) == (
        "Jeanne",
        "Moreau-Dupont",
        "Acme",
    )
    assert jeanne.tags == ["vip", "salon", "relance"] and jeanne.extra == {"ville": "Lyon"}
    assert [(m.row, m.into_row) for m in result.merged] == [(5, 2)]
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "invalid phone number '01 23'")]


def test_cp1252_file_is_read_and_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "Prénom,Nom,Tel\nHélène,Lefèvre,06 12 34 56 78\n", "cp1252")
    result = read_contacts(path)
    assert result.encoding == "cp1252" and any("not UTF-8" in n for n in result.notes)
    assert result.contacts[0].first_name == "Hélène" and result.contacts[0].last_name == "Lefèvre"


def test_utf8_bom_does_not_hide_the_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "téléphone;nom\n0612345678;Roux\n", "utf-8-sig")
    result = read_contacts(path)
    assert result.columns["téléphone"] == "phone" and len(result.contacts) == 1


def test_missing_phone_column(tmp_path: Path) -> None:
    path = write(tmp_path, "nophone.csv", "nom,prénom\nRoux,Léa\n")
    result = read_contacts(path)
    assert not result.contacts and result.error and "no phone column" in result.error


@pytest.mark.parametrize("text", ["", "\n\n  \n", "téléphone;nom\n"])
def test_empty_files(tmp_path: Path, text: str) -> None:
    result = read_contacts(write(tmp_path, "e.csv", text))
    assert not result.contacts and result.error


def test_binary_and_missing_files_are_unreadable(tmp_path: Path) -> None:
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(b"\x00\x01\x02binary\x00")
    with pytest.raises(ContactFileError, match="binary"):
        read_contacts(garbage)
    with pytest.raises(ContactFileError, match="XLSX"):
        read_contacts(write(tmp_path, "fake.xlsx", "not a workbook"))
    with pytest.raises(ContactFileError, match="cannot read"):
        read_contacts(tmp_path / "absent.csv")


def test_consent_and_opt_out_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        "tel,consentement,date_consentement,opposition\n"
        "0612345678,oui,15/01/2026,\n"
        "0611111111,,,oui\n"
        "0622222222,non,,\n",
    )
    a, b, c = read_contacts(path).contacts
    assert a.consent is True and a.consent_at == datetime(2026, 1, 15, tzinfo=UTC)
    assert b.opted_out is True and b.consent is None
    assert c.consent is False


def test_xlsx(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Téléphone", "Prénom", "Nom", "Date de naissance", "Montant"])
    sheet.append([612345678, "Inès", "Blanc", date(1980, 5, 17), 1500.0])
    sheet.append([None, "Sans", "Numéro", None, None])
    sheet.append(["0596 30 12 34", "Rose", "Joly", None, 12.5])
    path = tmp_path / "c.xlsx"
    book.save(path)
    result = read_contacts(path)
    assert result.format == "xlsx"
    assert [c.phone for c in result.contacts] == ["+33612345678", "+596596301234"]
    assert result.contacts[0].extra == {"date_de_naissance": "1980-05-17", "montant": "1500"}
    assert result.contacts[1].extra == {"montant": "12.5"}
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "missing phone number")]


def test_json_variants(tmp_path: Path) -> None:
    items = [
        {"phone": "+33612345678", "first_name": "Léa", "tags": ["a", "b"], "score": 3},
        "not an object",
        {"phone": "nope"},
        {"telephone": "0611111111", "company": "Duval SA"},
    ]
    result = read_contacts(write(tmp_path, "c.json", json.dumps(items)))
    assert [c.phone for c in result.contacts] == ["+33612345678", "+33611111111"]
    assert result.contacts[0].tags == ["a", "b"] and result.contacts[0].extra == {"score": "3"}
    assert [(r.row, r.reason.split(" ")[0]) for r in result.rejected] == [
        (2, "not"),
        (3, "unreadable"),
    ]
    wrapped = read_contacts(write(tmp_path, "w.json", json.dumps({"contacts": items[:1]})))
    assert len(wrapped.contacts) == 1
    with pytest.raises(ContactFileError, match="invalid JSON"):
        read_contacts(write(tmp_path, "bad.json", "[{"))
    with pytest.raises(ContactFileError, match="list of objects"):
        read_contacts(write(tmp_path, "obj.json", '{"a": 1}'))


def test_format_is_detected_from_content_without_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "contacts", json.dumps([{"tel": "0612345678"}]))
    assert read_contacts(path).format == "json"


def test_examples() -> None:
    good = read_contacts(EXAMPLES / "contacts.csv")
    assert len(good.contacts) >= 60 and not good.rejected and not good.merged
    prefixes = {c.phone[:4] for c in good.contacts}
    assert {"+262", "+596"} <= prefixes
    bad = read_contacts(EXAMPLES / "contacts-demo-bad.csv")
    assert bad.rejected and bad.merged and bad.contacts


def test_read_numbers_plain_and_with_header(tmp_path: Path) -> None:
    plain = write(tmp_path, "b.txt", "# opposition list\n06 12 34 56 78\n\nbad\n+33611111111\n")
    numbers, rejected, _ = read_numbers(plain)
    assert numbers == ["+33612345678", "+33611111111"]
    assert [(r.row, r.reason.split(" ")[0]) for r in rejected] == [(4, "unreadable")]
    table = write(tmp_path, "b.csv", "nom;numéro\nX;0612345678\nY;0611111111\n")
    numbers, rejected, _ = read_numbers(table)
    assert numbers == ["+33612345678", "+33611111111"] and not rejected
