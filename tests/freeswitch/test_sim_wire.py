"""The simulator's bytes: replies, api output and event structure, against the facts
of docs/esl.md and the recorded messages of data/esl-examples.txt."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sim_wire import WireClient, examples, frame_of, header_names, is_event

from mbs.freeswitch.esl import (
    Api,
    ApiResponse,
    Auth,
    AuthRequest,
    BgApi,
    CommandReply,
    DisconnectNotice,
    Exit,
    JsonEvent,
    PlainEvent,
    Subscribe,
    SwitchEvent,
)
from mbs.freeswitch.sim import PersonaKind, Simulator
from mbs.freeswitch.sim.connection import AUTH_FLOOR_S
from mbs.freeswitch.sim.fsevents import FsEvent
from mbs.freeswitch.sim.subscription import Subscription

pytestmark = pytest.mark.virtual_time

GOODBYE = b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
ORIGINATE = (
    "originate {origination_uuid=%s,ignore_early_media=true,originate_timeout=30,"
    "campaign_id=c-42}sofia/gateway/gw1/%s &park()"
)


async def authed(sim: Simulator) -> WireClient:
    c = await WireClient.connect(sim.port)
    assert isinstance(await c.next(), AuthRequest)
    await c.send(Auth("ClueCon"))
    reply = await c.next()
    assert isinstance(reply, CommandReply) and reply.reply_text == "+OK accepted"
    return c


async def test_auth_request_and_accept_bytes():
    async with Simulator() as sim:
        c = await WireClient.connect(sim.port)
        await c.next()
        await c.send_raw(b"auth ClueCon\n\n")
        await c.next()
        assert bytes(c.raw) == (
            b"Content-Type: auth/request\n\n"
            b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
        )
        await c.close()


async def test_bad_password_gets_invalid_then_notice_then_close():
    async with Simulator(password="secret") as sim:
        c = await WireClient.connect(sim.port)
        await c.next()
        await c.send(Auth("ClueCon"))
        reply = await c.next()
        assert isinstance(reply, CommandReply) and reply.reply_text == "-ERR invalid"
        notice = await c.next()
        assert isinstance(notice, DisconnectNotice)
        assert await c.next() is None
        assert bytes(c.raw).endswith(b"Reply-Text: -ERR invalid\n\n" + GOODBYE)


async def test_commands_before_auth_are_not_found_and_exit_says_bye():
    async with Simulator() as sim:
        c = await WireClient.connect(sim.port)
        await c.next()
        await c.send_raw(b"api status\n\n")
        reply = await c.next()
        assert isinstance(reply, CommandReply) and reply.reply_text == "-ERR command not found"
        await c.send(Exit())
        reply = await c.next()
        assert isinstance(reply, CommandReply) and reply.reply_text == "+OK bye"
        assert isinstance(await c.next(), DisconnectNotice)
        assert await c.next() is None
        assert bytes(c.raw).endswith(b"Reply-Text: +OK bye\n\n" + GOODBYE)


async def test_auth_window_closes_silent_connections():
    # 25 simulated seconds at x1000 would be 25 ms of wall time: the deadline is never
    # under AUTH_FLOOR_S of wall time (a loaded machine must not miss it)
    async with Simulator(time_scale=1000) as sim:
        c = await WireClient.connect(sim.port)
        assert isinstance(await c.next(), AuthRequest)
        assert isinstance(await c.next(timeout=AUTH_FLOOR_S * 12), DisconnectNotice)
        assert await c.next() is None


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("event plain CHANNEL_ANSWER", "+OK event listener enabled plain"),
        ("event json ALL", "+OK event listener enabled json"),
        ("event xml HEARTBEAT", "+OK event listener enabled xml"),
        ("event plain", "-ERR no keywords supplied"),
        ("event NOT_AN_EVENT", "-ERR no keywords supplied"),
        ("nixevent HEARTBEAT", "+OK events nixed"),
        ("noevents", "-ERR not listening for events"),
        ("filter Unique-ID abc", "+OK filter added. [Unique-ID]=[abc]"),
        ("filter delete Unique-ID abc", "+OK filter deleted. [Unique-ID][abc]"),
        ("filter delete Unique-ID", "+OK filter deleted. [Unique-ID][]"),
        ("filter Unique-ID", "-ERR invalid syntax"),
        ("myevents 4a1b2c3d-no-such-call", "+OK Events Enabled"),
        ("myevents 4a1b2c3d-no-such-call json", "-ERR invalid uuid"),
        ("linger 10", "-ERR not controlling a session"),
        ("nolinger", "-ERR not controlling a session"),
        ("log 7", "+OK log level 7 [7]"),
        ("log nonsense", "-ERR invalid log level"),
        ("log", "+OK log level  [7]"),
        ("nolog", "-ERR not loging"),
        ("sendmsg 4a1b2c3d-no-such-call", "-ERR invalid session id [4a1b2c3d-no-such-call]"),
        ("divert_events on", "-ERR not controlling a session."),
        ("frobnicate", "-ERR command not found"),
        ("api", "-ERR command not found"),
    ],
)
async def test_command_reply_texts(line: str, reply: str):
    async with Simulator() as sim:
        c = await authed(sim)
        before = len(c.raw)
        await c.send_raw(line.encode() + b"\n\n")
        msg = await c.next()
        assert isinstance(msg, CommandReply)
        assert (
            bytes(c.raw[before:])
            == f"Content-Type: command/reply\nReply-Text: {reply}\n\n".encode()
        )
        await c.close()


async def test_sendevent_answers_its_event_uuid():
    async with Simulator() as sim:
        c = await authed(sim)
        await c.send_raw(b"event plain CUSTOM sim::test\n\n")
        await c.next()
        await c.send_raw(b"sendevent CUSTOM\nEvent-Subclass: sim::test\nWho: me\n\n")
        reply = await c.next()
        assert isinstance(reply, CommandReply)
        assert re.fullmatch(r"\+OK [0-9a-f-]{36}", reply.reply_text)
        event = await c.until(is_event("CUSTOM"))
        assert isinstance(event, SwitchEvent)
        assert event.headers["Who"] == "me"
        assert event.headers["Event-UUID"] == reply.reply_text[4:]
        await c.close()


async def test_status_has_freeswitch_layout():
    async with Simulator() as sim:
        c = await authed(sim)
        before = len(c.raw)
        await c.send(Api("status"))
        msg = await c.next()
        assert isinstance(msg, ApiResponse)
        raw = bytes(c.raw[before:])
        assert raw.startswith(
            f"Content-Type: api/response\nContent-Length: {len(msg.body)}\n\n".encode()
        )
        lines = msg.body.split("\n")
        ex_lines = examples()["status"].decode().split("\n\n", 1)[1].split("\n")
        assert len(lines) == len(ex_lines)
        # FreeSWITCH writes "1 second" but "2 seconds": compare the units without plurals.
        units = r"(year|day|hour|minute|second|millisecond|microsecond)s\b"

        def shape(line: str) -> str:
            return re.sub(units, r"\1", re.sub(r"\d+(\.\d+)?", "N", line))

        assert [shape(line) for line in lines] == [shape(line) for line in ex_lines]
        await c.close()


async def test_unknown_api_and_version_and_hostname():
    async with Simulator() as sim:
        c = await authed(sim)
        await c.send(Api("nosuchcmd foo"))
        msg = await c.next()
        assert isinstance(msg, ApiResponse) and msg.body == "-ERR nosuchcmd Command not found!\n"
        await c.send(Api("version"))
        msg = await c.next()
        assert isinstance(msg, ApiResponse)
        assert msg.body == "FreeSWITCH Version 1.10.12-release~64bit (-release 64bit)\n"
        await c.send(Api("hostname"))
        msg = await c.next()
        assert isinstance(msg, ApiResponse) and msg.body == sim.identity.hostname
        await c.send(Api("show channels"))
        msg = await c.next()
        assert isinstance(msg, ApiResponse) and msg.body == "\n0 total.\n"
        await c.close()


async def test_bgapi_reuses_job_uuid_and_fires_background_job():
    async with Simulator(time_scale=100, personas="human=1") as sim:
        c = await authed(sim)
        await c.send(Subscribe(("BACKGROUND_JOB",), "plain"))
        await c.next()
        before = len(c.raw)
        job = "5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01"
        await c.send(
            BgApi(ORIGINATE % ("a1b2c3d4-0000-4000-8000-000000000001", "15551230000"), job)
        )
        reply = await c.next()
        assert bytes(c.raw[before:]) == (
            f"Content-Type: command/reply\nReply-Text: +OK Job-UUID: {job}\nJob-UUID: {job}\n\n".encode()
        )
        assert isinstance(reply, CommandReply)
        start = len(c.raw)
        bg = await c.until(is_event("BACKGROUND_JOB"))
        assert isinstance(bg, PlainEvent)
        assert bg.body == "+OK a1b2c3d4-0000-4000-8000-000000000001\n"
        assert "Unique-ID" not in bg.headers and "Job-Owner-UUID" not in bg.headers
        ours = header_names(bytes(c.raw[start:]))
        assert ours == header_names(examples()["bgjob"])
        await c.close()


async def test_bgapi_of_unknown_command_reports_in_the_job():
    async with Simulator() as sim:
        c = await authed(sim)
        await c.send(Subscribe(("BACKGROUND_JOB",), "plain"))
        await c.next()
        await c.send(BgApi("nosuch thing", "job-9"))
        await c.next()
        bg = await c.until(is_event("BACKGROUND_JOB"))
        assert isinstance(bg, PlainEvent)
        assert bg.body == "-ERR nosuch Command not found!\n"
        assert bg.headers["Job-Command"] == "nosuch" and bg.headers["Job-Command-Arg"] == "thing"
        await c.close()


def _subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(name in it for name in small)


async def test_channel_events_keep_freeswitch_header_order():
    """Each example's header names appear in the simulator's event in the same order
    (the simulator carries more channel and variable headers, as a real switch does)."""
    async with Simulator(time_scale=50, personas="human=1") as sim:
        c = await authed(sim)
        await c.send(Subscribe(("ALL",), "plain"))
        await c.next()
        uuid = "a1b2c3d4-0000-4000-8000-000000000001"
        await c.send(BgApi(ORIGINATE % (uuid, "15551230000"), "job-1"))
        await c.until(is_event("CHANNEL_PARK"))
        await c.send_raw(
            f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: playback\n"
            "execute-app-arg: /var/lib/robot/prompts/greeting.wav\nEvent-UUID: e7c1\n\n".encode()
        )
        await c.until(is_event("PLAYBACK_START"))
        await c.send(Api(f"uuid_break {uuid}"))
        await c.until(is_event("CHANNEL_EXECUTE_COMPLETE"))
        await c.send(Api(f"uuid_kill {uuid}"))
        await c.until(is_event("CHANNEL_HANGUP_COMPLETE"))
        raw, ex = bytes(c.raw), examples()
        for name, theirs in (
            ("CHANNEL_ANSWER", "answer"),
            ("PLAYBACK_STOP", "pbstop"),
            ("CHANNEL_EXECUTE_COMPLETE", "exec_c"),
            ("CHANNEL_HANGUP_COMPLETE", "hupc"),
        ):
            mine = frame_of(raw, name)
            envelope, _, payload = mine.partition(b"\n\n")
            assert envelope == b"Content-Length: %d\nContent-Type: text/event-plain" % len(payload)
            names = header_names(mine)
            assert _subsequence(header_names(ex[theirs]), names), (theirs, names)
        pb = frame_of(raw, "PLAYBACK_STOP").decode()
        assert (
            "Playback-File-Path: /var/lib/robot/prompts/greeting.wav\nPlayback-Status: break\n\n"
            in pb
        )
        ec = frame_of(raw, "CHANNEL_EXECUTE_COMPLETE").decode()
        assert ec.endswith(
            "Application: playback\nApplication-Data: /var/lib/robot/prompts/greeting.wav\nApplication-Response: FILE%20PLAYED\nApplication-UUID: e7c1\n\n"
        )
        await c.close()


async def test_hangup_complete_carries_hangup_cause_twice_and_answer_has_variables():
    async with Simulator(time_scale=50, personas="human=1") as sim:
        c = await authed(sim)
        await c.send(
            Subscribe(
                ("CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_STATE", "DTMF"), "plain"
            )
        )
        await c.next()
        uuid = "0b2c3d4e-0000-4000-8000-000000000002"
        await c.send(BgApi(ORIGINATE % (uuid, "0611223344"), ""))
        await c.next()
        answer = await c.until(is_event("CHANNEL_ANSWER"))
        assert isinstance(answer, PlainEvent)
        assert answer.headers["Answer-State"] == "answered"
        # mark_answered fires the event before it sets the call state to ACTIVE
        assert answer.headers["Channel-Call-State"] == "EARLY"
        assert answer.headers["variable_campaign_id"] == "c-42"
        assert answer.headers["Channel-Read-Codec-Name"] == "PCMU"
        await c.send(Api(f"uuid_kill {uuid} USER_BUSY"))
        states: list[SwitchEvent] = []
        hupc = await c.until(is_event("CHANNEL_HANGUP_COMPLETE"), events=states)
        assert isinstance(hupc, PlainEvent)
        assert hupc.headers.get_all("Hangup-Cause") == ["USER_BUSY", "USER_BUSY"]
        names = list(n for n, _ in hupc.headers.pairs)
        assert names.index("Hangup-Cause") < names.index("Channel-State")
        assert hupc.headers["variable_hangup_cause_q850"] == "17"
        assert hupc.headers["variable_sip_term_status"] == "486"
        assert hupc.headers["Answer-State"] == "hangup"
        for e in states:
            if e.name == "CHANNEL_STATE":
                assert not any(n.startswith("variable_") for n, _ in e.headers.pairs)
        await c.close()


async def test_json_format_keeps_duplicates_and_body():
    async with Simulator(time_scale=50, personas="busy=1") as sim:
        c = await authed(sim)
        await c.send(Subscribe(("BACKGROUND_JOB", "CHANNEL_HANGUP_COMPLETE"), "json"))
        await c.next()
        start = len(c.raw)
        await c.send(
            BgApi(ORIGINATE % ("1b2c3d4e-0000-4000-8000-000000000003", "0600000000"), "j-1")
        )
        await c.next()
        seen: list[SwitchEvent] = []
        await c.until(is_event("CHANNEL_HANGUP_COMPLETE"), events=seen)
        await c.until(is_event("BACKGROUND_JOB"), events=seen) if not any(
            e.name == "BACKGROUND_JOB" for e in seen
        ) else None
        bg = next(e for e in seen if e.name == "BACKGROUND_JOB")
        assert isinstance(bg, JsonEvent)
        assert bg.body == "-ERR USER_BUSY\n"
        raw = bytes(c.raw[start:]).decode()
        assert raw.count('"Hangup-Cause":"USER_BUSY"') == 2
        m = re.search(r'\{"Event-Name":"BACKGROUND_JOB".*?\}(?=Content-Length|$)', raw, re.S)
        assert m is not None
        assert json.loads(m.group(0))["_body"] == "-ERR USER_BUSY\n"
        assert '"Content-Length":"15","_body":"-ERR USER_BUSY\\n"}' in raw
        await c.close()


async def test_api_blocks_events_on_its_connection():
    """While `api originate` waits, no event is written on that socket; after the reply,
    the held events arrive."""
    async with Simulator(time_scale=20, personas="human=1") as sim:
        c = await authed(sim)
        await c.send(Subscribe(("CHANNEL_CREATE", "CHANNEL_ANSWER", "HEARTBEAT"), "plain"))
        await c.next()
        await c.send(Api(ORIGINATE % ("2b2c3d4e-0000-4000-8000-000000000004", "0611111111")))
        first = await c.next()
        assert isinstance(first, ApiResponse)
        assert first.body == "+OK 2b2c3d4e-0000-4000-8000-000000000004\n"
        names = []
        for _ in range(2):
            msg = await c.next()
            assert isinstance(msg, SwitchEvent)
            names.append(msg.name)
        assert names == ["CHANNEL_CREATE", "CHANNEL_ANSWER"]
        await c.close()


def fs_event(*pairs: tuple[str, str]) -> FsEvent:
    return FsEvent(tuple(pairs))


def test_filter_semantics():
    sub = Subscription()
    sub.event(["ALL"])
    chan = fs_event(("Event-Name", "CHANNEL_ANSWER"), ("Unique-ID", "ABC-1"))
    job = fs_event(("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", "j1"))
    assert sub.wants(chan) and sub.wants(job)
    sub.filter("Unique-ID abc-1")  # case-insensitive
    assert sub.wants(chan)
    assert not sub.wants(job)  # no Unique-ID: dropped
    sub.filter("Job-UUID j1")  # any filter header present and matching
    assert sub.wants(job)
    sub.filter("Unique-ID -ABC-1")  # exclusion wins
    assert not sub.wants(chan)
    sub.filter("delete Unique-ID -ABC-1")
    assert sub.wants(chan)
    sub.filter("delete all")
    sub.filter("Event-Name /^CHANNEL_(ANSWER|HANGUP)$/")
    assert sub.wants(chan) and not sub.wants(job)


def test_custom_needs_its_subclass_and_nixevent_all():
    sub = Subscription()
    custom = fs_event(("Event-Name", "CUSTOM"), ("Event-Subclass", "mod_audio_fork::transcription"))
    sub.event(["CUSTOM"])
    assert not sub.wants(custom)
    sub.event(["CUSTOM", "mod_audio_fork::transcription"])
    assert sub.wants(custom)
    sub.nixevent(["CUSTOM", "mod_audio_fork::transcription"])
    assert not sub.wants(custom)
    sub.event(["ALL"])
    assert sub.wants(custom)
    sub.nixevent(["HEARTBEAT"])
    assert not sub.wants(fs_event(("Event-Name", "HEARTBEAT")))
    assert sub.wants(fs_event(("Event-Name", "DTMF")))


def test_myevents_selects_one_call_and_its_jobs():
    sub = Subscription()
    sub.subscribe_myevents("u1", "myevents u1")
    assert sub.wants(fs_event(("Event-Name", "CHANNEL_ANSWER"), ("Unique-ID", "u1")))
    assert not sub.wants(fs_event(("Event-Name", "CHANNEL_ANSWER"), ("Unique-ID", "u2")))
    assert not sub.wants(fs_event(("Event-Name", "HEARTBEAT")))
    job = fs_event(("Event-Name", "BACKGROUND_JOB"), ("Job-Owner-UUID", "u1"))
    assert not sub.wants(job)  # myevents alone does not subscribe BACKGROUND_JOB
    sub.event(["BACKGROUND_JOB"])
    assert sub.wants(job)  # once subscribed, the call's own jobs pass the uuid check


async def test_heartbeat_every_twenty_simulated_seconds():
    async with Simulator(time_scale=200) as sim:  # 20 s = 0.1 s of wall time
        c = await authed(sim)
        await c.send(Subscribe(("HEARTBEAT",), "plain"))
        await c.next()
        hb = await c.until(is_event("HEARTBEAT"))
        assert isinstance(hb, PlainEvent)
        assert hb.headers["Event-Info"] == "System Ready"
        assert hb.headers["Event-Calling-Function"] == "send_heartbeat"
        assert re.fullmatch(
            r"\d+ years?, \d+ days?, \d+ hours?, \d+ minutes?, \d+ seconds?, \d+ milliseconds?, \d+ microseconds?",
            hb.headers["Up-Time"],
        )
        await c.close()


def test_persona_mix_parsing_errors():
    from mbs.freeswitch.sim import parse_mix

    assert parse_mix("human=3, busy=1") == {PersonaKind.HUMAN: 3.0, PersonaKind.BUSY: 1.0}
    for bad in ("robot=1", "human=x", "human=0", "busy=-1"):
        with pytest.raises(ValueError):
            parse_mix(bad)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("name", "seq", "arg", "result"),
    [
        (
            "bgjob",
            1001,
            "{origination_uuid=a1b2c3d4-0000-4000-8000-000000000001,ignore_early_media=true,"
            "originate_timeout=30}sofia/gateway/gw1/15551230000 &park()",
            "+OK a1b2c3d4-0000-4000-8000-000000000001\n",
        ),
        ("bgjob_fail", 1002, "...", "-ERR USER_BUSY\n"),
    ],
)
def test_background_job_is_byte_exact(utc: None, name: str, seq: int, arg: str, result: str):
    """Same switch identity, clock and sequence as the example: the very same bytes."""
    import itertools

    from mbs.freeswitch.esl import EslConnection, Headers, Role
    from mbs.freeswitch.sim.fsevents import EventFactory, SwitchIdentity

    factory = EventFactory(
        SwitchIdentity("7f3c2a10-1111-4a6e-9d2f-0c9c1e7a0001", "fs1", "fs1", "127.0.0.1", "::1"),
        now_us=lambda: 1767268800123456,
    )
    factory._seq = itertools.count(seq)
    event = factory.background_job("5d2f8b9e-2222-4c1a-8e7b-3f4d5c6b7a01", "originate", arg, result)
    wire = EslConnection(Role.SERVER).send(PlainEvent(Headers(event.headers), event.body or ""))
    assert wire == examples()[name]


async def test_xml_events_parse_and_encode_values():
    import xml.dom.minidom

    async with Simulator(time_scale=100, personas="busy=1") as sim:
        c = await authed(sim)
        await c.send(Subscribe(("BACKGROUND_JOB",), "xml"))
        await c.next()
        await c.send(
            BgApi(ORIGINATE % ("3b2c3d4e-0000-4000-8000-000000000005", "0600000000"), "j-x")
        )
        await c.next()
        msg = await c.next()
        from mbs.freeswitch.esl import XmlEvent

        assert isinstance(msg, XmlEvent)
        doc = xml.dom.minidom.parseString(msg.body)
        headers = doc.getElementsByTagName("headers")[0]
        first = headers.firstChild.nextSibling  # type: ignore[union-attr]
        assert first.tagName == "Event-Name"  # type: ignore[union-attr]
        assert doc.getElementsByTagName("Job-Command-Arg")[0].firstChild.data.startswith(
            "%7Borigination_uuid%3D"
        )  # type: ignore[union-attr]
        assert doc.getElementsByTagName("body")[0].firstChild.data == "-ERR USER_BUSY\n"  # type: ignore[union-attr]
        assert doc.getElementsByTagName("Content-Length")[0].firstChild.data == "15"  # type: ignore[union-attr]
        await c.close()


async def test_dtmf_matches_example_order(utc: None):
    from mbs.freeswitch.sim import Persona, Turn

    persona = Persona(PersonaKind.DTMF, rings=1, turns=(Turn(digits="5", barge_in_s=0.2),))
    async with Simulator(time_scale=50, pinned={"15551230000": persona}) as sim:
        c = await authed(sim)
        await c.send(Subscribe(("DTMF", "CHANNEL_PARK"), "plain"))
        await c.next()
        uuid = "a1b2c3d4-0000-4000-8000-000000000001"
        await c.send(BgApi(ORIGINATE % (uuid, "15551230000"), "j-d"))
        await c.next()
        await c.until(is_event("CHANNEL_PARK"))
        await c.send_raw(
            f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /p/menu.wav\n\n".encode()
        )
        await c.until(lambda m: isinstance(m, CommandReply))
        await c.until(is_event("DTMF"))
        mine = header_names(frame_of(bytes(c.raw), "DTMF"))
        theirs = header_names(examples()["dtmf"])
        head = theirs.index("Caller-Direction") + 1
        assert mine[:head] == theirs[:head]  # base block and channel block, name for name
        assert mine[-3:] == ["DTMF-Digit", "DTMF-Duration", "DTMF-Source"]
        assert _subsequence(theirs, mine)
        assert not any(n.startswith("variable_") for n in mine)
        await c.close()


async def test_listener_that_stops_reading_is_killed_after_lost_events():
    """mod_event_socket queues at most MAX_QUEUE_LEN events per listener and kills one
    that loses more than MAX_MISSED in a row (here 50 and 10)."""
    import socket

    from mbs.freeswitch.esl import DisconnectNotice

    async with Simulator(max_queue=50, max_missed=10) as sim:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", sim.port))
        reader, writer = await asyncio.open_connection(sock=sock)
        slow = WireClient(reader, writer)
        await slow.next()
        await slow.send(Auth("ClueCon"))
        await slow.next()
        await slow.send_raw(b"event plain CUSTOM sim::flood\n\n")
        await slow.next()  # from here on, the slow client reads nothing
        fast = await authed(sim)
        body = "x" * 4000
        for i in range(1500):
            await fast.send_raw(
                f"sendevent CUSTOM\nEvent-Subclass: sim::flood\nN: {i}\nContent-Length: {len(body)}\n\n{body}".encode()
            )
        for _ in range(1500):
            assert isinstance(await fast.next(), CommandReply)
        loop = asyncio.get_running_loop()
        end = loop.time() + 20
        while len(sim.listeners) > 1 and loop.time() < end:
            await asyncio.sleep(0.05)
        assert len(sim.listeners) == 1  # the slow one is gone
        last = None
        while (msg := await slow.next(timeout=10)) is not None:
            last = msg
        assert isinstance(last, DisconnectNotice)
        assert last.body == "killed listener because of lost events\n"
        await fast.close()
        await slow.close()


def test_parse_originate_variables_and_app():
    from mbs.freeswitch.sim.api import parse_originate

    r = parse_originate(
        "{origination_uuid=u1,origination_caller_id_name='Jean, Dupont',tags=a\\,b}"
        "sofia/gateway/gw/0612345678 &socket(127.0.0.1:8084 async full)"
    )
    assert r is not None
    assert r.variables == {
        "origination_uuid": "u1",
        "origination_caller_id_name": "Jean, Dupont",
        "tags": "a,b",
    }
    assert (r.gateway, r.number, r.app, r.app_arg) == (
        "gw",
        "0612345678",
        "socket",
        "127.0.0.1:8084 async full",
    )
    r = parse_originate("sofia/external/0612345678@sip.example.net 9999 XML default")
    assert r is not None and (r.gateway, r.number, r.app) == ("external", "0612345678", "park")
    assert parse_originate("{unclosed=1 sofia/gateway/gw/1 &park()") is None


async def test_myevents_takes_the_uuid_first():
    """FreeSWITCH reads `myevents UUID [FORMAT]`; `myevents FORMAT UUID` looks up a call
    named after the format and fails."""
    async with Simulator(time_scale=50, personas="human=1") as sim:
        c = await authed(sim)
        uuid = "4b2c3d4e-0000-4000-8000-000000000006"
        await c.send(Subscribe(("CHANNEL_PARK",), "plain"))
        await c.next()
        await c.send(BgApi(ORIGINATE % (uuid, "0611111112"), "j-m"))
        await c.next()
        await c.until(is_event("CHANNEL_PARK", uuid))
        for line, reply in (
            (f"myevents json {uuid}", "-ERR invalid uuid"),
            (f"myevents {uuid} json", "+OK Events Enabled"),
        ):
            await c.send_raw(line.encode() + b"\n\n")
            msg = await c.until(lambda m: isinstance(m, CommandReply))
            assert msg.reply_text == reply  # type: ignore[union-attr]
        await c.close()
