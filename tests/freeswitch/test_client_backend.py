"""The ``esl`` telephony backend against the simulator (real ESL over loopback TCP)."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mbs.freeswitch.backend import EslBackendConfig, EslTelephony, status_for_cause
from mbs.freeswitch.client import ClientConfig
from mbs.freeswitch.esl import (
    NEED_DATA,
    Api,
    ApiResponse,
    AuthRequest,
    CommandReply,
    EslConnection,
    Role,
)
from mbs.freeswitch.esl_call import EslCall, PlaybackFailed, transfer_command
from mbs.freeswitch.sim.faults import Faults
from mbs.freeswitch.sim.personas import Persona, PersonaKind, Turn
from mbs.freeswitch.sim.server import Simulator
from mbs.program import AmdPhrases, Program
from mbs.runtime.builtins.amd import DefaultAmd
from mbs.runtime.telephony import CallStatus, HeardKind, PlayOutcome

pytestmark = pytest.mark.virtual_time

SCALE = 50.0  # simulated seconds per wall second

HUMAN = Persona(
    PersonaKind.HUMAN,
    rings=1,
    opener="Allô ?",
    turns=(Turn("Oui, c'est moi.", pause_s=0.5), Turn("Non merci.", pause_s=0.5)),
)
PEOPLE = {
    "0600000001": HUMAN,
    "0600000002": Persona(PersonaKind.BUSY, failure_after_s=0.5),
    "0600000003": Persona(PersonaKind.REJECTED, failure_after_s=0.5),
    "0600000004": Persona(PersonaKind.NO_ANSWER),
    "0600000005": Persona(
        PersonaKind.MACHINE,
        rings=1,
        opener="Bonjour, vous êtes sur le répondeur de Marie, laissez un message après le bip.",
        amd_result="MACHINE",
        amd_cause="LONGGREETING",
    ),
    "0600000006": Persona(
        PersonaKind.BARGE_IN,
        rings=1,
        turns=(Turn("Attendez, je vous arrête tout de suite.", barge_in_s=1.0),),
    ),
    "0600000007": Persona(PersonaKind.DTMF, rings=1, turns=(Turn(digits="5", pause_s=0.3),)),
    "0600000008": Persona(
        PersonaKind.HANGUP_MID_PROMPT, rings=1, hangup_on_prompt=1, hangup_into_prompt_s=0.5
    ),
    # a recorded human voicemail fools the switch's detector: the builtin must catch it
    "0600000009": Persona(
        PersonaKind.MACHINE,
        rings=1,
        opener="Bonjour, vous êtes bien sur la messagerie de Paul, laissez un message après le bip.",
        amd_result="HUMAN",
        amd_cause="HUMAN",
        amd_decision_s=1.0,
    ),
}


def make_wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return path


@dataclass
class Rig:
    sim: Simulator
    tel: EslTelephony
    prompt: Path  # 2 s
    long_prompt: Path  # 8 s


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with Simulator(time_scale=SCALE, pinned=PEOPLE, seed=3, strict_files=True) as sim:
        config = EslBackendConfig(
            client=ClientConfig(port=sim.port, backoff_initial_s=0.01, backoff_max_s=0.05),
            gateway="gw1",
            recordings_dir=str(tmp_path / "rec"),
        )
        tel = EslTelephony(config)
        await tel.start()
        try:
            yield Rig(
                sim,
                tel,
                make_wav(tmp_path / "hello.wav", 2.0),
                make_wav(tmp_path / "long.wav", 8.0),
            )
        finally:
            await tel.stop()


def dial_vars(call: str = "c1") -> dict[str, str]:
    return {"mbs_campaign": "camp", "mbs_contact": "42", "mbs_call": call}


def app_args(sim: Simulator, uuid: str, app: str) -> list[str]:
    return [
        e.get("Application-Data") or ""
        for e in sim.history
        if e.get("Event-Name") == "CHANNEL_EXECUTE"
        and e.get("Unique-ID") == uuid
        and e.get("Application") == app
    ]


async def test_whole_call(rig: Rig) -> None:
    statuses: list[CallStatus] = []
    result = await rig.tel.dial(
        "0600000001", call_id="c1", variables=dial_vars(), on_status=statuses.append
    )
    assert result.status is CallStatus.IN_PROGRESS and not result.machine
    assert statuses == [CallStatus.CALLING, CallStatus.RINGING]
    call = result.call
    assert isinstance(call, EslCall) and call.call_id == "c1"
    sim_call = rig.sim.calls[call.uuid]
    variables = sim_call.channel.variables
    assert variables["origination_uuid"] == call.uuid
    assert variables["mbs_campaign"] == "camp" and variables["mbs_contact"] == "42"
    assert variables["ignore_early_media"] == "true"
    assert await call.say("Bonjour, c'est Julie.", rig.prompt, barge_in=False) is PlayOutcome.DONE
    heard = await call.listen(5)
    assert heard.kind is HeardKind.UTTERANCE and heard.text == "Oui, c'est moi."
    assert heard.duration_ms > 0
    assert await call.play(str(rig.prompt), barge_in=True) is PlayOutcome.DONE
    assert (await call.listen(5)).text == "Non merci."
    await call.hangup()
    assert not call.is_up
    await asyncio.wait_for(sim_call.done.wait(), 2)
    assert sim_call.channel.hangup_cause == "NORMAL_CLEARING"
    plays = app_args(rig.sim, call.uuid, "playback")
    assert len(plays) == 2 and all(p.startswith("{mbs_play_id=") for p in plays)
    results = [
        e
        for e in rig.sim.history
        if e.get("Unique-ID") == call.uuid and e.get("Speech-Type") == "detected-speech"
    ]
    # started once, resumed after each result (the greeting "Allô ?" included)
    assert app_args(rig.sim, call.uuid, "detect_speech") == ["vosk default default"] + [
        "resume"
    ] * len(results)
    assert len(results) == 3
    assert app_args(rig.sim, call.uuid, "amd") == [""]
    # the "Allô ?" greeting went to the AMD, not to the first listen
    assert await call.listen(0.05) == type(heard)(HeardKind.HANGUP)


@pytest.mark.parametrize(
    ("number", "status", "cause"),
    [
        ("0600000002", CallStatus.BUSY, "USER_BUSY"),
        ("0600000003", CallStatus.FAILED, "CALL_REJECTED"),
        ("0600000004", CallStatus.NO_ANSWER, "NO_ANSWER"),
    ],
)
async def test_failed_dials(rig: Rig, number: str, status: CallStatus, cause: str) -> None:
    rig.tel.config.originate_timeout_s = 20
    result = await rig.tel.dial(number, call_id="c2", variables=dial_vars("c2"))
    assert (result.status, result.hangup_cause, result.call) == (status, cause, None)
    assert rig.tel.calls == {}


async def test_machine_from_the_switch(rig: Rig) -> None:
    result = await rig.tel.dial("0600000005", call_id="c3", variables=dial_vars("c3"))
    assert result.status is CallStatus.IN_PROGRESS and result.machine
    assert result.call is not None
    heard = await result.call.listen(1)
    assert heard.kind is HeardKind.MACHINE
    await result.call.hangup()


async def test_machine_from_the_amd_builtin(rig: Rig) -> None:
    program = Program.model_construct(
        amd=AmdPhrases(machine=("laissez un message après le bip",), human=("allô",))
    )
    rig.tel.amd = DefaultAmd(program, {})
    result = await rig.tel.dial("0600000009", call_id="c4", variables=dial_vars("c4"))
    assert result.machine and result.call is not None
    heard = await result.call.listen(1)
    assert heard.kind is HeardKind.MACHINE and "messagerie de Paul" in heard.text
    assert heard.duration_ms > 2500
    # and a human stays human
    human = await rig.tel.dial("0600000001", call_id="c5", variables=dial_vars("c5"))
    assert human.call is not None and not human.machine
    await human.call.hangup()


async def test_the_amd_builtin_decides_alone_without_the_switchs_amd(rig: Rig) -> None:
    """With amd off (or mod_amd missing) the builtin still hears the greeting and
    decides: a voicemail is a machine, an "allô" a person."""
    program = Program.model_construct(
        amd=AmdPhrases(machine=("laissez un message après le bip",), human=("allô",))
    )
    rig.tel.config.amd = False
    rig.tel.amd = DefaultAmd(program, {})
    result = await rig.tel.dial("0600000009", call_id="c4", variables=dial_vars("c4"))
    assert result.machine and result.call is not None
    assert app_args(rig.sim, result.call.uuid, "amd") == []  # the switch's app never ran
    heard = await result.call.listen(1)
    assert heard.kind is HeardKind.MACHINE and "messagerie de Paul" in heard.text
    human = await rig.tel.dial("0600000001", call_id="c5", variables=dial_vars("c5"))
    assert human.call is not None and not human.machine
    await human.call.hangup()


async def test_barge_in(rig: Rig) -> None:
    result = await rig.tel.dial("0600000006", call_id="c6", variables=dial_vars("c6"))
    assert result.call is not None
    call = result.call
    outcome = await call.say("Un long discours", rig.long_prompt, barge_in=True)
    assert outcome is PlayOutcome.INTERRUPTED
    heard = await call.listen(5)
    assert heard.text == "Attendez, je vous arrête tout de suite."
    stops = [
        e
        for e in rig.sim.history
        if e.get("Event-Name") == "PLAYBACK_STOP" and e.get("Unique-ID") == call.uuid
    ]
    assert [e.get("Playback-Status") for e in stops] == ["break"]
    assert stops[0].get("mbs_play_id")
    await call.hangup()


async def test_dtmf(rig: Rig) -> None:
    result = await rig.tel.dial("0600000007", call_id="c7", variables=dial_vars("c7"))
    assert result.call is not None
    assert await result.call.say("Tapez 1", rig.prompt, barge_in=False) is PlayOutcome.DONE
    heard = await result.call.listen(5)
    assert (heard.kind, heard.digit) == (HeardKind.DTMF, "5")
    await result.call.hangup()


async def test_hangup_during_a_prompt(rig: Rig) -> None:
    result = await rig.tel.dial("0600000008", call_id="c8", variables=dial_vars("c8"))
    assert result.call is not None
    assert await result.call.say("Bonjour", rig.long_prompt, barge_in=False) is PlayOutcome.HANGUP
    assert (await result.call.listen(1)).kind is HeardKind.HANGUP
    assert await result.call.play(str(rig.prompt), barge_in=False) is PlayOutcome.HANGUP


async def test_transfer_and_recording(rig: Rig) -> None:
    rig.tel.config.record = True
    result = await rig.tel.dial("0600000001", call_id="c9", variables=dial_vars("c9"))
    call = result.call
    assert isinstance(call, EslCall)
    assert await call.transfer("3000") is True
    await asyncio.wait_for(asyncio.shield(call.hung_up), 2)
    names = [e.get("Event-Name") for e in rig.sim.history if e.get("Unique-ID") == call.uuid]
    assert "RECORD_START" in names
    starts = [
        e
        for e in rig.sim.history
        if e.get("Event-Name") == "RECORD_START" and e.get("Unique-ID") == call.uuid
    ]
    assert (starts[0].get("Record-File-Path") or "").endswith("rec/camp/c9.wav")
    assert rig.sim.finished[call.uuid].channel.variables["transfer_destination"] == "3000"
    assert await call.transfer("3001") is False


def test_a_transfer_names_its_dialplan() -> None:
    """A number goes to the mbs context (which bridges it through the trunk); an
    endpoint is bridged inline; what would break the command is refused."""
    assert transfer_command("U", "0612345678", "mbs") == "uuid_transfer U 0612345678 XML mbs"
    assert transfer_command("U", "user/1000", "ctx") == (
        "uuid_transfer U 'm:^:set:hangup_after_bridge=true^bridge:user/1000' inline"
    )
    assert transfer_command("U", "sofia/gateway/gw/+33612345678", "mbs") is not None
    hostile = ("user/1000^system:touch${IFS}/tmp/x", "1000\n", "user/1000,user/1001")
    for bad in ("", "1000 XML default", "user/1000'", 'a"b', "a\tb", *hostile, "{a=b}user/1"):
        assert transfer_command("U", bad, "mbs") is None


async def test_missing_prompt_file_fails_clearly(rig: Rig, tmp_path: Path) -> None:
    result = await rig.tel.dial("0600000001", call_id="c10", variables=dial_vars("c10"))
    assert result.call is not None
    with pytest.raises(PlaybackFailed, match="FILE NOT FOUND"):
        await result.call.play(str(tmp_path / "absent.wav"), barge_in=False)
    with pytest.raises(PlaybackFailed, match="spaces"):
        await result.call.play("/prompts/mon message.wav", barge_in=False)
    await result.call.hangup()


async def test_call_survives_an_esl_drop(rig: Rig) -> None:
    result = await rig.tel.dial("0600000001", call_id="c11", variables=dial_vars("c11"))
    call = result.call
    assert call is not None
    connects = rig.tel.client.stats.connects
    for listener in list(rig.sim.listeners):
        listener.out.writer.transport.abort()
    # the play waits for the reconnect, which re-subscribes: the call goes on
    assert await call.say("Bonjour", rig.prompt, barge_in=False) is PlayOutcome.DONE
    assert rig.tel.client.stats.connects == connects + 1
    heard = await call.listen(5)
    assert heard.kind in (HeardKind.UTTERANCE, HeardKind.SILENCE)
    await call.hangup()
    assert not call.is_up


async def test_chunked_stream_from_the_switch(tmp_path: Path) -> None:
    """The same whole call with every message written in 7-byte pieces."""
    async with Simulator(time_scale=SCALE, pinned=PEOPLE, faults=Faults(chunk_size=7)) as sim:
        tel = EslTelephony(EslBackendConfig(client=ClientConfig(port=sim.port), gateway="gw1"))
        await tel.start()
        try:
            result = await tel.dial("0600000001", call_id="c12", variables=dial_vars("c12"))
            assert result.call is not None
            prompt = make_wav(tmp_path / "p.wav", 1.0)
            assert await result.call.say("Bonjour", prompt, barge_in=False) is PlayOutcome.DONE
            assert (await result.call.listen(5)).text == "Oui, c'est moi."
            await result.call.hangup()
        finally:
            await tel.stop()


def test_status_for_cause() -> None:
    assert status_for_cause("NO_ANSWER") is CallStatus.NO_ANSWER
    assert status_for_cause("NO_USER_RESPONSE") is CallStatus.NO_ANSWER
    assert status_for_cause("USER_BUSY") is CallStatus.BUSY
    assert status_for_cause("CALL_REJECTED") is CallStatus.FAILED
    assert status_for_cause("ORIGINATOR_CANCEL") is CallStatus.CANCELLED
    assert status_for_cause("UNALLOCATED_NUMBER") is CallStatus.FAILED
    assert status_for_cause("NORMAL_CLEARING", answered=True) is CallStatus.COMPLETED


def test_config_from_mapping() -> None:
    cfg = EslBackendConfig.from_mapping({"host": "10.0.0.2", "port": 8022, "gateway": "ovh"})
    assert (cfg.client.host, cfg.client.port, cfg.gateway) == ("10.0.0.2", 8022, "ovh")
    with pytest.raises(ValueError, match="nope"):
        EslBackendConfig.from_mapping({"nope": 1})


async def test_amd_is_turned_off_when_mod_amd_is_missing() -> None:
    """Running `amd` without mod_amd would hang every call up: start() asks first."""
    asked: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = EslConnection(Role.SERVER)
        writer.write(conn.send(AuthRequest()))
        while data := await reader.read(4096):
            conn.receive_data(data)
            while (cmd := conn.next_event()) is not NEED_DATA:
                if isinstance(cmd, Api):
                    asked.append(cmd.command)
                    exists = "false" if cmd.command.endswith("mod_amd") else "true"
                    writer.write(conn.send(ApiResponse(exists)))
                else:
                    writer.write(conn.send(CommandReply("+OK")))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tel = EslTelephony(EslBackendConfig(client=ClientConfig(port=port)))
    try:
        await tel.start()
        assert asked == ["module_exists mod_amd", "module_exists mod_vosk"]
        assert tel.config.amd is False and tel.config.asr_app_arg == "vosk default default"
    finally:
        await tel.stop()
        server.close()
        await server.wait_closed()


async def test_events_lost_while_disconnected_are_made_up_by_the_resync() -> None:
    """The link drops while a call rings; it is answered before the client is back (the
    CHANNEL_ANSWER is lost), and another call's caller hangs up meanwhile (its HANGUP
    is lost). After the reconnect, uuid_dump tells the backend both."""
    slow_hangup = Persona(
        PersonaKind.HANGUP_MID_PROMPT, rings=1, hangup_on_prompt=1, hangup_into_prompt_s=0.5
    )
    patient = Persona(PersonaKind.HUMAN, rings=1, opener="Allô ?", hangup_after_silence_s=None)
    people = {"0600000011": patient, "0600000010": slow_hangup}
    async with Simulator(time_scale=SCALE, pinned=people, seed=3) as sim:
        config = EslBackendConfig(
            # the reconnect waits 1 s: far longer than one ring (5 s / 50 = 0.1 s)
            client=ClientConfig(
                port=sim.port, backoff_initial_s=1.0, backoff_max_s=1.0, backoff_jitter=0.0
            ),
            gateway="gw1",
        )
        tel = EslTelephony(config)
        await tel.start()
        try:
            # a call in conversation, whose caller will hang up during the next prompt
            first = await tel.dial("0600000010", call_id="r1", variables=dial_vars("r1"))
            gone = first.call
            assert isinstance(gone, EslCall) and gone.is_up
            dial = asyncio.ensure_future(
                tel.dial("0600000011", call_id="r2", variables=dial_vars("r2"))
            )

            async def ringing_call() -> EslCall:
                while True:  # the dial registers its call before sending the originate
                    found = [c for c in tel.calls.values() if c.call_id == "r2"]
                    if found:
                        await found[0].progress.wait()
                        return found[0]
                    await asyncio.sleep(0)

            await asyncio.wait_for(ringing_call(), 5)
            await tel.client.api(f"uuid_broadcast {gone.uuid} silence_stream://4000 aleg")
            connects = tel.client.stats.connects
            for listener in list(sim.listeners):
                listener.out.writer.transport.abort()
            result = await asyncio.wait_for(dial, 10)
            assert tel.client.stats.connects == connects + 1
            # the answer came while the link was down, and was learnt from uuid_dump
            assert result.status is CallStatus.IN_PROGRESS and result.call is not None
            await asyncio.wait_for(asyncio.shield(gone.hung_up), 5)
            assert gone.hung_up.result() == "LOST_WHILE_DISCONNECTED"
            assert gone.uuid not in tel.calls  # forgotten: its HANGUP_COMPLETE never came
            assert await result.call.say("Bonjour", None, barge_in=False) is PlayOutcome.DONE
            await result.call.hangup()
        finally:
            await tel.stop()
