"""Diagnostics, hover, go-to-definition and document symbols, as LSP values.

Each function takes an :class:`~mbs.lsp.analysis.Analysis`, 1-based code point
positions, and the position encoding agreed with the client for the ranges it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

import mbs
from mbs.compiler.diagnostics import Diagnostic
from mbs.dsl import ast
from mbs.dsl.loader import LoadedModule
from mbs.lsp.analysis import Analysis, Definition, Reference
from mbs.lsp.describe import describe_code, describe_definition, describe_word
from mbs.lsp.positions import UTF16, LineIndex, contains
from mbs.lsp.vocabulary import CASES, RESULTS

SOURCE = "mbs"
_CODE_WORD = re.compile(r"\b[EW][0-9]{3}\b")


def diagnostics_doc() -> Path | None:
    """docs/diagnostics.md of a source checkout (the table of every code), if present."""
    doc = Path(mbs.__file__).resolve().parent.parent / "docs" / "diagnostics.md"
    return doc if doc.is_file() else None


@dataclass(frozen=True)
class Target:
    """Where a definition lives: its module (the document when ``module.entry``) and
    its name's span."""

    module: LoadedModule
    span: ast.Span


def loaded_by(a: Analysis) -> dict[str, ast.Span]:
    """For each loaded module's display file, the `use`/`import` of the document that
    loads it directly (for an implicit module, the header line that pulls it in)."""
    entry = a.entry
    out: dict[str, ast.Span] = {}
    if entry is None or entry.module is None:
        return out
    by_name = {m.name: m.file for m in a.modules}
    by_path = {str(m.path.resolve()): m.file for m in a.modules if m.path is not None}
    base = a.path.parent if a.path is not None else Path.cwd()
    header = {"objections": "theme", "personalities": "personality", "objectives": "objective"}
    for decl in entry.module.decls:
        if isinstance(decl, ast.ScenarioDecl):  # implicit modules: the header line
            items = {item.key: item.span for item in decl.items}
            for mod in a.modules:
                key = header.get(mod.name.split(".")[0])
                if mod.implicit and key in items:
                    out[mod.file] = items[key]
        elif isinstance(decl, ast.Use) and decl.module.name in by_name:
            out[by_name[decl.module.name]] = decl.span
        elif isinstance(decl, ast.Import):
            target = (base / decl.path.value).resolve()
            if str(target) in by_path:
                out[by_path[str(target)]] = decl.span
    return out


def lsp_diagnostics(a: Analysis, encoding: str = UTF16) -> list[types.Diagnostic]:
    """The document's diagnostics; those found in a module it loads are shown on the
    `use`/`import` line (or the first line), with the real place as related information."""
    index = a.lines
    doc = diagnostics_doc()
    entry_file = a.result.modules[0].file if a.result.modules else a.file
    uses = loaded_by(a)
    files = {m.file: m for m in a.result.modules}
    out = []
    for d in a.result.diagnostics:
        message = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
        related = None
        if d.file == entry_file:
            rng = index.range(d.span, encoding)
        else:
            anchor = uses.get(d.file, ast.Span.point(a.file))
            rng = index.range(anchor, encoding)
            message = f"in {d.file}:{d.span.line}:{d.span.col}: {message}"
            mod = files.get(d.file)
            if mod is not None and mod.path is not None:
                related = [
                    types.DiagnosticRelatedInformation(
                        types.Location(
                            mod.path.resolve().as_uri(),
                            LineIndex(mod.text).range(d.span, encoding),
                        ),
                        d.message,
                    )
                ]
        out.append(
            types.Diagnostic(
                range=rng,
                message=message,
                severity=(
                    types.DiagnosticSeverity.Error
                    if d.is_error
                    else types.DiagnosticSeverity.Warning
                ),
                code=d.code,
                code_description=(
                    types.CodeDescription(f"{doc.as_uri()}#{d.code.lower()}") if doc else None
                ),
                source=SOURCE,
                related_information=related,
            )
        )
    return out


def _diagnostics_at(a: Analysis, line1: int, col1: int) -> list[Diagnostic]:
    entry_file = a.result.modules[0].file if a.result.modules else a.file
    return [
        d for d in a.result.diagnostics if d.file == entry_file and contains(d.span, line1, col1)
    ]


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_KIND_BEFORE = (
    (re.compile(r"(?:->|\bthen|\bstart)\s*$"), ("step",)),
    (re.compile(r"\bon\s+$"), ("case", "intent")),
    (re.compile(r"\b(?:personality|extends)\s+$"), ("personality",)),
    (re.compile(r"\bobjective\s+$"), ("objective",)),
    (re.compile(r"\buse\s+$"), ("module",)),
    (re.compile(r"\btheme\s+$"), ("theme",)),
    (re.compile(r"\b(?:end|reach)\s+$"), ("result",)),
)
_ANY_KIND = ("step", "intent", "personality", "objective", "pack", "module", "result", "case")


def word_reference(a: Analysis, line1: int, col1: int) -> Reference | None:
    """The name under the cursor, classified from the words before it: for the parts
    of a document that do not parse (no syntax tree there while the author types)."""
    line = a.lines.line(line1 - 1)
    for m in _WORD.finditer(line):
        if m.start() < col1 <= m.end() + 1:
            break
    else:
        return None
    name = m.group()
    kinds = next((k for rx, k in _KIND_BEFORE if rx.search(line[: m.start()])), _ANY_KIND)
    span = ast.Span(a.file, line1, m.start() + 1, line1, m.end() + 1)
    for kind in kinds:
        known = (
            (kind == "result" and name in RESULTS)
            or (kind == "case" and name in CASES)
            or kind == "theme"
            or _definition_of(a, kind, name) is not None
        )
        if known:
            return Reference(kind, name, span)
    return None


def reference_at(a: Analysis, line1: int, col1: int) -> Reference | None:
    """What is at the position: from the syntax tree, else from the words around."""
    ref = a.reference_at(line1, col1)
    if ref is None and a.repaired:
        ref = word_reference(a, line1, col1)
    return ref


def hover_text(a: Analysis, line1: int, col1: int) -> str | None:
    """Markdown for what is at the position, and the diagnostics covering it."""
    parts: list[str] = []
    ref = reference_at(a, line1, col1)
    if ref is not None:
        d = _definition_of(a, ref.kind, ref.name)
        if d is not None:
            parts.append(describe_definition(d))
            if isinstance(d.decl, ast.ObjectionsDecl) and not d.module.stdlib:
                lent = describe_borrowed(a, d.decl)
                if lent:
                    parts.append(lent)
        else:
            text = describe_word(ref.kind, ref.name)
            if text:
                parts.append(text)
    line = a.lines.line(line1 - 1)
    for m in _CODE_WORD.finditer(line):
        if m.start() < col1 <= m.end() + 1:
            text = describe_code(m.group())
            if text:
                parts.append(text)
    seen = set()
    for diag in _diagnostics_at(a, line1, col1):
        if diag.code not in seen:
            seen.add(diag.code)
            text = describe_code(diag.code)
            if text:
                parts.append(text)
    return "\n\n---\n\n".join(parts) if parts else None


def describe_borrowed(a: Analysis, pack: ast.ObjectionsDecl) -> str | None:
    """What the pack's objections borrow from the library, as the compiler decides it
    over every pack of the document (``mbs.compiler.borrow``)."""
    from mbs.compiler.borrow import lend
    from mbs.compiler.scope import pack_name
    from mbs.dsl.loader import iter_decls

    packs = [
        (pack_name(decl, m), m.stdlib, decl.entries)
        for m, decl in iter_decls(a.modules)
        if isinstance(decl, ast.ObjectionsDecl)
    ]
    rows = [
        f'- "{e.text.value}" ← {b.source} ({len(b.phrasings)} phrasings)'
        for (_, _, entries), borrowed in zip(packs, lend(packs), strict=True)
        if entries is pack.entries
        for e, b in zip(entries, borrowed, strict=True)
        if b is not None
    ]
    return "**borrowed from the library**\n\n" + "\n".join(rows) if rows else None


def _definition_of(a: Analysis, kind: str, name: str) -> Definition | None:
    if kind == "theme":
        return a.find("module", f"objections.{name}")
    if kind == "import":
        for mod in a.modules:
            if (
                not mod.entry
                and mod.path is not None
                and a.path is not None
                and mod.path.resolve() == (a.path.parent / name).resolve()
            ):
                return a.find("module", mod.name)
        return None
    return a.find(kind, name)


def definition(a: Analysis, line1: int, col1: int) -> Target | None:
    ref = reference_at(a, line1, col1)
    if ref is None:
        return None
    d = _definition_of(a, ref.kind, ref.name)
    return Target(d.module, d.span) if d is not None else None


_SYMBOL_KINDS: dict[type, types.SymbolKind] = {
    ast.ScenarioDecl: types.SymbolKind.Module,
    ast.IntentDecl: types.SymbolKind.Event,
    ast.ObjectionsDecl: types.SymbolKind.Namespace,
    ast.PersonalityDecl: types.SymbolKind.Class,
    ast.ObjectiveDecl: types.SymbolKind.Interface,
    ast.StepDecl: types.SymbolKind.Function,
    ast.AlwaysDecl: types.SymbolKind.Object,
    ast.AmdDecl: types.SymbolKind.Object,
}


def symbols(a: Analysis, encoding: str = UTF16) -> list[types.DocumentSymbol]:
    entry = a.entry
    if entry is None or entry.module is None:
        return []
    index = a.lines
    out = []
    for decl in entry.module.decls:
        kind = _SYMBOL_KINDS.get(type(decl))
        if kind is None:
            continue
        name_node = getattr(decl, "name", None)
        if isinstance(name_node, ast.Ident):
            name, sel = name_node.name, name_node.span
        else:
            name, sel = type(decl).__name__.removesuffix("Decl").lower(), decl.span
        detail = None
        if isinstance(decl, ast.IntentDecl):
            detail = f"{len(decl.examples)} examples"
        elif isinstance(decl, ast.ObjectionsDecl):
            detail = f"{len(decl.entries)} objections"
        elif isinstance(decl, ast.StepDecl):
            detail = "listens" if decl.listens else None
        out.append(
            types.DocumentSymbol(
                name=name,
                kind=kind,
                range=index.range(decl.span, encoding),
                selection_range=index.range(sel, encoding),
                detail=detail,
            )
        )
    return out
