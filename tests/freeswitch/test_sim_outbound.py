"""Outbound mode: `&socket(host:port async full)` makes the simulator dial the robot."""

from __future__ import annotations

import asyncio
import socket

import pytest
from sim_wire import WireClient, is_event

from mbs.freeswitch.esl import (
    Api,
    ApiResponse,
    BgApi,
    CommandReply,
    Connect,
    ConnectReply,
    DisconnectNotice,
    Exit,
    Subscribe,
    SwitchEvent,
)
from mbs.freeswitch.sim import Persona, PersonaKind, Simulator, Turn

pytestmark = pytest.mark.virtual_time

CALLER = Persona(PersonaKind.HUMAN, rings=1, turns=(Turn("Oui."),))


class Robot:
    """A loopback server standing in for the robot's outbound ESL endpoint."""

    def __init__(self) -> None:
        self.sessions: asyncio.Queue[WireClient] = asyncio.Queue()
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Robot:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self.sessions.put(WireClient(reader, writer))

        self.server = await asyncio.start_server(accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])


async def originate(sim: Simulator, uuid: str, target: str) -> WireClient:
    ctl = await WireClient.connect(sim.port)
    await ctl.next()
    await ctl.send_raw(b"auth ClueCon\n\n")
    await ctl.next()
    await ctl.send(
        Subscribe(("BACKGROUND_JOB", "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE"), "plain")
    )
    await ctl.next()
    await ctl.send(
        BgApi(
            f"originate {{origination_uuid={uuid},ignore_early_media=true}}sofia/gateway/gw1/0612345678 &socket({target})",
            "job-out",
        )
    )
    await ctl.next()
    return ctl


async def command(c: WireClient, line: str, events: list[SwitchEvent] | None = None) -> str:
    await c.send_raw(line.encode() + b"\n\n")
    reply = await c.until(lambda m: isinstance(m, CommandReply), events=events)
    return reply.reply_text  # type: ignore[union-attr]


async def test_async_full_session():
    async with Robot() as robot, Simulator(time_scale=20, pinned={"0612345678": CALLER}) as sim:
        uuid = "0a000000-0000-4000-8000-000000000001"
        ctl = await originate(sim, uuid, f"127.0.0.1:{robot.port} async full")
        c = await asyncio.wait_for(robot.sessions.get(), 10)
        await c.send(Connect())
        reply = await c.next()
        assert isinstance(reply, ConnectReply)
        assert reply.headers["Event-Name"] == "CHANNEL_DATA"
        assert reply.unique_id == uuid
        assert reply.reply_text == "+OK\n"
        assert reply.headers["Channel-Destination-Number"] == "0612345678"
        assert reply.headers["Caller-Destination-Number"] == "0612345678"
        assert reply.headers["variable_origination_uuid"] == uuid
        assert bytes(c.raw).endswith(
            b"Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"
        )
        assert b"Content-Length" not in bytes(c.raw)
        assert await command(c, "myevents") == "+OK Events Enabled"
        assert await command(c, "linger") == "+OK will linger"
        assert await command(c, "getvar origination_uuid") == uuid
        await c.send(Api("status"))
        status = await c.until(lambda m: isinstance(m, ApiResponse))
        assert status.body.startswith("UP ")  # type: ignore[union-attr]
        events: list[SwitchEvent] = []
        assert (
            await command(
                c,
                "sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /p/x.wav\nEvent-UUID: pb-1",
                events,
            )
            == "+OK"
        )
        done = await c.until(is_event("CHANNEL_EXECUTE_COMPLETE", uuid), events=events)
        assert done.headers["Application-UUID"] == "pb-1"  # type: ignore[union-attr]
        assert (
            await command(c, "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING")
            == "+OK"
        )
        notice = await c.until(lambda m: isinstance(m, DisconnectNotice), events=events)
        assert notice.headers["Content-Disposition"] == "linger"  # type: ignore[union-attr]
        assert notice.headers["Linger-Time"] == "-1"  # type: ignore[union-attr]
        await c.until(is_event("CHANNEL_HANGUP_COMPLETE", uuid), events=events)
        await c.send(Exit())
        await c.until(lambda m: isinstance(m, CommandReply))
        final = await c.until(lambda m: isinstance(m, DisconnectNotice))
        assert final.headers["Controlled-Session-UUID"] == uuid  # type: ignore[union-attr]
        assert final.headers["Content-Disposition"] == "disconnect"  # type: ignore[union-attr]
        job = await ctl.until(is_event("BACKGROUND_JOB"))
        assert job.body == f"+OK {uuid}\n"  # type: ignore[union-attr]
        await c.close()
        await ctl.close()


async def test_static_single_channel_blocks_and_ends_call_on_close():
    async with Robot() as robot, Simulator(time_scale=20, pinned={"0612345678": CALLER}) as sim:
        uuid = "0a000000-0000-4000-8000-000000000002"
        ctl = await originate(sim, uuid, f"127.0.0.1:{robot.port}")
        c = await asyncio.wait_for(robot.sessions.get(), 10)
        await c.send(Connect())
        reply = await c.next()
        assert isinstance(reply, ConnectReply)
        assert reply.headers["Socket-Mode"] == "static"
        assert reply.headers["Control"] == "single-channel"
        assert await command(c, "api status") == "-ERR command not found"
        assert await command(c, "event plain ALL") == "-ERR command not found"
        assert await command(c, "linger") == "-ERR command not found"
        assert await command(c, "myevents") == "+OK Events Enabled"
        before = len(c.raw)
        await c.send_raw(
            b"sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /p/x.wav\nEvent-UUID: pb-2\n\n"
        )
        first = await c.next()
        assert isinstance(first, CommandReply) and first.reply_text == "+OK"  # only after the app
        later: list[SwitchEvent] = []
        await c.until(is_event("CHANNEL_EXECUTE_COMPLETE", uuid), events=later)
        # held while the app ran, delivered after the reply (myevents has no PLAYBACK_*)
        assert [(e.name, e.headers["Application"]) for e in later] == [
            ("CHANNEL_EXECUTE", "playback"),
            ("CHANNEL_EXECUTE_COMPLETE", "playback"),
        ]
        assert bytes(c.raw[before:]).startswith(b"Content-Type: command/reply\nReply-Text: +OK\n\n")
        await c.close()  # the robot goes away: the socket app returns, the call hangs up
        seen: list[SwitchEvent] = []
        hup = await ctl.until(is_event("CHANNEL_HANGUP", uuid), events=seen)
        assert hup.headers["Hangup-Cause"] == "NORMAL_CLEARING"  # type: ignore[union-attr]
        socket_done = [
            e
            for e in seen
            if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.headers["Application"] == "socket"
        ]
        assert socket_done, "the socket app completes before the hangup"
        await ctl.close()


async def test_unreachable_robot_hangs_up():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]  # closed again: nothing listens there
    async with Simulator(time_scale=20, pinned={"0612345678": CALLER}) as sim:
        uuid = "0a000000-0000-4000-8000-000000000003"
        ctl = await originate(sim, uuid, f"127.0.0.1:{free} async full")
        hup = await ctl.until(is_event("CHANNEL_HANGUP", uuid))
        assert hup.headers["Hangup-Cause"] == "NORMAL_CLEARING"  # type: ignore[union-attr]
        await ctl.close()
