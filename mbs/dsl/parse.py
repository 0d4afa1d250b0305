"""Text to syntax tree. Never raises on user input: problems come back as data.

The parser is Lark's LALR, fed by a contextual lexer (:mod:`mbs.dsl.lexer`), with an
inline transformer that builds :mod:`mbs.dsl.ast` nodes directly (no intermediate
parse tree). A problem names a diagnostic of the compiler's registry
(``mbs.compiler.diagnostics``) by its PascalCase name, with the values its message
needs; the dsl layer does not import the compiler. Syntax errors and recovery live in
:mod:`mbs.dsl.syntax_errors`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from mbs.dsl import ast
from mbs.dsl.lexer import MbsLexer
from mbs.dsl.problems import ParseResult, Problem
from mbs.dsl.syntax_errors import more_errors, syntax_problem, too_deep

__all__ = ["ParseResult", "Problem", "parse"]


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)")
_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|min|s)")
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000}


@dataclass(frozen=True, slots=True)
class _Part:
    """A piece of a rule (a freestyle body, a choice list) and the token closing it."""

    values: Any
    end: Token


def _pos(item: Any, last: bool) -> tuple[int, int] | None:
    """The start (or end) position of a child: a token, a node, or a tuple of them."""
    if isinstance(item, _Part):
        return _pos(item.end, last) if last else _pos(item.values, last)
    if isinstance(item, dict):
        return _pos(list(item.values()), last)
    if isinstance(item, Token):
        if last:
            return (item.end_line or item.line or 1, item.end_column or (item.column or 1) + 1)
        return (item.line or 1, item.column or 1)
    if isinstance(item, ast.Node):
        sp = item.span
        return (sp.end_line, sp.end_col) if last else (sp.line, sp.col)
    if isinstance(item, tuple | list):
        seq = reversed(item) if last else iter(item)
        for sub in seq:
            found = _pos(sub, last)
            if found is not None:
                return found
    return None


class _Builder(Transformer[Token, Any]):
    """Builds AST nodes while the parser reduces (an inline transformer).

    Keywords and closing brackets are named terminals, so each rule sees its first and
    last tokens and its span comes from them; value tokens (names, strings, numbers)
    become nodes here. ``file`` and ``problems`` are set for each parse.
    """

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = "<string>"
        self.problems: list[Problem] = []

    # ------------------------------------------------------------------ helpers

    def _span(self, children: list[Any]) -> ast.Span:
        if not children:
            return ast.Span.point(self.file)
        first, last = children[0], children[-1]
        # Fast paths: most rules start with a keyword token and end with a token or a node.
        start: Any
        end: Any
        start = (first.line, first.column) if type(first) is Token else _pos(children, False)
        if type(last) is Token:
            end = (last.end_line, last.end_column)
        elif isinstance(last, ast.Node):
            end = (last.span.end_line, last.span.end_col)
        else:
            end = _pos(children, True)
        if start is None or end is None:
            return ast.Span.point(self.file)
        return ast.Span(self.file, start[0], start[1], end[0], end[1])

    def _tspan(self, tok: Token) -> ast.Span:
        return ast.Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)  # type: ignore[arg-type]

    def _v(self, item: Any) -> Any:
        """A value token as a node (keywords and brackets stay tokens)."""
        if not isinstance(item, Token):
            return item
        kind = item.type
        if kind == "NAME":
            return ast.Ident(self._tspan(item), str(item))
        if kind == "STRING":
            return self._string(item)
        if kind == "WORD":
            return ast.Str(self._tspan(item), str(item), str(item))
        if kind == "NUMBER":
            return ast.Number(self._tspan(item), float(item), str(item))
        if kind == "DURATION":
            m = _DURATION_RE.fullmatch(str(item))
            assert m is not None  # the grammar's regex guarantees the shape
            ms = round(float(m.group(1)) * _UNIT_MS[m.group(2)])
            return ast.Duration(self._tspan(item), ms, str(item))
        return item

    def _values(self, children: list[Any]) -> list[Any]:
        """The children that carry meaning: nodes and values, without keywords."""
        out = []
        for c in children:
            v = self._v(c)
            if not isinstance(v, Token):
                out.append(v)
        return out

    def _string(self, tok: Token) -> ast.Str:
        raw = str(tok)[1:-1]
        span = self._tspan(tok)
        if "\\" not in raw:
            return ast.Str(span, raw, raw)

        def decode(m: re.Match[str]) -> str:
            esc = m.group(1)
            if esc in _ESCAPES:
                return _ESCAPES[esc]
            if esc[0] == "u" and len(esc) == 5 and not 0xD800 <= int(esc[1:], 16) <= 0xDFFF:
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

        return ast.Str(span, _ESCAPE_RE.sub(decode, raw), raw)

    # ------------------------------------------------------------------ module

    def start(self, c: list[Any]) -> ast.Module:
        return ast.Module(self._span(c), tuple(c))

    def dotted(self, c: list[Any]) -> ast.Ident:
        return ast.Ident(self._span(c), ".".join(str(t) for t in c))

    def use(self, c: list[Any]) -> ast.Use:
        return ast.Use(self._span(c), c[1])

    def import_(self, c: list[Any]) -> ast.Import:
        return ast.Import(self._span(c), self._v(c[1]))

    # ------------------------------------------------------------------ header

    def scenario(self, c: list[Any]) -> ast.ScenarioDecl:
        v = self._values(c)
        title = v[1] if len(v) > 1 and isinstance(v[1], ast.Str) else None
        items = tuple(x for x in v[1:] if isinstance(x, ast.HeaderItem))
        return ast.ScenarioDecl(self._span(c), v[0], title, items)

    def _make_header(self, key: str, c: list[Any]) -> ast.HeaderItem:
        return ast.HeaderItem(self._span(c), key, tuple(self._values(c)))

    def h_language(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("language", c)

    def h_objective(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("objective", c)

    def h_theme(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("theme", c)

    def h_personality(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("personality", c)

    def h_agent(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("agent", c)

    def h_voice(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("voice", c)

    def h_max_turns(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("max_turns", c)

    def h_record(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("record", c)

    def h_barge_in(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("barge_in", c)

    def h_timeout(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("timeout", c)

    def h_threshold(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("threshold", c)

    def h_fields(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("fields", c)

    def h_start(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("start", c)

    def h_disclosure(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("disclosure", c)

    def h_company(self, c: list[Any]) -> ast.HeaderItem:
        return self._make_header("company", c)

    # ------------------------------------------------------------------ declarations

    def intent(self, c: list[Any]) -> ast.IntentDecl:
        v = self._values(c)
        examples = tuple(x for x in v[1:] if isinstance(x, ast.Str))
        keywords: tuple[ast.Str, ...] = next((x for x in v[1:] if isinstance(x, tuple)), ())
        return ast.IntentDecl(self._span(c), v[0], examples, keywords)

    def keywords(self, c: list[Any]) -> tuple[ast.Str, ...]:
        return tuple(self._values(c))

    def objections(self, c: list[Any]) -> ast.ObjectionsDecl:
        v = self._values(c)
        return ast.ObjectionsDecl(self._span(c), v[0], tuple(v[1:]))

    def objection(self, c: list[Any]) -> ast.ObjectionEntry:
        *texts, answer = self._values(c)
        span = self._span(c)
        if isinstance(answer, tuple):  # ("audio", Str)
            return ast.ObjectionEntry(span, texts[0], tuple(texts[1:]), None, answer[1])
        first, *more = answer.values
        return ast.ObjectionEntry(span, texts[0], tuple(texts[1:]), first, None, tuple(more))

    def responses(self, c: list[Any]) -> _Part:
        return _Part(list(self._values(c)), c[-1])

    def audio(self, c: list[Any]) -> tuple[str, ast.Str]:
        return ("audio", self._v(c[1]))

    def personality(self, c: list[Any]) -> ast.PersonalityDecl:
        v = self._values(c)
        extends = next((x for x in v[1:] if isinstance(x, ast.Ident)), None)
        traits = tuple(x for x in v[1:] if isinstance(x, ast.Trait))
        return ast.PersonalityDecl(self._span(c), v[0], extends, traits)

    def extends(self, c: list[Any]) -> ast.Ident:
        return cast(ast.Ident, self._v(c[1]))

    def _make_trait(self, key: str, c: list[Any]) -> ast.Trait:
        return ast.Trait(self._span(c), key, self._v(c[1]))

    def tone(self, c: list[Any]) -> ast.Trait:
        return self._make_trait("tone", c)

    def style(self, c: list[Any]) -> ast.Trait:
        return self._make_trait("style", c)

    def example(self, c: list[Any]) -> ast.Trait:
        return self._make_trait("example", c)

    def objective(self, c: list[Any]) -> ast.ObjectiveDecl:
        v = self._values(c)
        guidance = tuple(s for kind, vals in v[1:] if kind == "guidance" for s in vals)
        reach = tuple(r for kind, vals in v[1:] if kind == "reach" for r in vals)
        return ast.ObjectiveDecl(self._span(c), v[0], guidance, reach)

    def guidance(self, c: list[Any]) -> tuple[str, list[Any]]:
        return ("guidance", self._values(c))

    def reach(self, c: list[Any]) -> tuple[str, list[Any]]:
        return ("reach", self._values(c))

    def amd(self, c: list[Any]) -> ast.AmdDecl:
        v = self._values(c)
        machine = tuple(s for kind, vals in v if kind == "machine" for s in vals)
        human = tuple(s for kind, vals in v if kind == "human" for s in vals)
        return ast.AmdDecl(self._span(c), machine, human)

    def machine(self, c: list[Any]) -> tuple[str, list[Any]]:
        return ("machine", self._values(c))

    def human(self, c: list[Any]) -> tuple[str, list[Any]]:
        return ("human", self._values(c))

    def always(self, c: list[Any]) -> ast.AlwaysDecl:
        return ast.AlwaysDecl(self._span(c), tuple(self._values(c)))

    # ------------------------------------------------------------------ steps

    def step(self, c: list[Any]) -> ast.StepDecl:
        v = self._values(c)
        actions = tuple(x for x in v[1:] if not isinstance(x, ast.Transition))
        transitions = tuple(x for x in v[1:] if isinstance(x, ast.Transition))
        return ast.StepDecl(self._span(c), v[0], actions, transitions)

    def say(self, c: list[Any]) -> ast.Say:
        return ast.Say(self._span(c), self._v(c[1]), len(c) > 2)

    def play(self, c: list[Any]) -> ast.Play:
        return ast.Play(self._span(c), self._v(c[1]), len(c) > 2)

    def ask(self, c: list[Any]) -> ast.Ask:
        timeout = next((x for x in c[2:] if isinstance(x, ast.Duration)), None)
        return ast.Ask(self._span(c), self._v(c[1]), timeout, "uninterruptible" in c[2:])

    def listen(self, c: list[Any]) -> ast.Listen:
        return ast.Listen(self._span(c), c[1] if len(c) > 1 else None)

    def timeout(self, c: list[Any]) -> ast.Duration:
        return cast(ast.Duration, self._v(c[1]))

    def uninterruptible(self, c: list[Any]) -> str:
        return "uninterruptible"

    def freestyle(self, c: list[Any]) -> ast.Freestyle:
        limit = next((x for x in c if isinstance(x, ast.Number)), None)
        body: dict[str, ast.Str] = c[-1].values if isinstance(c[-1], _Part) else {}
        return ast.Freestyle(
            self._span(c), limit, body.get("context"), body.get("goal"), body.get("fallback")
        )

    def max(self, c: list[Any]) -> ast.Number:
        return cast(ast.Number, self._v(c[1]))

    def freestyle_body(self, c: list[Any]) -> _Part:
        return _Part(dict(x for x in c if isinstance(x, tuple)), c[-1])

    def context(self, c: list[Any]) -> tuple[str, ast.Str]:
        return ("context", self._v(c[1]))

    def goal(self, c: list[Any]) -> tuple[str, ast.Str]:
        return ("goal", self._v(c[1]))

    def fallback(self, c: list[Any]) -> tuple[str, ast.Str]:
        return ("fallback", self._v(c[1]))

    def capture(self, c: list[Any]) -> ast.Capture:
        extra = c[2] if len(c) > 2 else None
        if isinstance(extra, ast.Ident):
            return ast.Capture(self._span(c), self._v(c[1]), None, extra)
        return ast.Capture(self._span(c), self._v(c[1]), extra.values if extra else None)

    def capture_kind(self, c: list[Any]) -> ast.Ident:
        ident: ast.Ident = self._v(c[1])
        return ident

    def confirm(self, c: list[Any]) -> ast.Confirm:
        timeout = next((x for x in c[3:] if isinstance(x, ast.Duration)), None)
        return ast.Confirm(
            self._span(c), self._v(c[1]), self._v(c[2]), timeout, "uninterruptible" in c[3:]
        )

    def choices(self, c: list[Any]) -> _Part:
        return _Part(tuple(x for x in self._values(c) if x is not None), c[-1])

    def set_(self, c: list[Any]) -> ast.SetVar:
        return ast.SetVar(self._span(c), self._v(c[1]), self._v(c[2]))

    def transfer(self, c: list[Any]) -> ast.TransferTo:
        return ast.TransferTo(self._span(c), self._v(c[1]))

    def opt_out(self, c: list[Any]) -> ast.OptOut:
        return ast.OptOut(self._span(c))

    def end(self, c: list[Any]) -> ast.EndCall:
        return ast.EndCall(self._span(c), self._v(c[1]))

    # ------------------------------------------------------------------ transitions

    def on(self, c: list[Any]) -> ast.Transition:
        return ast.Transition(self._span(c), c[1], c[2])

    def otherwise(self, c: list[Any]) -> ast.Transition:
        return ast.Transition(self._span(c), ast.Case(self._tspan(c[0]), "otherwise"), c[1])

    def case_name(self, c: list[Any]) -> ast.Case:
        name = self._v(c[0])
        return ast.Case(name.span, "name", name=name)

    def case_dtmf(self, c: list[Any]) -> ast.Case:
        return ast.Case(self._span(c), "dtmf", digit=self._v(c[1]))

    def goto(self, c: list[Any]) -> ast.Goto:
        name = self._v(c[0])
        return ast.Goto(name.span, name)

    def end_target(self, c: list[Any]) -> ast.EndTarget:
        return ast.EndTarget(self._span(c), self._v(c[1]))

    def retry(self, c: list[Any]) -> ast.Retry:
        v = self._values(c)
        line = v[1] if len(v) == 3 else None
        return ast.Retry(self._span(c), v[0], line, v[-1])

    def answer(self, c: list[Any]) -> ast.Answer:
        v = self._values(c)
        return ast.Answer(self._span(c), v[0], v[1])


_lock = threading.Lock()


@cache
def _parser(lexer: str = "mbs") -> tuple[Lark, _Builder]:
    """The parser and its builder; ``lexer="contextual"`` uses Lark's own (for tests)."""
    builder = _Builder()
    grammar = resources.files("mbs.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    lark = Lark(
        grammar,
        parser="lalr",
        lexer=MbsLexer if lexer == "mbs" else "contextual",
        maybe_placeholders=False,
        transformer=builder,
        cache=False,
    )
    return lark, builder


def parse(text: str, file: str = "<string>", lexer: str = "mbs") -> ParseResult:
    """Parse ``text`` (the contents of ``file``) into a module, or report why not.

    After a syntax error, parsing resumes at the next line that starts a declaration
    (in column 1), so one run reports the errors of several declarations; the module
    is then None.
    """
    lark, builder = _parser(lexer)
    with _lock:
        builder.file = file
        builder.problems = []
        try:
            module: Any = lark.parse(text)
        except UnexpectedInput as exc:
            first = syntax_problem(lark, text, file, exc)
            return ParseResult(None, (first, *more_errors(lark, text, file, first)))
        except RecursionError:
            return ParseResult(None, (too_deep(file),))
        problems = tuple(builder.problems)
    if not isinstance(module, ast.Module):  # an empty file parses to an empty module
        module = ast.Module(ast.Span.point(file), ())
    return ParseResult(module, problems)
