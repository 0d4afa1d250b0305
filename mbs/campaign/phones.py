"""Phone numbers as people write them, to E.164.

Numbers written the French national way for an overseas department (``0692 12 34 56``)
are given their own country code (+262), not +33: the French numbering plan shares
those prefixes, phonenumbers alone would not.
"""

from __future__ import annotations

import re

import phonenumbers

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


def _shown(text: str, most: int = 40) -> str:
    """``text`` quoted for a message, cut at ``most`` characters: a rejection reason
    quotes what was written, never a whole 100 MB cell."""
    if len(text) <= most:
        return repr(text)
    return f"{text[:most]!r}… ({len(text):,} characters)"


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
        raise ValueError(f"unreadable phone number {_shown(text)}") from None
    if number.country_code == 33:
        national = str(number.national_number)
        territory = _OVERSEAS_PREFIXES.get(national[:3])
        if territory and len(national) == 9:
            overseas = phonenumbers.parse("0" + national, territory)
            if phonenumbers.is_valid_number(overseas):
                number = overseas
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"invalid phone number {_shown(text)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
