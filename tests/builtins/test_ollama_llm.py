"""llm.ollama through the real ollama client against a loopback Ollama stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from fake_ollama import FakeOllama, closed_port

from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import FreestyleRequest, Turn
from mbs.runtime.builtins.ollama_llm import OllamaLlm, UnspeakableAnswer, shape_answer

FALLBACK = "Un conseiller pourra vous répondre précisément lors du rendez-vous."

REQUEST = FreestyleRequest(
    utterance="Mais l'or, ce n'est pas risqué en ce moment ?",
    context="Le prospect s'interroge sur le risque de l'investissement.",
    goal="Rassurer sans chiffre puis proposer un rendez-vous.",
    history=[
        Turn("robot", "Bonjour, avez-vous deux minutes ?"),
        Turn("prospect", "Oui, rapidement."),
        Turn("robot", "Nous aidons nos clients à diversifier leur épargne."),
        Turn("prospect", "Hmm, je ne sais pas."),
        Turn("robot", "Puis-je vous poser une question ?"),
        Turn("prospect", "Allez-y."),
    ],
    variables={
        "contact": {"first_name": "Marc", "last_name": "Durand"},
        "agent": {"name": "Julie", "company": "Aurum Conseil"},
        "creneau": "mardi matin",
    },
)


def make(program: Program, server_host: str, **config: Any) -> OllamaLlm:
    llm = registry.create("llm", "ollama", program, {"host": server_host, **config})
    assert isinstance(llm, OllamaLlm)
    return llm


async def test_answer_and_what_the_model_was_told(
    program: Program, ollama_server: FakeOllama
) -> None:
    ollama_server.reply = (
        "Je comprends votre prudence, Marc. L'or sert surtout à diversifier. "
        "Un conseiller peut vous l'expliquer mardi, cela vous irait ?"
    )
    answer = await make(program, ollama_server.host).freestyle(REQUEST, FALLBACK)
    assert not answer.fallback and answer.reason == ""
    assert answer.text == ollama_server.reply

    (sent,) = ollama_server.requests
    assert sent["model"] == "mistral:7b" and sent["stream"] is False
    system, user = sent["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    # agent, personality, objective guidance, step context and goal
    for part in (
        "Julie",
        "Aurum Conseil",
        "chaleureuse et précise",
        "phrases courtes, vouvoiement",
        "Je vous propose un créneau mardi matin",
        "Obtenir un rendez-vous daté avec un conseiller.",
        REQUEST.context,
        REQUEST.goal,
        "Marc Durand",
        "- creneau : mardi matin",
    ):
        assert part in system["content"], part
    # the last five turns, oldest first, then the utterance
    assert "Bonjour, avez-vous deux minutes ?" not in user["content"]
    turns = [t.text for t in REQUEST.history[1:]]
    positions = [user["content"].index(t) for t in turns]
    assert positions == sorted(positions)
    assert user["content"].index(REQUEST.utterance) > positions[-1]
    assert answer.prompt == system["content"] + "\n\n" + user["content"]


async def test_utterance_already_in_the_history_is_not_repeated(
    program: Program, ollama_server: FakeOllama
) -> None:
    ollama_server.reply = "Je vous comprends tout à fait."
    logged = FreestyleRequest(
        utterance="Et les frais ?",
        context="",
        goal="",
        history=[Turn("robot", "Puis-je vous aider ?"), Turn("prospect", "Et les frais ?")],
        variables={},
    )
    await make(program, ollama_server.host).freestyle(logged, FALLBACK)
    user = ollama_server.requests[0]["messages"][1]["content"]
    assert user.count("Et les frais ?") == 1
    assert "Puis-je vous aider ?" in user


async def test_model_and_options_from_config(program: Program, ollama_server: FakeOllama) -> None:
    ollama_server.reply = "Bien sûr, je vous comprends tout à fait."
    llm = make(program, ollama_server.host, model="llama3.1:8b", temperature="0.1")
    await llm.freestyle(REQUEST, FALLBACK)
    sent = ollama_server.requests[0]
    assert sent["model"] == "llama3.1:8b"
    assert sent["options"]["temperature"] == 0.1


async def test_long_answer_is_capped_at_a_sentence_end(
    program: Program, ollama_server: FakeOllama
) -> None:
    sentence = "Je comprends tout à fait votre question et je vais vous répondre clairement. "
    ollama_server.reply = sentence * 30  # 13 words each, 390 in all
    answer = await make(program, ollama_server.host).freestyle(REQUEST, FALLBACK)
    assert not answer.fallback
    words = answer.text.split()
    assert len(words) == 39  # 3 whole sentences fit in the default 40 words
    assert answer.text.endswith("clairement.")


async def test_slow_model_falls_back(program: Program, ollama_server: FakeOllama) -> None:
    ollama_server.mode = "slow"
    answer = await make(program, ollama_server.host, timeout="0.3").freestyle(REQUEST, FALLBACK)
    assert answer.fallback and answer.text == FALLBACK
    assert answer.reason.startswith("timeout")
    assert len(ollama_server.requests) == 1  # it was asked, just too slowly
    assert "Julie" in answer.prompt


async def test_down_server_falls_back(program: Program) -> None:
    llm = make(program, f"http://127.0.0.1:{closed_port()}")
    answer = await llm.freestyle(REQUEST, FALLBACK)
    assert answer.fallback and answer.text == FALLBACK
    assert answer.reason.startswith("down")


@pytest.mark.parametrize(
    ("mode", "reply", "reason"),
    [
        ("normal", "", "garbage: empty answer"),
        ("normal", "   \n ", "garbage: empty answer"),
        ("normal", "Oui.", "garbage: answer too short"),
        ("normal", "Toi : Bonjour.\nTon interlocuteur : Oui ?", "garbage: role markers"),
        ("normal", "<|im_start|>assistant Je comprends bien.", "garbage: role markers"),
        ("normal", "mot " * 200, "garbage: over 40 words with no sentence end"),
        ("normal", "L'or a pris 12 pour cent cette année.", "garbage: figure"),
        ("normal", "Le ticket d'entrée est de mille euros environ.", "garbage: currency"),
        ("normal", "Votre capital est garanti, aucun souci là-dessus.", "garbage: guarantee"),
        ("normal", "Le rendement dépasse cinq pour cent chaque année.", "garbage: rate"),
        ("error", "", "error"),
        ("broken", "", "garbage"),
    ],
)
async def test_unusable_answers_fall_back(
    program: Program, ollama_server: FakeOllama, mode: str, reply: str, reason: str
) -> None:
    ollama_server.mode = mode
    ollama_server.reply = reply
    answer = await make(program, ollama_server.host).freestyle(REQUEST, FALLBACK)
    assert answer.fallback and answer.text == FALLBACK
    assert answer.reason.startswith(reason), answer.reason


async def test_check_reports_a_missing_model_or_server(
    program: Program, ollama_server: FakeOllama
) -> None:
    assert await make(program, ollama_server.host).check() is None
    missing = await make(program, ollama_server.host, model="qwen2:7b").check()
    assert missing is not None and "ollama pull qwen2:7b" in missing
    down = await make(program, f"http://127.0.0.1:{closed_port()}").check()
    assert down is not None and "no Ollama server" in down


async def test_llm_none_always_says_the_fallback(program: Program) -> None:
    llm = registry.create("llm", "none", program, {})
    answer = await llm.freestyle(REQUEST, FALLBACK)  # type: ignore[attr-defined]
    assert (answer.text, answer.fallback, answer.reason) == (FALLBACK, True, "no llm")


def test_shape_answer() -> None:
    assert shape_answer("« Je vous comprends bien. »", max_words=150, min_words=3) == (
        "Je vous comprends bien."
    )
    # an unfinished last sentence is dropped
    assert shape_answer(
        "Je vous comprends bien. Et d'ailleurs nous", max_words=150, min_words=3
    ) == ("Je vous comprends bien.")
    # a short answer without final punctuation is kept whole
    assert shape_answer("Je vous comprends bien", max_words=150, min_words=3) == (
        "Je vous comprends bien"
    )
    # "Vous :" inside a sentence is not a role marker; at a line start it is
    assert shape_answer("Pour vous : un conseiller dédié.", max_words=150, min_words=3)
    with pytest.raises(UnspeakableAnswer):
        shape_answer("Vous : bonjour madame.", max_words=150, min_words=3)
