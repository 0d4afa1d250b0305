"""A Pygments lexer for ``.mbs``, for docs, terminals (``pygmentize -l mbs``) and HTML.

Registered as the ``pygments.lexers`` entry point ``mbs``. Its words and regexes come
from :mod:`mbs.lsp.vocabulary`, like the TextMate grammar's. Jinja inside strings
(``{{ contact.first_name }}``, ``{% if ... %}``) is lexed as embedded code; characters
the grammar rejects (an unknown escape, a string left open at the end of its line)
come out as ``Error`` tokens, so a highlighted mistake shows before compiling.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from mbs.lsp import vocabulary as v

_N = v.NAME
_WS = r"[ \t\r\n\f\ufeff]+"

# The token type of each role of :mod:`mbs.lsp.vocabulary` (mbs.lsp.textmate maps the
# same roles to TextMate scopes).
ROLE_TOKENS = {
    "declaration": Keyword.Declaration,
    "action": Keyword,
    "flow": Keyword.Reserved,
    "header": Name.Attribute,
    "option": Keyword.Pseudo,
    "ws": Whitespace,
    "namespace": Name.Namespace,
    "step": Name.Function,
    "type": Name.Class,
    "case": Name.Builtin,
    "variable": Name.Variable,
    "word": String.Other,
    "constant": Keyword.Constant,
    "result": Name.Constant,
    "duration": Number,
    "number": Number,
    "operator": Operator,
    "punctuation": Punctuation,
}


class MbsLexer(RegexLexer):  # type: ignore[misc]  # pygments ships no types
    """Scenario files of the mbs phone-robot language."""

    name = "mbs"
    aliases: ClassVar[list[str]] = ["mbs"]
    filenames: ClassVar[list[str]] = ["*.mbs"]
    mimetypes: ClassVar[list[str]] = ["text/x-mbs"]

    tokens: ClassVar[dict[str, list[Any]]] = {
        "root": [
            (_WS, Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"', String.Double, "string"),
            *((rx, bygroups(*(ROLE_TOKENS[r] for r in roles))) for rx, roles in v.NAME_RULES),
            (r"\bkeywords\b", Keyword.Pseudo, "keywords"),
            *((v.words(group), ROLE_TOKENS[key]) for key, group in v.KEYWORD_GROUPS.items()),
            *((rx, ROLE_TOKENS[role]) for rx, role in v.VALUE_RULES),
            (_N, Name),
        ],
        "keywords": [  # after `keywords`: strings and bare words up to the intent's `}`
            (_WS, Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"', String.Double, "string"),
            (r"\}", Punctuation, "#pop"),
            (v.WORD, String.Symbol),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            (v.ESCAPE, String.Escape),
            (v.BAD_ESCAPE, Error),
            (r"\{\{-?", String.Interpol, "jinja-expr"),
            (r"\{%-?", String.Interpol, "jinja-stmt"),
            # a state, not `{#.*?#}`: that regex re-read the rest of the line for every
            # unclosed `{#` (seconds for a 32 KB line)
            (r"\{#", Comment.Multiline, "jinja-comment"),
            (r'[^"\\{\n]+', String.Double),
            (r"\{", String.Double),
            (r"\n", Error, "#pop"),  # a string cannot span lines
        ],
        "jinja-comment": [
            (r"#\}", Comment.Multiline, "#pop"),
            (r"\\.", Comment.Multiline),  # an escape of the mbs string (\")
            (r'[^#"\\\n]+', Comment.Multiline),
            (r"#", Comment.Multiline),
            default("#pop"),  # unclosed: the string ends here (a quote or the line's end)
        ],
        "jinja-expr": [
            (r"-?\}\}", String.Interpol, "#pop"),
            include("jinja"),
        ],
        "jinja-stmt": [
            (r"-?%\}", String.Interpol, "#pop"),
            include("jinja"),
        ],
        "jinja": [
            (r"[ \t]+", Whitespace),
            (r'\\"(?:[^"\\\n]|\\[^"\n])*\\"', String.Double),  # a jinja string written \"...\"
            (v.ESCAPE, String.Escape),
            (r'"', String.Double, "#pop:2"),  # the .mbs string ends (template left open)
            (r"\n", Error, "#pop:2"),
            (r"'[^'\"\n]*'", String.Single),
            (v.words(v.JINJA_KEYWORDS), Keyword),
            (
                rf"({'|'.join(v.TEMPLATE_ROOTS)})(\.)({_N})",
                bygroups(Name.Builtin, Punctuation, Name.Attribute),
            ),
            (rf"(\|)(\s*)({_N})", bygroups(Operator, Whitespace, Name.Function)),
            (_N, Name.Variable),
            (v.NUMBER, Number),
            (v.JINJA_OPERATORS, Operator),
            (v.JINJA_PUNCTUATION, Punctuation),
        ],
    }
