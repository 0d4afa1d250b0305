"""The audio server: each call's voice from mod_audio_fork, heard by a streaming STT.

``uuid_audio_fork UUID start ws://HOST:PORT/UUID mono 8k|16k METADATA`` makes FreeSWITCH
open one WebSocket per call (subprotocol ``audio.drachtio.org``), send METADATA as a
text frame once connected, then binary frames of 16-bit little-endian mono PCM (L16) at
the rate asked for, until the fork stops or the channel goes. This server accepts those
connections, finds the call by the URL's path, checks the metadata (the call's uuid and
the rate it was started with), and feeds the audio to the call's :class:`SttStream`
(voice detector + recogniser). What the recogniser hears goes to the call's
:class:`ForkListener`: ``start`` and ``partial`` drive barge-in, ``final`` is the
utterance.

Bad input ends that call's listening, never another's: a first frame that is not the
metadata, metadata naming another call or another rate, an odd number of PCM bytes,
no audio for ``idle_s`` while the call is up, or no connection at all within
``connect_s`` of the fork's start. The listener's ``failed(cause)`` gets a one-line
cause and the connection is closed from our side (a peer that never closes does not
keep a task alive past the call).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from mbs.runtime.builtins.base import SpeechUpdate, StreamingStt, SttStream

log = logging.getLogger(__name__)

SUBPROTOCOL = Subprotocol("audio.drachtio.org")
RATES = (8000, 16000)
FRAME_HINT = 640  # bytes: 20 ms at 16 kHz, what mod_audio_fork sends at a time


class Timer(Protocol):
    """How the watchdog waits: the loop's clock, or one a test moves by hand."""

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        """True when ``event`` is set, False once ``seconds`` have passed first."""
        ...


class LoopTimer:
    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return True


class ForkListener(Protocol):
    """The call side: what the recogniser heard, or why listening stopped."""

    def heard(self, update: SpeechUpdate) -> None: ...

    def failed(self, cause: str) -> None: ...


@dataclass
class AudioServerConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (read ``AudioForkServer.port`` after start)
    url: str = ""  # the base URL the switch connects to; default ws://HOST:PORT
    rate: int = 8000  # 8000 | 16000, asked of mod_audio_fork
    connect_s: float = 5.0  # the fork must connect this soon after it is started
    idle_s: float = 5.0  # a connected fork that sends no audio this long has failed
    max_frame: int = 1 << 16  # bytes; larger frames are refused by the WebSocket layer
    # audio is handed to the recogniser in batches of at least this much: per-frame
    # hand-offs cost more than the frames (at most this much later to a decision)
    batch_ms: int = 40


@dataclass
class ForkSession:
    """One call's fork, registered before ``uuid_audio_fork`` is sent."""

    uuid: str
    rate: int
    listener: ForkListener
    stream: SttStream
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    cause: str = ""  # why listening failed ("" when it did not)
    frames: int = 0
    bytes_in: int = 0
    cpu_s: float = 0.0  # CPU time of this call's recogniser work in worker threads
    connection: ServerConnection | None = None
    watchdog: asyncio.Task[None] | None = None


class AudioForkServer:
    """Accepts mod_audio_fork connections and routes each to its call's session."""

    def __init__(
        self,
        stt: StreamingStt,
        config: AudioServerConfig | None = None,
        *,
        timer: Timer | None = None,
    ) -> None:
        self.stt = stt
        self.config = config or AudioServerConfig()
        self.timer = timer or LoopTimer()
        if self.config.rate not in RATES:
            raise ValueError(f"the audio fork runs at 8000 or 16000 Hz, not {self.config.rate}")
        self.sessions: dict[str, ForkSession] = {}
        self._server: Server | None = None
        self.port = self.config.port
        self.on_audio: Callable[[ForkSession, int], None] | None = None  # (session, bytes)
        self._closing: set[asyncio.Future[None]] = set()

    # ------------------------------------------------------------------ life

    async def start(self) -> None:
        cfg = self.config
        self._server = await serve(
            self._handle,
            cfg.host,
            cfg.port,
            subprotocols=[SUBPROTOCOL],
            max_size=cfg.max_frame,
            close_timeout=2,  # a peer that never answers our close is dropped after this
            compression=None,  # raw PCM barely compresses; deflate cost more CPU than it saved
            ping_interval=None,  # the switch's libwebsockets does not answer our pings reliably
        )
        sockets = list(self._server.sockets)
        self.port = sockets[0].getsockname()[1] if sockets else cfg.port
        log.info("audio fork server on %s:%d", cfg.host, self.port)

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            await self.close(session.uuid)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def base_url(self) -> str:
        return self.config.url.rstrip("/") or f"ws://{self.config.host}:{self.port}"

    # ------------------------------------------------------------------ calls

    def register(self, uuid: str, listener: ForkListener) -> ForkSession:
        """Expect the fork of call ``uuid``; its connection must arrive within connect_s."""
        stream = self.stt.open_stream(self.config.rate)
        session = ForkSession(uuid, self.config.rate, listener, stream)
        self.sessions[uuid] = session
        session.watchdog = asyncio.ensure_future(self._watch(session))
        return session

    def fork_command(self, uuid: str, call_id: str) -> str:
        """The ``uuid_audio_fork`` api command that starts this call's fork."""
        # compact: the switch splits api arguments on spaces
        metadata = json.dumps(
            {"uuid": uuid, "call": call_id, "rate": self.config.rate}, separators=(",", ":")
        )
        rate = "16k" if self.config.rate == 16000 else "8k"
        return f"uuid_audio_fork {uuid} start {self.base_url}/{uuid} mono {rate} {metadata}"

    async def close(self, uuid: str) -> None:
        """The call is over: stop listening and close its connection from our side."""
        session = self.sessions.pop(uuid, None)
        if session is None:
            return
        session.ended.set()
        if session.watchdog is not None:
            session.watchdog.cancel()
        if session.connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(session.connection.close(), 1.0)

    def _fail(self, session: ForkSession, cause: str) -> None:
        if session.cause or session.ended.is_set():
            return
        session.cause = cause
        log.warning("call %s: audio fork failed: %s", session.uuid, cause)
        session.listener.failed(cause)
        session.ended.set()
        if session.connection is not None:  # from our side: the peer may never close
            closing = asyncio.ensure_future(_close_quietly(session.connection, 1011, "failed"))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    async def _watch(self, session: ForkSession) -> None:
        """No connection in time, or a connection that stops sending: the fork failed."""
        cfg = self.config
        if not await self.timer.wait(session.connected, cfg.connect_s):
            self._fail(session, f"the audio fork did not connect within {cfg.connect_s:g} s")
            return
        seen = -1
        while not session.ended.is_set():
            if session.frames == seen:
                self._fail(session, f"the audio fork sent no audio for {cfg.idle_s:g} s")
                return
            seen = session.frames
            await self.timer.wait(session.ended, cfg.idle_s)

    # ------------------------------------------------------------------ connections

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else ""
        uuid = path.strip("/").rsplit("/", 1)[-1]
        session = self.sessions.get(uuid)
        if session is None or session.connection is not None:
            log.warning("audio fork for an unknown or already connected call: %r", path)
            await ws.close(1008, "unknown call")
            return
        session.connection = ws
        session.connected.set()
        try:
            await self._serve(session, ws)
        except ConnectionClosed:
            pass
        finally:
            if not session.ended.is_set():
                for update in session.stream.close():
                    session.listener.heard(update)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1.0)

    async def _serve(self, session: ForkSession, ws: ServerConnection) -> None:
        first = await ws.recv()
        problem = self._check_metadata(session, first)
        if problem:
            self._fail(session, problem)
            await ws.close(1008, "bad metadata")
            return
        pending = bytearray()  # audio received and not yet heard
        batch = session.rate * 2 * self.config.batch_ms // 1000
        wake = asyncio.Event()
        done = asyncio.Event()  # no more audio will come
        hearing = asyncio.ensure_future(self._hear(session, pending, wake, done))
        try:
            async for message in ws:
                if session.ended.is_set() or hearing.done():
                    return
                if isinstance(message, str):
                    continue  # mod_audio_fork sends only the metadata as text
                if len(message) % 2:
                    self._fail(session, f"the audio fork sent {len(message)} bytes: not 16-bit PCM")
                    await ws.close(1003, "not L16")
                    return
                session.frames += 1
                session.bytes_in += len(message)
                if self.on_audio is not None:
                    self.on_audio(session, len(message))
                pending += message
                if len(pending) >= batch:
                    wake.set()
        finally:
            done.set()
            wake.set()
            if session.ended.is_set():  # the call is over: what is queued is moot
                hearing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hearing  # else the audio received before the close is still heard

    async def _hear(
        self, session: ForkSession, pending: bytearray, wake: asyncio.Event, done: asyncio.Event
    ) -> None:
        """Feed the recogniser everything received since its last turn, in one go: under
        load, frames queue up here instead of each paying a trip to a worker thread."""
        loop = asyncio.get_running_loop()
        stream = session.stream
        while not (done.is_set() and not pending):
            await wake.wait()
            wake.clear()
            if not pending:
                continue
            chunk = bytes(pending)
            pending.clear()
            try:
                if getattr(stream, "decoding", False) or len(chunk) > 4 * FRAME_HINT:
                    updates, cpu = await loop.run_in_executor(None, _timed_feed, stream, chunk)
                else:
                    updates, cpu = stream.feed(chunk), 0.0  # the voice detector alone: cheap
            except Exception as exc:  # a recogniser bug ends this call's listening only
                log.exception("call %s: the recogniser failed", session.uuid)
                self._fail(session, f"the recogniser failed: {exc}")
                return
            session.cpu_s += cpu
            for update in updates:
                session.listener.heard(update)

    @staticmethod
    def _check_metadata(session: ForkSession, first: str | bytes) -> str:
        if not isinstance(first, str):
            return "the audio fork sent audio before its metadata"
        try:
            meta = json.loads(first)
        except ValueError:
            return f"the audio fork's metadata is not JSON: {first[:60]!r}"
        if not isinstance(meta, dict):
            return f"the audio fork's metadata is not a JSON object: {first[:60]!r}"
        if meta.get("uuid") not in (None, session.uuid):
            return f"the audio fork's metadata names another call: {meta.get('uuid')!r}"
        rate = meta.get("rate", session.rate)
        if rate != session.rate:
            return f"the audio fork streams at {rate!r} Hz, the call listens at {session.rate} Hz"
        return ""


async def _close_quietly(connection: ServerConnection, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(connection.close(code, reason), 3.0)


def _timed_feed(stream: SttStream, pcm: bytes) -> tuple[list[SpeechUpdate], float]:
    started = time.thread_time()
    updates = stream.feed(pcm)
    return updates, time.thread_time() - started
