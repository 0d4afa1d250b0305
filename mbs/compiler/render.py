"""Diagnostics for people (rustc-like text) and for tools (one JSON object per line)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping

from mbs.compiler.diagnostics import Diagnostic

_WIDTH = 120


def _source_line(d: Diagnostic, sources: Mapping[str, str] | None) -> str | None:
    if d.source_line is not None:
        return d.source_line
    text = sources.get(d.file) if sources is not None else None
    if text is None:
        return None
    lines = text.split("\n")
    return lines[d.span.line - 1].rstrip("\r") if 0 < d.span.line <= len(lines) else None


def render_one(d: Diagnostic, sources: Mapping[str, str] | None = None) -> str:
    span = d.span
    out = [f"{span.file}:{span.line}:{span.col}: {d.severity}[{d.code}]: {d.message}"]
    line = _source_line(d, sources)
    if line is not None:
        line = line.replace("\t", " ")
        col = span.col
        if len(line) > _WIDTH:  # show a window of a long line around the span
            start = max(0, min(col - 1 - _WIDTH // 3, len(line) - _WIDTH))
            line = ("…" if start else "") + line[start : start + _WIDTH]
            col = col - start + (1 if start else 0)
            span = dataclasses.replace(
                span, col=col, end_col=span.end_col - start + (1 if start else 0)
            )
        shown = line
        number = str(span.line)
        pad = " " * len(number)
        width = (
            (span.end_col - span.col) if span.end_line == span.line else len(line) - span.col + 1
        )
        width = max(1, min(width, max(1, len(line) - span.col + 1)))
        out.append(f" {pad} |")
        out.append(f" {number} | {shown}")
        out.append(f" {pad} | {' ' * (span.col - 1)}{'^' * width}")
        if d.hint:
            out.append(f" {pad} = help: {d.hint}")
    elif d.hint:
        out.append(f"  = help: {d.hint}")
    return "\n".join(out)


def render_text(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, str] | None = None,
    summary: bool = True,
) -> str:
    """All diagnostics, blank-line separated, then (with ``summary``) a count line;
    "" when there are none."""
    items = list(diagnostics)
    if not items:
        return ""
    errors = sum(d.is_error for d in items)
    warnings = len(items) - errors
    parts = [render_one(d, sources) for d in items]
    if not summary:
        return "\n\n".join(parts) + "\n\n"
    counts = []
    if errors:
        counts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        counts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return "\n\n".join(parts) + "\n\n" + " and ".join(counts) + "\n"


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """One compact JSON object per diagnostic, one per line."""
    return "".join(
        json.dumps(d.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
        for d in diagnostics
    )
