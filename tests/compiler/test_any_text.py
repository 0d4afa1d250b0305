"""``compile_source`` and ``check_source`` never raise, whatever ``str`` they get."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mbs.compiler import check_source, compile_source

VALID = (
    'scenario s "T" {\n    record no\n}\n'
    'step a {\n    say "Bonjour {{ contact.first_name }}"\n    end QUALIFIED\n}\n'
)
ANY_CHAR = st.characters(exclude_categories=())  # lone surrogates included


@settings(max_examples=300)
@given(st.text(alphabet=ANY_CHAR, max_size=200))
def test_any_text_gives_diagnostics_not_an_exception(text: str) -> None:
    result = compile_source(text, "t.mbs")
    assert result.program is None or not any(d.is_error for d in result.diagnostics)


@settings(max_examples=300)
@given(st.integers(0, len(VALID)), st.text(alphabet=ANY_CHAR, min_size=1, max_size=8))
def test_any_characters_inside_a_valid_scenario(at: int, inserted: str) -> None:
    text = VALID[:at] + inserted + VALID[at:]
    for result in (compile_source(text, "t.mbs"), check_source(text, "t.mbs")):
        for d in result.diagnostics:
            assert d.span.line >= 1 and d.span.col >= 1


def test_a_lone_surrogate_is_reported_where_it_is() -> None:
    text = VALID.replace("Bonjour", "Bon\ud800jour")
    (diag,) = compile_source(text, "t.mbs").diagnostics
    assert (diag.code, diag.span.line, diag.span.col) == ("E004", 5, 13)
