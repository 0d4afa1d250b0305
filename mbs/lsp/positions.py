"""Between compiler spans and LSP positions.

Spans are 1-based lines and columns counted in code points (Python ``str`` indices).
LSP positions are 0-based, with the column counted in the code units of the encoding
the client and server agreed on: UTF-16 unless the client offers another. "é" is one
unit in UTF-16 but two in UTF-8; "👋" is two in UTF-16 and one code point.
"""

from __future__ import annotations

from lsprotocol import types

from mbs.dsl.ast import Span

UTF16 = "utf-16"
UTF8 = "utf-8"
UTF32 = "utf-32"


def _units(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == UTF8:
        return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    if encoding == UTF32:
        return 1
    return 2 if cp >= 0x10000 else 1


def to_units(line: str, col: int, encoding: str = UTF16) -> int:
    """Code units before code point ``col`` (0-based) of ``line``; past its end, its length."""
    return sum(_units(ch, encoding) for ch in line[: max(col, 0)])


def from_units(line: str, units: int, encoding: str = UTF16) -> int:
    """The code point index at ``units`` code units into ``line`` (clamped to the line)."""
    seen = 0
    for i, ch in enumerate(line):
        if seen >= units:
            return i
        seen += _units(ch, encoding)
    return len(line)


class LineIndex:
    """A text's lines, for converting positions both ways."""

    def __init__(self, text: str) -> None:
        self.lines = [line.rstrip("\r") for line in text.split("\n")]

    def line(self, n: int) -> str:
        """Line ``n`` (0-based), "" past the end."""
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def position(self, line1: int, col1: int, encoding: str = UTF16) -> types.Position:
        """The LSP position of 1-based ``line1``:``col1`` (clamped into the text)."""
        n = min(max(line1 - 1, 0), max(len(self.lines) - 1, 0))
        if line1 - 1 > n:  # past the last line: its end
            return types.Position(n, to_units(self.line(n), len(self.line(n)), encoding))
        return types.Position(n, to_units(self.line(n), col1 - 1, encoding))

    def range(self, span: Span, encoding: str = UTF16) -> types.Range:
        start = self.position(span.line, span.col, encoding)
        end = self.position(span.end_line, span.end_col, encoding)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return types.Range(start, end)

    def offset(self, pos: types.Position, encoding: str = UTF16) -> tuple[int, int]:
        """An LSP position as a 1-based line and column in code points."""
        line = self.line(pos.line)
        return pos.line + 1, from_units(line, pos.character, encoding) + 1


def contains(span: Span, line1: int, col1: int) -> bool:
    """True when 1-based ``line1``:``col1`` falls in ``span`` (its end included, so a
    cursor just after a name still points at it)."""
    return (span.line, span.col) <= (line1, col1) <= (span.end_line, span.end_col)
