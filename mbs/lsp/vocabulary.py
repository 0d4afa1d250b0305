"""The words and token shapes of ``.mbs``, shared by every editor-facing tool.

The Pygments lexer (:mod:`mbs.lsp.lexer`), the TextMate grammar
(:mod:`mbs.lsp.textmate`, committed as ``editors/textmate/mbs.tmLanguage.json``) and the
language server's completion all read their keyword lists and regexes from here, so
the three cannot drift apart. ``tests/lsp`` checks that the keyword groups cover
exactly the ``KW_*`` terminals of ``mbs/dsl/grammar.lark`` (the real grammar).

Keywords are reserved only where the grammar expects them, so the highlighters colour
a keyword wherever it appears except in the name slots they can recognise (after
``step``, ``->``, ``then``...), where a step called ``opt_out`` is a name.
"""

from __future__ import annotations

import re
from importlib import resources

from mbs.compiler.check_names import CALL_EVENTS, INPUT_CASES
from mbs.compiler.check_templates import AGENT_FIELDS, CONTACT_FIELDS
from mbs.program import COMPANY_FACTS, Result

# --------------------------------------------------------------------------- keywords
# Each keyword is highlighted in exactly one group; the groups are disjoint.
DECLARATIONS = (
    "scenario",
    "use",
    "import",
    "intent",
    "objections",
    "personality",
    "objective",
    "amd",
    "always",
    "step",
    "extends",
)
ACTIONS = (
    "say",
    "play",
    "ask",
    "listen",
    "freestyle",
    "capture",
    "set",
    "transfer",
    "opt_out",
    "end",
    "confirm",
)
FLOW = ("on", "otherwise", "retry", "then", "answer", "dtmf")
HEADER = (
    "language",
    "theme",
    "agent",
    "voice",
    "max_turns",
    "record",
    "barge_in",
    "threshold",
    "fields",
    "start",
    "disclosure",
    "company",
)
OPTIONS = (
    "timeout",
    "max",
    "uninterruptible",
    "from",
    "keywords",
    "audio",
    "context",
    "goal",
    "fallback",
    "tone",
    "style",
    "example",
    "guidance",
    "reach",
    "machine",
    "human",
    "as",
)
KEYWORD_GROUPS: dict[str, tuple[str, ...]] = {
    "declaration": DECLARATIONS,
    "action": ACTIONS,
    "flow": FLOW,
    "header": HEADER,
    "option": OPTIONS,
}

# Every key a scenario header accepts, in the order of docs/language.md.
HEADER_KEYS = (
    "language",
    "objective",
    "theme",
    "personality",
    "agent",
    "voice",
    "max_turns",
    "record",
    "barge_in",
    "timeout",
    "threshold",
    "fields",
    "start",
    "disclosure",
    "company",
)
HEADER_DOCS: dict[str, str] = {
    "language": "BCP-47 tag of the conversation (default fr-FR)",
    "objective": "what the campaign aims for: appointment | lead | transfer",
    "theme": "pulls objections.standard plus objections.THEME",
    "personality": "how the agent sounds (stdlib or declared in the file)",
    "agent": 'the agent\'s name and company: agent "Julie" from "Aurum Conseil"',
    "voice": "TTS voice name, builtin-specific",
    "max_turns": "listening turns per call (default 30)",
    "record": "yes | no (default yes): the call is recorded",
    "barge_in": "default barge-in for say/ask (default yes)",
    "timeout": "default listen timeout (default 6s)",
    "threshold": "NLU acceptance threshold: threshold intent 0.6 / threshold objection 0.7",
    "fields": "extra contact fields the templates may use",
    "start": "first step (default: the first step declared)",
    "disclosure": 'disclosure no "why": the opening does not say an automated assistant speaks',
    "company": 'a fact about the calling company: company legal_name "Aurum SAS" '
    "(legal_name, registration, data_source, callback_number)",
}

# Reserved names in a case slot (`on silence`), and the yes/no header values.
CASES = (*INPUT_CASES, *CALL_EVENTS)
CASE_DOCS: dict[str, str] = {
    "objection": "an objection of a pack in scope matched the utterance",
    "silence": "the prospect said nothing before the timeout",
    "unclear": "nothing this step handles was recognised",
    "captured": "a typed capture (`capture slot as when`) of this step understood the answer",
    "machine": "call event: an answering machine picked up (in `always` only)",
    "hangup": "call event: the prospect hung up (in `always` only)",
    "max_turns": "call event: the call used its listening turns (in `always` only)",
}
CONSTANTS = ("yes", "no")

RESULTS = tuple(r.value for r in Result)
RESULT_DOCS: dict[str, str] = {
    "APPOINTMENT_SCHEDULED": "an appointment was booked (goal of `objective appointment`)",
    "QUALIFIED": "the lead is qualified (goal of `objective lead`)",
    "NOT_QUALIFIED": "the prospect is not a fit (wrong person, out of target)",
    "NOT_INTERESTED": "the prospect declined",
    "CALLBACK_REQUESTED": "the prospect asked to be called back later",
    "TRANSFERRED": "the call was handed to a human (set by `transfer`)",
    "ANSWERING_MACHINE": "an answering machine picked up",
    "HUNG_UP": "the prospect hung up",
    "TECHNICAL_ERROR": "the call failed for a technical reason",
}

TEMPLATE_ROOTS: dict[str, tuple[str, ...]] = {
    "contact": CONTACT_FIELDS,
    "agent": AGENT_FIELDS,
    "company": COMPANY_FACTS,
}
JINJA_KEYWORDS = (
    "if",
    "elif",
    "else",
    "endif",
    "for",
    "endfor",
    "in",
    "not",
    "and",
    "or",
    "is",
    "set",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
)

# ----------------------------------------------------------------------------- tokens
# Plain regexes, valid under both Python ``re`` and Oniguruma.
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
RESULT_CODE = r"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b"  # UPPER_CASE: a result code (checked by the compiler)
DURATION = r"\b[0-9]+(?:\.[0-9]+)?(?:ms|min|s)\b"
NUMBER = r"\b[0-9]+(?:\.[0-9]+)?\b"
ESCAPE = r'\\(?:u[0-9A-Fa-f]{4}|["\\nt])'
BAD_ESCAPE = r"\\(?:u.{0,3}|.)"
WORD = r'[^\s"#{};\[\]]+'  # a bare keyword (`rendez-vous`) or a language tag (`fr-FR`)
# Declarations followed by the name they introduce.
NAMED_DECLARATIONS = ("scenario", "intent", "objections", "personality", "objective", "step")


def words(items: tuple[str, ...] | list[str]) -> str:
    """A regex matching any of ``items`` as a whole word."""
    ordered = sorted(items, key=lambda w: (-len(w), w))
    return r"\b(?:" + "|".join(re.escape(w) for w in ordered) + r")\b"


def all_keywords() -> set[str]:
    return {w for group in KEYWORD_GROUPS.values() for w in group}


def grammar_keywords() -> set[str]:
    """The keywords of the real grammar: the ``KW_*: "word"`` terminals of grammar.lark."""
    text = resources.files("mbs.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return set(re.findall(r'^KW_[A-Z_]+:\s*"([a-z_]+)"', text, flags=re.MULTILINE))


# ------------------------------------------------------------------------------ rules
# A keyword followed by the name it introduces or refers to: (regex, role of each
# group). Tried before the plain keyword rules, in this order. Each highlighter maps a
# role to its own token type (Pygments) or scope (TextMate).
_OTHER_DECLS = "|".join(d for d in NAMED_DECLARATIONS if d != "step")
NAME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (rf"\b(use)(\s+)({NAME}(?:\.{NAME})*)", ("declaration", "ws", "namespace")),
    (rf"\b(step)(\s+)({NAME})", ("declaration", "ws", "step")),
    (rf"\b({_OTHER_DECLS}|extends)(\s+)({NAME})", ("declaration", "ws", "type")),
    (rf"(->)(\s*)(?!(?:end|retry|answer)\b)({NAME})", ("operator", "ws", "step")),
    (rf"\b(then)(\s+)({NAME})", ("flow", "ws", "step")),
    (rf"\b(start)(\s+)({NAME})", ("header", "ws", "step")),
    (rf"\b(on|answer)(\s+)({words(CASES)})", ("flow", "ws", "case")),
    (rf"\b(on)(\s+)(?!dtmf\b)({NAME})", ("flow", "ws", "type")),
    (rf"\b(capture|set)(\s+)({NAME})", ("action", "ws", "variable")),
    (rf"\b(threshold)(\s+)({NAME})", ("header", "ws", "case")),
    (rf"\b(theme)(\s+)({NAME})", ("header", "ws", "namespace")),
    (rf"\b(language)(\s+)({WORD})", ("header", "ws", "word")),
)
# Single-token rules after the keyword groups: (regex, role).
VALUE_RULES: tuple[tuple[str, str], ...] = (
    (words(CONSTANTS), "constant"),
    (RESULT_CODE, "result"),
    (DURATION, "duration"),
    (NUMBER, "number"),
    (r"->|=>|\||=", "operator"),
    (r"[{}\[\],;]", "punctuation"),
)
JINJA_OPERATORS = r"==|!=|<=|>=|[<>+\-*/%~=]"
JINJA_PUNCTUATION = r"[()\[\]{},.:]"
