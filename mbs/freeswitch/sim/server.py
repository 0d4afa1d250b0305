"""The simulator: a loopback asyncio TCP server playing FreeSWITCH 1.10's Event Socket.

It only moves bytes: the sans-I/O core (``mbs.freeswitch.esl``, SERVER role) parses the
commands and writes the replies and events. connection.py applies mod_event_socket's
rules per connection (inbound, or outbound when a call's ``socket`` app dials the robot),
subscription.py decides who receives an event, call.py plays each call against its
persona, api.py answers ``api``/``bgapi``. This module owns what is switch-wide: the
listeners, the calls, the clock, HEARTBEAT every 20 simulated seconds, and originate.

Use ``async with Simulator(...) as sim`` in-process (``sim.port``), or ``mbs sim``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import uuid as uuidlib
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mbs.freeswitch.ids import new_uuid
from mbs.freeswitch.sim import api
from mbs.freeswitch.sim.call import SimCall
from mbs.freeswitch.sim.channel import SimChannel
from mbs.freeswitch.sim.clock import SimClock
from mbs.freeswitch.sim.connection import Listener
from mbs.freeswitch.sim.faults import Faults
from mbs.freeswitch.sim.fsevents import VERSION, EventFactory, FsEvent, SwitchIdentity, uptime_text
from mbs.freeswitch.sim.personas import Persona, PersonaBook, PersonaKind, parse_mix


@dataclass
class Stats:
    since_startup: int = 0
    peak: int = 0
    sps_peak: int = 0


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
        scripts: tuple[tuple[str, ...], ...] | None = None,
        faults: Faults | None = None,
        heartbeat_s: float = 20.0,
        auth_timeout_s: float = 25.0,
        strict_files: bool = False,
        identity: SwitchIdentity | None = None,
        max_queue: int = 100_000,
        max_missed: int = 500,
        preauth_max_bytes: int = 4096,
        max_buffered_bytes: int = 64 * 1024 * 1024,
        voice: str = "fr",
    ) -> None:
        self.host = host
        self.voice = voice  # espeak-ng voice of the callers' audio (fork, recordings)
        self._port = port
        self.password = password
        self.seed = seed
        self.clock = SimClock(time_scale)
        mix = parse_mix(personas) if isinstance(personas, str) else personas
        self.book = PersonaBook(seed, dict(mix) if mix else PersonaBook().mix, dict(pinned or {}))
        if scripts:  # callers who speak the scenario being rehearsed
            self.book.scripts = scripts
        self.faults = faults or Faults()
        self.heartbeat_s = heartbeat_s
        self.auth_timeout_s = auth_timeout_s
        self.strict_files = strict_files
        self.max_queue = max_queue  # per-listener event queue (mod_event_socket MAX_QUEUE_LEN)
        self.max_missed = max_missed  # lost events in a row before the listener is killed
        # Hostile clients: an unauthenticated connection may buffer this much (an auth
        # command is a few dozen bytes), and all connections together this much.
        self.preauth_max_bytes = preauth_max_bytes
        self.max_buffered_bytes = max_buffered_bytes
        self.buffered_total = 0  # bytes received and not yet parsed, all connections
        self.refused: Counter[str] = Counter()  # connections closed: auth_timeout, memory…
        self.identity = identity or SwitchIdentity(
            core_uuid=str(uuidlib.UUID(int=random.Random(seed).getrandbits(128), version=4))
        )
        self.events = EventFactory(self.identity, self.clock.now_us)
        self.stats = Stats()
        self.calls: dict[str, SimCall] = {}
        self.finished: dict[str, SimCall] = {}  # the last `keep_finished` calls, for tests
        self.keep_finished = 1000
        self._by_persona: Counter[str] = Counter()
        self._by_cause: Counter[str] = Counter()
        self.listeners: set[Listener] = set()
        self.history: deque[FsEvent] = deque(maxlen=20_000)  # the latest events, for traces
        self.keep_history = True
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._conn_tasks: set[asyncio.Task[Any]] = set()
        self._rng = random.Random(seed)
        self.inbound_connections = 0  # accepted so far (the drop schedule's index)
        self.drops = 0  # connections cut by drop_at_byte / drop_schedule

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
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
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

    def drop_limit(self, *, outbound: bool) -> int | None:
        """The byte offset where a new connection is cut (faults), if anywhere."""
        if outbound:
            return self.faults.drop_at_byte
        index = self.inbound_connections
        self.inbound_connections += 1
        return self.faults.drop_limit(index)

    def count_drop(self) -> None:
        self.drops += 1

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

    async def originate(self, request: api.OriginateRequest) -> str:
        loop = asyncio.get_running_loop()
        result: asyncio.Future[str] = loop.create_future()

        def finish(text: str) -> None:
            if not result.done():
                result.set_result(text)

        self._start_call(request, finish)
        return await result

    def _start_call(self, request: api.OriginateRequest, finish: Any) -> SimCall:
        variables = dict(request.variables)
        uuid = variables.get("origination_uuid") or new_uuid()
        if uuid in self.calls:  # FreeSWITCH refuses a duplicate origination_uuid
            uuid = new_uuid()
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
            inline_app=(request.app, request.app_arg),
            connector=self.connect_outbound,
            voice=self.voice,
        )
        self.calls[uuid] = call
        self.stats.peak = max(self.stats.peak, len(self.calls))

        async def run() -> None:
            try:
                await call.run()
            finally:
                self.calls.pop(uuid, None)
                self.finished[uuid] = call
                if len(self.finished) > self.keep_finished:
                    self.finished.pop(next(iter(self.finished)))
                self._by_persona[call.persona.kind.value] += 1
                self._by_cause[call.channel.hangup_cause or "UP"] += 1

        self._spawn(run())
        return call

    async def connect_outbound(self, call: SimCall, arg: str) -> Listener | None:
        """The ``socket`` app: dial the robot's outbound server, wait for ``connect``."""
        words = arg.split()
        host, _, port_text = (words[0] if words else "").rpartition(":")
        if not words or not port_text.isdigit():
            host, port_text = (words[0] if words else "127.0.0.1"), "8084"
        flags = {w.lower() for w in words[1:]}
        try:
            reader, writer = await asyncio.open_connection(host or "127.0.0.1", int(port_text))
        except OSError:
            return None
        listener = Listener(
            self, reader, writer, session=call, async_mode="async" in flags, full="full" in flags
        )
        self.listeners.add(listener)

        async def serve() -> None:
            try:
                await listener.serve()
            finally:
                self.listeners.discard(listener)

        self._spawn(serve())
        done = asyncio.ensure_future(listener.finished.wait())
        ready = asyncio.ensure_future(listener.connected.wait())
        await asyncio.wait({done, ready}, return_when=asyncio.FIRST_COMPLETED)
        done.cancel()
        ready.cancel()
        return listener if listener.connected.is_set() else None

    def summary(self) -> dict[str, Any]:
        """Counts by persona kind and hangup cause, for `mbs sim` and tests."""
        return {
            "calls": sum(self._by_persona.values()),
            "live": len(self.calls),
            "persona": dict(self._by_persona),
            "cause": dict(self._by_cause),
        }

    def dumps_summary(self) -> str:
        return json.dumps(self.summary(), sort_keys=True)


@contextlib.contextmanager
def simulator_thread(**options: Any) -> Iterator[Simulator]:
    """A Simulator serving from its own thread and event loop, for synchronous callers
    (blocking ESL libraries, scripts): ``with simulator_thread(seed=1) as sim: sim.port``."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            box["sim"] = Simulator(**options)
            loop.run_until_complete(box["sim"].start())
        except BaseException as exc:  # reported to the caller below
            box["error"] = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="mbs-sim", daemon=True)
    thread.start()
    ready.wait()
    if "error" in box:
        thread.join()
        loop.close()
        raise box["error"]
    sim: Simulator = box["sim"]
    try:
        yield sim
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
