"""The simulator: an asyncio TCP server on loopback speaking FreeSWITCH's inbound ESL.

It only moves bytes: the sans-I/O core (``mbs.freeswitch.esl``, SERVER role) parses the
commands and writes the replies and events; listener.py decides who receives an event;
call.py plays each call; api.py answers ``api``/``bgapi``. Behaviour copied from
``mod_event_socket.c`` ``listener_run``/``read_packet``:

- ``auth/request`` on connect; no complete command within 25 s (simulated) closes;
  commands other than ``auth`` before it answer ``-ERR command not found``; a wrong
  password answers ``-ERR invalid`` then a disconnect notice, then closes; ``exit`` answers
  ``+OK bye``, then the notice, then closes.
- ``api`` runs in the connection's own loop: no event is written on that socket until
  it returns. ``bgapi`` answers at once and fires BACKGROUND_JOB later.
- a listener pinned to a call (``myevents UUID``) is closed when the call hangs up,
  unless it asked to ``linger`` (then a linger notice first, the close after the delay).

Use ``async with Simulator(...) as sim`` in-process (``sim.port``), or ``mbs sim``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbs.freeswitch.esl import (
    NEED_DATA,
    Api,
    ApiResponse,
    Auth,
    AuthRequest,
    BgApi,
    ClientCommand,
    Command,
    CommandReply,
    ConnectionClosed,
    DisconnectNotice,
    EslConnection,
    EslError,
    Exit,
    Headers,
    JsonEvent,
    MyEvents,
    PlainEvent,
    Role,
    SendEvent,
    SendMsg,
    ServerMessage,
    XmlEvent,
)
from mbs.freeswitch.sim import api
from mbs.freeswitch.sim.call import AppRequest, SimCall
from mbs.freeswitch.sim.channel import SimChannel
from mbs.freeswitch.sim.clock import SimClock
from mbs.freeswitch.sim.faults import ConnectionDropped, Faults, FaultyWriter
from mbs.freeswitch.sim.fsevents import VERSION, EventFactory, FsEvent, SwitchIdentity, uptime_text
from mbs.freeswitch.sim.listener import Subscription
from mbs.freeswitch.sim.personas import Persona, PersonaBook, PersonaKind, parse_mix

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


@dataclass
class Stats:
    since_startup: int = 0
    peak: int = 0
    sps_peak: int = 0


def to_message(event: FsEvent, fmt: str) -> ServerMessage:
    """An event in the listener's format (plain, json or xml)."""
    if fmt == "json":
        return JsonEvent(Headers(event.headers), event.body or "")
    if fmt == "xml":
        return XmlEvent(xmlize(event))
    return PlainEvent(Headers(event.headers), event.body or "")


def xmlize(event: FsEvent) -> str:
    """``switch_event_xmlize``: <event><headers><Name>value</Name>…</headers>[<body>]</event>."""
    from xml.sax.saxutils import escape

    lines = ["<event>", "  <headers>"]
    for name, value in event.headers:
        lines.append(f"    <{name}>{escape(value)}</{name}>")
    lines.append("  </headers>")
    if event.body:
        lines.append(f"  <body>{escape(event.body)}</body>")
    lines.append("</event>")
    return "\n".join(lines)


class Listener:
    """One ESL connection: protocol state, subscription, event queue."""

    def __init__(
        self, sim: Simulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.sim = sim
        self.reader = reader
        self.out = FaultyWriter(writer, sim.faults)
        self.conn = EslConnection(Role.SERVER)
        self.sub = Subscription()
        self.authed = False
        self.running = True
        self.linger: int | None = None  # seconds, -1 forever, None = no linger
        self.queue: asyncio.Queue[FsEvent] = asyncio.Queue()
        self.idle = asyncio.Event()  # cleared while an `api` command runs
        self.idle.set()
        self.closed = asyncio.Event()
        self._session_down = False

    # ------------------------------------------------------------------ output

    async def send(self, message: ServerMessage) -> None:
        await self.out.write(self.conn.send(message))

    async def reply(self, text: str, headers: Headers | None = None) -> None:
        await self.send(CommandReply(text, headers or Headers()))

    def offer(self, event: FsEvent) -> None:
        if self.running and self.authed and self.sub.wants(event):
            self.queue.put_nowait(event)

    async def pump(self) -> None:
        """Write queued events whenever no `api` command holds the connection."""
        while True:
            event = await self.queue.get()
            if self.sim.faults.event_delay_s:
                await asyncio.sleep(self.sim.faults.event_delay_s)
            await self.idle.wait()
            if not self.running:
                return
            await self.send(to_message(event, self.sub.format))
            if (
                self.sub.session_uuid
                and event.name == "CHANNEL_HANGUP"
                and event.get("Unique-ID") == self.sub.session_uuid
            ):
                await self._session_hangup(event)

    async def _session_hangup(self, event: FsEvent) -> None:
        if self._session_down:
            return
        self._session_down = True
        if self.linger is None:
            self.running = False
            self.closed.set()
            return
        notice = Headers(
            [
                ("Controlled-Session-UUID", self.sub.session_uuid or ""),
                ("Content-Disposition", "linger"),
                ("Channel-Name", event.get("Channel-Name") or ""),
                ("Linger-Time", str(self.linger)),
            ]
        )
        await self.send(DisconnectNotice(notice))
        if self.linger >= 0:
            asyncio.get_running_loop().call_later(
                self.sim.clock.wall(self.linger), self._linger_over
            )

    def _linger_over(self) -> None:
        self.running = False
        self.closed.set()

    # ------------------------------------------------------------------ input

    async def serve(self) -> None:
        pump = asyncio.ensure_future(self.pump())
        reading = asyncio.ensure_future(self._read_loop())
        closer: asyncio.Task[Any] = asyncio.ensure_future(self.closed.wait())
        try:
            await self.send(AuthRequest())
            await asyncio.wait({reading, pump, closer}, return_when=asyncio.FIRST_COMPLETED)
            for task in (reading, pump):
                if task.done() and not task.cancelled() and task.exception() is not None:
                    exc = task.exception()
                    if not isinstance(exc, ConnectionDropped | ConnectionError | EslError):
                        raise exc  # type: ignore[misc]
        except (ConnectionDropped, ConnectionError):
            pass
        finally:
            for task in (pump, reading, closer):
                task.cancel()
            await self._goodbye()

    async def _goodbye(self) -> None:
        self.running = False
        with contextlib.suppress(ConnectionDropped, ConnectionError, EslError, RuntimeError):
            if not self.out.writer.is_closing() and not self.conn.we_closed:
                headers = Headers()
                if self.sub.session_uuid and self._session_down:
                    headers = Headers(
                        [
                            ("Controlled-Session-UUID", self.sub.session_uuid),
                            ("Content-Disposition", "disconnect"),
                        ]
                    )
                await self.send(DisconnectNotice(headers, GOODBYE))
        with contextlib.suppress(Exception):
            self.out.writer.close()
            await self.out.writer.wait_closed()

    async def _read_loop(self) -> None:
        first = True
        while self.running:
            if first:
                try:
                    data = await asyncio.wait_for(
                        self.reader.read(65536), self.sim.clock.wall(self.sim.auth_timeout_s)
                    )
                except TimeoutError:
                    return
            else:
                data = await self.reader.read(65536)
            self.conn.receive_data(data)
            while self.running:
                message = self.conn.next_event()
                if message is NEED_DATA:
                    break
                if isinstance(message, ConnectionClosed):
                    return
                assert isinstance(message, ClientCommand)
                first = False
                await self._dispatch(message)
            if not data:
                return

    async def _dispatch(self, cmd: ClientCommand) -> None:
        if isinstance(cmd, Exit):
            await self.reply("+OK bye")
            self.running = False
            return
        if not self.authed:
            if isinstance(cmd, Auth):
                if cmd.password == self.sim.password:
                    self.authed = True
                    await self.reply("+OK accepted")
                else:
                    await self.reply("-ERR invalid")
                    self.running = False
                return
            await self.reply("-ERR command not found")
            return
        if isinstance(cmd, Api | BgApi) and not cmd.command.strip():
            await self.reply("-ERR command not found")
            return
        if isinstance(cmd, Api):
            self.idle.clear()
            try:
                body = await api.run(self.sim, cmd.command)
            finally:
                self.idle.set()
            await self.send(ApiResponse(body))
            return
        if isinstance(cmd, BgApi):
            await self._bgapi(cmd.command, cmd.job_uuid)
            return
        if isinstance(cmd, SendMsg):
            await self.reply(self._sendmsg(cmd.uuid, cmd.headers, cmd.body))
            return
        if isinstance(cmd, SendEvent):
            await self.reply(self._sendevent(cmd.name, cmd.headers, cmd.body))
            return
        line, headers, body = _as_line(cmd)
        await self._command(line, headers, body)

    async def _command(self, line: str, headers: Headers, body: str) -> None:
        word, _, rest = line.partition(" ")
        low = word.lower()
        sub = self.sub
        if low == "bgapi" and rest:
            await self._bgapi(rest, headers.get("Job-UUID", ""))
        elif low == "sendmsg":
            await self.reply(self._sendmsg(rest.strip(), headers, body))
        elif low == "sendevent":
            await self.reply(self._sendevent(rest.strip(), headers, body))
        elif low == "event":
            await self.reply(sub.event(rest.split()))
        elif low == "nixevent":
            await self.reply(sub.nixevent(rest.split()))
        elif low == "noevents":
            while not self.queue.empty():
                self.queue.get_nowait()
            await self.reply(sub.noevents())
        elif low == "filter":
            await self.reply(sub.filter(rest))
        elif low == "myevents" and rest.strip():
            await self.reply(self._myevents(line))
        elif low == "divert_events":
            await self.reply("-ERR not controlling a session.")
        elif low == "linger":
            if sub.session_uuid is None:
                await self.reply("-ERR not controlling a session")
            else:
                secs = int(rest) if rest.strip().isdigit() else -1
                self.linger = secs
                await self.reply(
                    f"+OK will linger {secs} seconds" if secs >= 0 else "+OK will linger"
                )
        elif low == "nolinger":
            if sub.session_uuid is None:
                await self.reply("-ERR not controlling a session")
            else:
                self.linger = None
                await self.reply("+OK will not linger")
        elif low == "log":
            level = rest.split()[0] if rest.split() else "debug"
            number = _log_level(level)
            await self.reply(
                f"+OK log level {level} [{number}]" if number >= 0 else "-ERR invalid log level"
            )
        elif low == "nolog":
            await self.reply("-ERR not loging")
        else:
            await self.reply("-ERR command not found")

    def _myevents(self, line: str) -> str:
        if self.sub.myevents:
            return "-ERR aready enabled."
        words = line.split()
        uuid = words[1]
        fmt = words[2] if len(words) > 2 else None
        found = uuid in self.sim.calls and self.sim.calls[uuid].up
        if not found and fmt:
            return "-ERR invalid uuid"
        self.sub.subscribe_myevents(uuid if found else None, line)
        return "+OK Events Enabled"

    async def _bgapi(self, command: str, job_uuid: str) -> None:
        job = job_uuid or str(uuidlib.uuid4())
        await self.reply(f"+OK Job-UUID: {job}", Headers([("Job-UUID", job)]))
        self.sim.start_job(job, command)

    def _sendmsg(self, uuid: str, headers: Headers, body: str) -> str:
        uuid = uuid or headers.get("session-id", "")
        call = self.sim.live_call(uuid) if uuid else None
        if call is None:
            return f"-ERR invalid session id [{uuid}]"
        command = (headers.get("call-command") or "").lower()
        if command == "execute":
            app = headers.get("execute-app-name") or ""
            arg = headers.get("execute-app-arg")
            if arg is None and body and (headers.get("content-type") or "").lower() == "text/plain":
                arg = body
            loops = headers.get("loops") or "1"
            call.execute(
                AppRequest(
                    app,
                    arg or "",
                    app_uuid=headers.get("Event-UUID") or str(uuidlib.uuid4()),
                    event_lock=(headers.get("event-lock") or "").lower() in ("true", "1", "yes"),
                    loops=int(loops) if loops.isdigit() else 1,
                )
            )
        elif command == "hangup":
            call.request_hangup(headers.get("hangup-cause") or "NORMAL_CLEARING")
        return "+OK"

    def _sendevent(self, name: str, headers: Headers, body: str) -> str:
        event_uuid = str(uuidlib.uuid4())
        canonical = (name or "CUSTOM").split()[0].upper()
        subclass = headers.get("Event-Subclass") if canonical == "CUSTOM" else None
        pairs = [
            ("Command", f"sendevent {name}".strip()),
            *headers.pairs,
            ("Event-UUID", event_uuid),
        ]
        pairs += self.sim.events.base(canonical, subclass)
        self.sim.publish(FsEvent(tuple(pairs), body or None))
        return f"+OK {event_uuid}"


def _as_line(cmd: ClientCommand) -> tuple[str, Headers, str]:
    """Back to a command line: the sim applies FreeSWITCH's own parsing to it."""
    from mbs.freeswitch.esl.writers import write_client_command

    if isinstance(cmd, Command):
        return cmd.line, cmd.headers, cmd.body
    if isinstance(cmd, MyEvents):
        return " ".join(w for w in ("myevents", cmd.uuid, cmd.format) if w), Headers(), ""
    raw = write_client_command(cmd).decode("utf-8", "surrogateescape")
    return raw.split("\n", 1)[0], Headers(), ""


_LOG_LEVELS = {
    "console": 0,
    "alert": 1,
    "crit": 2,
    "err": 3,
    "error": 3,
    "warning": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}


def _log_level(word: str) -> int:
    if word.isdigit() and 0 <= int(word) <= 7:
        return int(word)
    return _LOG_LEVELS.get(word.lower(), -1)


class Simulator:
    """The simulated switch: listeners, calls, personas and the clock they share."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        password: str = "ClueCon",
        seed: int = 0,
        time_scale: float = 1.0,
        personas: str | Mapping[PersonaKind, float] | None = None,
        pinned: Mapping[str, Persona] | None = None,
        faults: Faults | None = None,
        heartbeat_s: float = 20.0,
        auth_timeout_s: float = 25.0,
        strict_files: bool = False,
        identity: SwitchIdentity | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self.password = password
        self.seed = seed
        self.clock = SimClock(time_scale)
        mix = parse_mix(personas) if isinstance(personas, str) else personas
        self.book = PersonaBook(seed, dict(mix) if mix else PersonaBook().mix, dict(pinned or {}))
        self.faults = faults or Faults()
        self.heartbeat_s = heartbeat_s
        self.auth_timeout_s = auth_timeout_s
        self.strict_files = strict_files
        self.identity = identity or SwitchIdentity(
            core_uuid=str(uuidlib.UUID(int=random.Random(seed).getrandbits(128), version=4))
        )
        self.events = EventFactory(self.identity, self.clock.now_us)
        self.stats = Stats()
        self.calls: dict[str, SimCall] = {}
        self.finished: dict[str, SimCall] = {}
        self.listeners: set[Listener] = set()
        self.history: list[FsEvent] = []  # every event fired, for tests and traces
        self.keep_history = True
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._conn_tasks: set[asyncio.Task[Any]] = set()
        self._rng = random.Random(seed)

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, self.host, self._port)
        self._spawn(self._heartbeat())

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for listener in list(self.listeners):
            listener.running = False
            listener.closed.set()
        if self._conn_tasks:  # let each connection say goodbye; never cancel them
            await asyncio.wait(list(self._conn_tasks), timeout=2.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        listener = Listener(self, reader, writer)
        self.listeners.add(listener)
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        try:
            await listener.serve()
        finally:
            self.listeners.discard(listener)
            if task is not None:
                self._conn_tasks.discard(task)

    # ------------------------------------------------------------------ events

    def publish(self, event: FsEvent) -> None:
        if self.keep_history:
            self.history.append(event)
        for listener in list(self.listeners):
            listener.offer(event)

    async def _heartbeat(self) -> None:
        while True:
            await self.clock.sleep(self.heartbeat_s)
            up = self.clock.uptime_us()
            self.publish(
                self.events.heartbeat(
                    [
                        ("Event-Info", "System Ready"),
                        ("Up-Time", uptime_text(up)),
                        ("FreeSWITCH-Version", VERSION),
                        ("Uptime-msec", str(up // 1000)),
                        ("Session-Count", str(len(self.calls))),
                        ("Max-Sessions", "1000"),
                        ("Session-Per-Sec", "30"),
                        ("Session-Per-Sec-Last", "0"),
                        ("Session-Per-Sec-Max", str(self.stats.sps_peak)),
                        ("Session-Per-Sec-FiveMin", "0"),
                        ("Session-Since-Startup", str(self.stats.since_startup)),
                        ("Session-Peak-Max", str(self.stats.peak)),
                        ("Session-Peak-FiveMin", str(self.stats.peak)),
                        ("Idle-CPU", "99.000000"),
                    ]
                )
            )

    # ------------------------------------------------------------------ calls

    def live_call(self, uuid: str) -> SimCall | None:
        call = self.calls.get(uuid)
        return call if call is not None and call.up else None

    def start_job(self, job_uuid: str, command: str) -> None:
        """Run a bgapi command in the background; BACKGROUND_JOB carries the result."""
        cmd, _, arg = command.strip().partition(" ")

        def finish(result: str) -> None:
            self.publish(self.events.background_job(job_uuid, cmd, arg if arg else None, result))

        if cmd.lower() == "originate":
            request = api.parse_originate(arg)
            if request is not None:
                self._start_call(request, finish)
                return

        async def run() -> None:
            finish(await api.run(self, command))

        self._spawn(run())

    async def originate(self, request: api.OriginateRequest, arg: str) -> str:
        loop = asyncio.get_running_loop()
        result: asyncio.Future[str] = loop.create_future()

        def finish(text: str) -> None:
            if not result.done():
                result.set_result(text)

        self._start_call(request, finish)
        return await result

    def _start_call(self, request: api.OriginateRequest, finish: Any) -> SimCall:
        variables = dict(request.variables)
        uuid = variables.get("origination_uuid") or str(uuidlib.uuid4())
        if uuid in self.calls:  # FreeSWITCH refuses a duplicate origination_uuid
            uuid = str(uuidlib.uuid4())
        self.stats.since_startup += 1
        channel = SimChannel(
            uuid=uuid,
            destination=request.number,
            gateway=request.gateway,
            events=self.events,
            originate_vars=variables,
            session_id=self.stats.since_startup,
        )
        persona = self.book.choose(request.number, variables)
        rng = random.Random(f"{self.seed}:{request.number}:call")
        call = SimCall(
            channel,
            persona,
            self.clock,
            self.publish,
            finish,
            faults=self.faults,
            rng=rng,
            strict_files=self.strict_files,
        )
        self.calls[uuid] = call
        self.stats.peak = max(self.stats.peak, len(self.calls))

        async def run() -> None:
            try:
                await call.run()
            finally:
                self.calls.pop(uuid, None)
                self.finished[uuid] = call

        self._spawn(run())
        return call

    def summary(self) -> dict[str, Any]:
        """Counts by persona kind and hangup cause, for `mbs sim` and tests."""
        out: dict[str, dict[str, int]] = {"persona": {}, "cause": {}}
        for call in self.finished.values():
            k = call.persona.kind.value
            out["persona"][k] = out["persona"].get(k, 0) + 1
            c = call.channel.hangup_cause or "UP"
            out["cause"][c] = out["cause"].get(c, 0) + 1
        return {"calls": len(self.finished), "live": len(self.calls), **out}

    def dumps_summary(self) -> str:
        return json.dumps(self.summary(), sort_keys=True)
