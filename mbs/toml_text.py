"""TOML text for the files mbs writes for people and for itself to read back (the
console's campaign files, `mbs freeswitch config`'s switch profile).

`tomllib` only reads. These few functions write the subset those files use: strings
(every control character escaped, toml.io "String"), numbers, booleans, dates and
times, arrays, inline tables inside arrays, and nested tables.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_ESCAPES |= {"\f": "\\f", "\r": "\\r"}
_MUST_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return _ESCAPES.get(c) or f"\\u{ord(c):04X}"


def toml_string(text: str) -> str:
    """A TOML basic string."""
    return '"' + _MUST_ESCAPE.sub(_escape, text) + '"'


def toml_key(key: str) -> str:
    """A key, bare when TOML allows it, else quoted."""
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value: Any) -> str:
    """A value; TypeError for what TOML cannot hold (None, objects)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # TOML reads Python's inf, -inf, nan and 1e-05 alike
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, date | time):  # datetime too: TOML's literals are ISO 8601
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # inside an array: an inline table
        pairs = (f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def toml_document(data: dict[str, Any], prefix: str = "") -> str:
    """``data`` as a document: its plain keys, then a ``[table]`` per nested dict."""
    plain = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [
        toml_document(v, f"{prefix}{toml_key(k)}.") for k, v in data.items() if isinstance(v, dict)
    ]
    # an empty table keeps its header, so that it is still there when read back
    head = f"[{prefix[:-1]}]\n" if prefix and (plain or not tables) else ""
    return head + "".join(line + "\n" for line in plain) + "".join("\n" + t for t in tables)
