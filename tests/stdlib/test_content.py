"""What the stdlib promises a scenario author on day one, and the shipped scenarios' state.

Counts and names come from issue 3; the speaking-time bound is 15 s at a calm 150 words
per minute, i.e. at most 37 words for any objection response.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.compiler import compile_file, compile_source
from mbs.program import Program, Result, Say

ROOT = Path(__file__).resolve().parents[2]
STDLIB_ALL = ROOT / "tests" / "nlu" / "stdlib_all.mbs"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.mbs"))
THEMES = (
    "standard",
    "finance",
    "crypto",
    "energie",
    "immobilier",
    "assurance",
    "saas_b2b",
    "or",
    "vin",
)
INTENTS = (
    "yes",
    "no",
    "not_interested",
    "callback",
    "stop_calling",
    "question",
    "who_is_calling",
    "wrong_person",
    "repeat",
    "insult",
    "goodbye",
    "robot_question",
    "human_request",
    "vulnerable",
)
PERSONALITIES = (
    "professionnel",
    "doux",
    "dynamique",
    "assertif",
    "expert",
    "commercial",
    "consultative",
)
WORDS_IN_15_SECONDS = 37  # 150 words per minute


@pytest.fixture(scope="module")
def stdlib() -> Program:
    result = compile_file(STDLIB_ALL)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


def _scenario(objective: str, theme: str | None = None) -> Program:
    theme_line = f"    theme {theme}\n" if theme else ""
    source = (
        f'scenario s "Test" {{\n    record no\n    objective {objective}\n{theme_line}}}\n'
        'step a {\n    say "Bonjour."\n    end NOT_INTERESTED\n}\n'
    )
    result = compile_source(source, "s.mbs")
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


def test_common_intents_are_exactly_the_fourteen_names(stdlib: Program) -> None:
    assert sorted(i.name for i in stdlib.intents) == sorted(INTENTS)
    for intent in stdlib.intents:
        assert len(set(intent.examples)) >= 30, intent.name
        assert intent.keywords, intent.name


def test_nine_packs_with_at_least_153_objections(stdlib: Program) -> None:
    packs = {p.name: p for p in stdlib.objection_packs}
    assert sorted(packs) == sorted(f"objections.{t}" for t in THEMES)
    assert sum(len(p.objections) for p in packs.values()) >= 153
    assert all(len(p.objections) >= 15 for p in packs.values())


def test_every_objection_has_at_least_eight_phrasings(stdlib: Program) -> None:
    few = [
        (pack.name, o.text)
        for pack in stdlib.objection_packs
        for o in pack.objections
        if len({o.text, *o.variants}) < 8
    ]
    assert not few


# Issue 10: when the prospect has no money or says they are too old, the answer leaves it
# there instead of arguing.
NO_MONEY_OR_AGE = (
    ("objections.standard", "C'est trop cher"),
    ("objections.standard", "En ce moment c'est compliqué financièrement"),
    ("objections.standard", "À mon âge ça ne vaut plus la peine"),
    ("objections.finance", "Je n'ai pas d'argent à placer"),
    ("objections.immobilier", "Je n'ai pas d'apport"),
    ("objections.energie", "Je ne peux pas avancer l'argent des travaux"),
    ("objections.or", "Un lingot c'est hors de ma portée"),
    ("objections.saas_b2b", "Pas de budget cette année"),
)


@pytest.mark.parametrize(("pack", "text"), NO_MONEY_OR_AGE)
def test_no_money_and_age_answers_do_not_push(stdlib: Program, pack: str, text: str) -> None:
    objection = next(
        o for p in stdlib.objection_packs if p.name == pack for o in p.objections if o.text == text
    )
    assert objection.response is not None
    response = objection.response.lower()
    assert any(m in response for m in ("insister", "insisterai", "en rest", "pas vous pousser"))
    assert not response.rstrip().endswith("?")


def test_robot_is_a_question_not_an_insult(stdlib: Program) -> None:
    by_name = {i.name: i for i in stdlib.intents}
    assert not [e for e in by_name["insult"].examples if "robot" in e.lower()]
    assert "robot" in by_name["robot_question"].keywords
    assert {"enceinte", "mineur"} <= set(by_name["vulnerable"].keywords)


def test_every_objection_response_is_spoken_in_under_15_seconds(stdlib: Program) -> None:
    too_long = [
        (pack.name, o.text, len(o.response.split()))
        for pack in stdlib.objection_packs
        for o in pack.objections
        if o.response is None or len(o.response.split()) > WORDS_IN_15_SECONDS
    ]
    assert not too_long


def test_seven_personalities_each_with_tone_style_and_example(stdlib: Program) -> None:
    assert sorted(p.name for p in stdlib.personalities) == sorted(PERSONALITIES)
    assert all(p.tone and p.style and p.example for p in stdlib.personalities)


@pytest.mark.parametrize(
    ("objective", "result"),
    [
        ("appointment", Result.APPOINTMENT_SCHEDULED),
        ("lead", Result.QUALIFIED),
        ("transfer", Result.TRANSFERRED),
    ],
)
def test_three_objectives_give_guidance_and_a_result_to_reach(
    objective: str, result: Result
) -> None:
    program = _scenario(objective)
    assert program.objective is not None and program.objective.name == objective
    assert program.objective.guidance
    assert result in program.objective.results


def test_amd_has_16_machine_phrases_and_human_greetings(stdlib: Program) -> None:
    assert len(set(stdlib.amd.machine)) >= 16
    assert stdlib.amd.human


def test_a_theme_pulls_its_pack_plus_standard() -> None:
    program = _scenario("lead", theme="vin")
    assert sorted(p.name for p in program.objection_packs) == [
        "objections.standard",
        "objections.vin",
    ]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_ready_scenario_compiles_without_warning_and_announces_recording(path: Path) -> None:
    result = compile_file(path)
    assert result.ok and not result.warnings, [str(d) for d in result.diagnostics]
    assert result.program is not None and result.program.scenario.record
    program = result.program
    first = next(i for i in program.code[program.entry :] if isinstance(i, Say))
    assert "enregistr" in program.consts[first.text].lower()


def test_the_ready_scenarios_cover_the_three_objectives_and_their_themes() -> None:
    kinds = set()
    for path in SCENARIOS:
        program = compile_file(path).program
        assert program is not None and program.objective is not None
        kinds.add((program.objective.name, program.scenario.theme))
    assert kinds >= {("appointment", "or"), ("lead", "vin"), ("transfer", "energie")}
