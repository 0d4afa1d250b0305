"""The fast lexer agrees with Lark's contextual lexer on valid and damaged inputs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from mbs.dsl.parse import Problem, _parser, parse

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compiler"))
from test_fuzz import SEEDS, mutated

KEYWORDS = set(_parser()[0].parser.lexer.keywords)


def _glued_keyword(text: str, problem: Problem) -> bool:
    """Lark's lexer splits a keyword off the front of a longer word (`sayA` -> `say`
    `A`, so `stepa` parses as `step a`); ours reads the whole word as one name."""
    lines = text.split("\n")
    if not 0 < problem.span.line <= len(lines):
        return False
    line = lines[problem.span.line - 1]
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", line[problem.span.col - 1 :])
    return word is not None and any(
        word.group().startswith(k) and word.group() != k for k in KEYWORDS
    )


def _both(text: str) -> None:
    ours = parse(text, "t.mbs")
    lark = parse(text, "t.mbs", lexer="contextual")
    if ours.module is not None:  # whatever we accept, Lark accepts with the same tree
        assert lark.module == ours.module
        assert ours.problems == lark.problems
        return
    a = ours.problems[0]
    if lark.module is not None:
        assert _glued_keyword(text, a), a
        return
    b = lark.problems[0]
    if not _glued_keyword(text, a):
        assert (a.span.line, a.span.col) == (b.span.line, b.span.col), (a, b)


def test_seeds_parse_identically() -> None:
    for seed in SEEDS:
        _both(seed)


def test_keyword_glued_to_a_word_is_a_name() -> None:
    result = parse("stepa { end QUALIFIED }", "t.mbs")
    (problem,) = result.problems
    assert problem.args["found"] == "`stepa`" and problem.args.get("suggestion") == "step"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_parse_identically(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace").replace("\x00", "")
    _both(text)
