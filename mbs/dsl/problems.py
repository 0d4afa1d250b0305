"""What the dsl layer reports: problems named after the compiler's diagnostics."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mbs.dsl import ast


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding of the dsl layer, rendered by the compiler's diagnostic registry."""

    name: str  # a DiagnosticDescriptor name, e.g. "SyntaxError"
    span: ast.Span
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParseResult:
    module: ast.Module | None
    problems: tuple[Problem, ...]


def suggest(name: str, candidates: Iterable[str]) -> str:
    """The candidate closest to a misspelt ``name`` ("did you mean"), or ""."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else ""
