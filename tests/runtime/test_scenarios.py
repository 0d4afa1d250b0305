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


async def test_a_runaway_answer_at_a_date_step_is_read_as_its_prefix(tmp_path: Path) -> None:
    """A megabyte said where a date is captured: the call goes on, reading the bounded prefix
    the NLU reads (the date parser and the choice readers once took minutes on it)."""
    from mbs.compiler import compile_file

    runaway = "euh " * 250_000 + "jeudi matin"  # 1 MB: a test file holds at most 4 MiB
    test_file = tmp_path / "runaway.test.toml"
    test_file.write_text(
        f'scenario = "{SCENARIOS / "or_rdv.mbs"}"\n'
        '[defaults]\ncontact = { first_name = "Marie" }\nnow = "2026-12-02T10:15:00+01:00"\n'
        "[[test]]\n"
        'name = "runaway"\n'
        f'turns = ["oui", "non", "oui", "{runaway}", "mardi", "oui"]\n'
        'path = ["intro", "discovery", "pitch", "propose", "confirm_slot", "booked"]\n',
        encoding="utf-8",
    )
    tfile = load_test_file(test_file)
    result = compile_file(tfile.scenario)
    assert result.program is not None
    loaded = LoadedProgram(result.program, str(tfile.scenario))
    outcome = await run_test(loaded, tfile.tests[0], nlu=HybridNlu(result.program, {}))
    assert outcome.passed, outcome.failures
