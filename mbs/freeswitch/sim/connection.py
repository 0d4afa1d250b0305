"""One ESL connection of the simulator: mod_event_socket's ``listener_run`` in asyncio.

Inbound (the robot connected and authenticates) or outbound (a call's ``socket`` app
dialled the robot). The core (SERVER role) parses and writes; this class applies
FreeSWITCH's rules for each command, queues the events the subscription wants, and
holds them while an ``api`` command (or a static-mode ``sendmsg``) runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

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
    Connect,
    ConnectionClosed,
    ConnectReply,
    DisconnectNotice,
    EslConnection,
    EslError,
    Exit,
    Headers,
    JsonEvent,
    Linger,
    Log,
    NixEvent,
    NoEvents,
    NoLinger,
    NoLog,
    PlainEvent,
    Role,
    SendEvent,
    SendMsg,
    ServerMessage,
    Subscribe,
    XmlEvent,
    url_encode,
)
from mbs.freeswitch.esl.writers import command_line
from mbs.freeswitch.ids import new_uuid
from mbs.freeswitch.sim import api
from mbs.freeswitch.sim.call import AppRequest, SimCall
from mbs.freeswitch.sim.faults import ConnectionDropped, FaultyWriter
from mbs.freeswitch.sim.fsevents import FsEvent
from mbs.freeswitch.sim.subscription import Subscription, event_type

if TYPE_CHECKING:
    from mbs.freeswitch.sim.server import Simulator

# The shortest wall time an inbound connection is given to authenticate (see
# ``_read_loop``).
AUTH_FLOOR_S = 5.0
GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def to_message(event: FsEvent, fmt: str) -> ServerMessage:
    """An event in the listener's format (plain, json or xml)."""
    if fmt == "json":
        return JsonEvent(Headers.of_strings(event.headers), event.body or "")
    if fmt == "xml":
        return XmlEvent(xmlize(event))
    return PlainEvent(Headers.of_strings(event.headers), event.body or "")


def xmlize(event: FsEvent) -> str:
    """``switch_event_xmlize`` + ``switch_xml_toxml``: header values URL-encoded then
    XML-escaped, in order; a body adds ``Content-Length`` and ``body`` after ``headers``."""
    lines = ["<event>", "  <headers>"]
    for name, value in event.headers:
        lines.append(f"    <{name}>{escape(url_encode(value))}</{name}>")
    lines.append("  </headers>")
    if event.body:
        lines.append(f"  <Content-Length>{len(event.body.encode())}</Content-Length>")
        lines.append(f"  <body>{escape(event.body)}</body>")
    lines.append("</event>")
    return "\n".join(lines) + "\n"


class Listener:
    """One ESL connection: protocol state, subscription, event queue."""

    def __init__(
        self,
        sim: Simulator,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        session: SimCall | None = None,
        async_mode: bool = True,
        full: bool = True,
    ) -> None:
        self.sim = sim
        self.session = session  # outbound mode: the call whose `socket` app dialled us
        self.outbound = session is not None
        self.async_mode = async_mode
        self.full = full
        self.connected = asyncio.Event()  # outbound: `connect` answered
        self.finished = asyncio.Event()
        self.reader = reader
        self.out = FaultyWriter(
            writer,
            sim.faults,
            limit=sim.drop_limit(outbound=session is not None),
            on_cut=sim.count_drop,
        )
        self.conn = EslConnection(Role.SERVER)
        self.sub = Subscription()
        if session is not None:
            self.sub.session_uuid = session.uuid
        self.authed = self.outbound
        self.running = True
        self.linger: int | None = None  # seconds, -1 forever, None = no linger
        # (enqueued at, event); None: our call hung up
        self.queue: asyncio.Queue[tuple[float, FsEvent | None]] = asyncio.Queue()
        self._hangup_event: FsEvent | None = None
        self.idle = asyncio.Event()  # cleared while an `api` command runs
        self.idle.set()
        self.closed = asyncio.Event()
        self._session_down = False
        self.logging = False
        self.lost = 0  # events dropped in a row because the queue was full
        self._counted = 0  # this connection's share of sim.buffered_total
        self.goodbye_text = GOODBYE

    # ------------------------------------------------------------------ output

    async def send(self, message: ServerMessage) -> None:
        await self.out.write(self.conn.send(message))

    async def reply(self, text: str, headers: Headers | None = None) -> None:
        await self.send(CommandReply(text, headers or Headers()))

    @staticmethod
    def _now() -> float:
        # The loop's clock, like the simulator's: virtual under a fast-forwarding test loop.
        return asyncio.get_running_loop().time()

    def offer(self, event: FsEvent) -> None:
        if not (self.running and self.authed):
            return
        if self.sub.wants(event):
            if self.queue.qsize() >= self.sim.max_queue:  # MAX_QUEUE_LEN: the event is lost
                self.lost += 1
                if self.lost > self.sim.max_missed:  # MAX_MISSED: kill_listener
                    self.goodbye_text = "killed listener because of lost events\n"
                    self.running = False
                    self.closed.set()
                return
            self.lost = 0
            self.queue.put_nowait((self._now(), event))
        if (
            self.sub.session_uuid is not None
            and event.name == "CHANNEL_HANGUP"
            and event.get("Unique-ID") == self.sub.session_uuid
        ):  # read_packet: the controlled channel is down (whether or not we listen)
            self._hangup_event = event
            self.queue.put_nowait((self._now(), None))

    async def pump(self) -> None:
        """Write queued events whenever no `api` command holds the connection."""
        while True:
            queued_at, event = await self.queue.get()
            hold = queued_at + self.sim.faults.event_delay_s - self._now()
            if event is not None and hold > 0:  # latency, not a rate limit
                await asyncio.sleep(hold)
            await self.idle.wait()
            if not self.running:
                return
            if event is None:
                assert self._hangup_event is not None
                await self._session_hangup(self._hangup_event)
                continue
            # what else is queued already goes in the same write (one syscall per batch)
            batch = [self.conn.send(to_message(event, self.sub.format))]
            hangup = False
            while not self.queue.empty() and self.sim.faults.event_delay_s <= 0:
                _, event = self.queue.get_nowait()
                if event is None:
                    hangup = True
                    break
                batch.append(self.conn.send(to_message(event, self.sub.format)))
            await self.out.write(b"".join(batch))
            if hangup:
                assert self._hangup_event is not None
                await self._session_hangup(self._hangup_event)

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
            if not self.outbound:
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
            self.finished.set()

    async def _goodbye(self) -> None:
        self.running = False
        with contextlib.suppress(
            ConnectionDropped, ConnectionError, EslError, RuntimeError, TimeoutError
        ):
            if not self.out.writer.is_closing() and not self.conn.we_closed:
                headers = Headers()
                if self.sub.session_uuid and (self._session_down or self.outbound):
                    headers = Headers(
                        [
                            ("Controlled-Session-UUID", self.sub.session_uuid),
                            ("Content-Disposition", "disconnect"),
                        ]
                    )
                # a reader that stopped reading must not hold the goodbye forever
                await asyncio.wait_for(self.send(DisconnectNotice(headers, self.goodbye_text)), 2.0)
        with contextlib.suppress(Exception):
            self.out.writer.close()
            await asyncio.wait_for(self.out.writer.wait_closed(), 2.0)

    async def _read_loop(self) -> None:
        """Read commands until the peer leaves.

        An inbound connection must authenticate within ``auth_timeout_s`` (simulated)
        of connecting, whatever it sends meanwhile: the deadline is fixed once, so a
        command or a byte-a-second drip does not push it back. The deadline guards a
        socket, so it is never shorter than ``AUTH_FLOOR_S`` of wall time: on a clock
        sped up 600 times, 25 s is 42 ms, which a loaded machine's scheduler alone can
        exceed between the greeting and the client's ``auth``. Before ``auth`` a
        connection may buffer only ``preauth_max_bytes``; all connections together
        at most ``max_buffered_bytes`` (past either, the connection is closed).
        """
        loop = asyncio.get_running_loop()
        wait = max(self.sim.clock.wall(self.sim.auth_timeout_s), AUTH_FLOOR_S)
        deadline = None if self.authed else loop.time() + wait
        try:
            while self.running:
                if not self.authed and deadline is not None:
                    left = deadline - loop.time()
                    if left <= 0:
                        self.sim.refused["auth_timeout"] += 1
                        return
                    try:
                        data = await asyncio.wait_for(self.reader.read(65536), left)
                    except TimeoutError:
                        self.sim.refused["auth_timeout"] += 1
                        return
                    if loop.time() >= deadline:  # arrived too late, even an auth
                        self.sim.refused["auth_timeout"] += 1
                        return
                else:
                    data = await self.reader.read(65536)
                if not self._admit(len(data)):
                    return
                self.conn.receive_data(data)
                self._account()
                while self.running:
                    message = self.conn.next_event()
                    if message is NEED_DATA:
                        break
                    if isinstance(message, ConnectionClosed):
                        return
                    assert isinstance(message, ClientCommand)
                    await self._dispatch(message)
                self._account()
                if not data:
                    return
        finally:
            self.sim.buffered_total -= self._counted
            self._counted = 0

    def _admit(self, size: int) -> bool:
        """Whether ``size`` more bytes may be buffered (see :meth:`_read_loop`)."""
        pending = self.conn.buffered + size
        if not self.authed and pending > self.sim.preauth_max_bytes:
            self.sim.refused["preauth_size"] += 1
            return False
        if self.sim.buffered_total - self._counted + pending > self.sim.max_buffered_bytes:
            self.sim.refused["memory"] += 1
            return False
        return True

    def _account(self) -> None:
        """Keep the simulator's total of buffered bytes in step with this connection's."""
        now = self.conn.buffered
        self.sim.buffered_total += now - self._counted
        self._counted = now

    async def _dispatch(self, cmd: ClientCommand) -> None:
        if isinstance(cmd, Exit):
            await self.reply("+OK bye")
            self.running = False
            return
        if isinstance(cmd, Connect) and self.session is not None:
            pairs = self.session.channel.connect_reply(self.async_mode, self.full)
            await self.send(ConnectReply(Headers(pairs)))
            self.connected.set()
            return
        if self.outbound and not self.full and _needs_full(cmd):
            await self.reply("-ERR command not found")
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
            await self._sendmsg_reply(cmd.uuid, cmd.headers, cmd.body)
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
            await self._sendmsg_reply(rest.strip(), headers, body)
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
        elif low == "myevents" and (rest.strip() or self.session is not None):
            await self.reply(self._myevents(line))
        elif low == "divert_events":
            await self.reply(self._divert(rest.strip()))
        elif low == "getvar" and self.session is not None:
            name = rest.strip()
            await self.reply(self.session.channel.variables.get(name, "") if name else "")
        elif low == "resume" and self.session is not None:
            self.session.set_var("socket_resume", "true")
            await self.reply("+OK")
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
            level = rest.split()[0] if rest.split() else ""  # none: debug, printed empty
            number = _log_level(level) if level else 7
            if number >= 0:
                self.logging = True  # accepted; the simulator has no log lines to send
                await self.reply(f"+OK log level {level} [{number}]")
            else:
                await self.reply("-ERR invalid log level")
        elif low == "nolog":
            was, self.logging = self.logging, False
            await self.reply("+OK no longer logging" if was else "-ERR not loging")
        else:
            await self.reply("-ERR command not found")

    def _myevents(self, line: str) -> str:
        if self.sub.myevents:
            return "-ERR aready enabled."
        if self.session is not None:  # outbound: our own call, whatever the argument
            self.sub.subscribe_myevents(self.session.uuid, line)
            return "+OK Events Enabled"
        words = line.split()
        uuid = words[1]
        fmt = words[2] if len(words) > 2 else None
        found = uuid in self.sim.calls and self.sim.calls[uuid].up
        if not found and fmt:
            return "-ERR invalid uuid"
        self.sub.subscribe_myevents(uuid if found else None, line)
        return "+OK Events Enabled"

    async def _bgapi(self, command: str, job_uuid: str) -> None:
        job = job_uuid or new_uuid()
        await self.reply(f"+OK Job-UUID: {job}", Headers([("Job-UUID", job)]))
        self.sim.start_job(job, command)

    def _divert(self, onoff: str) -> str:
        if self.session is None:
            return "-ERR not controlling a session."
        if not onoff:
            return "-ERR missing value."
        self.session.divert_events = onoff.lower() == "on"
        return "+OK events diverted" if self.session.divert_events else "+OK events not diverted"

    async def _sendmsg_reply(self, uuid: str, headers: Headers, body: str) -> None:
        """Outbound static mode runs the app before answering, holding events meanwhile."""
        own = self.session is not None and uuid in ("", self.session.uuid)
        asynchronous = self.async_mode or (headers.get("async") or "").lower() in (
            "true",
            "1",
            "yes",
        )
        if own and not asynchronous:
            self.idle.clear()
            try:
                _, request = self._sendmsg(uuid, headers, body)
                if request is not None:
                    await request.finished.wait()
            finally:
                self.idle.set()
            await self.reply("+OK")
            return
        await self.reply(self._sendmsg(uuid, headers, body)[0])

    def _sendmsg(self, uuid: str, headers: Headers, body: str) -> tuple[str, AppRequest | None]:
        """The reply text, and the app request when the message was ``execute``."""
        uuid = uuid or headers.get("session-id", "")
        if not uuid and self.session is not None:
            uuid = self.session.uuid
        call = self.sim.live_call(uuid) if uuid else None
        if call is None:
            return f"-ERR invalid session id [{uuid}]", None
        request = None
        command = (headers.get("call-command") or "").lower()
        if command == "execute":
            app = headers.get("execute-app-name") or ""
            arg = headers.get("execute-app-arg")
            if arg is None and body and (headers.get("content-type") or "").lower() == "text/plain":
                arg = body
            loops = headers.get("loops") or "1"
            request = AppRequest(
                app,
                arg or "",
                app_uuid=headers.get("Event-UUID") or new_uuid(),
                event_lock=(headers.get("event-lock") or "").lower() in ("true", "1", "yes"),
                loops=int(loops) if loops.isdigit() else 1,
            )
            call.execute(request)
        elif command == "hangup":
            call.request_hangup(headers.get("hangup-cause") or "NORMAL_CLEARING")
        return "+OK", request

    def _sendevent(self, name: str, headers: Headers, body: str) -> str:
        event_uuid = new_uuid()
        canonical = event_type((name or "CUSTOM").split()[0]) or "CUSTOM"
        # the command's own headers first (Event-Subclass among them), then Event-UUID,
        # then the base block switch_event_prep_for_delivery appends
        pairs = [
            ("Command", f"sendevent {name}".strip()),
            *headers.pairs,
            ("Event-UUID", event_uuid),
        ]
        pairs += self.sim.events.base(canonical)
        self.sim.publish(FsEvent(tuple(pairs), body or None))
        return f"+OK {event_uuid}"


_FULL_ONLY = frozenset(
    {
        "api",
        "bgapi",
        "event",
        "nixevent",
        "noevents",
        "linger",
        "nolinger",
        "log",
        "nolog",
        "sendevent",
    }
)


def _needs_full(cmd: ClientCommand) -> bool:
    """Commands an outbound socket without ``full`` answers ``-ERR command not found``."""
    if isinstance(
        cmd,
        Api | BgApi | SendEvent | Subscribe | NixEvent | NoEvents | Linger | NoLinger | Log | NoLog,
    ):
        return True
    return isinstance(cmd, Command) and cmd.line.split(" ", 1)[0].lower() in _FULL_ONLY


def _as_line(cmd: ClientCommand) -> tuple[str, Headers, str]:
    """Back to a command line: the sim applies FreeSWITCH's own parsing to it."""
    if isinstance(cmd, Command):
        return cmd.line, cmd.headers, cmd.body
    return command_line(cmd), Headers(), ""


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
