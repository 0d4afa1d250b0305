"""nlu.ollama through the real ollama client against a loopback Ollama stand-in, with
the registry's nlu.hybrid (the default NLU) or any other registered NLU as its
fallback."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fake_ollama import FakeOllama, closed_port

from mbs.program import Program, Thresholds
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError, IntentResult
from mbs.runtime.builtins.hybrid import HybridNlu
from mbs.runtime.builtins.ollama_nlu import OllamaNlu


def make(program: Program, host: str, **config: Any) -> OllamaNlu:
    nlu = registry.create("nlu", "ollama", program, {"host": host, **config})
    assert isinstance(nlu, OllamaNlu)
    return nlu


@pytest.fixture
def echo_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party NLU, installed as a real distribution, that always says ``no``."""
    info = tmp_path / "echo_nlu-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-nlu\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[mbs.builtins]\nnlu.echo = echo_nlu:EchoNlu\n")
    (tmp_path / "echo_nlu.py").write_text(
        textwrap.dedent(
            """
            from mbs.runtime.builtins.base import IntentResult, ObjectionResult

            class EchoNlu:
                def __init__(self, program, config):
                    self.score = float(config.get("score", 0.5))
                    self.seen = []

                async def classify(self, utterance):
                    self.seen.append(utterance)
                    return IntentResult(intent="no", score=self.score)

                async def match_objection(self, utterance):
                    self.seen.append(utterance)
                    return ObjectionResult(objection="Je n'ai pas le temps", score=self.score)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def answer(intent: str | None, confidence: float) -> str:
    return json.dumps({"intent": intent, "confidence": confidence})


async def test_model_decides_when_it_answers_well(
    program: Program, ollama_server: FakeOllama
) -> None:
    ollama_server.reply = answer("slot_ok", 0.92)
    nlu = make(program, ollama_server.host)
    result = await nlu.classify("Mardi en fin de matinée, ça m'irait")
    assert result == IntentResult(intent="slot_ok", score=0.92)
    assert nlu.last_reason == ""

    (sent,) = ollama_server.requests
    assert sent["format"] == "json" and sent["model"] == "mistral:7b"
    prompt = sent["messages"][1]["content"]
    for name, example in (("yes", "d'accord"), ("no", "non merci"), ("slot_ok", "jeudi c'est bon")):
        assert f"- {name} :" in prompt and example in prompt
    assert "Mardi en fin de matinée, ça m'irait" in prompt
    assert '"intent"' in sent["messages"][0]["content"]


async def test_null_intent_and_low_confidence_mean_nothing_recognised(
    program: Program, ollama_server: FakeOllama
) -> None:
    nlu = make(program, ollama_server.host)
    ollama_server.reply = answer(None, 0.8)
    assert (await nlu.classify("Il fait beau chez vous ?")).intent is None
    ollama_server.reply = answer("yes", 0.3)  # below the default 0.6
    low = await nlu.classify("bof peut-être")
    assert low.intent is None and low.runner_up == "yes"
    # the scenario's threshold applies
    strict = program.model_copy(
        update={
            "scenario": program.scenario.model_copy(update={"thresholds": Thresholds(intent=0.95)})
        }
    )
    ollama_server.reply = answer("yes", 0.9)
    assert (await make(strict, ollama_server.host).classify("oui")).intent is None
    assert nlu.last_reason == ""  # none of these fell back


@pytest.mark.parametrize(
    ("mode", "reply", "reason"),
    [
        ("normal", "Je pense que c'est un oui.", "garbage: not JSON"),
        ("normal", answer("banana", 0.99), "garbage: unknown intent 'banana'"),
        ("normal", json.dumps({"intent": "yes"}), "garbage: no numeric confidence"),
        ("normal", json.dumps(["yes", 0.9]), "garbage: no intent field"),
        ("broken", "", "garbage"),
        ("error", "", "error"),
        ("slow", answer("no", 0.9), "timeout"),
    ],
)
async def test_the_default_nlu_decides_when_the_model_fails(
    program: Program, ollama_server: FakeOllama, mode: str, reply: str, reason: str
) -> None:
    ollama_server.mode, ollama_server.reply = mode, reply
    # only the slow server must hit the limit: one that answers at once must never, even
    # on a machine so loaded that the answer takes seconds
    nlu = make(program, ollama_server.host, timeout="0.3" if mode == "slow" else "60")
    default = registry.create("nlu", "hybrid", program, {})
    utterance = "oui d'accord"
    result = await nlu.classify(utterance)
    assert result == await default.classify(utterance)  # type: ignore[attr-defined]
    assert result.intent == "yes"
    assert nlu.last_reason.startswith(reason), nlu.last_reason
    assert sum(nlu.fallbacks.values()) == 1
    assert len(ollama_server.requests) == 1


async def test_the_default_nlu_decides_when_the_server_is_down(program: Program) -> None:
    nlu = make(program, f"http://127.0.0.1:{closed_port()}")
    assert isinstance(nlu.fallback, HybridNlu)
    result = await nlu.classify("non merci")
    assert result.intent == "no"
    assert nlu.fallbacks == {"down": 1}


async def test_objections_are_matched_by_the_fallback_without_asking_the_model(
    program: Program, ollama_server: FakeOllama
) -> None:
    nlu = make(program, ollama_server.host)
    result = await nlu.match_objection("je suis pressé")
    assert result.objection == "Je n'ai pas le temps"
    assert result.response == "Je comprends, deux minutes suffiront."
    assert ollama_server.requests == []


async def test_any_registered_nlu_can_be_the_fallback(
    program: Program, ollama_server: FakeOllama, echo_fallback: None
) -> None:
    ollama_server.reply = "pas du json"
    nlu = make(program, ollama_server.host, fallback="echo", **{"fallback.score": "0.77"})
    assert await nlu.classify("oui") == IntentResult(intent="no", score=0.77)
    objection = await nlu.match_objection("pas le temps")
    assert objection.objection == "Je n'ai pas le temps"
    assert nlu.fallback.seen == ["oui", "pas le temps"]  # type: ignore[attr-defined]


def test_fallback_must_exist(program: Program) -> None:
    with pytest.raises(BuiltinError, match="no nlu builtin named 'nope'"):
        registry.create("nlu", "ollama", program, {"fallback": "nope"})
    with pytest.raises(BuiltinError, match=r"cannot be nlu\.ollama"):
        registry.create("nlu", "ollama", program, {"fallback": "ollama"})
