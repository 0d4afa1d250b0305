"""The asyncio client against a small switch built on the core's SERVER role, over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
from dataclasses import dataclass, field

import pytest

from mbs.freeswitch.backend import EslBackendConfig, EslTelephony
from mbs.freeswitch.client import (
    AuthenticationFailed,
    BackgroundJob,
    ClientConfig,
    ConnectionLost,
    EslClient,
    events_of,
)
from mbs.freeswitch.esl import (
    NEED_DATA,
    Api,
    ApiResponse,
    Auth,
    AuthRequest,
    BgApi,
    ClientCommand,
    CommandReply,
    ConnectionClosed,
    DisconnectNotice,
    EslConnection,
    Exit,
    Filter,
    Headers,
    PlainEvent,
    Role,
    RudeRejection,
    Subscribe,
    SwitchEvent,
)

pytestmark = pytest.mark.virtual_time

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def event(name: str, uuid: str | None = None, body: str = "", **extra: str) -> PlainEvent:
    pairs = [("Event-Name", name), ("Core-UUID", "core-1")]
    if uuid:
        pairs.append(("Unique-ID", uuid))
    pairs += [(k.replace("_", "-"), v) for k, v in extra.items()]
    return PlainEvent(Headers(pairs), body)


@dataclass
class Session:
    commands: list[ClientCommand] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)
    writer: asyncio.StreamWriter | None = None
    conn: EslConnection | None = None
    written: int = 0
    budget: int | None = None  # drop the link once this many bytes went out


class MiniSwitch:
    """Answers auth, api (status, echo, sleep), bgapi (jobs finish in random order),
    event, filter and exit like FreeSWITCH does; can drop the link at any byte."""

    def __init__(self, password: str = "ClueCon", seed: int = 1) -> None:
        self.password = password
        self.sessions: list[Session] = []
        self.rng = random.Random(seed)
        self.next_budget: list[int] = []  # byte budgets for the next sessions
        self.job_delay_s = 0.02
        self.silent = False  # no replies at all (liveness tests)
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for s in self.sessions:
            if s.writer is not None:
                s.writer.transport.abort()
        await self.server.wait_closed()

    @property
    def current(self) -> Session:
        return self.sessions[-1]

    def _write(self, s: Session, data: bytes) -> None:
        assert s.writer is not None
        if s.writer.is_closing():
            return
        if s.budget is not None and s.written + len(data) >= s.budget:
            s.writer.write(data[: s.budget - s.written])
            s.written = s.budget
            s.writer.transport.abort()
            return
        s.written += len(data)
        s.writer.write(data)

    def send(self, s: Session, message: object) -> None:
        assert s.conn is not None
        with contextlib.suppress(Exception):
            self._write(s, s.conn.send(message))  # type: ignore[arg-type]

    def emit(self, ev: SwitchEvent, session: Session | None = None) -> None:
        s = session or self.current
        if s.subscribed & {"ALL", ev.name}:
            self.send(s, ev)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        s = Session(writer=writer, conn=EslConnection(Role.SERVER))
        if self.next_budget:
            s.budget = self.next_budget.pop(0)
        self.sessions.append(s)
        if not self.silent:
            self.send(s, AuthRequest())
        try:
            while not writer.is_closing():
                data = await reader.read(4096)
                s.conn.receive_data(data)
                while (cmd := s.conn.next_event()) is not NEED_DATA:
                    if isinstance(cmd, ConnectionClosed):
                        return
                    assert isinstance(cmd, ClientCommand)
                    s.commands.append(cmd)
                    if not self.silent:
                        self._answer(s, cmd)
        except Exception:
            pass
        finally:
            writer.transport.abort()

    def _answer(self, s: Session, cmd: ClientCommand) -> None:
        match cmd:
            case Auth(password=pw):
                if pw == self.password:
                    self.send(s, CommandReply("+OK accepted"))
                else:
                    self.send(s, CommandReply("-ERR invalid"))
                    self.send(s, DisconnectNotice(body=GOODBYE))
                    assert s.writer is not None
                    s.writer.close()
            case Api(command=c):
                self.send(s, ApiResponse(self._run_api(c)))
            case BgApi(command=c, job_uuid=j):
                self.send(s, CommandReply(f"+OK Job-UUID: {j}", Headers([("Job-UUID", j)])))
                delay = self.rng.uniform(0, self.job_delay_s)
                asyncio.get_running_loop().call_later(delay, self._finish_job, s, c, j)
            case Subscribe(names=names):
                s.subscribed |= set(names)
                self.send(s, CommandReply("+OK event listener enabled plain"))
            case Filter(header=h, value=v):
                self.send(s, CommandReply(f"+OK filter added. [{h}]=[{v}]"))
            case Exit():
                self.send(s, CommandReply("+OK bye"))
                self.send(s, DisconnectNotice(body=GOODBYE))
                assert s.writer is not None
                s.writer.close()
            case _:
                self.send(s, CommandReply("-ERR command not found"))

    def _run_api(self, command: str) -> str:
        word, _, arg = command.partition(" ")
        if word == "echo":
            return arg
        if word == "status":
            return "UP 0 years, 0 days\nFreeSWITCH (Version 1.10.12-release 64bit) is ready\n"
        return f"-ERR {word} Command not found!\n"

    def _finish_job(self, s: Session, command: str, job: str) -> None:
        body = "+OK " + command.partition(" ")[2] + "\n"
        self.emit(
            event("BACKGROUND_JOB", body=body, Job_UUID=job, Job_Command=command.split(" ")[0]),
            s,
        )


@pytest.fixture
async def switch() -> MiniSwitch:
    sw = MiniSwitch()
    await sw.start()
    yield sw  # type: ignore[misc]
    await sw.stop()


def config(sw: MiniSwitch, **kw: float | str) -> ClientConfig:
    base: dict[str, float | str] = dict(
        port=sw.port, backoff_initial_s=0.005, backoff_max_s=0.02, connect_timeout_s=2.0
    )
    base.update(kw)
    return ClientConfig(**base)  # type: ignore[arg-type]


async def until(predicate: object, timeout_s: float = 5.0) -> None:
    async def wait() -> None:
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.002)

    await asyncio.wait_for(wait(), timeout_s)


async def test_auth_and_api(switch: MiniSwitch) -> None:
    async with EslClient(config(switch)) as client:
        assert client.connected
        status = await client.api("status")
        assert "is ready" in status
        assert await client.api("nosuch") == "-ERR nosuch Command not found!\n"
        assert await client.api("echo déjà ☎") == "déjà ☎"
    assert switch.current.commands[0] == Auth("ClueCon")
    assert switch.current.commands[-1] == Api("echo déjà ☎")


async def test_auth_failure(switch: MiniSwitch) -> None:
    client = EslClient(config(switch, password="wrong"))
    with pytest.raises(AuthenticationFailed):
        await client.connect()
    assert not client.connected


async def test_nothing_listening() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionLost):
        await EslClient(ClientConfig(port=port, connect_timeout_s=1)).connect()


async def test_pipelined_api_replies_match_fifo(switch: MiniSwitch) -> None:
    async with EslClient(config(switch)) as client:
        results = await asyncio.gather(*(client.api(f"echo {i}") for i in range(200)))
    assert results == [str(i) for i in range(200)]


async def test_bgapi_correlation_out_of_order(switch: MiniSwitch) -> None:
    switch.job_delay_s = 0.05
    async with EslClient(config(switch)) as client:
        await client.subscribe("BACKGROUND_JOB")
        jobs = await asyncio.gather(*(client.bgapi(f"echo job-{i}") for i in range(60)))
    assert all(isinstance(j, BackgroundJob) and j.ok for j in jobs)
    assert [j.result for j in jobs] == [f"job-{i}" for i in range(60)]
    sent = [c.job_uuid for c in switch.current.commands if isinstance(c, BgApi)]
    assert [j.job_uuid for j in jobs] == sent and len(set(sent)) == 60


async def test_events_routed_by_unique_id(switch: MiniSwitch) -> None:
    seen: list[str] = []
    async with EslClient(config(switch)) as client:
        client.add_handler(lambda e: seen.append(e.name))
        client.add_handler(lambda e: 1 / 0)  # a failing hook does not stop the others
        await client.subscribe(*events_of(["CHANNEL_ANSWER", "CHANNEL_HANGUP", "DTMF"]))
        a, b = client.open_channel("uuid-a"), client.open_channel("uuid-b")
        for i in range(5):
            switch.emit(event("CHANNEL_ANSWER", "uuid-a", Seq=str(i)))
            switch.emit(event("DTMF", "uuid-b", DTMF_Digit=str(i)))
            switch.emit(event("CHANNEL_ANSWER", "uuid-other"))
            switch.emit(event("HEARTBEAT"))
            switch.emit(event("CHANNEL_PARK", "uuid-a"))  # not subscribed: never sent
        switch.emit(event("CHANNEL_HANGUP", "uuid-a", Hangup_Cause="NORMAL_CLEARING"))
        got_a = [await a.get(2) for _ in range(6)]
        got_b = [await b.get(2) for _ in range(5)]
        assert [e.headers.get("Seq") for e in got_a[:5]] == ["0", "1", "2", "3", "4"]
        assert got_a[5].headers["Hangup-Cause"] == "NORMAL_CLEARING"
        assert [e.headers["DTMF-Digit"] for e in got_b] == ["0", "1", "2", "3", "4"]
        assert a.get_nowait() is None and b.get_nowait() is None
        assert client.stats.unrouted_events == 5
        assert client.stats.handler_errors == 21
    assert seen.count("HEARTBEAT") == 5 and len(seen) == 21


async def test_channel_queue_overflow_is_counted(switch: MiniSwitch) -> None:
    async with EslClient(config(switch)) as client:
        await client.subscribe("ALL")
        queue = client.open_channel("u1", maxsize=5)
        for i in range(12):
            switch.emit(event("CUSTOM", "u1", N=str(i)))
        switch.emit(event("CUSTOM", "marker"))
        await until(lambda: client.stats.unrouted_events == 1)
        assert queue.dropped == 7 and client.stats.dropped_events == 7
        assert [(await queue.get(1)).headers["N"] for _ in range(5)] == ["7", "8", "9", "10", "11"]


async def test_reconnect_restores_subscriptions_and_filters(switch: MiniSwitch) -> None:
    reconnected = asyncio.Event()

    async def hook() -> None:
        reconnected.set()

    async with EslClient(config(switch)) as client:
        client.add_reconnect_hook(hook)
        await client.subscribe("CHANNEL_ANSWER", "BACKGROUND_JOB")
        await client.add_filter("Event-Name", "CHANNEL_ANSWER")
        await client.add_filter("Event-Name", "BACKGROUND_JOB")
        first = switch.current
        assert first.writer is not None
        first.writer.transport.abort()
        await asyncio.wait_for(reconnected.wait(), 5)
        assert len(switch.sessions) == 2
        assert switch.current.commands == [
            Auth("ClueCon"),
            Subscribe(("CHANNEL_ANSWER", "BACKGROUND_JOB"), "plain"),
            Filter("Event-Name", "CHANNEL_ANSWER"),
            Filter("Event-Name", "BACKGROUND_JOB"),
        ]
        queue = client.open_channel("u9")
        switch.emit(event("CHANNEL_ANSWER", "u9"))
        assert (await queue.get(2)).name == "CHANNEL_ANSWER"
        assert client.stats.connects == 2 and client.stats.disconnects == 1


async def test_silent_link_is_declared_dead(switch: MiniSwitch) -> None:
    # Generous margins: a loaded CI machine may stall the loop for a few hundred ms.
    async with EslClient(config(switch, liveness_timeout_s=1.0)) as client:
        await client.subscribe("HEARTBEAT")
        for _ in range(6):  # heartbeats keep it alive past the timeout
            switch.emit(event("HEARTBEAT"))
            await asyncio.sleep(0.25)
        assert client.stats.disconnects == 0
        await asyncio.sleep(2.5)  # no heartbeat: the probes (api version) are answered
        assert client.stats.disconnects == 0
        assert Api("version") in switch.current.commands
        switch.silent = True  # now nothing answers at all: declared dead
        await until(lambda: client.stats.disconnects >= 1)
        switch.silent = False
        await until(lambda: client.stats.connects >= 2)  # and reconnected


async def test_pending_commands_fail_on_drop(switch: MiniSwitch) -> None:
    switch.job_delay_s = 10.0  # the job never finishes before the drop
    async with EslClient(config(switch)) as client:
        await client.subscribe("BACKGROUND_JOB")
        job = asyncio.create_task(client.bgapi("echo slow"))
        await until(lambda: any(isinstance(c, BgApi) for c in switch.current.commands))
        switch.silent = True  # replies stop: the next api waits
        pending = asyncio.create_task(client.api("echo never"))
        await until(lambda: isinstance(switch.current.commands[-1], Api))
        switch.silent = False
        assert switch.current.writer is not None
        switch.current.writer.transport.abort()
        with pytest.raises(ConnectionLost):
            await pending
        with pytest.raises(ConnectionLost):
            await job
        await until(lambda: client.connected)
        assert await client.api("echo back") == "back"


async def test_command_timeout_keeps_fifo(switch: MiniSwitch) -> None:
    async with EslClient(config(switch)) as client:
        switch.silent = True
        with pytest.raises(TimeoutError):
            await client.api("echo late", timeout_s=0.05)
        switch.silent = False
        # the late reply to the timed-out command must not be taken for this one's
        s = switch.current
        switch.send(s, ApiResponse("late"))
        assert await client.api("echo on time") == "on time"


async def test_exit_then_reconnect(switch: MiniSwitch) -> None:
    async with EslClient(config(switch)) as client:
        reply = await client.command(Exit())
        assert isinstance(reply, CommandReply) and reply.reply_text == "+OK bye"
        await until(lambda: client.stats.connects == 2)


async def test_hundred_drops_at_random_byte_offsets(switch: MiniSwitch) -> None:
    """Each session dies after a random number of bytes; every command either gets its
    own right answer or fails with ConnectionLost, and each new session re-subscribes."""
    rng = random.Random(7)
    switch.next_budget = [rng.randint(1, 3000) for _ in range(100)]
    switch.job_delay_s = 0.002
    client = EslClient(config(switch, connect_timeout_s=1.0, wait_connected_s=10.0))
    # the first session must survive the handshake, so it gets no budget
    switch.next_budget.insert(0, 10**9)
    await client.connect()
    await client.subscribe("BACKGROUND_JOB", "CUSTOM")
    await client.add_filter("Event-Name", "BACKGROUND_JOB")
    outcomes = {"ok": 0, "lost": 0, "jobs": 0}

    async def one(i: int) -> None:
        try:
            if i % 3 == 0:
                job = await client.bgapi(f"echo j{i}", timeout_s=5)
                assert job.result == f"j{i}"
                outcomes["jobs"] += 1
            else:
                assert await client.api(f"echo a{i}") == f"a{i}"
            outcomes["ok"] += 1
        except ConnectionLost:
            outcomes["lost"] += 1

    assert switch.sessions[0].writer is not None
    switch.sessions[0].writer.transport.abort()
    i = 0
    while len(switch.sessions) < 101:
        await asyncio.gather(*(one(i + k) for k in range(8)))
        i += 8
        assert i < 20_000, "the client stopped reconnecting"
    await until(lambda: client.connected)
    assert await client.api("echo final") == "final"
    await client.close()
    assert outcomes["ok"] + outcomes["lost"] == i
    assert outcomes["lost"] > 0 and outcomes["ok"] > 0 and outcomes["jobs"] > 0
    for s in switch.sessions[1:]:
        # every session that got as far as authenticating re-subscribed, then filtered
        cmds = s.commands
        if len(cmds) >= 2 and cmds[0] == Auth("ClueCon"):
            assert cmds[1] == Subscribe(("BACKGROUND_JOB", "CUSTOM"), "plain")
            if len(cmds) >= 3:
                assert cmds[2] == Filter("Event-Name", "BACKGROUND_JOB")
    assert client.stats.connects >= 50


async def test_failures_to_connect_say_where_and_what_to_check(switch: MiniSwitch) -> None:
    """The messages the CLI prints (exit 3): the host and port, and what to check."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionLost) as lost:
        await EslTelephony(
            EslBackendConfig(client=ClientConfig(port=port, connect_timeout_s=1))
        ).start()
    assert f"127.0.0.1:{port}" in str(lost.value) and "event_socket.conf.xml" in str(lost.value)
    assert isinstance(lost.value, ConnectionError)  # `mbs run` reports OSErrors, exit 3

    tel = EslTelephony(EslBackendConfig(client=config(switch, password="wrong")))
    with pytest.raises(AuthenticationFailed) as refused:
        await tel.start()
    text = str(refused.value)
    assert f"127.0.0.1:{switch.port}" in text and "refused the ESL password" in text
    assert "`password` in event_socket.conf.xml" in text
    assert not tel.client.connected
    assert isinstance(refused.value, PermissionError)


async def test_rude_rejection_is_an_authentication_failure() -> None:
    """An ACL refusal: text/rude-rejection instead of auth/request, then the close."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = EslConnection(Role.SERVER)
        writer.write(conn.send(RudeRejection("Access Denied, go away.\n")))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(
            AuthenticationFailed, match=r"Access Denied, go away.*apply-inbound-acl"
        ):
            await EslClient(ClientConfig(port=port, connect_timeout_s=2)).connect()
    finally:
        server.close()
        await server.wait_closed()


async def test_no_auth_request_is_a_clear_connection_failure() -> None:
    """Something listens on the port, but it is not an event socket."""
    silent: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ConnectionLost, match=r"sent no ESL auth/request within 0\.3 s"):
            await EslClient(ClientConfig(port=port, connect_timeout_s=0.3)).connect()
    finally:
        for w in silent:
            w.close()
        server.close()
        await server.wait_closed()


async def test_a_peer_that_never_answers_the_password_is_named_for_what_it_did() -> None:
    """It sends auth/request, then says nothing: the error says the password went
    unanswered (not that no auth/request came), and the abandoned command's failure is
    not reported by asyncio as an exception nobody retrieved."""
    held: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(EslConnection(Role.SERVER).send(AuthRequest()))
        await writer.drain()
        held.append(writer)

    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        config = ClientConfig(port=port, connect_timeout_s=2, command_timeout_s=0.2)
        with pytest.raises(ConnectionLost, match=r"did not answer the auth within 0\.2 s"):
            await EslClient(config).connect()
        gc.collect()  # an unretrieved exception is reported when its future is collected
        await asyncio.sleep(0)
        assert unhandled == []
    finally:
        loop.set_exception_handler(previous)
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()
