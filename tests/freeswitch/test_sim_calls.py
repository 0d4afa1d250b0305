"""Scripted callers over the wire: each persona's event sequence, speech delivery, faults."""

from __future__ import annotations

import asyncio
import math
import wave
from pathlib import Path

import pytest
from sim_wire import WireClient, is_event

from mbs.freeswitch.esl import (
    Api,
    ApiResponse,
    Auth,
    BgApi,
    CommandReply,
    PlainEvent,
    RemoteProtocolError,
    Subscribe,
    SwitchEvent,
)
from mbs.freeswitch.sim import Faults, Persona, PersonaBook, PersonaKind, Simulator, Turn

pytestmark = pytest.mark.virtual_time

ORIG = "originate {origination_uuid=%s,ignore_early_media=true,originate_timeout=%d%s}sofia/gateway/gw1/%s &park()"

CHANNEL_ORDER = [
    ("CHANNEL_STATE", "CS_INIT"),
    ("CHANNEL_CREATE", None),
    ("CHANNEL_ORIGINATE", None),
    ("CHANNEL_PROGRESS_MEDIA", None),
    ("CHANNEL_ANSWER", None),
    ("BACKGROUND_JOB", None),
    ("CHANNEL_EXECUTE", None),
    ("CHANNEL_PARK", None),
]
TEARDOWN = [
    ("CHANNEL_HANGUP", None),
    ("CHANNEL_STATE", "CS_HANGUP"),
    ("CHANNEL_HANGUP_COMPLETE", None),
    ("CHANNEL_STATE", "CS_REPORTING"),
    ("CHANNEL_DESTROY", None),
    ("CHANNEL_STATE", "CS_DESTROY"),
]


async def client(sim: Simulator, *names: str) -> WireClient:
    c = await WireClient.connect(sim.port)
    await c.next()
    await c.send(Auth("ClueCon"))
    await c.next()
    await c.send(Subscribe(names or ("ALL",), "plain"))
    reply = await c.next()
    assert isinstance(reply, CommandReply) and reply.ok
    return c


async def dial(c: WireClient, uuid: str, number: str, timeout: int = 30, extra: str = "") -> None:
    await c.send(BgApi(ORIG % (uuid, timeout, extra, number), f"job-{uuid}"))
    reply = await c.next()
    assert isinstance(reply, CommandReply) and reply.ok


def keyed(events: list[SwitchEvent], uuid: str) -> list[tuple[str, str | None]]:
    """(name, Channel-State for STATE events) of one call, BACKGROUND_JOB included."""
    out = []
    for e in events:
        if e.headers.get("Unique-ID") == uuid or e.headers.get("Job-UUID") == f"job-{uuid}":
            state = e.headers.get("Channel-State") if e.name == "CHANNEL_STATE" else None
            out.append((e.name, state))
    return out


def in_order(wanted: list[tuple[str, str | None]], seen: list[tuple[str, str | None]]) -> bool:
    it = iter(seen)
    return all(w in it for w in wanted)


async def execute(
    c: WireClient,
    uuid: str,
    app: str,
    arg: str,
    event_uuid: str,
    lock: bool = False,
    events: list[SwitchEvent] | None = None,
) -> None:
    lines = f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: {app}\nexecute-app-arg: {arg}\nEvent-UUID: {event_uuid}\n"
    if lock:
        lines += "event-lock: true\n"
    await c.send_raw(lines.encode() + b"\n")
    reply = await c.until(lambda m: isinstance(m, CommandReply), events=events)
    assert isinstance(reply, CommandReply) and reply.reply_text == "+OK"


def subclass_is(name: str):
    def check(msg: object) -> bool:
        return isinstance(msg, SwitchEvent) and msg.headers.get("Event-Subclass") == name

    return check


def human(*lines: str, rings: int = 1) -> Persona:
    return Persona(
        PersonaKind.HUMAN,
        rings=rings,
        turns=tuple(Turn(text=t, pause_s=0.5) for t in lines),
    )


async def test_human_call_sequence_and_detected_speech(tmp_path: Path):
    prompt = tmp_path / "bonjour.wav"
    with wave.open(str(prompt), "wb") as w:  # a 2-second prompt
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 16000)
    pinned = {"0612345678": human("Oui, c'est moi.", "Non merci.")}
    async with Simulator(time_scale=20, pinned=pinned) as sim:
        c = await client(sim)
        uuid = "11111111-0000-4000-8000-000000000001"
        await dial(c, uuid, "0612345678", extra=",fire_asr_events=true")
        events: list[SwitchEvent] = []
        await c.until(is_event("CHANNEL_PARK", uuid), events=events)
        assert in_order(CHANNEL_ORDER, keyed(events, uuid))
        await execute(c, uuid, "detect_speech", "vosk default default", "asr-1", events=events)
        await execute(c, uuid, "playback", str(prompt), "play-1", events=events)
        said = await c.until(
            lambda m: (
                is_event("DETECTED_SPEECH", uuid)(m)
                and m.headers["Speech-Type"] == "detected-speech"
            ),
            events=events,
        )
        assert isinstance(said, PlainEvent) and said.body == "Oui, c'est moi."
        names = [e.name for e in events if e.headers.get("Unique-ID") == uuid]
        play_at = names.index("PLAYBACK_START")
        assert names[play_at - 1] == "CHANNEL_EXECUTE"
        assert names[play_at + 1 : play_at + 3] == ["PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE"]
        stop = next(e for e in events if e.name == "PLAYBACK_STOP")
        assert stop.headers["Playback-Status"] == "done"
        done = [
            e
            for e in events
            if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.headers["Application"] == "playback"
        ]
        assert done[0].headers["Application-UUID"] == "play-1"
        assert done[0].headers["Application-Response"] == "FILE PLAYED"
        assert done[0].headers["variable_playback_ms"] == "2000"  # read from the WAV
        assert any(e.headers.get("Speech-Type") == "begin-speaking" for e in events)
        assert "variable_uuid" not in said.headers  # DETECTED_SPEECH carries no variables
        await execute(c, uuid, "hangup", "", "bye-1", events=events)
        await c.until(is_event("CHANNEL_STATE", uuid), events=events)
        await c.until(
            lambda m: (
                is_event("CHANNEL_STATE", uuid)(m) and m.headers["Channel-State"] == "CS_DESTROY"
            ),
            events=events,
        )
        seq = keyed(events, uuid)
        assert in_order(TEARDOWN, seq)
        hup = seq.index(("CHANNEL_HANGUP", None))
        complete = [i for i, k in enumerate(seq) if k == ("CHANNEL_EXECUTE_COMPLETE", None)]
        assert complete[-1] > hup  # the hangup app completes after HANGUP fired
        await c.close()


async def test_speech_without_fire_asr_events_is_not_delivered():
    pinned = {"0600000001": human("Bonjour.")}
    async with Simulator(time_scale=50, pinned=pinned) as sim:
        c = await client(sim)
        uuid = "11111111-0000-4000-8000-000000000002"
        await dial(c, uuid, "0600000001")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(c, uuid, "detect_speech", "vosk default default", "asr-1")
        await execute(c, uuid, "playback", "/nonexistent/prompt.wav", "p1")
        events: list[SwitchEvent] = []
        await c.until(is_event("CHANNEL_DESTROY", uuid), events=events, timeout=20)
        assert not any(e.name == "DETECTED_SPEECH" for e in events)
        await c.close()


async def test_audio_fork_gets_transcription_events():
    pinned = {"0600000002": human("Oui, allez-y.")}
    async with Simulator(time_scale=50, pinned=pinned) as sim:
        c = await client(
            sim,
            "CHANNEL_PARK",
            "CUSTOM",
            "mod_audio_fork::transcription",
            "mod_audio_fork::connect",
        )
        uuid = "11111111-0000-4000-8000-000000000003"
        await dial(c, uuid, "0600000002")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await c.send(Api(f"uuid_audio_fork {uuid} start sim://transcribe mono 16000"))
        events: list[SwitchEvent] = []
        reply = await c.until(lambda m: isinstance(m, ApiResponse), events=events)
        assert isinstance(reply, ApiResponse) and reply.body == "+OK Success\n"
        await execute(c, uuid, "playback", "/nonexistent/question.wav", "p1")
        said = await c.until(
            lambda m: (
                isinstance(m, SwitchEvent)
                and m.headers.get("Event-Subclass") == "mod_audio_fork::transcription"
            ),
            events=events,
        )
        assert isinstance(said, PlainEvent)
        assert '"text": "Oui, allez-y."' in said.body
        assert said.headers["Unique-ID"] == uuid
        await c.close()


@pytest.mark.parametrize(
    ("kind", "cause", "q850", "sip"),
    [
        (PersonaKind.BUSY, "USER_BUSY", "17", "486"),
        (PersonaKind.REJECTED, "CALL_REJECTED", "21", "603"),
        (PersonaKind.NO_ANSWER, "NO_ANSWER", "19", "487"),
    ],
)
async def test_failed_originates(kind: PersonaKind, cause: str, q850: str, sip: str):
    async with Simulator(time_scale=200, personas=f"{kind.value}=1") as sim:
        c = await client(sim)
        uuid = f"22222222-0000-4000-8000-00000000000{len(cause) % 10}"
        await dial(c, uuid, "0700000000", timeout=20)
        events: list[SwitchEvent] = []
        await c.until(
            lambda m: (
                is_event("CHANNEL_STATE", uuid)(m) and m.headers["Channel-State"] == "CS_DESTROY"
            ),
            events=events,
        )
        if not any(e.name == "BACKGROUND_JOB" for e in events):
            await c.until(is_event("BACKGROUND_JOB"), events=events)
        seq = [k for k in keyed(events, uuid) if k[0] != "CHANNEL_CALLSTATE"]
        assert ("CHANNEL_ANSWER", None) not in seq
        assert in_order(TEARDOWN, seq)
        assert seq.index(("BACKGROUND_JOB", None)) == seq.index(("CHANNEL_HANGUP", None)) + 1
        job = next(e for e in events if e.name == "BACKGROUND_JOB")
        assert job.body == f"-ERR {cause}\n"
        hupc = next(e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE")
        assert hupc.headers["variable_hangup_cause_q850"] == q850
        assert hupc.headers["variable_sip_term_status"] == sip
        await c.close()


@pytest.mark.parametrize("order", ["before_hangup", "after_destroy"])
async def test_bgjob_order_fault(order: str):
    faults = Faults(bgjob_order=order)  # type: ignore[arg-type]
    async with Simulator(time_scale=200, personas="busy=1", faults=faults) as sim:
        c = await client(sim)
        uuid = "33333333-0000-4000-8000-000000000001"
        await dial(c, uuid, "0700000001")
        events: list[SwitchEvent] = []
        await c.until(
            is_event("BACKGROUND_JOB")
            if order == "after_destroy"
            else is_event("CHANNEL_DESTROY", uuid),
            events=events,
        )
        seq = [n for n, _ in keyed(events, uuid)]
        if order == "before_hangup":
            assert seq.index("BACKGROUND_JOB") < seq.index("CHANNEL_HANGUP")
        else:
            assert seq.index("BACKGROUND_JOB") > seq.index("CHANNEL_DESTROY")
        await c.close()


async def test_answering_machine_amd_and_greeting():
    async with Simulator(time_scale=50, personas="machine=1", seed=3) as sim:
        c = await client(sim)
        uuid = "44444444-0000-4000-8000-000000000001"
        await dial(c, uuid, "0800000000", timeout=60, extra=",fire_asr_events=true")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(c, uuid, "detect_speech", "vosk default default", "asr")
        await execute(c, uuid, "amd", "", "amd-1")
        events: list[SwitchEvent] = []
        done = await c.until(
            lambda m: (
                is_event("CHANNEL_EXECUTE_COMPLETE", uuid)(m) and m.headers["Application"] == "amd"
            ),
            events=events,
        )
        assert isinstance(done, PlainEvent)
        assert done.headers["variable_amd_result"] == "MACHINE"
        assert done.headers["variable_amd_cause"] == "LONGGREETING"
        greeting = await c.until(
            lambda m: (
                is_event("DETECTED_SPEECH", uuid)(m)
                and m.headers["Speech-Type"] == "detected-speech"
            )
        )
        assert isinstance(greeting, PlainEvent) and "message" in greeting.body
        await c.close()


async def test_hangup_mid_prompt():
    persona = Persona(
        PersonaKind.HANGUP_MID_PROMPT, rings=1, hangup_on_prompt=1, hangup_into_prompt_s=0.5
    )
    async with Simulator(time_scale=20, pinned={"0611000000": persona}) as sim:
        c = await client(sim)
        uuid = "55555555-0000-4000-8000-000000000001"
        await dial(c, uuid, "0611000000")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(
            c,
            uuid,
            "playback",
            "{sim_text=un long message qui dure plusieurs secondes au moins huit ou neuf mots}/p/long.wav",
            "p-long",
        )
        events: list[SwitchEvent] = []
        await c.until(is_event("CHANNEL_DESTROY", uuid), events=events)
        names = [
            e.name
            for e in events
            if e.headers.get("Unique-ID") == uuid and e.name != "CHANNEL_CALLSTATE"
        ]
        # the BYE hangs the channel up first (HANGUP fires in the signalling thread); the
        # playback loop then finds the channel dead: status "done", response PLAYBACK ERROR
        at = names.index("CHANNEL_HANGUP")
        assert names[at : at + 3] == [
            "CHANNEL_HANGUP",
            "PLAYBACK_STOP",
            "CHANNEL_EXECUTE_COMPLETE",
        ]
        stop = next(e for e in events if e.name == "PLAYBACK_STOP")
        assert stop.headers["Playback-Status"] == "done"
        done = next(e for e in events if e.name == "CHANNEL_EXECUTE_COMPLETE")
        assert done.headers["Application-Response"] == "PLAYBACK ERROR"
        assert int(done.headers["variable_playback_ms"]) < 5000  # cut short (5.2 s in full)
        assert stop.headers["sim_text"].startswith("un long")  # {k=v} params echo on PLAYBACK_*
        hup = next(e for e in events if e.name == "CHANNEL_HANGUP")
        assert hup.headers["Hangup-Cause"] == "NORMAL_CLEARING"
        assert hup.headers["variable_sip_hangup_disposition"] == "recv_bye"
        await c.close()


def test_stream_lengths():
    from mbs.freeswitch.sim.call import stream_seconds

    assert stream_seconds("silence_stream://1500") == 1.5
    assert stream_seconds("silence_stream://250,1400") == 0.25
    assert stream_seconds("silence_stream://-1") == math.inf  # until stopped
    assert stream_seconds("tone_stream://%(100,100,440)") == 0.2
    assert stream_seconds("tone_stream://L=3;%(500,500,1000);%(200,0,440,480)") == 3.6
    assert stream_seconds("tone_stream://L=-1;%(1000,4000,440)") == math.inf
    assert stream_seconds("local_stream://moh") == math.inf
    assert stream_seconds("/p/x.wav") is None


async def test_strict_files_play_the_switch_builtin_streams():
    """strict_files refuses a missing file as FreeSWITCH does (FILE NOT FOUND), but the
    built-in streams need no file: silence_stream:// (what the esl backend plays when a
    line has no audio) and tone_stream:// play; an endless one plays until uuid_break."""
    async with Simulator(time_scale=50, pinned={"0612000000": human()}, strict_files=True) as sim:
        c = await client(sim)
        uuid = "77777777-0000-4000-8000-000000000001"
        await dial(c, uuid, "0612000000")
        await c.until(is_event("CHANNEL_PARK", uuid))
        responses = {}
        for n, path in enumerate(
            ("silence_stream://1500", "tone_stream://%(250,250,440)", "/nowhere/absent.wav")
        ):
            await execute(c, uuid, "playback", path, f"p{n}")
            done = await c.until(
                lambda m: (
                    is_event("CHANNEL_EXECUTE_COMPLETE", uuid)(m)
                    and m.headers.get("Application") == "playback"
                )
            )
            responses[path] = done.headers["Application-Response"]
        assert responses == {
            "silence_stream://1500": "FILE PLAYED",
            "tone_stream://%(250,250,440)": "FILE PLAYED",
            "/nowhere/absent.wav": "FILE NOT FOUND",
        }
        await execute(c, uuid, "playback", "silence_stream://-1", "endless")
        await c.until(is_event("PLAYBACK_START", uuid))
        await c.send(Api(f"uuid_break {uuid}"))
        stop = await c.until(is_event("PLAYBACK_STOP", uuid))
        assert stop.headers["Playback-Status"] == "break"
        await c.send(Api(f"uuid_kill {uuid}"))
        await c.until(is_event("CHANNEL_DESTROY", uuid))
        await c.close()


async def test_barge_in_then_uuid_break():
    persona = Persona(
        PersonaKind.BARGE_IN,
        rings=1,
        turns=(Turn(text="Attendez, je vous arrête tout de suite.", barge_in_s=0.5),),
    )
    async with Simulator(time_scale=20, pinned={"0622000000": persona}) as sim:
        c = await client(sim)
        uuid = "66666666-0000-4000-8000-000000000001"
        await dial(c, uuid, "0622000000", extra=",fire_asr_events=true")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(c, uuid, "detect_speech", "vosk default default", "asr")
        await execute(c, uuid, "playback", "{sim_text=" + "mot " * 100 + "}/p/long.wav", "p1")
        events: list[SwitchEvent] = []
        await c.until(
            lambda m: (
                is_event("DETECTED_SPEECH", uuid)(m)
                and m.headers["Speech-Type"] == "begin-speaking"
            ),
            events=events,
        )
        assert not any(e.name == "PLAYBACK_STOP" for e in events)  # still playing
        await c.send(Api(f"uuid_break {uuid} all"))
        await c.until(lambda m: isinstance(m, ApiResponse), events=events)
        stop = await c.until(is_event("PLAYBACK_STOP", uuid), events=events)
        assert stop.headers["Playback-Status"] == "break"
        done = await c.until(is_event("CHANNEL_EXECUTE_COMPLETE", uuid), events=events)
        assert done.headers["Application-Response"] == "FILE PLAYED"
        said = await c.until(
            lambda m: (
                is_event("DETECTED_SPEECH", uuid)(m)
                and m.headers["Speech-Type"] == "detected-speech"
            )
        )
        assert said.body.startswith("Attendez")  # type: ignore[union-attr]
        await c.close()


async def test_dtmf_events_and_star_stops_playback():
    persona = Persona(PersonaKind.DTMF, rings=1, turns=(Turn(digits="4*", barge_in_s=0.3),))
    async with Simulator(time_scale=20, pinned={"0633000000": persona}) as sim:
        c = await client(sim)
        uuid = "77777777-0000-4000-8000-000000000001"
        await dial(c, uuid, "0633000000")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(c, uuid, "playback", "{sim_text=" + "mot " * 20 + "}/p/menu.wav", "p1")
        events: list[SwitchEvent] = []
        await c.until(is_event("PLAYBACK_STOP", uuid), events=events)
        dtmf = [e for e in events if e.name == "DTMF"]
        assert [e.headers["DTMF-Digit"] for e in dtmf] == ["4", "*"]
        assert all(not any(n.startswith("variable_") for n, _ in e.headers.pairs) for e in dtmf)
        assert list(n for n, _ in dtmf[0].headers.pairs)[-3:] == [
            "DTMF-Digit",
            "DTMF-Duration",
            "DTMF-Source",
        ]
        stop = next(e for e in events if e.name == "PLAYBACK_STOP")
        assert stop.headers["Playback-Status"] == "break"
        assert stop.headers["variable_playback_terminator_used"] == "*"
        await c.close()


async def test_uuid_commands_on_a_live_call():
    async with Simulator(time_scale=20, pinned={"0644000000": human("Oui.")}) as sim:
        c = await client(
            sim, "RECORD_START", "RECORD_STOP", "CHANNEL_PARK", "CHANNEL_EXECUTE", "PLAYBACK_START"
        )
        uuid = "88888888-0000-4000-8000-000000000001"
        await dial(c, uuid, "0644000000")
        await c.until(is_event("CHANNEL_PARK", uuid))

        async def api(line: str) -> str:
            await c.send(Api(line))
            msg = await c.until(lambda m: isinstance(m, ApiResponse))
            return msg.body  # type: ignore[union-attr]

        assert await api(f"uuid_setvar {uuid} mbs_step greet") == "+OK\n"
        assert await api(f"uuid_getvar {uuid} mbs_step") == "greet"
        assert await api(f"uuid_getvar {uuid} nothing_here") == "_undef_"
        assert (
            await api("uuid_kill 00000000-dead-4000-8000-000000000000") == "-ERR No such channel!\n"
        )
        assert await api(f"uuid_record {uuid} start /tmp/rec/{uuid}.wav") == "+OK Success\n"
        rec = await c.until(is_event("RECORD_START", uuid))
        assert rec.headers["Record-File-Path"] == f"/tmp/rec/{uuid}.wav"  # type: ignore[union-attr]
        assert await api(f"uuid_broadcast {uuid} /p/hello.wav aleg") == "+OK Message sent\n"
        await c.until(is_event("PLAYBACK_START", uuid))
        listing = await api("show channels")
        assert listing.startswith("uuid,direction,created,created_epoch,name,state,")
        assert f"\n{uuid},outbound," in listing and listing.endswith("\n1 total.\n")
        assert await api(f"uuid_kill {uuid}") == "+OK\n"
        await c.until(is_event("RECORD_STOP", uuid))
        await c.close()


async def test_calls_survive_a_dropped_connection_and_are_rediscoverable():
    async with Simulator(
        time_scale=10, pinned={"0655000000": human("Oui.")}, faults=Faults(drop_at_byte=3000)
    ) as sim:
        c = await client(sim)
        uuid = "99999999-0000-4000-8000-000000000001"
        await dial(c, uuid, "0655000000")
        with pytest.raises(RemoteProtocolError, match="middle of a message"):
            await c.until(is_event("CHANNEL_PARK", uuid))
        assert len(c.raw) == 3000  # cut exactly at the byte, mid-message, no notice
        sim.faults = Faults()
        d = await client(sim, "HEARTBEAT")
        await d.send(Api("show channels"))
        listing = await d.until(lambda m: isinstance(m, ApiResponse))
        assert uuid in listing.body  # type: ignore[union-attr]
        await d.close()


async def test_one_byte_writes_parse_identically():
    async with Simulator(time_scale=100, personas="busy=1", faults=Faults(chunk_size=1)) as sim:
        c = await client(sim)
        uuid = "aaaaaaaa-0000-4000-8000-000000000001"
        await dial(c, uuid, "0666000000")
        job = await c.until(is_event("BACKGROUND_JOB"))
        assert job.body == "-ERR USER_BUSY\n"  # type: ignore[union-attr]
        await c.close()


def test_personas_are_deterministic_per_seed_and_number():
    a, b = PersonaBook(seed=7), PersonaBook(seed=7)
    numbers = [f"06{n:08d}" for n in range(200)]
    assert [a.choose(n) for n in numbers] == [b.choose(n) for n in numbers]
    kinds = {a.choose(n).kind for n in numbers}
    assert {PersonaKind.HUMAN, PersonaKind.NO_ANSWER, PersonaKind.MACHINE} <= kinds
    assert PersonaBook(seed=8).choose("0600000000") is not None
    forced = a.choose("0600000000", {"sim_persona": "busy"})
    assert forced.kind is PersonaKind.BUSY


async def test_many_calls_at_high_time_scale():
    async with Simulator(time_scale=500, seed=11) as sim:
        c = await client(sim, "BACKGROUND_JOB", "CHANNEL_HANGUP_COMPLETE")
        n = 60
        seen: list[SwitchEvent] = []
        for i in range(n):
            uuid = f"bbbbbbbb-0000-4000-8000-{i:012d}"
            await c.send(BgApi(ORIG % (uuid, 30, "", f"06{i:08d}"), f"job-{i}"))
            await c.until(lambda m: isinstance(m, CommandReply), events=seen)

        def finished() -> bool:
            jobs = {e.headers["Job-UUID"] for e in seen if e.name == "BACKGROUND_JOB"}
            ends = [e for e in seen if e.name == "CHANNEL_HANGUP_COMPLETE"]
            return len(jobs) == n and len(ends) == n

        while not finished():
            await c.until(lambda m: isinstance(m, SwitchEvent), timeout=60, events=seen)
        summary = sim.summary()
        assert summary["calls"] == n and summary["live"] == 0
        await c.close()


async def test_early_media_trap_returns_before_answer():
    """Without ignore_early_media, originate succeeds on 183 as FreeSWITCH does."""
    async with Simulator(time_scale=50, pinned={"0677000000": human("Oui.", rings=3)}) as sim:
        c = await client(sim, "BACKGROUND_JOB", "CHANNEL_ANSWER")
        await c.send(
            BgApi(
                "originate {origination_uuid=cccccccc-0000-4000-8000-000000000001}sofia/gateway/gw1/0677000000 &park()",
                "job-early",
            )
        )
        await c.next()
        first = await c.until(lambda m: isinstance(m, SwitchEvent))
        assert first.name == "BACKGROUND_JOB"  # type: ignore[union-attr]
        await c.until(is_event("CHANNEL_ANSWER"))
        await c.close()


async def test_unknown_app_hangs_up_destination_out_of_order():
    async with Simulator(time_scale=50, pinned={"0688000000": human("Oui.")}) as sim:
        c = await client(sim, "CHANNEL_PARK", "CHANNEL_HANGUP")
        uuid = "dddddddd-0000-4000-8000-000000000001"
        await dial(c, uuid, "0688000000")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(c, uuid, "no_such_app", "x", "e1")
        hup = await c.until(is_event("CHANNEL_HANGUP", uuid))
        assert hup.headers["Hangup-Cause"] == "DESTINATION_OUT_OF_ORDER"  # type: ignore[union-attr]
        await c.close()


async def test_myevents_listener_closes_at_hangup_unless_lingering():
    async with Simulator(time_scale=50, pinned={"0699000000": human("Oui.")}) as sim:
        ctl = await client(sim, "CHANNEL_PARK")
        uuid = "eeeeeeee-0000-4000-8000-000000000001"
        await dial(ctl, uuid, "0699000000")
        await ctl.until(is_event("CHANNEL_PARK", uuid))
        pinned = await WireClient.connect(sim.port)
        await pinned.next()
        await pinned.send(Auth("ClueCon"))
        await pinned.next()
        await pinned.send_raw(f"myevents {uuid}\n\n".encode())
        assert (await pinned.next()).reply_text == "+OK Events Enabled"  # type: ignore[union-attr]
        await pinned.send_raw(b"linger 5\n\n")
        assert (await pinned.next()).reply_text == "+OK will linger 5 seconds"  # type: ignore[union-attr]
        await ctl.send(Api(f"uuid_kill {uuid}"))
        events: list[SwitchEvent] = []
        notice = await pinned.until(lambda m: type(m).__name__ == "DisconnectNotice", events=events)
        assert notice.headers["Content-Disposition"] == "linger"  # type: ignore[union-attr]
        assert notice.headers["Controlled-Session-UUID"] == uuid  # type: ignore[union-attr]
        await pinned.until(is_event("CHANNEL_HANGUP_COMPLETE", uuid), events=events)
        final = await pinned.until(lambda m: type(m).__name__ == "DisconnectNotice")
        assert final.headers["Content-Disposition"] == "disconnect"  # type: ignore[union-attr]
        assert await pinned.next() is None
        await pinned.close()
        await ctl.close()


async def test_time_scale_shrinks_ringing():
    """A 4-ring caller at x400 answers in a few hundredths of a wall second; the event
    timestamps still show the 20 simulated seconds."""
    slow = Persona(PersonaKind.HUMAN, rings=4)
    async with Simulator(time_scale=400, pinned={"0610000000": slow}) as sim:
        c = await client(sim, "CHANNEL_CREATE", "CHANNEL_ANSWER")
        uuid = "ffffffff-0000-4000-8000-000000000001"
        await dial(c, uuid, "0610000000", timeout=60)
        create = await c.until(is_event("CHANNEL_CREATE", uuid))
        answer = await c.until(is_event("CHANNEL_ANSWER", uuid), timeout=5)
        t0 = int(create.headers["Event-Date-Timestamp"])  # type: ignore[union-attr]
        t1 = int(answer.headers["Event-Date-Timestamp"])  # type: ignore[union-attr]
        assert 19.0 <= (t1 - t0) / 1e6 <= 30.0
        await c.close()


def test_persona_build_is_complete():
    from random import Random

    from mbs.freeswitch.sim.personas import build

    for kind in PersonaKind:
        p = build(kind, Random(1))
        assert p.kind is kind
        assert p.answers == (
            kind not in (PersonaKind.NO_ANSWER, PersonaKind.BUSY, PersonaKind.REJECTED)
        )


async def test_stop_with_open_connections_sends_goodbye():
    sim = Simulator()
    await sim.start()
    c = await client(sim, "HEARTBEAT")
    await sim.stop()
    notice = await c.until(lambda m: type(m).__name__ == "DisconnectNotice", timeout=5)
    assert notice is not None
    await asyncio.sleep(0)
    await c.close()


async def test_event_delay_holds_events_not_replies():
    async with Simulator(
        time_scale=100, personas="busy=1", faults=Faults(event_delay_s=0.5)
    ) as sim:
        c = await client(sim, "CHANNEL_CREATE", "BACKGROUND_JOB")
        uuid = "abababab-0000-4000-8000-000000000001"
        await dial(c, uuid, "0690000000")
        await c.send(Api("version"))
        first = await c.next()
        assert isinstance(first, ApiResponse)  # the reply overtakes the held CHANNEL_CREATE
        second = await c.next()
        assert isinstance(second, SwitchEvent) and second.name == "CHANNEL_CREATE"
        job = await c.until(is_event("BACKGROUND_JOB"))
        assert job.body == "-ERR USER_BUSY\n"  # type: ignore[union-attr]
        await c.close()


async def test_hangup_dispositions_and_transfer():
    pinned = {"0691000000": human("Oui."), "0692000000": human("Oui.")}
    async with Simulator(time_scale=50, pinned=pinned, personas="busy=1") as sim:
        c = await client(sim, "CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_EXECUTE_COMPLETE")
        kill, moved, busy = (f"acacacac-0000-4000-8000-00000000000{i}" for i in range(3))
        await dial(c, kill, "0691000000")
        await dial(c, moved, "0692000000")
        await dial(c, busy, "0693000000")
        seen: list[SwitchEvent] = []
        await c.until(is_event("CHANNEL_PARK", kill), events=seen)
        if not any(e.name == "CHANNEL_PARK" and e.headers["Unique-ID"] == moved for e in seen):
            await c.until(is_event("CHANNEL_PARK", moved), events=seen)
        await c.send(Api(f"uuid_transfer {moved} 0140000000 XML mbs"))
        await c.until(lambda m: isinstance(m, ApiResponse), events=seen)
        await c.send(Api(f"uuid_kill {kill}"))
        await c.until(lambda m: isinstance(m, ApiResponse), events=seen)
        while sum(e.name == "CHANNEL_HANGUP_COMPLETE" for e in seen) < 3:
            await c.until(is_event("CHANNEL_HANGUP_COMPLETE"), events=seen)
        hups = {e.headers["Unique-ID"]: e for e in seen if e.name == "CHANNEL_HANGUP_COMPLETE"}
        assert hups[kill].headers["variable_sip_hangup_disposition"] == "send_bye"
        assert hups[busy].headers["variable_sip_hangup_disposition"] == "recv_refuse"
        # the transferred caller talks to the agent, then the far side hangs up
        assert hups[moved].headers["variable_sip_hangup_disposition"] == "recv_bye"
        assert hups[moved].headers["variable_transfer_destination"] == "0140000000"
        await c.close()


async def test_sendmsg_body_argument_loops_and_event_lock():
    async with Simulator(time_scale=50, pinned={"0694000000": human("Oui.")}) as sim:
        c = await client(sim, "CHANNEL_PARK", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE")
        uuid = "adadadad-0000-4000-8000-000000000001"
        await dial(c, uuid, "0694000000")
        await c.until(is_event("CHANNEL_PARK", uuid))
        body = b"/p/deux fois.wav"
        await c.send_raw(
            f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: playback\nloops: 2\n"
            f"event-lock: true\nEvent-UUID: twice\nContent-Type: text/plain\nContent-Length: {len(body)}\n\n".encode()
            + body
        )
        seen: list[SwitchEvent] = []
        await c.until(lambda m: isinstance(m, CommandReply), events=seen)
        while sum(e.name == "CHANNEL_EXECUTE_COMPLETE" for e in seen) < 2:
            await c.until(is_event("CHANNEL_EXECUTE_COMPLETE", uuid), events=seen)
        runs = [
            (e.name, e.headers["Application-Data"], e.headers["Application-UUID"])
            for e in seen
            if e.name != "CHANNEL_PARK"
        ]
        assert (
            runs
            == [
                ("CHANNEL_EXECUTE", "/p/deux fois.wav", "twice"),
                ("CHANNEL_EXECUTE_COMPLETE", "/p/deux fois.wav", "twice"),
            ]
            * 2
        )
        await c.close()


@pytest.mark.parametrize(
    ("kind", "result", "cause"),
    [("silent", "NOTSURE", "INITIALSILENCE"), ("human", "HUMAN", "HUMAN")],
)
async def test_amd_verdicts(kind: str, result: str, cause: str):
    async with Simulator(time_scale=50, personas=f"{kind}=1") as sim:
        c = await client(sim, "CHANNEL_PARK", "CHANNEL_EXECUTE_COMPLETE")
        uuid = "aeaeaeae-0000-4000-8000-000000000001"
        await dial(c, uuid, "0695000000", timeout=60)
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(c, uuid, "amd", "", "amd-x")
        done = await c.until(
            lambda m: (
                is_event("CHANNEL_EXECUTE_COMPLETE", uuid)(m) and m.headers["Application"] == "amd"
            )
        )
        assert done.headers["variable_amd_result"] == result  # type: ignore[union-attr]
        assert done.headers["variable_amd_cause"] == cause  # type: ignore[union-attr]
        await c.close()


async def test_avmd_reports_the_voicemail_beep():
    async with Simulator(time_scale=50, personas="machine=1", seed=5) as sim:
        c = await client(sim, "CHANNEL_PARK", "CUSTOM", "avmd::start", "avmd::beep", "avmd::stop")
        uuid = "afafafaf-0000-4000-8000-000000000001"
        await dial(c, uuid, "0696000000", timeout=60)
        await c.until(is_event("CHANNEL_PARK", uuid))
        await execute(c, uuid, "avmd_start", "", "avmd-1")
        start = await c.until(
            lambda m: (
                isinstance(m, SwitchEvent) and m.headers.get("Event-Subclass") == "avmd::start"
            )
        )
        beep = await c.until(
            lambda m: (
                isinstance(m, SwitchEvent) and m.headers.get("Event-Subclass") == "avmd::beep"
            ),
            timeout=20,
        )
        names = [n for n, _ in beep.headers.pairs]  # type: ignore[union-attr]
        assert names[names.index("Event-Subclass") + 1 :] == [
            "Unique-ID",
            "Call-command",
            "Beep-Status",
            "Frequency",
            "Frequency-variance",
            "Amplitude",
            "Amplitude-variance",
            "Detection-time",
            "Detector-resolution",
            "Detector-offset",
            "Detector-index",
        ]  # mod_avmd adds no channel data
        assert beep.headers["Unique-ID"] == uuid and beep.headers["Beep-Status"] == "DETECTED"  # type: ignore[union-attr]
        assert start.headers["Event-Calling-File"] == "mod_avmd.c"  # type: ignore[union-attr]
        await execute(c, uuid, "avmd_stop", "", "avmd-2")
        stop = await c.until(
            lambda m: isinstance(m, SwitchEvent) and m.headers.get("Event-Subclass") == "avmd::stop"
        )
        assert stop.headers["Beep-Status"] == "DETECTED"  # type: ignore[union-attr]
        await c.close()


async def test_audio_fork_streams_the_callers_voice_to_a_websocket():
    """A real websocket server gets the metadata frame, then 20 ms L16 frames: silence,
    and the caller's line (espeak-ng) after the prompt. Its transcription comes back as
    CUSTOM mod_audio_fork::transcription with the JSON data as body."""
    import json
    from array import array

    import websockets

    got: dict[str, object] = {"frames": 0, "loud": 0}

    async def server(ws: websockets.ServerConnection) -> None:
        got["subprotocol"] = ws.subprotocol
        got["metadata"] = await ws.recv()
        async for frame in ws:
            if isinstance(frame, bytes):
                got["frames"] = int(got["frames"]) + 1  # type: ignore[call-overload]
                got["size"] = len(frame)
                if max(abs(x) for x in array("h", frame)) > 1000:
                    got["loud"] = int(got["loud"]) + 1  # type: ignore[call-overload]
                    if got["loud"] == 5:
                        await ws.send(
                            json.dumps(
                                {"type": "transcription", "data": {"text": "oui", "is_final": True}}
                            )
                        )

    async with websockets.serve(
        server, "127.0.0.1", 0, subprotocols=[websockets.Subprotocol("audio.drachtio.org")]
    ) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        async with Simulator(time_scale=5, pinned={"0600000003": human("Oui, allez-y.")}) as sim:
            c = await client(
                sim,
                "CHANNEL_PARK",
                "CUSTOM",
                "mod_audio_fork::connect",
                "mod_audio_fork::transcription",
                "mod_audio_fork::disconnect",
            )
            uuid = "abcdabcd-0000-4000-8000-000000000001"
            await dial(c, uuid, "0600000003")
            await c.until(is_event("CHANNEL_PARK", uuid))
            await c.send(
                Api(
                    f'uuid_audio_fork {uuid} start ws://127.0.0.1:{port}/asr mono 16k bug1 {{"campaign":"c-1"}}'
                )
            )
            assert (await c.until(lambda m: isinstance(m, ApiResponse))).body == "+OK Success\n"  # type: ignore[union-attr]
            await c.until(subclass_is("mod_audio_fork::connect"))
            await execute(c, uuid, "playback", "/p/question.wav", "p1")
            said = await c.until(subclass_is("mod_audio_fork::transcription"), timeout=30)
            assert json.loads(said.body) == {"text": "oui", "is_final": True}  # type: ignore[union-attr]
            assert said.headers["Unique-ID"] == uuid  # type: ignore[union-attr]
            await c.send(Api(f"uuid_audio_fork {uuid} stop"))
            await c.until(subclass_is("mod_audio_fork::disconnect"))
            await c.close()
    assert got["subprotocol"] == "audio.drachtio.org"
    assert got["metadata"] == '{"campaign":"c-1"}'
    assert got["size"] == 640  # 20 ms of 16 kHz 16-bit mono
    assert int(got["frames"]) > int(got["loud"]) >= 5  # type: ignore[call-overload]


async def test_audio_fork_connect_failed():
    import socket as socketlib

    with socketlib.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    async with Simulator(time_scale=20, pinned={"0600000004": human("Oui.")}) as sim:
        c = await client(sim, "CHANNEL_PARK", "CUSTOM", "mod_audio_fork::connect_failed")
        uuid = "abcdabcd-0000-4000-8000-000000000002"
        await dial(c, uuid, "0600000004")
        await c.until(is_event("CHANNEL_PARK", uuid))
        await c.send(Api(f"uuid_audio_fork {uuid} start ws://127.0.0.1:{free}/asr mono 8k"))
        failed = await c.until(
            lambda m: (
                isinstance(m, SwitchEvent)
                and m.headers.get("Event-Subclass") == "mod_audio_fork::connect_failed"
            )
        )
        assert failed.headers["Unique-ID"] == uuid  # type: ignore[union-attr]
        await c.close()


async def test_uuid_dump_tells_the_answer_state():
    """What the esl backend asks after a reconnect, when events may have been lost."""
    async with Simulator(time_scale=50, pinned={"0612000001": human(rings=2)}) as sim:
        c = await client(sim, "CHANNEL_ANSWER", "CHANNEL_PROGRESS")
        uuid = "88888888-0000-4000-8000-000000000001"
        await dial(c, uuid, "0612000001")
        await c.until(is_event("CHANNEL_PROGRESS", uuid))
        await c.send(Api(f"uuid_dump {uuid}"))
        ringing = await c.until(lambda m: isinstance(m, ApiResponse))
        await c.until(is_event("CHANNEL_ANSWER", uuid))
        await c.send(Api(f"uuid_dump {uuid}"))
        answered = await c.until(lambda m: isinstance(m, ApiResponse))
        assert isinstance(ringing, ApiResponse) and isinstance(answered, ApiResponse)
        assert ringing.body.startswith("Event-Name: CHANNEL_DATA\n")
        assert "\nAnswer-State: ringing\n" in ringing.body
        assert "\nAnswer-State: answered\n" in answered.body
        assert f"\nUnique-ID: {uuid}\n" in answered.body
        assert "\nvariable_ignore_early_media: true\n" in answered.body
        await c.send(Api(f"uuid_kill {uuid}"))
        await c.until(lambda m: isinstance(m, ApiResponse))
        await c.send(Api("uuid_dump 00000000-0000-4000-8000-000000000000"))
        gone = await c.until(lambda m: isinstance(m, ApiResponse))
        assert isinstance(gone, ApiResponse) and gone.body == "-ERR No such channel!\n"
        await c.close()
