"""The typed options of a builtin: each factory declares them as ``Options``.

A factory's class attribute ``Options`` is a pydantic model with ``extra="forbid"``:
its fields are the keys a ``[builtins.<name>]`` table or ``--<kind>-opt`` may set, with
their types and defaults. The registry reads it without building the builtin (no model
loaded, no program compiled), so ``mbs campaign check`` refuses a misspelt or mistyped
option before anything runs, and ``docs/builtins.md`` lists the same fields.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mbs.runtime.builtins.base import BuiltinError

M = TypeVar("M", bound=BaseModel)


class BuiltinOptions(BaseModel):
    """Base of every builtin's ``Options``: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(BuiltinOptions):
    """A builtin that takes no option."""


# ``json_schema_extra`` of an option that names a file or folder: relative to the
# campaign file that sets it (``PATH``), or a path when one is there and else a name
# (``PATH_OR_NAME``: an installed Vosk model is named, a folder of one is a path).
PATH: dict[str, Any] = {"path": "path"}
PATH_OR_NAME: dict[str, Any] = {"path": "or-name"}


def rebase_paths(
    model: type[BaseModel], config: Mapping[str, object], base: Path
) -> dict[str, object]:
    """``config`` with its relative path options (marked ``PATH`` or ``PATH_OR_NAME``)
    made relative to ``base``, the folder of the file that set them."""
    out = dict(config)
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        kind = extra.get("path") if isinstance(extra, dict) else None
        value = out.get(name)
        if not kind or not isinstance(value, str) or not value or Path(value).is_absolute():
            continue
        candidate = base / value
        if kind == "path" or "/" in value or candidate.exists():
            out[name] = str(candidate)
    return out


def read_options(model: type[M], config: Mapping[str, object], *, owner: str) -> M:
    """``config`` as ``model`` (text from the command line converted), or a
    :class:`BuiltinError` naming the builtin and the first bad key."""
    try:
        return model.model_validate(dict(config))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "?"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = f"unknown setting (known: {', '.join(model.model_fields)})"
        raise BuiltinError(f"{owner}: setting {key!r}: {message}") from None


def _type_name(annotation: Any) -> str:
    """A field's type as the docs show it: ``int``, ``str or none``, ``'male' or
    'female' or none``."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Literal:
        return " or ".join(repr(a) for a in args)
    if args and type(None) in args:  # Optional[X], X | None
        inner = [a for a in args if a is not type(None)]
        return " or ".join([*(_type_name(a) for a in inner), "none"])
    origin = typing.get_origin(annotation)
    if args and origin in (types.UnionType, typing.Union):  # X | Y
        return " or ".join(_type_name(a) for a in args)
    if args:  # list[str], dict[str, Any]
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def option_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) per field, for the generated docs tables."""
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        kind = _type_name(annotation)
        if field.is_required():
            shown = "required"
        else:
            default: Any = field.get_default(call_default_factory=True)
            shown = "none" if default is None else repr(default)
        rows.append((name, kind, shown, field.description or ""))
    return rows
