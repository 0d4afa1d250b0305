"""The typed options of a builtin: each factory declares them as ``Options``.

A factory's class attribute ``Options`` is a pydantic model with ``extra="forbid"``:
its fields are the keys a ``[builtins.<name>]`` table or ``--<kind>-opt`` may set, with
their types and defaults. The registry reads it without building the builtin (no model
loaded, no program compiled), so ``mbs campaign check`` refuses a misspelt or mistyped
option before anything runs, and ``docs/builtins.md`` lists the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mbs.runtime.builtins.base import BuiltinError

M = TypeVar("M", bound=BaseModel)


class BuiltinOptions(BaseModel):
    """Base of every builtin's ``Options``: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(BuiltinOptions):
    """A builtin that takes no option."""


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


def option_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) per field, for the generated docs tables."""
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        kind = getattr(annotation, "__name__", None) or str(annotation)
        if kind.startswith("Literal") or "|" in str(annotation):
            kind = str(annotation).replace("typing.", "")
        kind = kind.replace(" | None", " or none").replace("|", "or")
        default: Any = field.get_default(call_default_factory=True)
        shown = "none" if default is None else repr(default)
        rows.append((name, kind, shown, field.description or ""))
    return rows
