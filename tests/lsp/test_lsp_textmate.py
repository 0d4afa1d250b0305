"""The committed TextMate grammar is the generated one, its regexes compile, and it
colours the shipped files like the Pygments lexer does.

A small TextMate interpreter (match, begin/end, captures, include) runs the grammar
with Python's ``re``: the grammar keeps to the syntax both ``re`` and Oniguruma share.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pygments.token import Number

from mbs.lsp import vocabulary as v
from mbs.lsp.lexer import ROLE_TOKENS, MbsLexer
from mbs.lsp.textmate import ROLE_SCOPES, SCOPE, render, targets

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "editors/textmate/mbs.tmLanguage.json"
SHIPPED = sorted(ROOT.glob("scenarios/*.mbs")) + sorted((ROOT / "mbs/stdlib").rglob("*.mbs"))


def grammar() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return data


def test_committed_files_are_generated() -> None:
    assert COMMITTED in targets()
    for path in targets():
        assert path.read_text(encoding="utf-8") == render(), (
            f"{path} is stale: regenerate with python -m mbs.lsp.textmate --write"
        )


def _rules(node: Any) -> list[dict[str, Any]]:
    out = []
    if isinstance(node, dict):
        if "match" in node or "begin" in node:
            out.append(node)
        for value in node.values():
            out += _rules(value)
    elif isinstance(node, list):
        for item in node:
            out += _rules(item)
    return out


def test_well_formed_and_regexes_compile() -> None:
    g = grammar()
    assert g["scopeName"] == SCOPE and g["fileTypes"] == ["mbs"]
    rules = _rules(g)
    assert len(rules) > 30
    for rule in rules:
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])
    for inc in re.findall(r'"include": "#([^"]+)"', COMMITTED.read_text(encoding="utf-8")):
        assert inc in g["repository"]


def test_keyword_lists_match_the_grammar() -> None:
    words: set[str] = set()
    for rule in grammar()["repository"]["keywords"]["patterns"]:
        inner = re.fullmatch(r"\\b\(\?:(.*)\)\\b", rule["match"])
        assert inner is not None
        words |= set(inner.group(1).split("|"))
    assert words == v.grammar_keywords()


class TextMate:
    """Just enough of a TextMate engine to tokenize with the committed grammar."""

    def __init__(self, g: dict[str, Any]) -> None:
        self.g = g

    def expand(self, patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for p in patterns:
            if "include" in p:
                target = self.g["repository"][p["include"][1:]]
                out += (
                    self.expand([target])
                    if ("match" in target or "begin" in target)
                    else self.expand(target["patterns"])
                )
            else:
                out.append(p)
        return out

    def line(self, text: str, stack: list[dict[str, Any]]) -> list[str]:
        """The innermost scope of every character of ``text`` ("" for none)."""
        scopes = [""] * len(text)

        def paint(m: re.Match[str], rule: dict[str, Any], caps: str) -> None:
            if "name" in rule:
                scopes[m.start() : m.end()] = [rule["name"]] * (m.end() - m.start())
            for group, cap in rule.get(caps, {}).items():
                if m.group(int(group)) is not None:
                    s, e = m.span(int(group))
                    scopes[s:e] = [cap["name"]] * (e - s)

        pos = 0
        while pos <= len(text):
            top = stack[-1] if stack else None
            patterns = self.expand(top["patterns"] if top else self.g["patterns"])
            best: tuple[int, int, Any, re.Match[str]] | None = None
            if top is not None:
                m = re.compile(top["end"]).search(text, pos)
                if m:
                    best = (m.start(), 0, "end", m)
            for i, p in enumerate(patterns, 1):
                m = re.compile(p.get("match") or p["begin"]).search(text, pos)
                if m and (best is None or (m.start(), i) < best[:2]):
                    best = (m.start(), i, p, m)
            if best is None:
                inner = top.get("name", "") if top else ""
                scopes[pos:] = [inner] * (len(text) - pos)
                break
            start, _, rule, m = best
            inner = top.get("name", "") if top else ""
            scopes[pos:start] = [inner] * (start - pos)
            if rule == "end":
                assert top is not None
                paint(m, {"name": top.get("name", "")}, "")
                paint(m, top, "endCaptures")
                stack.pop()
            elif "begin" in rule:
                paint(m, rule, "beginCaptures")
                stack.append(rule)
            else:
                paint(m, rule, "captures")
            if m.end() == pos and rule != "end" and "begin" not in rule:
                pos += 1
            elif m.end() == pos and rule == "end" and not stack:
                pos = max(pos, m.end())
                if pos >= len(text):
                    break
            else:
                pos = m.end()
            if pos >= len(text) and not (stack and re.compile(stack[-1]["end"]).search(text, pos)):
                break
        return scopes


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_textmate_colours_like_pygments(path: Path) -> None:
    tm = TextMate(grammar())
    text = path.read_text(encoding="utf-8")
    stack: list[dict[str, Any]] = []
    per_line = [tm.line(line, stack) for line in text.split("\n")]
    token_role = {tok: role for role, tok in ROLE_TOKENS.items() if role not in ("ws", "duration")}
    scope_role = {scope: role for role, scope in ROLE_SCOPES.items()}
    scope_role[ROLE_SCOPES["duration"]] = "number"
    scope_role.update(  # inside templates, the lexer reuses the same token types
        {
            "variable.language.jinja.mbs": "case",
            "variable.other.property.jinja.mbs": "header",
            "keyword.control.jinja.mbs": "action",
            "variable.other.jinja.mbs": "variable",
            "support.function.filter.jinja.mbs": "step",
            "punctuation.accessor.jinja.mbs": "punctuation",
            "punctuation.jinja.mbs": "punctuation",
            "keyword.operator.jinja.mbs": "operator",
            "keyword.operator.filter.jinja.mbs": "operator",
            "constant.numeric.jinja.mbs": "number",
        }
    )
    line, col, compared = 0, 0, 0
    for tok, value in MbsLexer().get_tokens(text):
        role = "number" if tok is Number else token_role.get(tok)
        if role is not None and value.strip():
            scope = per_line[line][col] if col < len(per_line[line]) else ""
            assert scope_role.get(scope) == role, (line + 1, col + 1, value, tok, scope)
            compared += 1
        for ch in value:
            if ch == "\n":
                line, col = line + 1, 0
            else:
                col += 1
    assert compared > 3
