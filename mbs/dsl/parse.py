"""Text to syntax tree. Never raises on user input: problems come back as data.

The parser is Lark's LALR with the contextual lexer and an inline transformer that
builds :mod:`mbs.dsl.ast` nodes directly (no intermediate parse tree). A problem names
a diagnostic of the compiler's registry (``mbs.compiler.diagnostics``) by its
PascalCase name, with the values its message needs; the dsl layer does not import the
compiler.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

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


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)")
_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|min|s)")
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000}


class _Builder(Transformer[Token, Any]):
    """Builds AST nodes; ``file`` and ``problems`` are set for each parse."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=True)
        self.file = "<string>"
        self.problems: list[Problem] = []

    # ------------------------------------------------------------------ helpers

    def _span(self, meta: Any) -> ast.Span:
        if getattr(meta, "empty", True):
            return ast.Span.point(self.file)
        return ast.Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> ast.Span:
        line = tok.line or 1
        col = tok.column or 1
        return ast.Span(self.file, line, col, tok.end_line or line, tok.end_column or col + 1)

    # ------------------------------------------------------------------ terminals

    def NAME(self, tok: Token) -> ast.Ident:
        return ast.Ident(self._tspan(tok), str(tok))

    def WORD(self, tok: Token) -> ast.Str:
        return ast.Str(self._tspan(tok), str(tok), str(tok))

    def STRING(self, tok: Token) -> ast.Str:
        raw = str(tok)[1:-1]
        span = self._tspan(tok)

        def decode(m: re.Match[str]) -> str:
            esc = m.group(1)
            if esc in _ESCAPES:
                return _ESCAPES[esc]
            if esc[0] == "u" and len(esc) == 5:
                return chr(int(esc[1:], 16))
            col = span.col + 1 + m.start()
            self.problems.append(
                Problem(
                    "InvalidEscape",
                    ast.Span(self.file, span.line, col, span.line, col + len(m.group(0))),
                    {"escape": m.group(0)},
                )
            )
            return esc

        value = _ESCAPE_RE.sub(decode, raw) if "\\" in raw else raw
        return ast.Str(span, value, raw)

    def NUMBER(self, tok: Token) -> ast.Number:
        return ast.Number(self._tspan(tok), float(tok), str(tok))

    def DURATION(self, tok: Token) -> ast.Duration:
        m = _DURATION_RE.fullmatch(str(tok))
        assert m is not None  # the grammar's regex guarantees the shape
        ms = round(float(m.group(1)) * _UNIT_MS[m.group(2)])
        return ast.Duration(self._tspan(tok), ms, str(tok))

    # ------------------------------------------------------------------ module

    @v_args(meta=True)
    def start(self, meta: Any, children: list[Any]) -> ast.Module:
        span = ast.Span.point(self.file)
        if children:
            first, last = children[0].span, children[-1].span
            span = ast.Span(self.file, first.line, first.col, last.end_line, last.end_col)
        return ast.Module(span, tuple(children))

    @v_args(meta=True)
    def dotted(self, meta: Any, children: list[ast.Ident]) -> ast.Ident:
        return ast.Ident(self._span(meta), ".".join(c.name for c in children))

    @v_args(meta=True)
    def use(self, meta: Any, c: list[Any]) -> ast.Use:
        return ast.Use(self._span(meta), c[0])

    @v_args(meta=True)
    def import_(self, meta: Any, c: list[Any]) -> ast.Import:
        return ast.Import(self._span(meta), c[0])

    # ------------------------------------------------------------------ header

    @v_args(meta=True)
    def scenario(self, meta: Any, c: list[Any]) -> ast.ScenarioDecl:
        name = c[0]
        title = c[1] if len(c) > 1 and isinstance(c[1], ast.Str) else None
        items = tuple(x for x in c[1:] if isinstance(x, ast.HeaderItem))
        return ast.ScenarioDecl(self._span(meta), name, title, items)

    def __default__(self, data: Any, children: Any, meta: Any) -> Any:
        name = str(data)
        if name.startswith("h_"):
            return ast.HeaderItem(self._span(meta), name[2:], tuple(children))
        raise NotImplementedError(name)  # a grammar rule without a builder: a bug

    # ------------------------------------------------------------------ declarations

    @v_args(meta=True)
    def intent(self, meta: Any, c: list[Any]) -> ast.IntentDecl:
        examples = tuple(x for x in c[1:] if isinstance(x, ast.Str))
        keywords: tuple[ast.Str, ...] = next((x for x in c[1:] if isinstance(x, tuple)), ())
        return ast.IntentDecl(self._span(meta), c[0], examples, keywords)

    def keywords(self, c: list[ast.Str]) -> tuple[ast.Str, ...]:
        return tuple(c)

    @v_args(meta=True)
    def objections(self, meta: Any, c: list[Any]) -> ast.ObjectionsDecl:
        return ast.ObjectionsDecl(self._span(meta), c[0], tuple(c[1:]))

    @v_args(meta=True)
    def objection(self, meta: Any, c: list[Any]) -> ast.ObjectionEntry:
        *texts, answer = c
        if isinstance(answer, tuple):  # ("audio", Str)
            return ast.ObjectionEntry(self._span(meta), texts[0], tuple(texts[1:]), None, answer[1])
        return ast.ObjectionEntry(self._span(meta), texts[0], tuple(texts[1:]), answer, None)

    def audio(self, c: list[ast.Str]) -> tuple[str, ast.Str]:
        return ("audio", c[0])

    @v_args(meta=True)
    def personality(self, meta: Any, c: list[Any]) -> ast.PersonalityDecl:
        extends = next((x for x in c[1:] if isinstance(x, ast.Ident)), None)
        traits = tuple(x for x in c[1:] if isinstance(x, ast.Trait))
        return ast.PersonalityDecl(self._span(meta), c[0], extends, traits)

    def extends(self, c: list[ast.Ident]) -> ast.Ident:
        return c[0]

    @v_args(meta=True)
    def tone(self, meta: Any, c: list[Any]) -> ast.Trait:
        return ast.Trait(self._span(meta), "tone", c[0])

    @v_args(meta=True)
    def style(self, meta: Any, c: list[Any]) -> ast.Trait:
        return ast.Trait(self._span(meta), "style", c[0])

    @v_args(meta=True)
    def example(self, meta: Any, c: list[Any]) -> ast.Trait:
        return ast.Trait(self._span(meta), "example", c[0])

    @v_args(meta=True)
    def objective(self, meta: Any, c: list[Any]) -> ast.ObjectiveDecl:
        guidance = tuple(s for kind, vals in c[1:] if kind == "guidance" for s in vals)
        reach = tuple(r for kind, vals in c[1:] if kind == "reach" for r in vals)
        return ast.ObjectiveDecl(self._span(meta), c[0], guidance, reach)

    def guidance(self, c: list[ast.Str]) -> tuple[str, list[ast.Str]]:
        return ("guidance", c)

    def reach(self, c: list[ast.Ident]) -> tuple[str, list[ast.Ident]]:
        return ("reach", c)

    @v_args(meta=True)
    def amd(self, meta: Any, c: list[Any]) -> ast.AmdDecl:
        machine = tuple(s for kind, vals in c if kind == "machine" for s in vals)
        human = tuple(s for kind, vals in c if kind == "human" for s in vals)
        return ast.AmdDecl(self._span(meta), machine, human)

    def machine(self, c: list[ast.Str]) -> tuple[str, list[ast.Str]]:
        return ("machine", c)

    def human(self, c: list[ast.Str]) -> tuple[str, list[ast.Str]]:
        return ("human", c)

    @v_args(meta=True)
    def always(self, meta: Any, c: list[Any]) -> ast.AlwaysDecl:
        return ast.AlwaysDecl(self._span(meta), tuple(c))

    # ------------------------------------------------------------------ steps

    @v_args(meta=True)
    def step(self, meta: Any, c: list[Any]) -> ast.StepDecl:
        actions = tuple(x for x in c[1:] if not isinstance(x, ast.Transition))
        transitions = tuple(x for x in c[1:] if isinstance(x, ast.Transition))
        return ast.StepDecl(self._span(meta), c[0], actions, transitions)

    @v_args(meta=True)
    def say(self, meta: Any, c: list[Any]) -> ast.Say:
        return ast.Say(self._span(meta), c[0], len(c) > 1)

    @v_args(meta=True)
    def play(self, meta: Any, c: list[Any]) -> ast.Play:
        return ast.Play(self._span(meta), c[0], len(c) > 1)

    @v_args(meta=True)
    def ask(self, meta: Any, c: list[Any]) -> ast.Ask:
        timeout = next((x for x in c[1:] if isinstance(x, ast.Duration)), None)
        return ast.Ask(self._span(meta), c[0], timeout, "uninterruptible" in c[1:])

    @v_args(meta=True)
    def listen(self, meta: Any, c: list[Any]) -> ast.Listen:
        return ast.Listen(self._span(meta), c[0] if c else None)

    def timeout(self, c: list[ast.Duration]) -> ast.Duration:
        return c[0]

    def uninterruptible(self, c: list[Any]) -> str:
        return "uninterruptible"

    @v_args(meta=True)
    def freestyle(self, meta: Any, c: list[Any]) -> ast.Freestyle:
        limit = next((x for x in c if isinstance(x, ast.Number)), None)
        body: dict[str, ast.Str] = next((x for x in c if isinstance(x, dict)), {})
        return ast.Freestyle(
            self._span(meta), limit, body.get("context"), body.get("goal"), body.get("fallback")
        )

    def max(self, c: list[ast.Number]) -> ast.Number:
        return c[0]

    def freestyle_body(self, c: list[tuple[str, ast.Str]]) -> dict[str, ast.Str]:
        return dict(c)

    def context(self, c: list[ast.Str]) -> tuple[str, ast.Str]:
        return ("context", c[0])

    def goal(self, c: list[ast.Str]) -> tuple[str, ast.Str]:
        return ("goal", c[0])

    def fallback(self, c: list[ast.Str]) -> tuple[str, ast.Str]:
        return ("fallback", c[0])

    @v_args(meta=True)
    def capture(self, meta: Any, c: list[Any]) -> ast.Capture:
        return ast.Capture(self._span(meta), c[0], c[1] if len(c) > 1 else None)

    def choices(self, c: list[Any]) -> tuple[ast.Str, ...]:
        return tuple(x for x in c if x is not None)

    @v_args(meta=True)
    def set_(self, meta: Any, c: list[Any]) -> ast.SetVar:
        return ast.SetVar(self._span(meta), c[0], c[1])

    @v_args(meta=True)
    def transfer(self, meta: Any, c: list[Any]) -> ast.TransferTo:
        return ast.TransferTo(self._span(meta), c[0])

    @v_args(meta=True)
    def opt_out(self, meta: Any, c: list[Any]) -> ast.OptOut:
        return ast.OptOut(self._span(meta))

    @v_args(meta=True)
    def end(self, meta: Any, c: list[Any]) -> ast.EndCall:
        return ast.EndCall(self._span(meta), c[0])

    # ------------------------------------------------------------------ transitions

    @v_args(meta=True)
    def on(self, meta: Any, c: list[Any]) -> ast.Transition:
        return ast.Transition(self._span(meta), c[0], c[1])

    @v_args(meta=True)
    def otherwise(self, meta: Any, c: list[Any]) -> ast.Transition:
        span = self._span(meta)
        case_span = ast.Span(self.file, span.line, span.col, span.line, span.col + 9)
        return ast.Transition(span, ast.Case(case_span, "otherwise"), c[0])

    @v_args(meta=True)
    def case_name(self, meta: Any, c: list[Any]) -> ast.Case:
        return ast.Case(self._span(meta), "name", name=c[0])

    @v_args(meta=True)
    def case_dtmf(self, meta: Any, c: list[Any]) -> ast.Case:
        return ast.Case(self._span(meta), "dtmf", digit=c[0])

    @v_args(meta=True)
    def goto(self, meta: Any, c: list[Any]) -> ast.Goto:
        return ast.Goto(self._span(meta), c[0])

    @v_args(meta=True)
    def end_target(self, meta: Any, c: list[Any]) -> ast.EndTarget:
        return ast.EndTarget(self._span(meta), c[0])

    @v_args(meta=True)
    def retry(self, meta: Any, c: list[Any]) -> ast.Retry:
        line = c[1] if len(c) == 3 else None
        return ast.Retry(self._span(meta), c[0], line, c[-1])

    @v_args(meta=True)
    def answer(self, meta: Any, c: list[Any]) -> ast.Answer:
        return ast.Answer(self._span(meta), c[0], c[1])


_lock = threading.Lock()


@cache
def _parser() -> tuple[Lark, _Builder]:
    builder = _Builder()
    grammar = resources.files("mbs.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    lark = Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=False,
    )
    return lark, builder


# ------------------------------------------------------------------ syntax errors

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


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    text = str(tok)
    if tok.type == "STRING":
        return f"the string {text[:30]}{'...' if len(text) > 30 else ''}"
    if tok.type in ("NAME", "WORD", "NUMBER", "DURATION"):
        return f"`{text}`"
    return f"`{text}`"


def _syntax_problem(lark: Lark, text: str, file: str, exc: UnexpectedInput) -> Problem:
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
        if tok.type == "$END" and "RBRACE" in exc.expected:
            args["help"] = "a block opened with `{` is not closed: add the missing `}`"
        if tok.type in ("NAME", "WORD"):  # a misspelt keyword?
            keywords = [
                str(p.value)
                for n in exc.expected
                if (p := _pattern(lark, n)) is not None and p.type == "str"
            ]
            close = difflib.get_close_matches(str(tok), keywords, n=1, cutoff=0.6)
            if close:
                args["suggestion"] = close[0]
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


def parse(text: str, file: str = "<string>") -> ParseResult:
    """Parse ``text`` (the contents of ``file``) into a module, or report why not."""
    lark, builder = _parser()
    with _lock:
        builder.file = file
        builder.problems = []
        try:
            module = builder.transform(lark.parse(text))
        except UnexpectedInput as exc:
            return ParseResult(None, (_syntax_problem(lark, text, file, exc),))
        except RecursionError:
            deep = {
                "found": "input nested too deeply",
                "expected": "a shallower structure",
                "help": "split the file or reduce its nesting",
            }
            return ParseResult(None, (Problem("SyntaxError", ast.Span.point(file), deep),))
        problems = tuple(builder.problems)
    if not isinstance(module, ast.Module):  # an empty file parses to an empty module
        module = ast.Module(ast.Span.point(file), ())
    return ParseResult(module, problems)
