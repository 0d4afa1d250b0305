"""Completion: what may come at the cursor, read from the text before it.

The grammar decides most slots from the last word or two (``-> `` wants a step,
``end `` a result code, ``on `` an intent or a case), so completion looks at the
line up to the cursor; at the start of a line it looks at the enclosing block
(header keys in ``scenario``, actions in ``step``...). Inside a string, only template
expressions complete: ``{{ contact.`` lists the contact fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lsprotocol import types

from mbs.dsl.loader import stdlib_modules
from mbs.lsp import vocabulary as v
from mbs.lsp.analysis import Analysis
from mbs.lsp.describe import describe_definition

K = types.CompletionItemKind

_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"?|#[^\n]*|[{}]|[A-Za-z_][A-Za-z0-9_]*')
_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_BLOCKS = {"scenario", "step", "always", "intent", "objections", "personality", "objective"}
_BLOCKS |= {"amd", "freestyle"}
BLOCK_ITEMS: dict[str, tuple[str, ...]] = {
    "": v.DECLARATIONS[:-1],  # top level (`extends` is not a declaration on its own)
    "scenario": v.HEADER_KEYS,
    "step": (*v.ACTIONS, "on", "otherwise"),
    "always": ("on", "otherwise"),
    "intent": ("keywords",),
    "personality": ("tone", "style", "example"),
    "objective": ("guidance", "reach"),
    "amd": ("machine", "human"),
    "freestyle": ("context", "goal", "fallback"),
    "objections": (),
}
# What may follow an action on its line.
ACTION_OPTIONS: dict[str, tuple[str, ...]] = {
    "say": ("uninterruptible",),
    "play": ("uninterruptible",),
    "ask": ("timeout", "uninterruptible"),
    "listen": ("timeout",),
    "freestyle": ("max",),
    "capture": ("from",),
}


def block_at(text: str) -> str:
    """The innermost block keyword enclosing the end of ``text`` ("" at top level)."""
    stack: list[str] = []
    pending = ""
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok == "{":
            stack.append(pending)
            pending = ""
        elif tok == "}":
            if stack:
                stack.pop()
            pending = ""
        elif tok in _BLOCKS and not pending:
            pending = tok
    return stack[-1] if stack else ""


def _string_state(prefix: str) -> tuple[bool, bool, str]:
    """(in a comment, in a string, the string's text so far) at the end of ``prefix``."""
    in_string = False
    start = 0
    i = 0
    while i < len(prefix):
        ch = prefix[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string, start = True, i + 1
        elif ch == "#":
            return True, False, ""
        i += 1
    return False, in_string, prefix[start:] if in_string else ""


def _items(
    labels: Iterable[str],
    kind: types.CompletionItemKind,
    detail: str = "",
    docs: dict[str, str] | None = None,
) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=label,
            kind=kind,
            detail=detail or None,
            documentation=(docs or {}).get(label),
        )
        for label in labels
    ]


def _defs(
    a: Analysis, kind: str, item_kind: types.CompletionItemKind
) -> list[types.CompletionItem]:
    out = []
    for name in a.names(kind):
        d = a.find(kind, name)
        out.append(
            types.CompletionItem(
                label=name,
                kind=item_kind,
                detail=kind,
                documentation=(
                    types.MarkupContent(types.MarkupKind.Markdown, describe_definition(d))
                    if d is not None
                    else None
                ),
            )
        )
    return out


def _template(a: Analysis, inside: str) -> list[types.CompletionItem]:
    open_expr = max(inside.rfind("{{"), inside.rfind("{%"))
    if open_expr < 0 or max(inside.rfind("}}"), inside.rfind("%}")) > open_expr:
        return []
    expr = inside[open_expr + 2 :]
    m = re.search(r"\b(contact|agent)\.[A-Za-z0-9_]*$", expr)
    if m:
        names = v.TEMPLATE_ROOTS[m.group(1)]
        if m.group(1) == "contact":
            names = (*names, *a.fields())
        return _items(names, K.Field, f"{m.group(1)} field")
    if re.search(r"(?:^|[^.\w])[A-Za-z_]*$", expr):
        return _items(v.TEMPLATE_ROOTS, K.Module, "template root") + _items(
            a.variables(), K.Variable, "variable (capture/set)"
        )
    return []


def complete(a: Analysis, line_text: str, col: int, text_before: str) -> list[types.CompletionItem]:
    """Completion items at code point ``col`` (0-based) of ``line_text``.

    ``text_before`` is the whole document up to the cursor (for the enclosing block).
    """
    prefix = line_text[:col]
    in_comment, in_string, inside = _string_state(prefix)
    if in_comment:
        return []
    if in_string:
        return _template(a, inside)
    if re.search(r"->\s*[A-Za-z0-9_]*$", prefix):
        return _defs(a, "step", K.Function) + _items(
            ("end", "retry", "answer"), K.Keyword, "transition target"
        )
    if re.search(r"\b(?:then|start)\s+[A-Za-z0-9_]*$", prefix):
        return _defs(a, "step", K.Function)
    if re.search(r"\b(?:end|reach)\s+[A-Za-z0-9_]*$", prefix):
        return _items(v.RESULTS, K.Constant, "result code", v.RESULT_DOCS)
    if re.search(r"\bon\s+[A-Za-z0-9_]*$", prefix):
        cases = _items(v.CASES, K.EnumMember, "case", v.CASE_DOCS)
        return _defs(a, "intent", K.Event) + cases + _items(("dtmf",), K.Keyword, "a key press")
    if re.search(r"\buse\s+[A-Za-z0-9_.]*$", prefix):
        return _items(stdlib_modules(), K.Module, "stdlib module")
    if re.search(r"\b(?:personality|extends)\s+[A-Za-z0-9_]*$", prefix):
        return _defs(a, "personality", K.Class)
    if re.search(r"\bobjective\s+[A-Za-z0-9_]*$", prefix):
        return _defs(a, "objective", K.Interface)
    if re.search(r"\btheme\s+[A-Za-z0-9_]*$", prefix):
        themes = [m.split(".", 1)[1] for m in stdlib_modules() if m.startswith("objections.")]
        return _items([t for t in themes if t != "standard"], K.Module, "theme")
    if re.search(r"\banswer\s+[A-Za-z0-9_]*$", prefix):
        return _items(("objection",), K.EnumMember, "case")
    if re.search(r"\b(?:record|barge_in)\s+[A-Za-z0-9_]*$", prefix):
        return _items(v.CONSTANTS, K.Value)
    if re.search(r"\bthreshold\s+[A-Za-z0-9_]*$", prefix):
        return _items(("intent", "objection"), K.EnumMember, "threshold kind")
    # the statement being typed: after the last `;` of the line (strings emptied first)
    statement = _STRING.sub('""', prefix).rsplit(";", 1)[-1]
    if re.fullmatch(r"\s*[A-Za-z0-9_]*", statement):
        block = block_at(text_before)
        docs = v.HEADER_DOCS if block == "scenario" else None
        return _items(BLOCK_ITEMS.get(block, ()), K.Keyword, f"in {block or 'a file'}", docs)
    first = re.match(r"\s*([a-z_]+)\b", statement)
    if first and first.group(1) in ACTION_OPTIONS:
        return _items(ACTION_OPTIONS[first.group(1)], K.Keyword, f"{first.group(1)} option")
    return []


def complete_at(a: Analysis, line1: int, col1: int) -> list[types.CompletionItem]:
    """Completion items at 1-based ``line1``:``col1`` (clamped into the document)."""
    lines = a.text.split("\n")
    n = min(max(line1 - 1, 0), len(lines) - 1)
    line = lines[n]
    col = min(max(col1 - 1, 0), len(line))
    before = "\n".join([*lines[:n], line[:col]])
    return complete(a, line, col, before)
