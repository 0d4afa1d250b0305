"""What the server knows about one open document: its diagnostics, and an index of the
names it declares, uses, and can reach through ``use``/``import`` and the stdlib.

Diagnostics come from :func:`mbs.compiler.check_source`, which checks scenarios and
modules alike without lowering them. A document with a syntax error has no syntax
tree; to keep navigation and completion working while the author types, the index is
then built from a repaired copy: every top-level declaration that parses on its own
is kept, the broken ones are blanked (their lines kept, so spans still match).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

from mbs.compiler import CompilationResult, check_source
from mbs.compiler.check_templates import markup_blocks
from mbs.compiler.scope import pack_name
from mbs.dsl import ast
from mbs.dsl.loader import LoadedModule, load_source
from mbs.dsl.parse import parse
from mbs.lsp.positions import LineIndex, contains
from mbs.lsp.vocabulary import CASES, DECLARATIONS, JINJA_KEYWORDS, TEMPLATE_ROOTS

# A line starting a top-level declaration (`extends` is not a declaration on its own).
_DECL_START = re.compile(rf"^(?:{'|'.join(DECLARATIONS[:-1])})\b")
_TEMPLATE_NAME = re.compile(r"(?<![\w.'])(?:contact|agent)\.[A-Za-z_]\w*|(?<![\w.'])[A-Za-z_]\w*")
_QUOTED = re.compile(r"'[^']*'|\\\"(?:[^\"\\]|\\[^\"])*\\\"")
_DECLARED = re.compile(r"^[ \t]*(step|intent|personality)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)

_ACTION_KEYWORDS: dict[type, str] = {
    ast.Say: "say",
    ast.Play: "play",
    ast.Ask: "ask",
    ast.Listen: "listen",
    ast.Freestyle: "freestyle",
    ast.Capture: "capture",
    ast.SetVar: "set",
    ast.TransferTo: "transfer",
    ast.OptOut: "opt_out",
    ast.EndCall: "end",
    ast.Confirm: "confirm",
}


@dataclass(frozen=True)
class Definition:
    """A declared name: ``span`` is the name's, ``decl`` the declaration node."""

    kind: str  # step | intent | pack | personality | objective | module
    name: str
    span: ast.Span
    decl: Any
    module: LoadedModule


@dataclass(frozen=True)
class Reference:
    """A name or keyword written in the document, and what it stands for."""

    kind: str  # a Definition kind, or result | case | variable | header | keyword | theme
    name: str
    span: ast.Span


@dataclass
class Analysis:
    text: str
    file: str
    path: Path | None
    result: CompilationResult
    modules: list[LoadedModule]
    repaired: bool = False
    definitions: dict[str, dict[str, Definition]] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)
    typed_names: dict[str, set[str]] = field(default_factory=dict)  # found by regex

    @cached_property
    def lines(self) -> LineIndex:
        """The document's line index, made once per analysis (so once per version of
        the document) rather than on every request."""
        return LineIndex(self.text)

    @property
    def entry(self) -> LoadedModule | None:
        return self.modules[0] if self.modules else None

    @property
    def scenario(self) -> ast.ScenarioDecl | None:
        entry = self.entry
        if entry is None or entry.module is None:
            return None
        for decl in entry.module.decls:
            if isinstance(decl, ast.ScenarioDecl):
                return decl
        return None

    def names(self, kind: str) -> list[str]:
        """Every name of ``kind`` in scope, plus those typed in a broken declaration."""
        found = set(self.definitions.get(kind, {})) | self.typed_names.get(kind, set())
        return sorted(found)

    def find(self, kind: str, name: str) -> Definition | None:
        return self.definitions.get(kind, {}).get(name)

    def reference_at(self, line1: int, col1: int) -> Reference | None:
        """The innermost reference at 1-based ``line1``:``col1``."""
        best: Reference | None = None
        for ref in self.references:
            if contains(ref.span, line1, col1) and (
                best is None or (ref.span.line, ref.span.col) >= (best.span.line, best.span.col)
            ):
                best = ref
        return best

    def variables(self) -> list[str]:
        """Variables a step captures or sets."""
        return sorted(self.definitions.get("variable", {}))

    def fields(self) -> list[str]:
        """Extra contact fields the header declares with ``fields``."""
        scenario = self.scenario
        if scenario is None:
            return []
        return [
            str(v.name)
            for item in scenario.items
            if item.key == "fields"
            for v in item.values
            if isinstance(v, ast.Ident)
        ]


def repair(text: str, file: str) -> str:
    """``text`` with every top-level declaration that does not parse alone blanked."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _DECL_START.match(line)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    out: list[str] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        chunk = lines[start:end]
        padded = "\n" * start + "\n".join(chunk)
        ok = parse(padded, file).module is not None
        out += chunk if ok else [""] * len(chunk)
    return "\n".join(out)


def analyse(text: str, file: str, path: Path | None = None) -> Analysis:
    """Check ``text`` (the document ``file``, on disk at ``path`` if saved) and index it."""
    result = check_source(text, file, path)
    modules = result.modules
    repaired = False
    if not modules or modules[0].module is None:
        modules = load_source(repair(text, file), file, path).modules
        repaired = True
    analysis = Analysis(text, file, path, result, modules, repaired)
    _index(analysis)
    return analysis


def _define(
    a: Analysis, kind: str, name: str, span: ast.Span, decl: Any, mod: LoadedModule
) -> None:
    a.definitions.setdefault(kind, {}).setdefault(name, Definition(kind, name, span, decl, mod))


def _index(a: Analysis) -> None:
    for mod in a.modules:
        a.definitions.setdefault("module", {})
        if not mod.entry:
            a.definitions["module"].setdefault(
                mod.name, Definition("module", mod.name, _module_target(mod), None, mod)
            )
        if mod.module is None:
            continue
        for decl in mod.module.decls:
            if isinstance(decl, ast.StepDecl) and mod.entry:
                _define(a, "step", decl.name.name, decl.name.span, decl, mod)
            elif isinstance(decl, ast.IntentDecl):
                _define(a, "intent", decl.name.name, decl.name.span, decl, mod)
            elif isinstance(decl, ast.ObjectionsDecl):
                _define(a, "pack", pack_name(decl, mod), decl.name.span, decl, mod)
            elif isinstance(decl, ast.PersonalityDecl):
                _define(a, "personality", decl.name.name, decl.name.span, decl, mod)
            elif isinstance(decl, ast.ObjectiveDecl):
                _define(a, "objective", decl.name.name, decl.name.span, decl, mod)
    for m in _DECLARED.finditer(a.text):
        a.typed_names.setdefault(m.group(1), set()).add(m.group(2))
    entry = a.entry
    if entry is not None and entry.module is not None:
        _references(a, entry)


def _module_target(mod: LoadedModule) -> ast.Span:
    """Where `use M` jumps: M's only objection pack, else the start of its file."""
    decls = mod.module.decls if mod.module is not None else ()
    packs = [d for d in decls if isinstance(d, ast.ObjectionsDecl)]
    if len(packs) == 1:
        return packs[0].name.span
    return ast.Span.point(mod.file)


def _keyword(span: ast.Span, word: str) -> Reference:
    return Reference(
        "keyword", word, ast.Span(span.file, span.line, span.col, span.line, span.col + len(word))
    )


def _references(a: Analysis, entry: LoadedModule) -> None:
    refs = a.references
    assert entry.module is not None
    for decl in entry.module.decls:
        if isinstance(decl, ast.ScenarioDecl):
            for item in decl.items:
                refs.append(
                    Reference(
                        "header",
                        item.key,
                        ast.Span(
                            item.span.file,
                            item.span.line,
                            item.span.col,
                            item.span.line,
                            item.span.col + len(item.key),
                        ),
                    )
                )
                value = item.values[0] if item.values else None
                if not isinstance(value, ast.Ident):
                    continue
                kind = {
                    "start": "step",
                    "personality": "personality",
                    "objective": "objective",
                    "theme": "theme",
                    "threshold": "case",
                }.get(item.key)
                if kind is not None:
                    refs.append(Reference(kind, value.name, value.span))
        elif isinstance(decl, ast.Use):
            refs.append(Reference("module", decl.module.name, decl.module.span))
        elif isinstance(decl, ast.Import):
            refs.append(Reference("import", decl.path.value, decl.path.span))
        elif isinstance(decl, ast.IntentDecl):
            refs.append(Reference("intent", decl.name.name, decl.name.span))
        elif isinstance(decl, ast.ObjectionsDecl):
            refs.append(Reference("pack", pack_name(decl, entry), decl.name.span))
        elif isinstance(decl, ast.PersonalityDecl):
            refs.append(Reference("personality", decl.name.name, decl.name.span))
            if decl.extends is not None:
                refs.append(Reference("personality", decl.extends.name, decl.extends.span))
        elif isinstance(decl, ast.ObjectiveDecl):
            refs.append(Reference("objective", decl.name.name, decl.name.span))
            refs += [Reference("result", r.name, r.span) for r in decl.reach]
        elif isinstance(decl, ast.AlwaysDecl):
            _transitions(refs, decl.transitions)
        elif isinstance(decl, ast.StepDecl):
            refs.append(Reference("step", decl.name.name, decl.name.span))
            for action in decl.actions:
                refs.append(_keyword(action.span, _ACTION_KEYWORDS[type(action)]))
                if isinstance(action, ast.EndCall):
                    refs.append(Reference("result", action.result.name, action.result.span))
                elif isinstance(action, ast.Capture | ast.SetVar):
                    refs.append(Reference("variable", action.var.name, action.var.span))
                    _define(a, "variable", action.var.name, action.var.span, action, entry)
            _transitions(refs, decl.transitions)
        if isinstance(decl, ast.StepDecl | ast.AlwaysDecl):
            for s in _strings(decl):
                refs += template_references(s)


def _strings(node: Any) -> Iterator[ast.Str]:
    """Every string literal under ``node``."""
    if isinstance(node, ast.Str):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, ast.Node):
        for f in fields(node):
            yield from _strings(getattr(node, f.name))


def _after_dot_or_bar(body: str, at: int) -> bool:
    """Whether the last non-blank character before ``at`` is ``.`` or ``|`` (an
    attribute or a filter name, not a variable), without copying the prefix."""
    i = at - 1
    while i >= 0 and body[i].isspace():
        i -= 1
    return i >= 0 and body[i] in ".|"


def template_references(s: ast.Str) -> list[Reference]:
    """``contact.x``/``agent.x`` fields and variables named inside the templates of
    ``s`` (a string is on one line: its raw text starts one column after the quote)."""
    out: list[Reference] = []
    if s.span.line != s.span.end_line:
        return out
    base = s.span.col + 1
    raw = s.raw
    for block in markup_blocks(raw):  # linear: a 1 MB line must not block the server
        if block.opener == "{#":
            continue
        body_start, body_end = block.body(raw)
        # string literals blanked (same length), so their words are not names
        body = _QUOTED.sub(lambda q: " " * len(q.group()), raw[body_start:body_end])
        for m in _TEMPLATE_NAME.finditer(body):
            start = body_start + m.start()
            name = m.group()
            if _after_dot_or_bar(body, m.start()) or name in JINJA_KEYWORDS:
                continue
            kind = "field" if "." in name else "variable"
            if kind == "variable" and name in TEMPLATE_ROOTS:
                continue
            line = s.span.line
            span = ast.Span(s.span.file, line, base + start, line, base + start + len(name))
            out.append(Reference(kind, name, span))
    return out


def _transitions(refs: list[Reference], transitions: tuple[ast.Transition, ...]) -> None:
    for t in transitions:
        name = t.case.name
        if name is not None:
            kind = "case" if name.name in CASES else "intent"
            refs.append(Reference(kind, name.name, name.span))
        target = t.target
        if isinstance(target, ast.Goto):
            refs.append(Reference("step", target.step.name, target.step.span))
        elif isinstance(target, ast.EndTarget):
            refs.append(Reference("result", target.result.name, target.result.span))
        elif isinstance(target, ast.Retry):
            refs.append(Reference("step", target.then.name, target.then.span))
        elif isinstance(target, ast.Answer):
            refs.append(Reference("case", target.what.name, target.what.span))
            refs.append(Reference("step", target.then.name, target.then.span))
