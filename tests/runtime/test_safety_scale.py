"""The VM's stop rules read scores on the NLU's own scale: the NLU says at which score it
accepts the runner-up's label (per label when calibrated), the unsure band is a share of
that threshold, and a log without it (older, or a third-party NLU) keeps the defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from mbs.compiler import compile_source
from mbs.program import Program, Result
from mbs.runtime.builtins.base import IntentResult, ObjectionResult
from mbs.runtime.events import MemorySink, parse_event
from mbs.runtime.replay import replay_call
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import CONFIRM_SHARE, Vm

SCENARIO = """\
use intents.common

scenario essai "Essai" {
    record no
    agent "Julie" from "Aurum" feminine
    {threshold}
}

step intro {
    say "Bonjour, je suis l'assistante vocale automatisée d'Aurum."
    ask "Avez-vous deux minutes ?"
    on yes -> done
    otherwise -> done
}

step done {
    say "Merci."
    end QUALIFIED
}
"""

CONFIRM = "Souhaitez-vous que je retire votre numéro de nos listes ?"


def program(threshold: str = "") -> Program:
    result = compile_source(SCENARIO.replace("{threshold}", threshold), "essai.mbs")
    assert result.program is not None and result.ok, [str(d) for d in result.diagnostics]
    return result.program


class TableNlu:
    """Answers each utterance with the result given for it (nothing else is known)."""

    def __init__(self, table: Mapping[str, IntentResult]) -> None:
        self.table = table

    async def classify(self, utterance: str) -> IntentResult:
        return self.table.get(utterance, IntentResult(intent=None, score=0.0))

    async def match_objection(self, utterance: str) -> ObjectionResult:
        return ObjectionResult(objection=None)


def unsure(score: float, threshold: float | None) -> IntentResult:
    """stop_calling ranked first, under the NLU's threshold for it."""
    return IntentResult(None, score, "stop_calling", score, runner_up_threshold=threshold)


async def call(
    prog: Program, turns: list[str], table: Mapping[str, IntentResult]
) -> tuple[Any, TextCall, list[dict[str, Any]]]:
    sink = MemorySink()
    text_call = TextCall(turns)
    state = await Vm(prog, nlu=TableNlu(table)).run_call(
        text_call, contact={"first_name": "Marie"}, sink=sink
    )
    return state, text_call, sink.events


async def test_a_stop_request_the_nlu_accepts_is_an_opt_out_under_the_default() -> None:
    # a calibrated NLU may accept stop_calling under the fuzzy default of 0.55
    table = {"enlevez-moi": IntentResult("stop_calling", 0.45, "yes", 0.1, 0.5)}
    state, _, _ = await call(program(), ["enlevez-moi"], table)
    assert state.opt_out and state.result is Result.NOT_INTERESTED


async def test_a_runner_up_stop_request_over_its_own_threshold_is_an_opt_out() -> None:
    table = {"non retirez-moi": IntentResult("no", 0.6, "stop_calling", 0.46, 0.44)}
    state, _, _ = await call(program(), ["non retirez-moi"], table)
    assert state.opt_out
    # the same scores, when the NLU accepts stop_calling only from 0.5: not sure
    table = {"non retirez-moi": IntentResult("no", 0.6, "stop_calling", 0.46, 0.5)}
    state, _, _ = await call(program(), ["non retirez-moi"], table)
    assert not state.opt_out


@pytest.mark.parametrize(
    ("score", "threshold", "asked"),
    [
        (0.36, 0.44, True),  # in the band of a NLU accepting from 0.44
        (CONFIRM_SHARE * 0.44 - 0.01, 0.44, False),  # under it
        (0.36, None, False),  # not reported: the default threshold (0.55) and its band
        (0.42, None, True),
    ],
)
async def test_the_unsure_band_is_a_share_of_the_nlu_threshold(
    score: float, threshold: float | None, asked: bool
) -> None:
    table = {"bof": unsure(score, threshold), "oui": IntentResult("yes", 0.9)}
    state, text_call, events = await call(program(), ["bof", "oui"], table)
    assert (CONFIRM in text_call.said) is asked
    assert state.opt_out is asked  # yes to the confirmation removes the number
    report = await replay_call(program(), events)
    assert report.identical, report.divergence


async def test_the_scenario_confirm_threshold_wins() -> None:
    table = {"bof": unsure(0.3, 0.44), "oui": IntentResult("yes", 0.9)}
    _, text_call, _ = await call(program("threshold confirm 0.25"), ["bof", "oui"], table)
    assert CONFIRM in text_call.said
    _, text_call, _ = await call(program("threshold confirm 0.35"), ["bof", "oui"], table)
    assert CONFIRM not in text_call.said


async def test_the_reported_threshold_is_logged_only_when_known() -> None:
    table = {"bof": unsure(0.36, 0.44), "oui": IntentResult("yes", 0.9)}
    _, _, events = await call(program(), ["bof", "oui"], table)
    intents = [e for e in events if e["event"] == "intent"]
    assert intents[0]["runner_up_threshold"] == 0.44
    assert "runner_up_threshold" not in intents[1]  # not reported: as in older logs
    for e in intents:
        assert parse_event(e).to_json() == e
