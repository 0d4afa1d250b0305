"""FreeSWITCH's own client library (libesl via python-ESL) against the simulator.

libesl is the C client shipped with FreeSWITCH; if it parses our bytes, auths, reads api
replies, tracks bgapi jobs and decodes events, the wire format is right where it matters.
Its calls block, so they run in a worker thread while the simulator serves on the loop.
Installed by `make setup` (swig 3.0.12 + python-ESL). Without it one test,
``test_python_esl_is_installed``, fails and says why, and the others skip: the peer check
is the proof that the simulator speaks the real protocol, but its absence must not stop
the rest of the run. ``MBS_ALLOW_NO_LIBESL=1`` turns that failure into a skip on a
machine where libesl cannot be built.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest

from mbs.freeswitch.sim import Persona, PersonaKind, Simulator, Turn

pytestmark = pytest.mark.virtual_time

_WHY = "python-ESL (FreeSWITCH's libesl) is not installed: run `make setup`"
try:
    import ESL as _esl_module
except ImportError:
    _esl_module = None
ESL: Any = _esl_module


@pytest.fixture(autouse=True)
def _needs_libesl(request: pytest.FixtureRequest) -> None:
    """Without libesl, one test fails and says why; the others skip (no collection error
    stops the rest of the run)."""
    if ESL is None and request.node.name != "test_python_esl_is_installed":
        pytest.skip(f"{_WHY} (reported by test_python_esl_is_installed)")


def test_python_esl_is_installed() -> None:
    if ESL is not None:
        return
    if os.environ.get("MBS_ALLOW_NO_LIBESL") == "1":
        pytest.skip(_WHY)
    pytest.fail(f"{_WHY} (or set MBS_ALLOW_NO_LIBESL=1 to skip these tests)", pytrace=False)


ORIG = "{origination_uuid=%s,ignore_early_media=true,originate_timeout=30,campaign_id=c-42}sofia/gateway/gw1/%s &park()"


def connect(port: int, password: str = "ClueCon") -> Any:
    return ESL.ESLconnection("127.0.0.1", str(port), password)


def wait_for(con: Any, name: str, uuid: str | None = None, timeout_s: float = 10.0) -> Any:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        e = con.recvEventTimed(200)
        if e is None:
            continue
        if e.getHeader("Event-Name") == name and (uuid is None or e.getHeader("Unique-ID") == uuid):
            return e
    raise AssertionError(f"no {name} within {timeout_s}s")


async def test_auth_and_api_status():
    async with Simulator() as sim:

        def run() -> tuple[int, str, int]:
            con = connect(sim.port)
            ok = con.connected()
            status = con.api("status").getBody()
            bad = connect(sim.port, "wrong").connected()
            con.disconnect()
            return ok, status, bad

        ok, status, bad = await asyncio.to_thread(run)
    assert ok == 1
    assert status.startswith("UP 0 years, 0 days, ")
    assert "FreeSWITCH (Version 1.10.12-release 64bit) is ready\n" in status
    assert status.endswith("Current Stack Size/Max 240K/8192K\n")
    assert bad == 0


async def test_unknown_api_command_text():
    async with Simulator() as sim:

        def run() -> str:
            con = connect(sim.port)
            body = con.api("no_such_thing", "x").getBody()
            con.disconnect()
            return body

        assert await asyncio.to_thread(run) == "-ERR no_such_thing Command not found!\n"


async def test_bgapi_originate_and_channel_events():
    # never gives up on silence: the peer's thread, not a timer, ends the call
    caller = Persona(PersonaKind.HUMAN, rings=1, turns=(Turn("Oui."),), hangup_after_silence_s=None)
    async with Simulator(time_scale=20, pinned={"0612345678": caller}) as sim:
        uuid = "a1b2c3d4-0000-4000-8000-00000000e5e1"

        def run() -> dict[str, Any]:
            con = connect(sim.port)
            con.events("plain", "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
            reply = con.bgapi(
                "originate", ORIG % (uuid, "0612345678"), "5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01"
            )
            out: dict[str, Any] = {
                "reply": reply.getHeader("Reply-Text"),
                "job": reply.getHeader("Job-UUID"),
            }
            answer = wait_for(con, "CHANNEL_ANSWER", uuid)
            out["answer_state"] = answer.getHeader("Answer-State")
            out["campaign"] = answer.getHeader("variable_campaign_id")
            job = wait_for(con, "BACKGROUND_JOB")
            out["job_body"] = job.getBody()
            out["job_uuid"] = job.getHeader("Job-UUID")
            out["kill"] = con.api("uuid_kill", f"{uuid} CALL_REJECTED").getBody()
            hupc = wait_for(con, "CHANNEL_HANGUP_COMPLETE", uuid)
            out["cause"] = hupc.getHeader("Hangup-Cause")
            out["q850"] = hupc.getHeader("variable_hangup_cause_q850")
            out["state"] = hupc.getHeader("Channel-State")
            out["serialized"] = hupc.serialize("plain")
            con.disconnect()
            return out

        out = await asyncio.to_thread(run)
    assert out["reply"] == "+OK Job-UUID: 5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01"
    assert out["job"] == "5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01"
    assert out["answer_state"] == "answered"
    assert out["campaign"] == "c-42"
    assert out["job_body"] == f"+OK {uuid}\n"
    assert out["job_uuid"] == "5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01"
    assert out["kill"] == "+OK\n"
    assert out["cause"] == "CALL_REJECTED"
    assert out["q850"] == "21"
    assert out["state"] == "CS_REPORTING"
    assert out["serialized"].count("Hangup-Cause: CALL_REJECTED") == 2


async def test_json_events_and_failed_originate():
    async with Simulator(time_scale=100, personas="busy=1") as sim:
        uuid = "b1b2c3d4-0000-4000-8000-00000000e5e2"

        def run() -> tuple[str, str, str]:
            con = connect(sim.port)
            con.events("json", "BACKGROUND_JOB CHANNEL_HANGUP")
            con.bgapi("originate", ORIG % (uuid, "0700000000"))
            hup = wait_for(con, "CHANNEL_HANGUP", uuid)
            job = wait_for(con, "BACKGROUND_JOB")
            result = (
                hup.getHeader("Hangup-Cause"),
                hup.getHeader("variable_sip_term_status"),
                job.getBody(),
            )
            con.disconnect()
            return result

        cause, sip, body = await asyncio.to_thread(run)
    assert (cause, sip, body) == ("USER_BUSY", "486", "-ERR USER_BUSY\n")


async def test_one_byte_writes_and_filters():
    from mbs.freeswitch.sim import Faults

    async with Simulator(time_scale=50, personas="human=1", faults=Faults(chunk_size=1)) as sim:
        uuid = "c1b2c3d4-0000-4000-8000-00000000e5e3"

        def run() -> list[str]:
            con = connect(sim.port)
            con.events("plain", "ALL")
            con.filter("Unique-ID", uuid)
            con.bgapi("originate", ORIG % (uuid, "0611112222"))
            names = []
            end = time.monotonic() + 15
            while time.monotonic() < end and "CHANNEL_PARK" not in names:
                e = con.recvEventTimed(200)
                if e is not None:
                    assert e.getHeader("Unique-ID") == uuid  # the filter drops BACKGROUND_JOB
                    names.append(e.getHeader("Event-Name"))
            con.disconnect()
            return names

        names = await asyncio.to_thread(run)
    assert names[:3] == ["CHANNEL_STATE", "CHANNEL_CREATE", "CHANNEL_ORIGINATE"]
    assert "CHANNEL_ANSWER" in names and "BACKGROUND_JOB" not in names


def test_from_a_plain_thread_with_simulator_thread():
    """Synchronous callers get the same switch through simulator_thread()."""
    from mbs.freeswitch.sim import simulator_thread

    with simulator_thread(time_scale=100, personas="no_answer=1") as sim:
        con = connect(sim.port)
        assert con.connected() == 1
        con.events("plain", "BACKGROUND_JOB")
        con.bgapi("originate", ORIG % ("e1b2c3d4-0000-4000-8000-00000000e5e5", "0600000000"))
        job = wait_for(con, "BACKGROUND_JOB", timeout_s=20)
        assert job.getBody() == "-ERR NO_ANSWER\n"
        con.disconnect()


async def test_execute_playback_and_detected_speech():
    """libesl's execute() (sendmsg, event-lock) drives a prompt; the caller's answer comes
    back as DETECTED_SPEECH with its text body."""
    # never gives up on silence: the peer's thread, not a timer, ends the call
    caller = Persona(
        PersonaKind.HUMAN,
        rings=1,
        turns=(Turn("Oui, c'est bien moi.", pause_s=0.3),),
        hangup_after_silence_s=None,
    )
    async with Simulator(time_scale=20, pinned={"0612345678": caller}) as sim:
        uuid = "f1b2c3d4-0000-4000-8000-00000000e5e6"

        def run() -> dict[str, Any]:
            con = connect(sim.port)
            con.events("plain", "CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE DETECTED_SPEECH")
            con.bgapi(
                "originate",
                ORIG.replace("campaign_id=c-42", "fire_asr_events=true") % (uuid, "0612345678"),
            )
            wait_for(con, "CHANNEL_PARK", uuid)
            out: dict[str, Any] = {}
            out["asr"] = con.execute("detect_speech", "vosk default default", uuid).getHeader(
                "Reply-Text"
            )
            con.setEventLock("1")
            out["play"] = con.execute(
                "playback", "/p/bonjour_je_suis_le_robot.wav", uuid
            ).getHeader("Reply-Text")
            end = time.monotonic() + 15
            while time.monotonic() < end and "speech" not in out:
                e = con.recvEventTimed(200)
                if e is None:
                    continue
                name = e.getHeader("Event-Name")
                if name == "CHANNEL_EXECUTE_COMPLETE" and e.getHeader("Application") == "playback":
                    out["response"] = e.getHeader("Application-Response")
                if name == "DETECTED_SPEECH" and e.getHeader("Speech-Type") == "detected-speech":
                    out["speech"] = e.getBody()
            con.api("uuid_kill", uuid)
            con.disconnect()
            return out

        out = await asyncio.to_thread(run)
    assert out == {
        "asr": "+OK",
        "play": "+OK",
        "response": "FILE PLAYED",
        "speech": "Oui, c'est bien moi.",
    }
