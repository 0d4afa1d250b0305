"""The asyncio inbound ESL client: the socket around the sans-I/O core.

One asyncio ``Protocol`` per connection feeds ``EslConnection`` from ``data_received``
and dispatches there, without a reader task or a ``StreamReader`` copy, and without ever
awaiting a consumer: replies resolve the futures of pipelined commands in FIFO order,
BACKGROUND_JOB events resolve ``bgapi`` waiters by Job-UUID, channel events go to the
handler routed for their Unique-ID (called at once) or to the bounded per-call queue of
their Unique-ID (overflow drops the oldest and is counted),
and every event reaches the synchronous handler hooks. A watchdog declares the link dead
when nothing (not even a HEARTBEAT) arrived for ``liveness_timeout_s``; a supervisor then
reconnects with exponential backoff and jitter, authenticates, restores subscriptions and
filters, and calls the reconnect hooks. Commands in flight when a link dies fail with
``ConnectionLost``: whether the switch ran them is unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

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
    ConnectReply,
    DisconnectNotice,
    EslConnection,
    EslError,
    Filter,
    FilterDelete,
    Role,
    RudeRejection,
    ServerMessage,
    Subscribe,
    SwitchEvent,
)
from mbs.freeswitch.esl.connection import DEFAULT_MAX_MESSAGE_SIZE
from mbs.freeswitch.ids import new_uuid

log = logging.getLogger(__name__)


class ConnectionLost(EslError, ConnectionError):
    """The link to the switch broke (or was not up) before the command was answered.

    Also a ``ConnectionError`` (an ``OSError``): callers that handle network failures
    generically (``mbs run`` exits 3 with the message) handle this one too."""


class AuthenticationFailed(EslError, PermissionError):
    """The switch refused the password (or the ACL refused us); a ``PermissionError``."""


# What to check, said once: the messages of ``connect()``'s failures end with these.
_CHECK_LISTENING = (
    "is FreeSWITCH running, with mod_event_socket loaded and listening there "
    "(listen-ip/listen-port in event_socket.conf.xml), and no firewall in the way?"
)
_CHECK_PASSWORD = "check the ESL password against `password` in event_socket.conf.xml"
_CHECK_ACL = "check apply-inbound-acl in event_socket.conf.xml: it must allow this host"


class CommandFailed(EslError):
    """A command got a ``-ERR`` reply where success was required."""


@dataclass(frozen=True)
class BackgroundJob:
    """The outcome of a ``bgapi`` command: its BACKGROUND_JOB event."""

    job_uuid: str
    body: str
    event: SwitchEvent

    @property
    def ok(self) -> bool:
        return self.body.startswith("+OK")

    @property
    def result(self) -> str:
        """The body without its +OK/-ERR prefix, e.g. the originated UUID or the cause."""
        text = self.body.strip()
        for prefix in ("+OK", "-ERR"):
            if text.startswith(prefix):
                return text[len(prefix) :].strip()
        return text


@dataclass
class ClientConfig:
    host: str = "127.0.0.1"
    port: int = 8021
    password: str = "ClueCon"
    connect_timeout_s: float = 5.0
    command_timeout_s: float = 30.0  # a reply (not a background job) takes at most this
    wait_connected_s: float = 5.0  # a command issued while reconnecting waits this long
    liveness_timeout_s: float = 60.0  # FreeSWITCH sends HEARTBEAT every 20 s
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 15.0
    backoff_factor: float = 2.0
    backoff_jitter: float = 0.25  # +/- this fraction of the delay
    channel_queue_size: int = 1000
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE


@dataclass
class ClientStats:
    connects: int = 0
    disconnects: int = 0
    events: int = 0
    dropped_events: int = 0  # per-call queue overflow
    unrouted_events: int = 0  # a Unique-ID nobody opened a channel for
    failed_commands: int = 0  # failed with ConnectionLost
    handler_errors: int = 0


EventHandler = Callable[[SwitchEvent], None]
ReconnectHook = Callable[[], Awaitable[None]]


class ChannelQueue:
    """The events of one call (by Unique-ID), bounded; overflow drops the oldest."""

    def __init__(self, uuid: str, maxsize: int, stats: ClientStats) -> None:
        self.uuid = uuid
        self.dropped = 0
        self._queue: asyncio.Queue[SwitchEvent] = asyncio.Queue(maxsize)
        self._stats = stats

    def put(self, event: SwitchEvent) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            self._stats.dropped_events += 1
        self._queue.put_nowait(event)

    async def get(self, timeout_s: float | None = None) -> SwitchEvent:
        if timeout_s is None:
            return await self._queue.get()
        return await asyncio.wait_for(self._queue.get(), timeout_s)

    def get_nowait(self) -> SwitchEvent | None:
        with contextlib.suppress(asyncio.QueueEmpty):
            return self._queue.get_nowait()
        return None

    def qsize(self) -> int:
        return self._queue.qsize()


@dataclass
class _Session:
    """One TCP connection: its core, transport and the commands awaiting replies."""

    conn: EslConnection
    transport: asyncio.Transport
    pending: deque[tuple[ClientCommand, asyncio.Future[ServerMessage]]] = field(
        default_factory=deque
    )
    auth_requested: asyncio.Future[None] | None = None
    last_rx: float = 0.0
    rejection: AuthenticationFailed | None = None  # text/rude-rejection received
    done: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    outbox: list[bytes] = field(default_factory=list)  # written at the next loop turn


class EslClient:
    def __init__(self, config: ClientConfig | None = None) -> None:
        self.config = config or ClientConfig()
        self.stats = ClientStats()
        self._session: _Session | None = None
        self._ready = asyncio.Event()
        self._closing = False
        self._events: list[str] = []  # subscribed names, restored on reconnect
        self._event_format = "plain"
        self._filters: list[tuple[str, str]] = []
        self._channels: dict[str, ChannelQueue] = {}
        self._routes: dict[str, EventHandler] = {}
        self._jobs: dict[str, asyncio.Future[BackgroundJob]] = {}
        self._handlers: list[EventHandler] = []
        self._reconnect_hooks: list[ReconnectHook] = []
        self._supervisor: asyncio.Task[None] | None = None
        self._hooks_task: asyncio.Task[None] | None = None
        self._rng = random.Random()

    # ------------------------------------------------------------------ lifecycle

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    async def connect(self) -> None:
        """Connect and authenticate once (errors raise); later drops reconnect by themselves."""
        self._closing = False
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name="esl-supervisor")

    async def close(self) -> None:
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        if self._hooks_task is not None:
            self._hooks_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._hooks_task
            self._hooks_task = None
        if self._session is not None:
            await self._end_session(self._session, "client closed")
        self._fail_jobs("client closed")

    async def __aenter__(self) -> EslClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def add_handler(self, handler: EventHandler) -> None:
        """Call ``handler(event)`` for every event, synchronously; it must not block."""
        self._handlers.append(handler)

    def add_reconnect_hook(self, hook: ReconnectHook) -> None:
        """Await ``hook()`` after each successful reconnect (events may have been lost)."""
        self._reconnect_hooks.append(hook)

    # ------------------------------------------------------------------ routing

    def open_channel(self, uuid: str, maxsize: int | None = None) -> ChannelQueue:
        """Start queueing the events whose Unique-ID is ``uuid`` (before originating it)."""
        queue = ChannelQueue(uuid, maxsize or self.config.channel_queue_size, self.stats)
        self._channels[uuid] = queue
        return queue

    def route_channel(self, uuid: str, handler: EventHandler) -> None:
        """Call ``handler(event)`` for each event whose Unique-ID is ``uuid``, as it is read.

        No queue and no task in between: the handler runs in the reader's callback, so
        it must only update state and wake waiters (it must not block)."""
        self._routes[uuid] = handler

    def close_channel(self, uuid: str) -> None:
        self._channels.pop(uuid, None)
        self._routes.pop(uuid, None)

    # ------------------------------------------------------------------ commands

    async def command(
        self, command: ClientCommand, timeout_s: float | None = None
    ) -> ServerMessage:
        """Send one command and await its reply (command/reply or api/response)."""
        session = await self._ready_session()
        return await self._request(session, command, timeout_s)

    async def api(self, command: str, timeout_s: float | None = None) -> str:
        """``api`` (runs inline in the switch's socket thread): the response body."""
        reply = await self.command(Api(command), timeout_s)
        if isinstance(reply, ApiResponse):
            return reply.body
        if isinstance(reply, CommandReply):  # e.g. outbound mode without `full`
            return reply.reply_text
        raise CommandFailed(f"unexpected reply to api: {type(reply).__name__}")

    async def bgapi(
        self,
        command: str,
        timeout_s: float | None = None,
        job_uuid: str | None = None,
        on_accepted: Callable[[str], None] | None = None,
    ) -> BackgroundJob:
        """``bgapi`` with our own Job-UUID; awaits its BACKGROUND_JOB (``timeout_s`` caps it).

        ``on_accepted(job_uuid)`` runs when the switch has accepted the job (its reply).
        """
        job_uuid = job_uuid or new_uuid()
        session = await self._ready_session()
        waiter: asyncio.Future[BackgroundJob] = asyncio.get_running_loop().create_future()
        self._jobs[job_uuid] = waiter
        try:
            reply = await self._request(session, BgApi(command, job_uuid))
            if isinstance(reply, CommandReply) and not reply.ok:
                raise CommandFailed(f"bgapi {command!r}: {reply.reply_text}")
            if on_accepted is not None:
                on_accepted(job_uuid)
            if timeout_s is None:
                return await waiter
            return await asyncio.wait_for(waiter, timeout_s)
        finally:
            self._jobs.pop(job_uuid, None)
            if waiter.done() and not waiter.cancelled():
                waiter.exception()  # failed with the link while the command was: seen

    async def subscribe(self, *names: str, format: str = "plain") -> None:
        """``event FORMAT NAMES``, remembered and restored after each reconnect."""
        new = [n for n in names if n not in self._events]
        self._events.extend(new)
        self._event_format = format
        await self._checked(Subscribe(tuple(self._events), format))

    async def add_filter(self, header: str, value: str) -> None:
        self._filters.append((header, value))
        await self._checked(Filter(header, value))

    async def delete_filter(self, header: str, value: str) -> None:
        with contextlib.suppress(ValueError):
            self._filters.remove((header, value))
        await self._checked(FilterDelete(header, value))

    async def _checked(self, command: ClientCommand) -> None:
        reply = await self.command(command)
        if isinstance(reply, CommandReply) and not reply.ok:
            raise CommandFailed(f"{type(command).__name__}: {reply.reply_text}")

    # ------------------------------------------------------------------ internals

    async def _ready_session(self) -> _Session:
        if self._closing:
            raise ConnectionLost("client is closed")
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), self.config.wait_connected_s)
            except TimeoutError:
                raise ConnectionLost("not connected to the switch") from None
        assert self._session is not None
        return self._session

    async def _request(
        self, session: _Session, command: ClientCommand, timeout_s: float | None = None
    ) -> ServerMessage:
        if session.done.is_set() or session.transport.is_closing():
            raise ConnectionLost("connection to the switch is down")
        future: asyncio.Future[ServerMessage] = asyncio.get_running_loop().create_future()
        data = session.conn.send(command)
        session.pending.append((command, future))  # same step as the write: FIFO holds
        if not session.outbox:
            asyncio.get_running_loop().call_soon(self._flush, session)
        session.outbox.append(data)
        timeout = self.config.command_timeout_s if timeout_s is None else timeout_s
        # shield: on timeout the entry stays queued so the late reply is consumed in order
        return await asyncio.wait_for(asyncio.shield(future), timeout)

    async def _open(self) -> None:
        cfg = self.config
        loop = asyncio.get_running_loop()
        reader = _Reader(self)
        try:
            transport, _ = await asyncio.wait_for(
                loop.create_connection(lambda: reader, cfg.host, cfg.port), cfg.connect_timeout_s
            )
        except (OSError, TimeoutError) as exc:
            why = str(exc) or f"no answer within {cfg.connect_timeout_s:g} s"
            raise ConnectionLost(
                f"cannot connect to FreeSWITCH at {cfg.host}:{cfg.port} ({why}): {_CHECK_LISTENING}"
            ) from None
        session = _Session(EslConnection(Role.CLIENT, cfg.max_message_size), transport)
        session.auth_requested = loop.create_future()
        session.last_rx = loop.time()
        reader.attach(session)
        session.tasks.append(asyncio.create_task(self._watch(session), name="esl-liveness"))
        step = "auth/request"  # what the switch owes us next, for the timeout's message
        try:
            await asyncio.wait_for(asyncio.shield(session.auth_requested), cfg.connect_timeout_s)
            step = "auth"
            reply = await self._request(session, Auth(cfg.password))
            if not (isinstance(reply, CommandReply) and reply.ok):
                text = reply.reply_text if isinstance(reply, CommandReply) else "?"
                raise AuthenticationFailed(
                    f"FreeSWITCH at {cfg.host}:{cfg.port} refused the ESL password "
                    f"({text.strip()}): {_CHECK_PASSWORD}"
                )
            step = "subscription"
            if self._events:
                await self._request(session, Subscribe(tuple(self._events), self._event_format))
            for header, value in self._filters:
                await self._request(session, Filter(header, value))
        except BaseException as exc:
            await self._end_session(session, "handshake failed")
            if isinstance(exc, TimeoutError) and step == "auth/request":
                raise ConnectionLost(
                    f"{cfg.host}:{cfg.port} accepted the connection but sent no ESL "
                    f"auth/request within {cfg.connect_timeout_s:g} s: is that port "
                    "FreeSWITCH's event socket (8021 by default)?"
                ) from None
            if isinstance(exc, TimeoutError):
                raise ConnectionLost(
                    f"{cfg.host}:{cfg.port} asked for the ESL password but did not answer "
                    f"the {step} within {cfg.command_timeout_s:g} s"
                ) from None
            if session.rejection is not None:
                raise session.rejection from None
            if isinstance(exc, ConnectionLost) and not self._closing:
                raise ConnectionLost(
                    f"FreeSWITCH at {cfg.host}:{cfg.port} closed the ESL connection during "
                    f"the handshake ({exc}): {_CHECK_ACL}, and that nothing else holds "
                    "the port"
                ) from None
            raise
        self._session = session
        self.stats.connects += 1
        self._ready.set()

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closing:
            session = self._session
            assert session is not None
            await session.done.wait()
            self._ready.clear()
            self._fail_jobs("connection to the switch lost")
            while not self._closing:
                delay = min(
                    self.config.backoff_max_s,
                    self.config.backoff_initial_s * self.config.backoff_factor**attempt,
                )
                jitter = self.config.backoff_jitter
                await asyncio.sleep(delay * self._rng.uniform(1 - jitter, 1 + jitter))
                attempt += 1
                try:
                    await self._open()
                except EslError as exc:
                    log.warning("ESL reconnect failed (attempt %d): %s", attempt, exc)
                    continue
                attempt = 0
                # The hooks talk to the switch: run them beside the supervisor, which must
                # stay free to reconnect if this link dies too (a newer run replaces them).
                if self._hooks_task is not None:
                    self._hooks_task.cancel()
                self._hooks_task = asyncio.create_task(self._run_hooks(), name="esl-hooks")
                break

    async def _run_hooks(self) -> None:
        for hook in self._reconnect_hooks:
            try:
                await hook()
            except Exception:
                log.exception("ESL reconnect hook failed")

    @staticmethod
    def _flush(session: _Session) -> None:
        """One socket write for every command issued during a loop turn (a burst of
        answers to a thousand calls costs a few syscalls, not a thousand)."""
        if not session.transport.is_closing():
            session.transport.write(b"".join(session.outbox))
        session.outbox.clear()

    def _received(self, session: _Session, data: bytes) -> None:
        """Bytes from the socket (``b""`` at its end): parse and dispatch them now."""
        if session.done.is_set():
            return
        try:
            session.conn.receive_data(data)
            if self._drain(session):
                return
            reason = "connection closed by the switch"
        except (OSError, EslError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        self._end_session_now(session, reason)

    def _drain(self, session: _Session) -> bool:
        """Dispatch every complete message; False once the stream ended."""
        while True:
            message = session.conn.next_event()
            if message is NEED_DATA:
                return True
            if isinstance(message, ConnectionClosed):
                return False
            if isinstance(message, SwitchEvent):
                self._dispatch(message)
            elif isinstance(message, CommandReply | ApiResponse | ConnectReply):
                _, future = session.pending.popleft()
                if not future.done():
                    future.set_result(message)
            elif isinstance(message, AuthRequest):
                if session.auth_requested is not None and not session.auth_requested.done():
                    session.auth_requested.set_result(None)
            elif isinstance(message, RudeRejection):
                cfg = self.config
                session.rejection = AuthenticationFailed(
                    f"FreeSWITCH at {cfg.host}:{cfg.port} rejected this connection "
                    f"({message.body.strip()}): {_CHECK_ACL}"
                )
                raise session.rejection
            elif isinstance(message, DisconnectNotice) and not message.linger:
                log.info("ESL disconnect notice: %s", message.body.strip())

    def _dispatch(self, event: SwitchEvent) -> None:
        self.stats.events += 1
        name = event.name
        if name == "BACKGROUND_JOB":
            job = event.job_uuid
            waiter = self._jobs.get(job) if job else None
            if waiter is not None and not waiter.done():
                waiter.set_result(BackgroundJob(job or "", event.body, event))
        elif name != "HEARTBEAT":
            uuid = event.unique_id or ""
            route = self._routes.get(uuid)
            if route is not None:
                try:
                    route(event)
                except Exception:
                    self.stats.handler_errors += 1
                    log.exception("ESL channel handler failed")
            else:
                queue = self._channels.get(uuid)
                if queue is not None:
                    queue.put(event)
                else:
                    self.stats.unrouted_events += 1
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                self.stats.handler_errors += 1
                log.exception("ESL event handler failed")

    async def _watch(self, session: _Session) -> None:
        """Declare the link dead after ``liveness_timeout_s`` without a byte from it.

        HEARTBEATs keep a subscribed link busy; halfway through a silence the watchdog
        also sends a cheap ``api version``, whose reply proves the switch alive even
        when nobody subscribed to anything.
        """
        loop = asyncio.get_running_loop()
        timeout = self.config.liveness_timeout_s
        probe: asyncio.Task[ServerMessage] | None = None
        while not session.done.is_set():
            idle = loop.time() - session.last_rx
            if idle >= timeout:
                log.warning("ESL link silent for %.1f s: treating it as dead", idle)
                session.transport.abort()
                return
            if idle >= timeout / 2 and session is self._session and (probe is None or probe.done()):
                probe = asyncio.create_task(self._request(session, Api("version"), timeout))
                probe.add_done_callback(lambda t: t.cancelled() or t.exception())
            await asyncio.sleep(min(timeout - idle, timeout / 4) + 0.001)

    async def _end_session(self, session: _Session, reason: str) -> None:
        self._end_session_now(session, reason)

    def _end_session_now(self, session: _Session, reason: str) -> None:
        if session.done.is_set():
            return
        session.done.set()
        if session is self._session:
            self._ready.clear()
            self.stats.disconnects += 1
        session.transport.abort()
        while session.pending:
            command, future = session.pending.popleft()
            if not future.done():
                self.stats.failed_commands += 1
                future.set_exception(ConnectionLost(f"{type(command).__name__}: {reason}"))
                # a caller that gave up on it (timeout) is not there to read it: do not
                # let asyncio report it as "never retrieved"
                future.exception()
        if session.auth_requested is not None and not session.auth_requested.done():
            session.auth_requested.set_exception(ConnectionLost(reason))
            session.auth_requested.exception()
        current = asyncio.current_task()
        for task in session.tasks:
            if task is not current:
                task.cancel()
        log.info("ESL session ended: %s", reason)

    def _fail_jobs(self, reason: str) -> None:
        for job_uuid, waiter in list(self._jobs.items()):
            if not waiter.done():
                self.stats.failed_commands += 1
                waiter.set_exception(ConnectionLost(f"background job {job_uuid}: {reason}"))


class _Reader(asyncio.Protocol):
    """The socket's receiving side: hands every read straight to the client's parser."""

    def __init__(self, client: EslClient) -> None:
        self._client = client
        self._session: _Session | None = None
        self._early: list[bytes] = []  # read before the session existed
        self._lost: str | None = None
        self._time = asyncio.get_running_loop().time

    def attach(self, session: _Session) -> None:
        self._session = session
        for data in self._early:
            self._client._received(session, data)
        self._early.clear()
        if self._lost is not None:
            self._client._end_session_now(session, self._lost)

    def data_received(self, data: bytes) -> None:
        if self._session is None:
            self._early.append(data)
        else:
            self._session.last_rx = self._time()
            self._client._received(self._session, data)

    def eof_received(self) -> bool:
        self.data_received(b"")
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        reason = f"{type(exc).__name__}: {exc}" if exc else "connection closed by the switch"
        if self._session is None:
            self._lost = reason
        else:
            self._client._end_session_now(self._session, reason)


def events_of(names: Iterable[str]) -> tuple[str, ...]:
    """Event names plus HEARTBEAT (needed for liveness), without duplicates, in order."""
    out: list[str] = []
    for n in (*names, "HEARTBEAT"):
        if n not in out:
            out.append(n)
    return tuple(out)
