"""Syntax errors: Lark's exceptions turned into problems that say what was expected,
and recovery so that one run reports the errors of several declarations."""

from __future__ import annotations

import re
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from mbs.dsl import ast
from mbs.dsl.problems import Problem, suggest

_GENERIC_HELP = "compare the line with the forms in docs/language.md"
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "DURATION": "a duration (6s, 500ms, 2min)",
    "WORD": "a word",
    "$END": "the end of the file",
}


def _pattern(lark: Lark, terminal: str) -> Any:
    try:
        return lark.get_terminal(terminal).pattern
    except KeyError:
        return None


def _describe(lark: Lark, terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    try:
        pattern = lark.get_terminal(terminal).pattern
    except KeyError:
        return terminal
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return terminal.lower()


def _expected(lark: Lark, names: set[str] | frozenset[str]) -> str:
    words = sorted({_describe(lark, n) for n in names}, key=lambda w: (not w.startswith("a"), w))
    if not words:
        return "something else"
    if len(words) > 20:
        words = [*words[:20], "..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


_DECLARATIONS = {
    "KW_SCENARIO", "KW_USE", "KW_IMPORT", "KW_INTENT", "KW_OBJECTIONS", "KW_PERSONALITY",
    "KW_OBJECTIVE", "KW_AMD", "KW_ALWAYS", "KW_STEP",
}  # fmt: skip


def _hint(lark: Lark, tok: Token, expected: set[str]) -> str:
    """Help for the mistakes people make most."""
    if tok.type == "$END" and "RBRACE" in expected:
        return "a block opened with `{` is not closed: add the missing `}`"
    if tok.type in _DECLARATIONS and "RBRACE" in expected:
        return "is a `}` missing above? The block before this line is not closed"
    if expected == {"STRING"} and tok.type in ("NAME", "WORD", "NUMBER"):
        return 'texts are written between double quotes: "..."'
    literals = {str(p.value) for n in expected if (p := _pattern(lark, n)) is not None}
    if literals == {"->"}:
        return "a transition reads `on CASE -> TARGET` (or `otherwise -> TARGET`)"
    if "=>" in literals:
        return 'an objection reads `"objection" | "other phrasing" => "response"`'
    return _GENERIC_HELP


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    text = str(tok)
    if tok.type == "STRING":
        return f"{text[:30]}{'...' if len(text) > 30 else ''}"
    if tok.type in ("NAME", "WORD", "NUMBER", "DURATION"):
        return f"`{text}`"
    return f"`{text}`"


def syntax_problem(lark: Lark, text: str, file: str, exc: UnexpectedInput) -> Problem:
    line = exc.line if isinstance(exc.line, int) and exc.line > 0 else 1
    col = exc.column if isinstance(exc.column, int) and exc.column > 0 else 1
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream if isinstance(exc.pos_in_stream, int) else -1
        char = text[pos] if 0 <= pos < len(text) else ""
        span = ast.Span(file, line, col, line, col + 1)
        if char == '"':
            rest = text[pos:].split("\n", 1)[0]
            return Problem("UnterminatedString", ast.Span(file, line, col, line, col + len(rest)))
        return Problem(
            "SyntaxError",
            span,
            {
                "found": f"`{char}`" if char.strip() else repr(char),
                "expected": _expected(lark, exc.allowed),
                "help": _GENERIC_HELP,
            },
        )
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            lines = text.split("\n")
            line = len(lines)
            col = len(lines[-1]) + 1
            span = ast.Span(file, line, col, line, col + 1)
        else:
            width = max(1, (tok.end_column or col + 1) - col) if tok.end_line == line else 1
            span = ast.Span(file, line, col, line, col + width)
        args = {
            "found": _found(tok),
            "expected": _expected(lark, exc.expected),
            "help": _GENERIC_HELP,
        }
        args["help"] = _hint(lark, tok, set(exc.expected))
        if tok.type in ("NAME", "WORD"):  # a misspelt keyword?
            keywords = [
                str(p.value)
                for n in exc.expected
                if (p := _pattern(lark, n)) is not None and p.type == "str"
            ]
            if close := suggest(str(tok), keywords):
                args["suggestion"] = close
        return Problem("SyntaxError", span, args)
    if isinstance(exc, UnexpectedEOF):
        lines = text.split("\n")
        span = ast.Span(file, len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 2)
        return Problem(
            "SyntaxError",
            span,
            {
                "found": "end of file",
                "expected": _expected(lark, set(exc.expected)),
                "help": _GENERIC_HELP,
            },
        )
    return Problem(
        "SyntaxError",
        ast.Span(file, line, col, line, col + 1),
        {"found": "input", "expected": "something else", "help": _GENERIC_HELP},
    )


MAX_SYNTAX_ERRORS = 20
# A line that starts a top-level declaration: where parsing resumes after an error.
_RESYNC = re.compile(
    r"^(?:scenario|use|import|intent|objections|personality|objective|amd|always|step)\b",
    re.MULTILINE,
)


def too_deep(file: str) -> Problem:
    deep = {
        "found": "input nested too deeply",
        "expected": "a shallower structure",
        "help": "split the file or reduce its nesting",
    }
    return Problem("SyntaxError", ast.Span.point(file), deep)


def more_errors(lark: Lark, text: str, file: str, first: Problem) -> list[Problem]:
    """Syntax errors after the first one, each from the next declaration on."""
    found: list[Problem] = []
    line = first.span.line
    budget = 3 * len(text) + 100_000  # characters re-parsed, at most
    while len(found) < MAX_SYNTAX_ERRORS - 1:
        offset = _line_offset(text, line)  # start of the line after the error
        m = _RESYNC.search(text, offset) if offset is not None else None
        if m is None:
            return found
        # Blank out what precedes, keeping the newlines, so positions stay the same.
        rest = "\n" * text.count("\n", 0, m.start()) + text[m.start() :]
        budget -= len(text) - m.start()
        if budget < 0:
            return found
        try:
            lark.parse(rest)
            return found
        except UnexpectedInput as exc:
            problem = syntax_problem(lark, rest, file, exc)
        except RecursionError:
            return found
        if problem.span.line <= line:
            return found
        found.append(problem)
        line = problem.span.line
    return found


def _line_offset(text: str, line: int) -> int | None:
    """Offset of the start of line ``line + 1`` (1-based), None past the end."""
    pos = 0
    for _ in range(line):
        pos = text.find("\n", pos)
        if pos < 0:
            return None
        pos += 1
    return pos
