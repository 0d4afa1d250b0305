"""Template scanning is linear: hostile long lines cost what plain ones do.

The old scan (a lazy DOTALL regex) re-read the rest of the line for every unclosed
``{{``: 7 s for a 32 KB line, 23 s for 64 KB, and the language server blocked meanwhile.
Here the scanner's work is counted exactly, and the compiler and the language server
are timed against a plain line of the same length measured in the same test (a ratio,
not a wall-clock limit: the quadratic scan was thousands of times slower).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mbs.compiler import check_source
from mbs.compiler.check_templates import markup_blocks, spoken_words
from mbs.lsp.analysis import analyse
from mbs.lsp.lexer import MbsLexer

_REGEX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)

HOSTILE: dict[str, Callable[[int], str]] = {
    "unclosed {{": lambda n: "{{ a" * (n // 4),
    "unclosed {%": lambda n: "{% " * (n // 3),
    "unclosed {#": lambda n: "{# " * (n // 3),
    "one long {{": lambda n: "{{" + "x" * n,
    "many names": lambda n: "{{ " + "a " * (n // 2) + "}}",
    "mixed": lambda n: "{{ x }} {% if {# a }} %} {{" * (n // 26),
}


class CountingStr(str):
    """A string that counts the characters its ``find`` looks at."""

    scanned = 0

    def find(self, sub: str, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        begin = start or 0
        found = super().find(sub, begin)
        CountingStr.scanned += (found + len(sub) if found >= 0 else len(self)) - begin
        return found


@given(st.text(alphabet="{}%#- ax", max_size=40))
def test_the_scanner_finds_the_blocks_the_regex_found(text: str) -> None:
    assert [(b.start, b.end) for b in markup_blocks(text)] == [
        (m.start(), m.end()) for m in _REGEX.finditer(text)
    ]
    plain = _REGEX.sub(lambda m: " w " if m.group().startswith("{{") else " ", text)
    assert spoken_words(text) == sum(1 for w in plain.split() if any(c.isalnum() for c in w))


@pytest.mark.parametrize("size", [32_000, 64_000, 1_000_000])
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_the_scanner_reads_each_character_a_bounded_number_of_times(kind: str, size: int) -> None:
    text = CountingStr(HOSTILE[kind](size))
    CountingStr.scanned = 0
    for _ in markup_blocks(text):
        pass
    assert CountingStr.scanned <= 3 * len(text) + 8


def _source(line: str) -> str:
    return f'scenario s "T" {{\n    record no\n}}\nstep a {{\n    say "{line}"\n    end QUALIFIED\n}}\n'


def _best(f: Callable[[str], object], text: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        f(text)
        best = min(best, time.perf_counter() - start)
    return best


CHECKS: dict[str, Callable[[str], object]] = {
    "compiler": lambda text: check_source(text, "t.mbs"),
    "language server": lambda text: analyse(text, "t.mbs"),
    "highlighter": lambda text: list(MbsLexer().get_tokens(text)),
}


@pytest.mark.parametrize(
    ("size", "kinds"),
    [
        (32_000, sorted(HOSTILE)),
        (64_000, sorted(HOSTILE)),
        (1_000_000, ["unclosed {{", "unclosed {%"]),
    ],
)
@pytest.mark.parametrize("tool", sorted(CHECKS))
def test_hostile_lines_cost_about_what_a_plain_line_costs(
    tool: str, size: int, kinds: list[str]
) -> None:
    check = CHECKS[tool]
    runs = 2 if size > 100_000 else 3
    if tool == "highlighter":
        if size > 100_000:
            pytest.skip("the highlighter is checked on 32 KB and 64 KB (1 MB takes seconds)")
        # a token per word: the baseline is a line of closed blocks, as many tokens
        baseline, factor = _best(check, _source("{{ x }} " * (size // 8)), runs), 25
    else:
        baseline, factor = _best(check, _source("mot " * (size // 4)), runs), 60
    for kind in kinds:
        spent = _best(check, _source(HOSTILE[kind](size)), runs)
        # linear: a small multiple of the baseline (measured 1-10x); the quadratic scans
        # were over 70x at 32 KB and over 1,000x at 64 KB
        assert spent <= factor * baseline + 0.05, (kind, spent, baseline)
