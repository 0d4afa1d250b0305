"""The shipped scenarios pass their conversation tests with >= 90% transition coverage
(compiled by the real compiler, classified by the real NLU: the default hybrid, and the
fuzzy one that stays available)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.runtime.builtins.fuzzy import FuzzyNlu
from mbs.runtime.builtins.hybrid import HybridNlu
from mbs.runtime.convtest import Coverage, load_test_file, run_test
from mbs.runtime.vm import LoadedProgram

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TEST_FILES = sorted(SCENARIOS.glob("*.test.toml"))


@pytest.mark.parametrize("nlu_class", [HybridNlu, FuzzyNlu], ids=["hybrid", "fuzzy"])
@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
async def test_shipped_scenario_conversations(
    path: Path, nlu_class: type[HybridNlu] | type[FuzzyNlu]
) -> None:
    from mbs.compiler import compile_file

    tfile = load_test_file(path)
    result = compile_file(tfile.scenario)
    assert result.program is not None and result.ok, [d.message for d in result.diagnostics]
    loaded = LoadedProgram(result.program, str(tfile.scenario))
    nlu = nlu_class(result.program, {})
    coverage = Coverage(loaded)
    failures = {}
    for case in tfile.tests:
        outcome = await run_test(loaded, case, nlu=nlu)
        coverage.record(outcome.events)
        if not outcome.passed:
            failures[case.name] = outcome.failures
    assert not failures
    assert coverage.percent >= 90.0, [str(e) for e in coverage.missing]


def test_every_shipped_scenario_has_conversation_tests() -> None:
    missing = [
        p.name
        for p in sorted(SCENARIOS.glob("*.mbs"))
        if not p.with_name(p.name.removesuffix(".mbs") + ".test.toml").exists()
    ]
    assert not missing
