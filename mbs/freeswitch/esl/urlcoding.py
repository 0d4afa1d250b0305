"""FreeSWITCH's URL coding of event header values (``switch_url_encode``/``_decode``).

FreeSWITCH percent-encodes, as uppercase ``%XX`` per UTF-8 byte, every byte below 0x20 or
above 0x7E and each of ``\\r\\n #%&+:;<=>?@[\\]^`{|}"``. A ``%`` already followed by two
uppercase hex digits is kept as it is (no double encoding), and an empty value is written
``_undef_``. Decoding turns ``%XX`` (either case) back into bytes and reads them as UTF-8;
bytes that are not UTF-8 survive as surrogate escapes so a round trip is byte exact.
"""

from __future__ import annotations

import re

UNDEF = "_undef_"
_HEX2 = {
    f"{a}{b}": int(a + b, 16) for a in "0123456789abcdefABCDEF" for b in "0123456789abcdefABCDEF"
}
_CACHE: dict[str, str] = {}  # many encoded values repeat from event to event
_CACHE_MAX = 4096

# Characters FreeSWITCH escapes, plus a '%' that does not start an uppercase %XX.
_UNSAFE = re.compile(r'[^\x21-\x7e]|[#&+:;<=>?@\[\\\]^`{|}"]|%(?![0-9A-F]{2})')


def _escape(match: re.Match[str]) -> str:
    raw = match.group(0).encode("utf-8", "surrogateescape")
    return "".join(f"%{b:02X}" for b in raw)


_ENCODED: dict[str, str] = {}  # the simulator writes the same values over and over


def url_encode(value: str) -> str:
    """Encode a header value exactly as FreeSWITCH writes it in text/event-plain."""
    if not value:
        return UNDEF
    cached = _ENCODED.get(value)
    if cached is None:
        cached = _UNSAFE.sub(_escape, value)
        if len(_ENCODED) >= _CACHE_MAX:
            _ENCODED.clear()
        _ENCODED[value] = cached
    return cached


def url_decode(text: str) -> str:
    """Decode a header value read from text/event-plain (``_undef_`` means empty)."""
    if "%" not in text:
        return "" if text == UNDEF else text
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    parts = text.split("%")
    out = bytearray(parts[0].encode("utf-8", "surrogateescape"))
    for part in parts[1:]:
        byte = _HEX2.get(part[:2])
        if byte is None:
            out += b"%" + part.encode("utf-8", "surrogateescape")
        else:
            out.append(byte)
            out += part[2:].encode("utf-8", "surrogateescape")
    value = out.decode("utf-8", "surrogateescape")
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[text] = value
    return value
