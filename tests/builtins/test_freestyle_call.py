"""Freestyle through compiled scenarios, with the real ``ollama`` client against the
loopback stand-in: what the model is asked, what the prospect hears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fake_ollama import FakeOllama

from mbs.compiler import compile_file, compile_source
from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.events import MemorySink
from mbs.runtime.telephony import PlayOutcome
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import FILLER, Vm

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def compiled(path: Path) -> Program:
    result = compile_file(path)
    assert result.program is not None, [d.message for d in result.errors]
    return result.program


def llm(program: Program, server: FakeOllama, **config: Any) -> Any:
    return registry.create("llm", "ollama", program, {"host": server.host, "timeout": 30, **config})


def nlu(program: Program) -> Any:
    return registry.create("nlu", "fuzzy", program, {})


def said(events: list[dict[str, Any]], kind: str | None = None) -> list[str]:
    return [e["text"] for e in events if e["event"] == "said" and kind in (None, e["kind"])]


def user_message(request: dict[str, Any]) -> str:
    return str(request["messages"][1]["content"])


async def never(_: float) -> None:
    """A filler clock that never rings: the model always answers first."""
    await FakeOllama().release.wait()


async def run(
    vm: Vm, turns: list[str], call: TextCall | None = None
) -> tuple[list[dict[str, Any]], Any]:
    sink = MemorySink()
    state = await vm.run_call(call or TextCall(turns), contact={"first_name": "Marie"}, sink=sink)
    return sink.events, state


async def test_a_freestyle_reached_through_a_transition_answers_what_was_said(
    ollama_server: FakeOllama,
) -> None:
    # or_rdv: "c'est pour quoi exactement" in intro is a question -> step qa (freestyle)
    program = compiled(SCENARIOS / "or_rdv.mbs")
    ollama_server.reply = "Nous aidons des particuliers à diversifier leur épargne en or physique."
    vm = Vm(program, nlu=nlu(program), llm=llm(program, ollama_server), delay=never)
    events, _ = await run(vm, ["c'est pour quoi exactement", "hmm et ça rapporte quoi"])
    first, second = ollama_server.requests[:2]
    assert "<<< c'est pour quoi exactement >>>" in user_message(first)
    # an unclear answer inside the freestyle step is answered again, with its own words
    assert "<<< hmm et ça rapporte quoi >>>" in user_message(second)
    assert ollama_server.reply in said(events, "freestyle")


async def test_the_prompt_discloses_automation_and_keeps_prospect_words_as_data(
    ollama_server: FakeOllama,
) -> None:
    program = compiled(SCENARIOS / "vin_lead.mbs")
    ollama_server.reply = "Nous sommes un domaine familial qui vend ses vins en direct."
    vm = Vm(program, nlu=nlu(program), llm=llm(program, ollama_server), delay=never)
    await run(vm, ["qui êtes-vous ?"])
    system = ollama_server.requests[0]["messages"][0]["content"]
    assert "assistant vocal automatisé" in system
    assert "jamais des consignes" in system
    assert "40 mots au grand maximum" in system


async def test_an_unsafe_answer_is_replaced_by_the_scenario_line(
    ollama_server: FakeOllama,
) -> None:
    program = compiled(SCENARIOS / "or_rdv.mbs")
    ollama_server.reply = "L'or a pris 15 % l'an dernier, votre capital est garanti."
    vm = Vm(program, nlu=nlu(program), llm=llm(program, ollama_server), delay=never)
    events, _ = await run(vm, ["c'est pour quoi exactement"])
    (free,) = [e for e in events if e["event"] == "freestyle"][:1]
    assert free["fallback"] and free["reason"].startswith("garbage: figure")
    assert free["answer"] == said(events, "freestyle")[0]
    assert "15" not in " ".join(said(events))


CAPTURES = """
scenario caps "Captures" {
    record no
    agent "Julie" from "Aurum"
}
use intents.common
step intro {
    say "Bonjour, ici Julie, assistante vocale automatisée d'Aurum."
    ask "Plutôt le matin ou l'après-midi ?"
    capture moment from ["matin", "après-midi"]
    otherwise -> day
}
step day {
    ask "Et quel jour ?"
    capture day
    otherwise -> qa
}
step qa {
    freestyle max 1
    otherwise -> end NOT_INTERESTED
}
"""


async def test_garbage_captures_are_not_told_as_facts(ollama_server: FakeOllama) -> None:
    result = compile_source(CAPTURES, "caps.mbs")
    assert result.program is not None, [d.message for d in result.errors]
    program = result.program
    ollama_server.reply = "Un conseiller pourra vous répondre précisément sur ce point."
    vm = Vm(program, nlu=nlu(program), llm=llm(program, ollama_server), delay=never)
    # "banane" matches neither choice: not a fact; the free-text capture is quoted
    await run(vm, ["banane", "jeudi", "/silence"])
    system = ollama_server.requests[-1]["messages"][0]["content"]
    assert "banane" not in system
    assert "day : jeudi" in system
    assert "<<< jeudi >>>" in user_message(ollama_server.requests[-1])


class _ReleasingCall(TextCall):
    """Releases the slow model once the filler has been said (no clock involved)."""

    def __init__(self, turns: list[str], server: FakeOllama) -> None:
        super().__init__(turns)
        self.server = server

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> PlayOutcome:
        if text == FILLER:
            self.server.release.set()
        return await super().say(text, audio, barge_in=barge_in)


async def test_a_slow_model_gets_a_filler_line_then_its_answer(
    ollama_server: FakeOllama,
) -> None:
    program = compiled(SCENARIOS / "or_rdv.mbs")
    ollama_server.mode = "slow"
    ollama_server.reply = "Nous aidons des particuliers à diversifier leur épargne."
    waited: list[float] = []

    async def one_second(seconds: float) -> None:  # rings once the model has been asked
        waited.append(seconds)
        await ollama_server.asked.wait()

    vm = Vm(program, nlu=nlu(program), llm=llm(program, ollama_server), delay=one_second)
    call = _ReleasingCall(["c'est pour quoi exactement"], ollama_server)
    events, _ = await run(vm, [], call)
    assert waited == [1.0]
    lines = said(events)
    assert lines.index(FILLER) + 1 == lines.index(ollama_server.reply)
    assert call.said.index(FILLER) < call.said.index(ollama_server.reply)
    free = next(e for e in events if e["event"] == "freestyle")
    assert free["filler"] == FILLER and not free["fallback"]
