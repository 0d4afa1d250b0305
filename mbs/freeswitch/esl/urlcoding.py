"""FreeSWITCH's URL coding of event header values (``switch_url_encode``/``_decode``).

FreeSWITCH percent-encodes, as uppercase ``%XX`` per UTF-8 byte, every byte below 0x20 or
above 0x7E and each of ``\\r\\n #%&+:;<=>?@[\\]^`{|}"``. A ``%`` already followed by two
uppercase hex digits is kept as it is (no double encoding), and an empty value is written
``_undef_``. Decoding turns ``%XX`` (either case) back into bytes and reads them as UTF-8;
bytes that are not UTF-8 survive as surrogate escapes so a round trip is byte exact.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

UNDEF = "_undef_"

# Characters FreeSWITCH escapes, plus a '%' that does not start an uppercase %XX.
_UNSAFE = re.compile(r'[^\x21-\x7e]|[#&+:;<=>?@\[\\\]^`{|}"]|%(?![0-9A-F]{2})')


def _escape(match: re.Match[str]) -> str:
    raw = match.group(0).encode("utf-8", "surrogateescape")
    return "".join(f"%{b:02X}" for b in raw)


def url_encode(value: str) -> str:
    """Encode a header value exactly as FreeSWITCH writes it in text/event-plain."""
    if not value:
        return UNDEF
    return _UNSAFE.sub(_escape, value)


def url_decode(text: str) -> str:
    """Decode a header value read from text/event-plain (``_undef_`` means empty)."""
    if text == UNDEF:
        return ""
    if "%" not in text:
        return text
    return unquote(text, encoding="utf-8", errors="surrogateescape")
