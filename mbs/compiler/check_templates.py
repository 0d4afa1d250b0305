"""Texts: each is a jinja2 template over known variables; spoken lines stay short; the
first lines announce the recording and disclose that an automated assistant speaks;
company facts come from the header."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import jinja2
from jinja2 import meta, nodes

from mbs.compiler.scope import Context
from mbs.dsl import ast
from mbs.program import COMPANY_FACTS

CONTACT_FIELDS = ("first_name", "last_name", "phone", "email", "company", "tags")
AGENT_FIELDS = ("name", "company", "gender")
BUILTIN_VARIABLES = ("callback_when",)  # set by the VM: the call-back time the prospect said
# Words that tell the prospect a machine speaks (EU AI Act, article 50), accents folded.
_DISCLOSURE = re.compile(
    r"\b(automati\w*|robot\w*|virtuel\w*|intelligence artificielle|ia|voix de synthese"
    r"|synthese vocale|programme informatique|machine)\b"
)
MAX_WORDS = 40

_env = jinja2.Environment(autoescape=False)


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


_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def spoken_words(text: str) -> int:
    """Words of a line as spoken: a ``{{ value }}`` counts as one word, tags as none."""
    plain = _MARKUP.sub(lambda m: " w " if m.group().startswith("{{") else " ", text)
    return sum(1 for word in plain.split() if any(c.isalnum() for c in word))


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


def _references(text: str) -> tuple[list[tuple[str, str]], set[str]] | str:
    """(base.attr pairs, free names) of a template, or its syntax error message."""
    if _SIMPLE.fullmatch(text):
        pairs, names = [], set()
        for m in _SIMPLE_VAR.finditer(text):
            names.add(m.group(1))
            if m.group(2):
                pairs.append((m.group(1), m.group(2)))
        return pairs, names
    try:
        tree = _env.parse(text)
        pairs = [
            (node.node.name, node.attr)
            for node in tree.find_all(nodes.Getattr)
            if isinstance(node.node, nodes.Name)
        ]
        return pairs, set(meta.find_undeclared_variables(tree))  # also checks filter names
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
    pairs, free = refs
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
        if name in ("contact", "agent", "company") or name in known:
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
