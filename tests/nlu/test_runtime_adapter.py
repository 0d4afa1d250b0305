"""``nlu.fuzzy``: the runtime builtin over mbs.nlu, its thresholds and its settings."""

from __future__ import annotations

import pytest

from mbs.nlu import DEFAULT_INTENT_THRESHOLD, DEFAULT_OBJECTION_THRESHOLD
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError, IntentResult, ObjectionResult
from mbs.runtime.builtins.fuzzy import FuzzyNlu
from tests.nlu.fixtures import make_program


async def test_classify_and_match_return_the_runtime_results() -> None:
    nlu = FuzzyNlu(make_program(), {})
    intent = await nlu.classify("je ne suis pas intéressé")
    assert isinstance(intent, IntentResult)
    assert intent.intent == "not_interested"
    assert intent.runner_up is not None
    objection = await nlu.match_objection("j'ai vraiment pas le temps")
    assert isinstance(objection, ObjectionResult)
    assert objection.objection == "Je n'ai pas le temps"
    assert objection.pack == "objections.standard"
    assert objection.response == "Je comprends, deux minutes suffiront."


async def test_no_match_is_an_empty_result_with_its_score() -> None:
    nlu = FuzzyNlu(make_program(), {})
    objection = await nlu.match_objection("je m'appelle Paul et j'habite à Lyon")
    assert objection.objection is None and objection.response is None
    assert objection.pack is None
    intent = await nlu.classify("je m'appelle Paul et j'habite à Lyon")
    assert intent.intent is None


def test_thresholds_default_then_scenario_then_config() -> None:
    default = FuzzyNlu(make_program(), {})
    assert default.intent_threshold == DEFAULT_INTENT_THRESHOLD
    assert default.objection_threshold == DEFAULT_OBJECTION_THRESHOLD
    scenario = FuzzyNlu(make_program(intent_threshold=0.8, objection_threshold=0.9), {})
    assert (scenario.intent_threshold, scenario.objection_threshold) == (0.8, 0.9)
    configured = FuzzyNlu(
        make_program(intent_threshold=0.8, objection_threshold=0.9),
        {"intent_threshold": "0.3", "objection_threshold": 0.4},
    )
    assert (configured.intent_threshold, configured.objection_threshold) == (0.3, 0.4)
    assert configured.intents.threshold == 0.3
    assert configured.objections.threshold == 0.4


async def test_a_higher_threshold_turns_a_match_into_no_match() -> None:
    text = "ah non franchement j'ai pas le temps là"
    assert (await FuzzyNlu(make_program(), {}).match_objection(text)).objection
    strict = FuzzyNlu(make_program(objection_threshold=0.99), {})
    result = await strict.match_objection(text)
    assert result.objection is None and result.score > 0.0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"intent_threshold": "haut"}, "must be a number"),
        ({"objection_threshold": 1.5}, "between 0 and 1"),
        ({"intent_threshold": -0.1}, "at least 0"),
        ({"threshold": 0.5}, "unknown setting 'threshold'"),
    ],
)
def test_bad_settings_are_builtin_errors(config: dict[str, object], message: str) -> None:
    with pytest.raises(BuiltinError, match=message):
        FuzzyNlu(make_program(), config)


def test_registered_as_nlu_fuzzy() -> None:
    nlu = registry.create("nlu", "fuzzy", make_program(), {})
    assert isinstance(nlu, FuzzyNlu)
