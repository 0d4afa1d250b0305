"""Typed reads of a builtin's config mapping.

Settings arrive as strings from the command line (``--nlu-opt timeout=2``) or typed
from a campaign file; these helpers accept both and turn a wrong value into a
:class:`BuiltinError` that names the builtin and the key.
"""

from __future__ import annotations

from collections.abc import Mapping

from mbs.runtime.builtins.base import BuiltinError


def get_str(config: Mapping[str, object], key: str, default: str, *, owner: str) -> str:
    value = config.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BuiltinError(f"{owner}: setting {key!r} must be text, got {value!r}")
    return str(value)


def get_float(
    config: Mapping[str, object],
    key: str,
    default: float,
    *,
    owner: str,
    minimum: float | None = None,
) -> float:
    value = config.get(key, default)
    if isinstance(value, bool):
        raise BuiltinError(f"{owner}: setting {key!r} must be a number, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BuiltinError(f"{owner}: setting {key!r} must be a number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise BuiltinError(f"{owner}: setting {key!r} must be at least {minimum}, got {number}")
    return number


def get_int(
    config: Mapping[str, object],
    key: str,
    default: int,
    *,
    owner: str,
    choices: tuple[int, ...] | None = None,
) -> int:
    value = config.get(key, default)
    if isinstance(value, bool):
        raise BuiltinError(f"{owner}: setting {key!r} must be an integer, got {value!r}")
    try:
        number: int = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise BuiltinError(f"{owner}: setting {key!r} must be an integer, got {value!r}") from None
    if choices is not None and number not in choices:
        allowed = ", ".join(str(c) for c in choices)
        raise BuiltinError(f"{owner}: setting {key!r} must be one of {allowed}, got {number}")
    return number
