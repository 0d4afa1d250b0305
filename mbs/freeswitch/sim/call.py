"""One simulated call over time: the persona against the apps the robot runs.

``SimCall.run`` walks the channel (channel.py) through originate, ringing, answer or
failure, then serves the robot's apps (sendmsg ``execute``, ``uuid_broadcast``) until
someone hangs up. The persona reacts to prompts: it speaks after each one (or over it),
presses keys, hangs up mid-prompt, or stays silent. Every wait goes through the sim
clock, so the time scale shrinks a whole call to milliseconds.

The persona's behaviour lives in caller.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import re
import wave
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mbs.freeswitch.ids import new_uuid
from mbs.freeswitch.sim.audiofork import AudioFork
from mbs.freeswitch.sim.caller import Caller
from mbs.freeswitch.sim.channel import SimChannel
from mbs.freeswitch.sim.clock import SimClock
from mbs.freeswitch.sim.faults import Faults
from mbs.freeswitch.sim.fsevents import FsEvent, Header
from mbs.freeswitch.sim.personas import Persona, PersonaKind
from mbs.freeswitch.sim.recording import CallRecorder

log = logging.getLogger(__name__)

Emit = Callable[[FsEvent], None]

KNOWN_APPS = frozenset(
    {
        "playback",
        "detect_speech",
        "amd",
        "park",
        "hangup",
        "sleep",
        "set",
        "answer",
        "pre_answer",
        "record_session",
        "stop_record_session",
        "transfer",
        "socket",
        "avmd_start",
        "avmd_stop",
    }
)


class OutboundLink(Protocol):
    """The simulator's outbound-socket connection serving a call (server.py Listener)."""

    async_mode: bool
    finished: asyncio.Event


Connector = Callable[["SimCall", str], Awaitable[OutboundLink | None]]


@dataclass
class AppRequest:
    """An application to run on the channel (sendmsg execute or uuid_broadcast)."""

    app: str
    data: str = ""
    app_uuid: str = field(default_factory=new_uuid)
    event_lock: bool = False
    loops: int = 1
    finished: asyncio.Event = field(default_factory=asyncio.Event)


def split_params(data: str) -> tuple[list[Header], str]:
    """``{k=v,k2=v2}path`` -> ([("k", "v"), ("k2", "v2")], "path")."""
    if data.startswith("{") and "}" in data:
        inner, _, rest = data[1:].partition("}")
        params = []
        for part in filter(None, inner.split(",")):
            k, _, v = part.partition("=")
            params.append((k.strip(), v.strip()))
        return params, rest
    return [], data


def wav_seconds(path: str) -> float | None:
    """Length of a WAV file, or None when it is missing or not a WAV."""
    try:
        with wave.open(str(Path(path)), "rb") as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (OSError, EOFError, wave.Error):
        return None


def switch_readable(path: str) -> bool:
    """Whether a real switch could open ``path``: FreeSWITCH resolves a relative path
    against its own sounds folder (never the robot's working directory), so only an
    absolute path to a readable regular file plays."""
    target = Path(path)
    return target.is_absolute() and target.is_file() and os.access(target, os.R_OK)


_TONE_GROUP = re.compile(r"%\((\d+),(\d+)(?:,[\d.+\-]+)*\)")
_TONE_LOOPS = re.compile(r"(?:^|;)L=(-?\d+)")


def stream_seconds(path: str) -> float | None:
    """Length of FreeSWITCH's built-in streams, which need no file; None for a file path.

    ``silence_stream://MS[,DIVISOR]`` lasts MS ms (0 or less: until stopped, as
    mod_tone_stream does); ``tone_stream://`` lasts its ``%(on,off,freq..)`` groups
    times ``L=N`` loops (``L=-1``: until stopped); ``local_stream://`` is music on hold
    and plays until stopped. ``math.inf`` means until a break or the hangup.
    """
    if path.startswith("silence_stream://"):
        ms = path[len("silence_stream://") :].split(",", 1)[0].strip()
        try:
            value = int(ms)
        except ValueError:
            return math.inf  # atoi() of garbage is 0: silence until stopped
        return value / 1000 if value > 0 else math.inf
    if path.startswith("tone_stream://"):
        spec = path[len("tone_stream://") :]
        groups = _TONE_GROUP.findall(spec)
        once_ms = sum(int(on) + int(off) for on, off in groups) or 1000
        loops = _TONE_LOOPS.search(spec)
        count = int(loops.group(1)) if loops else 1
        return math.inf if count < 0 else once_ms * max(1, count) / 1000
    if path.startswith("local_stream://"):
        return math.inf
    return None


def estimate_seconds(text: str) -> float:
    """Speaking time of a French text by a TTS voice: about 2.5 words a second."""
    return max(0.6, len(text.split()) / 2.5)


class Playback:
    def __init__(self, path: str) -> None:
        self.path = path
        self.stopped = asyncio.Event()
        self.reason = "done"

    def stop(self, reason: str = "break") -> None:
        if not self.stopped.is_set():
            self.reason = reason
            self.stopped.set()


class SimCall:
    """Plays ``persona`` on ``channel``; the server calls the control methods."""

    def __init__(
        self,
        channel: SimChannel,
        persona: Persona,
        clock: SimClock,
        emit: Emit,
        finish_job: Callable[[str], None],
        *,
        faults: Faults | None = None,
        rng: random.Random | None = None,
        strict_files: bool = False,
        inline_app: tuple[str, str] = ("park", ""),
        connector: Connector | None = None,
        voice: str = "fr",
    ) -> None:
        self.channel = channel
        self.voice = voice  # espeak-ng voice the caller speaks with (audio fork, recordings)
        self.persona = persona
        self.clock = clock
        self.emit_event = emit
        self.finish_job = finish_job
        self.faults = faults or Faults()
        self.rng = rng or random.Random(0)
        self.strict_files = strict_files
        self.inline_app = inline_app
        self.connector = connector
        self.done = asyncio.Event()
        self.answered = False
        self.asr_active = False
        self.asr_fires = False
        self.fork: AudioFork | None = None  # uuid_audio_fork running
        self.divert_events = False  # outbound `divert_events on`: session events reach the socket
        self.transferred = False  # after uuid_transfer the caller talks to an agent
        self.avmd_since_us = 0  # avmd_start running since (simulated µs), 0 = off
        self.agent_talk_s = 30.0
        self.prompts = 0
        self.recordings: list[str] = []
        self.recorders: dict[str, CallRecorder] = {}
        self.recorded: list[
            str
        ] = []  # WAV files written        # (cause, HANGUP before the running app completes?, sip_hangup_disposition)
        self._hangup: asyncio.Future[tuple[str, bool, str]] = (
            asyncio.get_running_loop().create_future()
        )
        self._queue: asyncio.Queue[AppRequest] = asyncio.Queue()
        self.playing: Playback | None = None
        self._running_apps: set[asyncio.Task[None]] = set()
        self.persona_tasks: set[asyncio.Task[None]] = set()
        self._hangup_fired = asyncio.Event()
        self.caller = Caller(self)  # the persona's side of the line

    # ------------------------------------------------------------------ plumbing

    @property
    def uuid(self) -> str:
        return self.channel.uuid

    @property
    def up(self) -> bool:
        return not self.channel.down and not self._hangup.done()

    @property
    def queue_empty(self) -> bool:
        """No app waiting behind the current one."""
        return self._queue.empty()

    def emit(self, events: FsEvent | list[FsEvent]) -> None:
        for e in events if isinstance(events, list) else [events]:
            self.emit_event(e)

    def now_us(self) -> int:
        return self.clock.now_us()

    async def wait(self, sim_seconds: float) -> bool:
        """Sleep in simulated time; False if the call went down meanwhile."""
        if self._hangup.done():
            return False
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._hangup), self.clock.wall(sim_seconds))
            return False
        return True

    def spawn(
        self, coro: Coroutine[Any, Any, None], bucket: set[asyncio.Task[None]]
    ) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        bucket.add(task)
        task.add_done_callback(bucket.discard)
        return task

    # ------------------------------------------------------------------ control API

    def request_hangup(
        self,
        cause: str = "NORMAL_CLEARING",
        *,
        after_apps: bool = False,
        disposition: str = "send_bye",
    ) -> None:
        """Hang up. HANGUP fires at once, as ``switch_channel_perform_hangup`` does in the
        thread that hangs up; a playing prompt then notices the dead channel and stops
        (PLAYBACK_STOP ``done``, EXECUTE_COMPLETE ``PLAYBACK ERROR``). ``after_apps`` is
        the other order, for a hangup that follows an app's return (the socket app)."""
        if not self._hangup.done():
            self._hangup.set_result((cause or "NORMAL_CLEARING", not after_apps, disposition))

    def execute(self, request: AppRequest) -> None:
        """Queue an app; without event-lock, non-media apps run at once (nested)."""
        if not self.up:
            request.finished.set()
            return
        if request.app in ("playback",) or request.event_lock:
            self._queue.put_nowait(request)
        else:
            self.spawn(self._run_app(request), self._running_apps)

    def break_media(self, flush: bool = False) -> None:
        """uuid_break: stop the current playback; ``all`` also drops queued ones."""
        if flush:
            while not self._queue.empty():
                self._queue.get_nowait().finished.set()
        if self.playing is not None:
            self.playing.stop("break")

    def set_var(self, name: str, value: str) -> None:
        self.channel.set_var(name, value)

    def start_recording(self, path: str) -> None:
        self.recordings.append(path)
        self.recorders[path] = CallRecorder(path, self.clock.now())
        self.emit(self.channel.record(path, start=True))

    def stop_recording(self, path: str) -> bool:
        if path in self.recordings or path == "all":
            paths = list(self.recordings) if path == "all" else [path]
            for p in paths:
                self.recordings.remove(p)
                recorder = self.recorders.pop(p, None)
                if recorder is not None:
                    try:
                        self.recorded.append(str(recorder.write(self.clock.now())))
                    except OSError as exc:  # FreeSWITCH logs it; the call goes on
                        log.warning("cannot write the recording %s: %s", p, exc)
                self.emit(self.channel.record(p, start=False))
            return True
        return False

    def record_caller(self, samples: Any, rate: int, at: float) -> None:
        """The caller's audio (spoken at simulated time ``at``) for running recordings."""
        for recorder in self.recorders.values():
            recorder.add_samples(samples, rate, at)

    def start_fork(self, url: str, rate: int, metadata: str) -> bool:
        """uuid_audio_fork start: False when a fork is already attached (one bug per call)."""
        if self.fork is not None:
            return False

        def fire(suffix: str, body: str | None) -> None:
            if not self.channel.down or suffix == "disconnect":
                self.emit(self.channel.custom(f"mod_audio_fork::{suffix}", body))

        self.fork = AudioFork(url, rate, metadata, self.clock, fire)
        self.fork.start()
        return True

    async def stop_fork(self) -> bool:
        fork, self.fork = self.fork, None
        if fork is None:
            return False
        await fork.stop()
        return True

    @property
    def fork_active(self) -> bool:
        """A ``sim://`` fork: the simulator itself plays the transcriber."""
        return self.fork is not None and self.fork.simulated

    # ------------------------------------------------------------------ life

    async def run(self) -> None:
        try:
            await self._originate()
        finally:
            for task in (*self._running_apps, *self.persona_tasks):
                task.cancel()
            self.done.set()

    async def _originate(self) -> None:
        ch, p = self.channel, self.persona
        self.emit(ch.originate_start(self.now_us()))
        timeout = _seconds(ch.variables.get("originate_timeout"), 60.0)
        if p.kind in (PersonaKind.BUSY, PersonaKind.REJECTED):
            if await self.wait(min(p.failure_after_s, timeout)):
                cause = "USER_BUSY" if p.kind is PersonaKind.BUSY else "CALL_REJECTED"
                self.request_hangup(cause)
            return await self._fail()
        if not await self.wait(0.05):
            return await self._fail()
        self.emit(ch.ring(self.now_us()))
        if not await self.wait(0.15):
            return await self._fail()
        self.emit(ch.early_media(self.now_us()))
        early_ok = ch.variables.get("ignore_early_media", "").lower() not in ("true", "1", "yes")
        if early_ok:  # originate returns on 183: the classic early-media trap
            self.finish_job(f"+OK {ch.uuid}\n")
            self._start_inline_app()
        ring_time = p.rings * p.ring_s if p.answers else float("inf")
        if ring_time >= timeout:
            if await self.wait(timeout):
                self.request_hangup("NO_ANSWER")
            if early_ok:
                return await self._in_call_end()
            return await self._fail()
        if not await self.wait(ring_time):
            return await (self._in_call_end() if early_ok else self._fail())
        self.emit(ch.answer(self.now_us()))
        self.answered = True
        if not early_ok:
            self.finish_job(f"+OK {ch.uuid}\n")
            self._start_inline_app()
        await self._in_call()

    def _start_inline_app(self) -> None:
        """The originate's ``&app(arg)``: park, or the outbound ``socket`` (run in _in_call)."""
        if self.inline_app[0] == "socket":
            self.emit(self.channel.start_app("socket"))
        else:
            self.emit(self.channel.park(new_uuid()))

    async def _fail(self) -> None:
        """Originate failed: hang-up events and BACKGROUND_JOB ``-ERR CAUSE``."""
        cause, _, _ = await self._hangup
        ch = self.channel
        where = self.faults.bgjob_position(self.rng)
        job = f"-ERR {cause}\n"
        if where == "before_hangup":
            self.finish_job(job)
        refused = "send_cancel" if cause in ("NO_ANSWER", "ORIGINATOR_CANCEL") else "recv_refuse"
        self.emit(ch.hangup(cause, self.now_us(), refused))
        if where == "after_hangup":
            self.finish_job(job)
        self.emit(ch.teardown())
        if where == "after_destroy":
            self.finish_job(job)

    async def _in_call(self) -> None:
        runner = asyncio.ensure_future(self._app_loop())
        self.spawn(self.caller.start(), self.persona_tasks)
        if self.inline_app[0] == "socket":
            self.spawn(self._run_app(AppRequest("socket", self.inline_app[1])), self._running_apps)
        try:
            await self._in_call_end()
        finally:
            runner.cancel()

    async def _in_call_end(self) -> None:
        cause, hangup_first, disposition = await self._hangup
        for task in list(self.persona_tasks):
            task.cancel()
        while not self._queue.empty():  # apps never started: their waiters are released
            self._queue.get_nowait().finished.set()
        ch = self.channel
        if hangup_first:
            self.emit(ch.hangup(cause, self.now_us(), disposition))
            self._hangup_fired.set()
        if self.playing is not None:
            self.playing.stop("hangup")
        if self._running_apps:
            await asyncio.gather(*self._running_apps, return_exceptions=True)
        if not hangup_first:
            self.emit(ch.hangup(cause, self.now_us(), disposition))
            self._hangup_fired.set()
        if self.fork is not None:  # the media bug closes with the channel
            await self.stop_fork()
        if self.asr_active and self.asr_reaches_esl:
            self.emit(ch.speech("closed"))
        for path in list(self.recordings):
            self.stop_recording(path)
        self.emit(ch.teardown())

    # ------------------------------------------------------------------ apps

    async def _app_loop(self) -> None:
        while True:
            request = await self._queue.get()
            task = self.spawn(self._run_app(request), self._running_apps)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def _run_app(self, req: AppRequest) -> None:
        try:
            if not self.up:
                return
            if req.app not in KNOWN_APPS:
                # switch_core_session_execute_application: "Invalid Application"
                self.request_hangup("DESTINATION_OUT_OF_ORDER")
                return
            for _ in range(max(1, req.loops)):
                if not self.up:
                    return
                await getattr(self, f"_app_{req.app}")(req)
        finally:
            req.finished.set()

    def _complete(self, req: AppRequest, response: str = "") -> None:
        self.emit(self.channel.execute_complete(req.app, req.data, req.app_uuid, response))

    async def _app_playback(self, req: AppRequest) -> None:
        ch = self.channel
        params, path = split_params(req.data)
        self.emit(ch.execute("playback", req.data, req.app_uuid))
        seconds = stream_seconds(path)
        if seconds is None and (not self.strict_files or switch_readable(path)):
            seconds = wav_seconds(path)
        if seconds is None:
            if self.strict_files:
                self._complete(req, "FILE NOT FOUND")
                return
            text = dict(params).get("sim_text") or Path(path).stem.replace("_", " ")
            seconds = estimate_seconds(text)
        play = Playback(path)
        self.playing = play
        started = self.clock.now()
        self.emit(ch.playback(path, params, stop=None))
        self.prompts += 1
        self.caller.prompt_started(play)
        try:
            waiter = asyncio.ensure_future(play.stopped.wait())
            endless = math.isinf(seconds)  # an endless stream: until a break or the hangup
            await asyncio.wait({waiter}, timeout=None if endless else self.clock.wall(seconds))
            waiter.cancel()
        finally:
            self.playing = None
        played_ms = int(min(seconds, self.clock.now() - started) * 1000)
        for recorder in self.recorders.values():
            recorder.add_prompt(path, started, played_ms / 1000)
        ch.set_var("playback_ms", str(played_ms))
        ch.set_var("playback_samples", str(played_ms * 8))
        # a break (uuid_break, a terminator) reads "break"; a dead channel ends the loop
        # with SWITCH_STATUS_FALSE: "done", and mod_dptools answers PLAYBACK ERROR
        broke = play.stopped.is_set() and play.reason == "break"
        self.emit(ch.playback(path, params, stop="break" if broke else "done"))
        hung = play.stopped.is_set() and play.reason == "hangup"
        self._complete(req, "PLAYBACK ERROR" if hung else "FILE PLAYED")
        if self.up:
            self.caller.prompt_ended()

    async def _app_detect_speech(self, req: AppRequest) -> None:
        self.emit(self.channel.execute("detect_speech", req.data, req.app_uuid))
        word = req.data.split(" ", 1)[0].lower()
        if word in ("stop", "pause"):
            self.asr_active = False
        elif word == "resume":
            self.asr_active = True
        elif word not in (
            "grammar",
            "grammaron",
            "grammaroff",
            "grammarsalloff",
            "nogrammar",
            "param",
            "start_input_timers",
            "init",
        ):
            self.asr_active = True
            self.asr_fires = "fire_asr_events" in self.channel.variables
        self._complete(req)

    async def _app_amd(self, req: AppRequest) -> None:
        self.emit(self.channel.execute("amd", req.data, req.app_uuid))
        if await self.wait(self.persona.amd_decision_s):
            self.channel.set_var("amd_result", self.persona.amd_result)
            self.channel.set_var("amd_cause", self.persona.amd_cause)
        self._complete(req)

    async def _app_park(self, req: AppRequest) -> None:
        self.emit(self.channel.execute("park", req.data, req.app_uuid))
        self.emit(self.channel._event("CHANNEL_PARK"))

    async def _app_hangup(self, req: AppRequest) -> None:
        self.emit(self.channel.execute("hangup", req.data, req.app_uuid))
        if not self._hangup.done():
            self.request_hangup(req.data.strip() or "NORMAL_CLEARING")
            await self._hangup_fired.wait()  # HANGUP goes out before EXECUTE_COMPLETE
        self._complete(req)

    async def _app_sleep(self, req: AppRequest) -> None:
        self.emit(self.channel.execute("sleep", req.data, req.app_uuid))
        await self.wait(_seconds(req.data, 0.0) / 1000)
        self._complete(req)

    async def _app_set(self, req: AppRequest) -> None:
        self.emit(self.channel.execute("set", req.data, req.app_uuid))
        name, _, value = req.data.partition("=")
        if name:
            self.channel.set_var(name.strip(), value)
        self._complete(req)

    async def _app_answer(self, req: AppRequest) -> None:
        self.emit(self.channel.execute(req.app, req.data, req.app_uuid))
        self._complete(req)

    _app_pre_answer = _app_answer

    async def _app_record_session(self, req: AppRequest) -> None:
        self.emit(self.channel.execute(req.app, req.data, req.app_uuid))
        self.start_recording(req.data.strip())
        self._complete(req)

    async def _app_stop_record_session(self, req: AppRequest) -> None:
        self.emit(self.channel.execute(req.app, req.data, req.app_uuid))
        self.stop_recording(req.data.strip() or "all")
        self._complete(req)

    async def _app_transfer(self, req: AppRequest) -> None:
        self.emit(self.channel.execute(req.app, req.data, req.app_uuid))
        self.channel.set_var("transfer_destination", req.data.strip())
        self._complete(req)
        # the caller now talks to the agent, not the robot: the persona stops reacting,
        # and the conversation ends from the far side after a while
        self.transferred = True
        for task in list(self.persona_tasks):
            task.cancel()
        self.spawn(self.caller.give_up(self.agent_talk_s), self.persona_tasks)

    @property
    def asr_reaches_esl(self) -> bool:
        """fire_asr_events (set when detect_speech started) or an outbound divert."""
        return self.asr_fires or self.divert_events

    async def _app_avmd_start(self, req: AppRequest) -> None:
        self.emit(self.channel.execute(req.app, req.data, req.app_uuid))
        if not self.avmd_since_us:
            self.avmd_since_us = self.now_us()
            self.emit(self.channel.avmd("avmd::start", [("Start-time", str(self.avmd_since_us))]))
        self._complete(req)

    async def _app_avmd_stop(self, req: AppRequest) -> None:
        self.emit(self.channel.execute(req.app, req.data, req.app_uuid))
        if self.avmd_since_us:
            status = "DETECTED" if self.caller.beeped else "NOTDETECTED"
            total = str(self.now_us() - self.avmd_since_us)
            self.emit(
                self.channel.avmd("avmd::stop", [("Beep-Status", status), ("Total-time", total)])
            )
            self.avmd_since_us = 0
        self._complete(req)

    async def _app_socket(self, req: AppRequest) -> None:
        """Outbound ESL: connect to the robot, park (async), end the call when it leaves."""
        self.emit(self.channel.execute("socket", req.data, req.app_uuid))
        link = await self.connector(self, req.data) if self.connector is not None else None
        if link is None:  # "Socket Error!": the app returns and nothing is left to run
            self._complete(req)
            self.request_hangup("NORMAL_CLEARING", after_apps=True)
            return
        if link.async_mode and self.up:
            self.emit(self.channel._event("CHANNEL_PARK"))
        gone: asyncio.Future[Any] = asyncio.ensure_future(link.finished.wait())
        down: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(self._hangup))
        await asyncio.wait({gone, down}, return_when=asyncio.FIRST_COMPLETED)
        down.cancel()
        gone.cancel()
        self._complete(req)
        if self.up:  # the robot closed the socket: park ends, the call hangs up
            self.request_hangup("NORMAL_CLEARING", after_apps=True)


def _seconds(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default
