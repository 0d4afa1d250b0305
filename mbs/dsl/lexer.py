"""A contextual lexer for the .mbs grammar, plugged into Lark's LALR parser.

It does what Lark's ``contextual`` lexer does, keywords being reserved only where the
parser expects them, but scans with one compiled regex per token instead of one per
candidate terminal, which halves the parse time of big scenarios. Every pattern comes
from ``grammar.lark`` (the terminals Lark hands over), so the grammar stays the one
source of truth; ``tests/dsl/test_lexer.py`` checks both lexers agree.

The parser state tells which terminals may come next: a name is a keyword when that
keyword may come next, and ``WORD`` (bare words after ``keywords``/``language``) is
tried only where the grammar accepts it. One deliberate difference: a keyword glued to
more letters (``stepa``) is one name here, where Lark's lexer would split it into
``step a`` and accept it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState, Token

_VALUE_TERMINALS = ("STRING", "DURATION", "NUMBER", "NAME")  # tried in this order


class MbsLexer(Lexer):
    __future_interface__ = 2

    def __init__(self, conf: Any) -> None:
        by_name = {t.name: t for t in conf.terminals}
        self.keywords: dict[str, str] = {}  # "step" -> "KW_STEP"
        self.punct: dict[str, str] = {}  # "{" -> "LBRACE"
        name_re = re.compile(by_name["NAME"].pattern.to_regexp())
        for t in conf.terminals:
            if t.pattern.type == "str":
                table = self.keywords if name_re.fullmatch(t.pattern.value) else self.punct
                table[t.pattern.value] = t.name
        skip = "|".join(f"(?:{by_name[n].pattern.to_regexp()})" for n in conf.ignore)
        self.skip = re.compile(f"(?:{skip})*")
        values = "|".join(f"(?P<{n}>{by_name[n].pattern.to_regexp()})" for n in _VALUE_TERMINALS)
        punct = "|".join(re.escape(p) for p in sorted(self.punct, key=len, reverse=True))
        self.master = re.compile(f"{values}|(?P<PUNCT>{punct})")
        self.word = re.compile(by_name["WORD"].pattern.to_regexp())

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        source = lexer_state.text
        text: str = source.text
        pos, end = source.start, source.end
        line, line_start = 1 + text.count("\n", 0, pos), text.rfind("\n", 0, pos) + 1
        states = parser_state.parse_conf.states
        skip, master, word = self.skip.match, self.master.match, self.word.match
        keywords, punct = self.keywords, self.punct
        while True:
            skipped = skip(text, pos, end).end()  # type: ignore[union-attr]  # `*`: always matches
            if skipped != pos:
                newlines = text.count("\n", pos, skipped)
                if newlines:
                    line += newlines
                    line_start = text.rfind("\n", pos, skipped) + 1
                pos = skipped
            if pos >= end:
                return
            accepted = states[parser_state.position]
            m = word(text, pos, end) if "WORD" in accepted and text[pos] != '"' else None
            if m is not None:
                kind = "WORD"
            else:
                m = master(text, pos, end)
                if m is None:
                    raise UnexpectedCharacters(
                        text,
                        pos,
                        line,
                        pos - line_start + 1,
                        allowed=set(accepted),
                        state=parser_state.position,
                        token_history=[lexer_state.last_token] if lexer_state.last_token else None,
                    )
                kind = m.lastgroup or ""
                if kind == "NAME":
                    keyword = keywords.get(m.group())
                    if keyword is not None and (keyword in accepted or "NAME" not in accepted):
                        kind = keyword
                elif kind == "PUNCT":
                    kind = punct[m.group()]
            value = m.group()
            col = pos - line_start + 1
            stop = pos + len(value)
            token = Token(kind, value, pos, line, col, line, col + len(value), stop)
            lexer_state.last_token = token
            yield token
            pos = stop
