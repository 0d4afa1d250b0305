"""Texts: each is a jinja2 template over known variables; spoken lines stay short; the
first lines announce the recording and disclose that an automated assistant speaks;
company facts come from the header."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import jinja2
from jinja2 import meta, nodes

from mbs.compiler.scope import Context
from mbs.dsl import ast
from mbs.program import COMPANY_FACTS
from mbs.template_rules import FILTERS as TEMPLATE_FILTERS
from mbs.template_rules import GLOBALS as TEMPLATE_GLOBALS
from mbs.template_rules import LOOP_ATTRIBUTES
from mbs.template_rules import METHODS as TEMPLATE_METHODS

CONTACT_FIELDS = ("first_name", "last_name", "phone", "email", "company", "tags")
AGENT_FIELDS = ("name", "company", "gender")
BUILTIN_VARIABLES = ("callback_when",)  # set by the VM: the call-back time the prospect said
# Words that tell the prospect a machine speaks (EU AI Act, article 50), accents folded.
_DISCLOSURE = re.compile(
    r"\b(automati\w*|robot\w*|virtuel\w*|intelligence artificielle|ia|voix de synthese"
    r"|synthese vocale|programme informatique|machine)\b"
)
MAX_WORDS = 40

# What a text may use beyond contact.*, agent.* and the scenario's variables: the
# allow-lists shared with the runtime's sandbox (mbs/template_rules.py).
_STATEMENTS: dict[type[nodes.Node], str] = {
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
}

_env = jinja2.Environment(autoescape=False)
_env.globals = {"range": range}  # cycler, joiner, lipsum, namespace, dict: unknown names
_env.filters = {name: f for name, f in _env.filters.items() if name in TEMPLATE_FILTERS}


def spoken_texts(ctx: Context) -> Iterator[tuple[ast.Str, bool]]:
    """Every template of the scenario, with whether it is spoken aloud."""
    scope = ctx.scope
    for step in scope.steps.values():
        for action in step.actions:
            if isinstance(action, ast.Say | ast.Ask | ast.Confirm):
                yield action.text, True
            elif isinstance(action, ast.SetVar):
                yield action.value, False
            elif isinstance(action, ast.TransferTo):
                yield action.destination, False
            elif isinstance(action, ast.Freestyle):
                for s in (action.context, action.goal):
                    if s is not None:
                        yield s, False
                if action.fallback is not None:
                    yield action.fallback, True
        for t in step.transitions:
            if isinstance(t.target, ast.Retry) and t.target.line is not None:
                yield t.target.line, True
    for t in scope.always_transitions:
        if isinstance(t.target, ast.Retry) and t.target.line is not None:
            yield t.target.line, True
    for declared in scope.packs.values():
        for entry in declared.decl.entries:
            if entry.response is not None:
                yield entry.response, True
            for more in entry.more:
                yield more, True


_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


@dataclass(frozen=True, slots=True)
class Markup:
    """One ``{{ }}``, ``{% %}`` or ``{# #}`` block of a text: ``text[start:end]``."""

    start: int
    end: int
    opener: str  # "{{", "{%" or "{#"

    def body(self, text: str) -> tuple[int, int]:
        """Where the block's inside is, without the delimiters and whitespace markers."""
        lo, hi = self.start + 2, self.end - 2
        if lo < hi and text[lo] == "-":
            lo += 1
        if lo < hi and text[hi - 1] == "-":
            hi -= 1
        return lo, hi


def markup_blocks(text: str) -> Iterator[Markup]:
    """The template blocks of ``text``, left to right, in linear time.

    Same blocks as the lazy regex ``{{.*?}}|{%.*?%}|{#.*?#}`` (an unclosed opener is
    plain text), but an opener whose closer is missing once is known to be missing for
    every later opener of its kind, so no suffix is scanned twice: a 1 MB line of
    unclosed ``{{`` costs one pass, not one pass per ``{{``.
    """
    missing: set[str] = set()
    i, n = 0, len(text)
    while True:
        i = text.find("{", i)
        if i < 0 or i + 1 >= n:
            return
        opener = text[i : i + 2]
        closer = _CLOSERS.get(opener)
        if closer is None or opener in missing:
            i += 1
            continue
        j = text.find(closer, i + 2)
        if j < 0:
            missing.add(opener)
            i += 1
            continue
        yield Markup(i, j + 2, opener)
        i = j + 2


def spoken_words(text: str) -> int:
    """Words of a line as spoken: a ``{{ value }}`` counts as one word, tags as none."""
    pieces: list[str] = []
    last = 0
    for block in markup_blocks(text):
        pieces.append(text[last : block.start])
        pieces.append(" w " if block.opener == "{{" else " ")
        last = block.end
    pieces.append(text[last:])
    return sum(1 for word in "".join(pieces).split() if any(c.isalnum() for c in word))


def variables(ctx: Context) -> set[str]:
    out: set[str] = set()
    for step in ctx.scope.steps.values():
        for action in step.actions:
            if isinstance(action, ast.Capture | ast.SetVar):
                out.add(action.var.name)
            if isinstance(action, ast.Capture) and action.kind is not None:
                out.add(f"{action.var.name}_at")  # the ISO moment beside the spoken form
    out.update(BUILTIN_VARIABLES)
    return out


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _subspan(s: ast.Str, needle: str) -> ast.Span:
    index = s.raw.find(needle)
    if index < 0 or s.span.line != s.span.end_line:
        return s.span
    col = s.span.col + 1 + index
    return ast.Span(s.span.file, s.span.line, col, s.span.line, col + len(needle))


# Texts made only of plain words and ``{{ name }}`` / ``{{ name.attr }}`` are the common
# case; their variables are read without building a jinja2 tree. Anything else (blocks,
# filters, stray braces, comments) goes through jinja2's parser.
_SIMPLE = re.compile(r"(?:[^{}]|\{\{\s*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?\s*\}\})*")
_SIMPLE_VAR = re.compile(r"\{\{\s*([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\s*\}\}")


@dataclass(frozen=True, slots=True)
class _Refs:
    pairs: list[tuple[str, str]]  # (base, attr) of ``base.attr`` where base is a name
    free: set[str]  # names the template reads without setting them
    refused: list[tuple[str, str]]  # (what, text to point at) outside the allow-lists


def _refused(tree: nodes.Template) -> list[tuple[str, str]]:
    """What ``tree`` uses beyond the sandbox's allow-lists, in source order."""
    out: list[tuple[str, str]] = []
    for node in tree.find_all(nodes.Node):
        if type(node) in _STATEMENTS:
            what = _STATEMENTS[type(node)]
            out.append((what, what.split()[1]))
        elif isinstance(node, nodes.For) and node.recursive:
            out.append(("a recursive loop", "recursive"))
        elif isinstance(node, nodes.Filter) and node.name not in TEMPLATE_FILTERS:
            out.append((f"the filter `{node.name}`", node.name))
        elif isinstance(node, nodes.Getattr):
            base = node.node.name if isinstance(node.node, nodes.Name) else None
            if base in ("contact", "agent", "company") and not node.attr.startswith("_"):
                continue  # checked against the fields by check_template
            allowed = TEMPLATE_METHODS | (LOOP_ATTRIBUTES if base == "loop" else frozenset())
            if node.attr not in allowed:
                out.append((f"the attribute `{node.attr}`", node.attr))
        elif isinstance(node, nodes.Getitem):
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if isinstance(key, str) and key.startswith("_"):
                out.append((f"the attribute `{key}`", key))
        elif isinstance(node, nodes.Mod) and _text(node.left):
            out.append(("string formatting with `%`", "% "))  # the sandbox refuses it
    return out


def _text(node: nodes.Node) -> bool:
    """Whether ``node`` is text for sure: a string, a joined string, a field of the
    contact, the agent or the company (always text), or a filter's result over one."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    if isinstance(node, nodes.Concat):
        return True
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return node.node.name in ("contact", "agent", "company")
    if isinstance(node, nodes.Filter) and node.node is not None:
        return _text(node.node)
    return False


def _references(text: str) -> _Refs | str:
    """Names and attributes a template uses, or its syntax error message."""
    if _SIMPLE.fullmatch(text):
        pairs, names, refused = [], set(), []
        for m in _SIMPLE_VAR.finditer(text):
            base, attr = m.group(1), m.group(2)
            names.add(base)
            if not attr:
                continue
            if base in ("contact", "agent", "company") and not attr.startswith("_"):
                pairs.append((base, attr))
            elif attr not in TEMPLATE_METHODS:
                refused.append((f"the attribute `{attr}`", attr))
        return _Refs(pairs, names, refused)
    try:
        tree = _env.parse(text)
        refused = _refused(tree)
        pairs = [
            (node.node.name, node.attr)
            for node in tree.find_all(nodes.Getattr)
            if isinstance(node.node, nodes.Name)
            and node.node.name in ("contact", "agent", "company")
            and not node.attr.startswith("_")
        ]
        try:
            free = set(meta.find_undeclared_variables(tree))  # also checks filter names
        except jinja2.TemplateAssertionError:
            if not refused:
                raise
            free = set()  # an unknown filter: our refusal says it better
        return _Refs(pairs, free, refused)
    except jinja2.TemplateSyntaxError as exc:  # TemplateAssertionError included
        return exc.message or "invalid template"
    except RecursionError:
        return "expression nested too deeply"


def check_template(
    ctx: Context,
    s: ast.Str,
    known: set[str],
    fields: tuple[str, ...],
    has_agent: bool = True,
    company: tuple[str, ...] | None = None,
) -> None:
    """``company``: the facts a template may assert (None: any fact, guarded by the
    template itself, as stdlib lines do)."""
    if "{" not in s.value:
        return
    refs = _references(s.value)
    if isinstance(refs, str):
        ctx.report("TemplateSyntax", s.span, error=refs)
        return
    pairs, free = refs.pairs, refs.free
    for what, needle in refs.refused:
        ctx.report("TemplateNotAllowed", _subspan(s, needle), what=what)
    contact_ok = (*CONTACT_FIELDS, *fields)
    for base_name, attr in pairs:
        if base_name == "company":
            if attr not in COMPANY_FACTS:
                ctx.report(
                    "UnknownVariable",
                    _subspan(s, f"company.{attr}"),
                    var=f"company.{attr}",
                    help="available: " + ", ".join(f"company.{f}" for f in COMPANY_FACTS),
                )
            elif company is not None and attr not in company:
                ctx.report("MissingCompanyFact", _subspan(s, f"company.{attr}"), fact=attr)
            continue
        allowed = (
            contact_ok if base_name == "contact" else AGENT_FIELDS if base_name == "agent" else None
        )
        if allowed is not None and attr not in allowed:
            path = f"{base_name}.{attr}"
            helpful = ", ".join(f"{base_name}.{f}" for f in allowed)
            extra = (
                " (declare extra contact fields with `fields` in the header)"
                if base_name == "contact"
                else ""
            )
            ctx.report(
                "UnknownVariable",
                _subspan(s, path),
                var=path,
                help=f"available: {helpful}{extra}",
            )
        elif base_name == "agent" and not has_agent and attr != "gender":
            ctx.report(
                "UnknownVariable",
                _subspan(s, f"agent.{attr}"),
                var=f"agent.{attr}",
                help='the header declares no agent: add `agent "Julie" from "Company"`',
            )
    for name in sorted(free):
        if name in ("contact", "agent", "company") or name in known or name in TEMPLATE_GLOBALS:
            continue
        shown = ", ".join(sorted(known)) or "none yet"
        ctx.report(
            "UnknownVariable",
            _subspan(s, name),
            var=name,
            help=f"capture or set it in a step first (variables: {shown}), or use contact.{name}",
        )


def check_templates(ctx: Context) -> None:
    known = variables(ctx)
    fields = ctx.settings.fields if ctx.settings is not None else ()
    # Only a scenario fixes the agent; a module's texts may use agent.* freely.
    has_agent = ctx.scope.scenario is None or (
        ctx.settings is not None and ctx.settings.agent is not None
    )
    user_files = {m.file for m in ctx.scope.modules if not m.stdlib}
    facts = tuple(ctx.settings.company) if ctx.settings is not None else ()
    for s, spoken in spoken_texts(ctx):
        own = s.span.file in user_files and ctx.scope.scenario is not None
        check_template(ctx, s, known, fields, has_agent, facts if own else None)
        words = spoken_words(s.value) if spoken and s.span.file in user_files else 0
        if words > MAX_WORDS:
            ctx.report("LineTooLong", s.span, words=words)
    _check_recording(ctx)
    _check_disclosure(ctx)


def opening_lines(step: ast.StepDecl) -> list[ast.Str]:
    """The start step's lines up to its first listen: what the prospect hears first."""
    out: list[ast.Str] = []
    for action in step.actions:
        if isinstance(action, ast.Say | ast.Ask):
            out.append(action.text)
        if isinstance(action, ast.LISTENING_ACTIONS):
            break
    return out


def _check_disclosure(ctx: Context) -> None:
    from mbs.compiler.check_flow import start_step

    settings = ctx.settings
    if settings is None or ctx.scope.scenario is None or settings.disclosure_waived:
        return
    step = start_step(ctx)
    if step is None:
        return
    lines = opening_lines(step)[:2]
    if any(_DISCLOSURE.search(_fold(line.value)) for line in lines):
        return
    ctx.report("AutomationNotDisclosed", lines[0].span if lines else step.name.span)


def _check_recording(ctx: Context) -> None:
    from mbs.compiler.check_flow import start_step

    settings = ctx.settings
    if settings is None or not settings.record or ctx.scope.scenario is None:
        return
    step = start_step(ctx)
    if step is None:
        return
    first = next((a for a in step.actions if isinstance(a, ast.Say | ast.Ask | ast.Play)), None)
    if isinstance(first, ast.Play):
        return  # a recording may announce it; we cannot hear it
    if first is None:
        ctx.report("RecordingNotAnnounced", step.name.span)
    elif "enregistr" not in _fold(first.text.value):
        ctx.report("RecordingNotAnnounced", first.text.span)
