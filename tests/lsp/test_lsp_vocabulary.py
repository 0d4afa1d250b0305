"""The shared vocabulary agrees with the real grammar and with the program's results."""

from __future__ import annotations

import re
from importlib import resources

from mbs.lsp import vocabulary as v
from mbs.program import Result


def test_keyword_groups_are_the_grammar_keywords() -> None:
    assert v.all_keywords() == v.grammar_keywords()
    assert len(v.grammar_keywords()) > 40
    seen: set[str] = set()
    for group in v.KEYWORD_GROUPS.values():
        assert not seen & set(group), "a keyword is in two groups"
        seen |= set(group)


def test_header_keys_are_the_grammar_header_rules() -> None:
    grammar = resources.files("mbs.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    keys = re.findall(r"^h_[a-z_]+: KW_([A-Z_]+)", grammar, flags=re.M)
    assert set(v.HEADER_KEYS) == {k.lower() for k in keys}
    assert set(v.HEADER_DOCS) == set(v.HEADER_KEYS)


def test_every_result_and_case_is_documented() -> None:
    assert set(v.RESULT_DOCS) == {r.value for r in Result} == set(v.RESULTS)
    assert set(v.CASE_DOCS) == set(v.CASES)


def test_token_regexes() -> None:
    assert re.fullmatch(v.DURATION, "1.5s") and re.fullmatch(v.DURATION, "500ms")
    assert re.fullmatch(v.DURATION, "2min") and not re.fullmatch(v.DURATION, "2x")
    assert re.fullmatch(v.RESULT_CODE, "NOT_INTERESTED") and re.fullmatch(
        v.RESULT_CODE, "QUALIFIED"
    )
    assert not re.fullmatch(v.RESULT_CODE, "Intro")
    assert re.fullmatch(v.ESCAPE, "\\u00e9") and not re.fullmatch(v.ESCAPE, "\\q")
    assert re.search(v.words(v.ACTIONS), "max_turns") is None  # whole words only
