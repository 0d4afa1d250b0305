"""The Pygments lexer: every shipped .mbs file lexes without an Error token, through
the entry point Pygments finds it by, and renders to HTML."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error, Keyword, Name, Number, String, _TokenType

from mbs.lsp.lexer import MbsLexer

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(ROOT.glob("scenarios/*.mbs")) + sorted((ROOT / "mbs/stdlib").rglob("*.mbs"))


def tokens(text: str) -> list[tuple[_TokenType, str]]:
    return [(t, s) for t, s in MbsLexer().get_tokens(text) if s.strip()]


def test_shipped_files_exist() -> None:
    assert len(SHIPPED) >= 10
    assert any(p.name == "common.mbs" for p in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_file_lexes_without_errors(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    toks = list(MbsLexer().get_tokens_unprocessed(text))
    assert [(i, s) for i, t, s in toks if t in Error] == []
    assert "".join(s for _, _, s in toks) == text  # nothing lost or invented


def test_found_through_the_pygments_entry_point() -> None:
    assert isinstance(get_lexer_by_name("mbs"), MbsLexer)
    assert isinstance(get_lexer_for_filename("scenarios/x.mbs"), MbsLexer)


def test_keywords_names_and_values() -> None:
    toks = tokens(
        "step opt_out {\n"
        '    ask "Oui ?" timeout 1.5s\n'
        "    capture moment\n"
        "    on yes -> opt_out\n"
        "    on silence -> retry 2 then opt_out\n"
        "    otherwise -> end HUNG_UP\n"
        "}\n"
    )
    assert toks[:2] == [(Keyword.Declaration, "step"), (Name.Function, "opt_out")]
    assert (Keyword, "ask") in toks
    assert (Number, "1.5s") in toks
    assert (Name.Variable, "moment") in toks
    assert (Name.Class, "yes") in toks  # an intent
    assert (Name.Builtin, "silence") in toks  # a reserved case
    assert toks.count((Name.Function, "opt_out")) == 3  # a step called like a keyword
    assert (Number, "2") in toks
    assert (Name.Constant, "HUNG_UP") in toks


def test_jinja_and_escapes_inside_strings() -> None:
    toks = tokens('say "Bonjour {{ contact.first_name | title }}\\u00e9\\n{% if x %}ok{% endif %}"')
    assert (String.Interpol, "{{") in toks and (String.Interpol, "}}") in toks
    assert (Name.Builtin, "contact") in toks
    assert (Name.Attribute, "first_name") in toks
    assert (Name.Function, "title") in toks  # a filter
    assert (String.Escape, "\\u00e9") in toks and (String.Escape, "\\n") in toks
    assert (Keyword, "if") in toks and (Keyword, "endif") in toks
    assert not [t for t, _ in toks if t in Error]


def test_mistakes_show_as_errors() -> None:
    assert (Error, "\\q") in tokens('say "C:\\quit"')  # unknown escape
    open_string = list(MbsLexer().get_tokens('say "pas fermé\nend HUNG_UP\n'))
    assert (Error, "\n") in open_string  # a string cannot span lines
    assert (Keyword, "end") in open_string  # and the next line lexes normally


def test_bare_keywords_and_language_tag() -> None:
    toks = tokens(
        'scenario s {\n    language fr-FR\n}\nintent rdv {\n    "ok"\n    keywords rendez-vous "mardi"\n}\n'
    )
    assert (String.Other, "fr-FR") in toks
    assert (String.Symbol, "rendez-vous") in toks
    assert not [t for t, _ in toks if t in Error]


def test_html_of_a_scenario() -> None:
    text = (ROOT / "scenarios/or_rdv.mbs").read_text(encoding="utf-8")
    html = highlight(text, MbsLexer(), HtmlFormatter())
    assert '<span class="kd">step</span>' in html
    assert '<span class="nf">intro</span>' in html
    assert '<span class="si">{{</span>' in html
    assert '<span class="err">' not in html


def test_pygmentize_command() -> None:
    pygmentize = Path(sys.executable).parent / "pygmentize"
    out = subprocess.run(
        [str(pygmentize), "-l", "mbs", "-f", "html"],
        input="step a { end HUNG_UP }\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '<span class="no">HUNG_UP</span>' in out
