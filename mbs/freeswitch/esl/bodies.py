"""Event bodies: the text/event-plain and text/event-json encodings (``switch_event.c``).

Plain: ``Name: urlencode(value)\\n`` per header in order, then either ``\\n`` or
``Content-Length: M\\n\\n`` and M bytes of body. JSON: a flat object of strings, as
cJSON prints it unformatted, with the body under ``Content-Length`` and ``_body``.
"""

from __future__ import annotations

import json
from typing import Any

from mbs.freeswitch.esl.errors import LocalProtocolError, RemoteProtocolError
from mbs.freeswitch.esl.headers import Headers
from mbs.freeswitch.esl.urlcoding import url_encode

_ARRAY = "ARRAY::"
_ARRAY_SEP = "|:"


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def body_length(body: str) -> int:
    """Content-Length counts bytes, not characters."""
    return len(_bytes(body)) if not body.isascii() else len(body)


def decode_plain(data: bytes) -> tuple[Headers, str]:
    """Headers and body of a text/event-plain payload (values decoded on lookup)."""
    if data == b"\n":
        return Headers(), ""
    end = data.find(b"\n\n")
    if end < 0:
        raise RemoteProtocolError("event-plain payload has no end of headers")
    block = data[:end].decode("utf-8", "surrogateescape")
    # Well-formed (values are URL-coded, so no ": " inside): one ": " per line and no
    # empty name; then one split in C gives names and values alternately.
    lines = block.count("\n") + 1
    flat = block.replace("\n", ": ").split(": ")
    names, values = flat[0::2], flat[1::2]
    if len(flat) != 2 * lines or "" in names:
        parts = [_loose(*line.partition(": ")) for line in block.split("\n")]
        names, values = [p[0] for p in parts], [p[2] for p in parts]
    body_len = -1
    if names[-1] == "Content-Length":  # FreeSWITCH writes the body's length last
        last_value = values[-1]
        if not (last_value.isascii() and last_value.isdigit()):
            raise RemoteProtocolError(f"invalid inner Content-Length {last_value!r}")
        body_len = int(last_value)
        names.pop()
        values.pop()
    rest = data[end + 2 :]
    if body_len < 0:
        if rest:
            raise RemoteProtocolError("bytes after an event-plain payload without a body")
        body = ""
    elif len(rest) != body_len:
        raise RemoteProtocolError(
            f"inner Content-Length {body_len} does not match the {len(rest)} bytes left"
        )
    else:
        body = _text(rest)
    return Headers.from_coded(names, values), body


def _loose(name: str, sep: str, value: str) -> tuple[str, str, str]:
    """A header line not in ``Name: value`` form: ``Name:value`` passes, others fail."""
    if not sep:
        name, sep, value = name.partition(":")
        if not sep:
            raise RemoteProtocolError(f"event header line without a colon: {name[:80]!r}")
    if not name:
        raise RemoteProtocolError("event header without a name")
    return name, sep, value


_LINES: dict[tuple[str, str], str] = {}  # a header line, encoded: most repeat
_LINES_MAX = 8192


def encode_plain(headers: Headers, body: str) -> bytes:
    cache = _LINES
    parts = []
    for pair in headers.pairs:
        line = cache.get(pair)
        if line is None:
            line = f"{pair[0]}: {url_encode(pair[1])}\n"
            if len(cache) >= _LINES_MAX:
                cache.clear()
            cache[pair] = line
        parts.append(line)
    if body:
        parts.append(f"Content-Length: {body_length(body)}\n\n")
        parts.append(body)
    else:
        parts.append("\n")
    return _bytes("".join(parts))


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs (JSON arrays stay plain lists)."""


def decode_json(data: bytes) -> tuple[Headers, str]:
    """Headers and body of a text/event-json payload (duplicates and order kept)."""
    try:
        obj = json.loads(data.decode("utf-8"), object_pairs_hook=_Pairs)
    except (ValueError, RecursionError) as exc:
        raise RemoteProtocolError(f"invalid event-json payload: {exc}") from None
    if not isinstance(obj, _Pairs):
        raise RemoteProtocolError("event-json payload is not an object")
    body: str | None = None
    pairs: list[tuple[str, str]] = []
    for name, value in obj:
        if type(value) is list and all(isinstance(v, str) for v in value):
            value = _ARRAY + _ARRAY_SEP.join(value)
        elif not isinstance(value, str):
            raise RemoteProtocolError(f"event-json header {name!r} is not a string")
        if name == "_body":
            body = value
        else:
            pairs.append((name, value))
    if body is not None:
        pairs = [(n, v) for n, v in pairs if n != "Content-Length"]
    try:
        return Headers(pairs), body or ""
    except LocalProtocolError as exc:
        raise RemoteProtocolError(str(exc)) from None


def _json_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def encode_json(headers: Headers, body: str) -> bytes:
    items: list[str] = []
    for name, value in headers.pairs:
        if value.startswith(_ARRAY):
            array = ",".join(_json_str(v) for v in value[len(_ARRAY) :].split(_ARRAY_SEP))
            items.append(f"{_json_str(name)}:[{array}]")
        else:
            items.append(f"{_json_str(name)}:{_json_str(value)}")
    if body:
        items.append(f'"Content-Length":"{body_length(body)}"')
        items.append(f'"_body":{_json_str(body)}')
    return _bytes("{" + ",".join(items) + "}")
