"""Whatever the buffer holds, every feature answers without raising (property test)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbs.lsp.analysis import analyse
from mbs.lsp.completion import complete
from mbs.lsp.navigation import definition, hover_text, lsp_diagnostics, symbols
from mbs.lsp.positions import UTF8, UTF16

PIECES = [
    "scenario", "s", '"T"', "{", "}", "\n", " ", "step", "a", "b", "on", "yes", "->", "end",
    "HUNG_UP", "retry", "2", "then", "answer", "objection", "use", "intents.common",
    "import", '"x.mbs"', "intent", "personality", "extends", "doux", "theme", "or", "say",
    '"é {{ contact.', "first_name", "}}", '"', "\\", "#", "👋", "[", "]", ",", "capture",
    "from", "freestyle", "max", "keywords", "rendez-vous", "always", "otherwise", "6s",
    "record", "no", "\r\n", "\t", "\ufeff", "E009",
]  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40),
    line=st.integers(0, 12),
    col=st.integers(0, 40),
)
def test_any_buffer_any_position(parts: list[str], line: int, col: int) -> None:
    text = " ".join(parts)
    a = analyse(text, "<buffer>")
    lines = text.split("\n")
    current = lines[min(line, len(lines) - 1)]
    complete(a, current, min(col, len(current)), text)
    hover_text(a, line + 1, col + 1)
    definition(a, line + 1, col + 1)
    symbols(a, UTF8)
    for d in lsp_diagnostics(a, UTF16):
        assert d.range.start.line <= d.range.end.line
        assert d.message
