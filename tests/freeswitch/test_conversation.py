"""Whole conversations of the shipped scenarios over real ESL, against `mbs chat`'s path.

Each scripted conversation of ``scenarios/*.test.toml`` whose turns are plain sentences
runs twice with the real fuzzy NLU:

- through the text channel (``TextCall``, what ``mbs chat`` and ``mbs test`` use);
- through the ``esl`` backend and the asyncio client over loopback TCP to the
  simulator, whose caller is pinned to a persona saying the same sentences, one after
  each of the robot's prompts, as DETECTED_SPEECH events.

Both runs must enter the same steps, say the same lines, hear the same sentences,
capture the same values and end with the same result. All conversations share one
client connection and run at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from mbs.compiler import compile_file
from mbs.freeswitch.backend import EslBackendConfig, EslTelephony
from mbs.freeswitch.client import ClientConfig
from mbs.freeswitch.esl_call import EslCall
from mbs.freeswitch.sim import Persona, PersonaKind, Simulator, Turn
from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.convtest import ConversationTest, load_test_file
from mbs.runtime.events import Event, MemorySink
from mbs.runtime.telephony import CallStatus
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import Vm

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = ("or_rdv", "energie_transfer", "vin_lead")
SCALE = 50.0  # simulated seconds per wall second
PAUSE_S = 2.0  # the caller's pause after a prompt (simulated): 40 ms of wall time


@dataclass
class Transcript:
    """What a conversation test compares between the two channels."""

    path: list[str]
    said: list[str]
    heard: list[str]
    captured: dict[str, str]
    result: str
    opt_out: bool


def transcript(events: list[Event]) -> Transcript:
    def of(kind: str) -> list[Event]:
        return [e for e in events if e["event"] == kind]

    results = of("result")
    assert len(results) == 1, f"one result expected, got {results}"
    return Transcript(
        path=[str(e["step"]) for e in of("step_entered")],
        said=[str(e["text"]) for e in of("said")],
        heard=[f"{e['kind']}:{e['text']}" for e in of("heard")],
        captured={str(e["var"]): str(e["value"]) for e in of("captured")},
        result=str(results[0]["result"]),
        opt_out=bool(results[0]["opt_out"]),
    )


def compile_shipped(name: str) -> Program:
    result = compile_file(SCENARIOS / f"{name}.mbs")
    assert result.program is not None and result.ok, result.diagnostics
    return result.program


async def text_run(program: Program, test: ConversationTest) -> tuple[Transcript, TextCall]:
    vm = Vm(program, nlu=registry.create("nlu", "fuzzy", program, {}))
    call = TextCall(test.turns, call_id=test.name)
    sink = MemorySink()
    await vm.run_call(call, contact=test.contact, sink=sink)
    return transcript(sink.events), call


async def spoken_conversations(
    name: str, program: Program
) -> list[tuple[ConversationTest, Transcript]]:
    """The file's conversations a caller can speak: plain sentences only, and the robot
    ends the call itself (in the text channel, running out of lines is a hang-up)."""
    chosen = []
    for test in load_test_file(SCENARIOS / f"{name}.test.toml").tests:
        if not test.turns or any(t.strip().startswith("/") or not t.strip() for t in test.turns):
            continue
        expected, call = await text_run(program, test)
        if call.prospect_gone or call.pending:
            continue
        chosen.append((test, expected))
    return chosen


def persona_for(test: ConversationTest) -> Persona:
    return Persona(
        PersonaKind.HUMAN,
        rings=1,
        opener="Allô ?",  # heard by the AMD at answer, as on a real line
        turns=tuple(Turn(text, pause_s=PAUSE_S) for text in test.turns),
        hangup_after_silence_s=None,  # the robot ends every chosen conversation
    )


@pytest.mark.virtual_time
@pytest.mark.parametrize("name", SHIPPED)
async def test_shipped_scenario_over_esl_matches_the_text_channel(name: str) -> None:
    program = compile_shipped(name)
    chosen = await spoken_conversations(name, program)
    assert len(chosen) >= 3, f"{name}: too few spoken conversations to compare"
    await asyncio.wait_for(compare_over_esl(program, chosen), 180)


async def compare_over_esl(
    program: Program, chosen: list[tuple[ConversationTest, Transcript]]
) -> None:
    numbers = {f"07{i:08d}": test for i, (test, _) in enumerate(chosen)}
    pinned = {number: persona_for(test) for number, test in numbers.items()}
    nlu = registry.create("nlu", "fuzzy", program, {})
    vm = Vm(program, nlu=nlu)
    # strict_files: only what the switch can really play (silence_stream:// included)
    async with Simulator(time_scale=SCALE, pinned=pinned, seed=5, strict_files=True) as sim:
        config = EslBackendConfig(
            client=ClientConfig(port=sim.port, password=sim.password),
            gateway="sim",
            amd_timeout_s=8.0 / SCALE * 4,
            greeting_wait_s=6.0 / SCALE * 4,
        )
        tel = EslTelephony(config)
        await tel.start()
        try:

            async def one(number: str, test: ConversationTest) -> Transcript:
                dialled = await tel.dial(
                    number, call_id=test.name, variables={"mbs_campaign": "conv"}
                )
                assert dialled.status is CallStatus.IN_PROGRESS, dialled
                assert isinstance(dialled.call, EslCall) and not dialled.machine
                sink = MemorySink()
                await vm.run_call(dialled.call, contact=test.contact, sink=sink, call_id=test.name)
                return transcript(sink.events)

            got = await asyncio.gather(*(one(n, t) for n, t in numbers.items()))
            connects = tel.client.stats.connects
        finally:
            await tel.stop()
        for (test, expected), actual in zip(chosen, got, strict=True):
            assert actual == expected, f"{test.name!r}: the ESL call differs from mbs chat"
            assert expected.result != "TECHNICAL_ERROR", test.name
        # one connection for every call, and every caller's line was heard
        assert connects == 1
        callers = {
            c.channel.destination: c.caller for c in [*sim.finished.values(), *sim.calls.values()]
        }
        for number, test in numbers.items():
            assert callers[number].turn == len(test.turns), test.name
