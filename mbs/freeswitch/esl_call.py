"""One call of the ``esl`` backend: the channel's events turned into say/listen/hangup.

The client hands the call its channel's events (routed by Unique-ID) as it reads them,
with no queue or task in between, and the call keeps the state the robot's operations wait on: answered, hung up (and why), the playbacks in
flight (correlated by the ``{mbs_play_id=..}`` variable FreeSWITCH copies into
PLAYBACK_* headers and Application-Data), applications run through ``sendmsg`` (by
Event-UUID = Application-UUID), and what the prospect did (DETECTED_SPEECH from the
switch's recogniser, DTMF) queued for ``listen()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mbs.freeswitch.client import ConnectionLost, EslClient
from mbs.freeswitch.esl import (
    CommandReply,
    EslError,
    Headers,
    PlainEvent,
    SendMsg,
    SwitchEvent,
    url_decode,
)
from mbs.freeswitch.ids import new_hex, new_uuid
from mbs.runtime.builtins.base import SpeechUpdate
from mbs.runtime.telephony import Heard, HeardKind, PlayOutcome

if TYPE_CHECKING:
    from mbs.freeswitch.backend import EslBackendConfig

log = logging.getLogger(__name__)

_PLAY_ID = re.compile(r"mbs_play_id=([^,}\s]+)")
_PLAY_FAILURES = ("FILE NOT FOUND", "PLAYBACK ERROR")
# events whose channel variables the call keeps (the others carry the same ones again)
_VARIABLE_SNAPSHOTS = frozenset(
    {
        "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_ANSWER",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
    }
)


class PlaybackFailed(EslError):
    """The switch could not play a prompt (missing file, bad format)."""


class AudioStreamFailed(EslError):
    """The call's audio fork broke (bad frames, silence, no connection): nothing can be
    heard any more, so the call ends as a technical error with this cause."""


def event_time_us(event: SwitchEvent) -> int:
    value = event.headers.get("Event-Date-Timestamp", "")
    return int(value) if value.isdigit() else 0


def speech_result(body: str) -> tuple[str, float]:
    """Text and confidence of a DETECTED_SPEECH body: plain text, or JSON (``return-json``)."""
    text = body.strip()
    if text.startswith("{"):
        with contextlib.suppress(ValueError):
            data = json.loads(text)
            if isinstance(data, dict):
                conf = data.get("confidence", 1.0)
                return str(data.get("text", "")).strip(), float(conf) if isinstance(
                    conf, int | float
                ) else 1.0
    return text, 1.0


@dataclass
class _Play:
    play_id: str
    done: asyncio.Future[str]  # the Playback-Status (done|break), or an exception
    started: float = 0.0  # loop time the broadcast was asked for
    length_s: float | None = None  # how long the prompt lasts, when we can tell


def prompt_seconds(path: str) -> float | None:
    """A prompt's length, known on our side: ``silence_stream://MS`` or a local WAV file."""
    if path.startswith("silence_stream://"):
        ms = path[len("silence_stream://") :].split(",", 1)[0]
        return int(ms) / 1000 if ms.isdigit() and int(ms) > 0 else None
    try:
        with wave.open(path, "rb") as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (OSError, EOFError, wave.Error):
        return None


def parse_dump(text: str) -> Headers:
    """``uuid_dump`` output (``Name: url-encoded value`` lines) as headers."""
    pairs = []
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name:
            pairs.append((name, url_decode(value)))
    return Headers(pairs)


# What a transfer may name, whole (``fullmatch``): a number or an extension of the
# ``mbs`` context, or an endpoint (``user/1000``, ``sofia/gateway/gw/0612345678``). The
# destination is a template over the contact and the captures, so nothing that could
# end the argument (space, quote), start another inline application (``^``, ``,``),
# ring several endpoints (``|``) or set variables (``{``, ``$``) gets through.
_EXTENSION = re.compile(r"\+?[A-Za-z0-9_.-]{1,64}")
_ENDPOINT = re.compile(r"[A-Za-z0-9_]{1,32}(?:/[A-Za-z0-9@._+-]{1,128}){1,4}")


def transfer_command(uuid: str, destination: str, context: str) -> str | None:
    """The ``uuid_transfer`` of a call to ``destination``, or None when it is not one a
    transfer may name. An endpoint (it has a ``/``) is bridged by an inline dialplan, the
    call hung up after the bridge; anything else is an extension of the ``mbs`` dialplan
    context (``dialplan/mbs.xml`` bridges a number through the trunk): without a context,
    FreeSWITCH would look for it in the channel's own, ``default``."""
    if _ENDPOINT.fullmatch(destination):
        inline = f"m:^:set:hangup_after_bridge=true^bridge:{destination}"
        return f"uuid_transfer {uuid} '{inline}' inline"
    if _EXTENSION.fullmatch(destination):
        return f"uuid_transfer {uuid} {destination} XML {context}"
    return None


class EslCall:
    """Implements ``mbs.runtime.telephony.Call`` over one FreeSWITCH channel."""

    def __init__(
        self,
        client: EslClient,
        uuid: str,
        call_id: str,
        config: EslBackendConfig,
        on_event: Callable[[SwitchEvent], None] | None = None,
    ) -> None:
        self.client = client
        self.uuid = uuid
        self._call_id = call_id
        self.config = config
        loop = asyncio.get_running_loop()
        self.answered: asyncio.Future[SwitchEvent] = loop.create_future()
        self.hung_up: asyncio.Future[str] = loop.create_future()  # the hangup cause
        self.progress = asyncio.Event()  # ringing or early media
        self.variables: dict[str, str] = {}
        self._on_event = on_event
        self._plays: dict[str, _Play] = {}
        self._apps: dict[str, asyncio.Future[SwitchEvent]] = {}
        self._heard: deque[Heard] = deque()
        self._heard_signal = asyncio.Event()
        self._speech_started = asyncio.Event()  # barge-in trigger
        self._speaking_since_us = 0  # begin-speaking time of the utterance in progress
        self.transferred_to: str | None = None
        self.originate: asyncio.Future[Any] | None = None  # the dial's bgapi job
        self._background: set[asyncio.Future[None]] = set()
        client.route_channel(uuid, self._deliver)
        self.audio_failure = ""  # why the audio fork stopped hearing (ForkListener.failed)

    @property
    def call_id(self) -> str:
        return self._call_id

    @property
    def is_up(self) -> bool:
        return not self.hung_up.done()

    # ------------------------------------------------------------------ events

    def _deliver(self, event: SwitchEvent) -> None:
        try:
            self._handle(event)
        except Exception:
            log.exception("call %s: bad event %s", self.uuid, event.name)
        if self._on_event is not None:
            self._on_event(event)

    def _handle(self, event: SwitchEvent) -> None:
        name = event.name
        h = event.headers
        if name in _VARIABLE_SNAPSHOTS or (
            name == "CHANNEL_EXECUTE_COMPLETE" and h.get("Application") != "playback"
        ):  # the channel's variables, where they change (not on every prompt's events)
            for key, value in h.pairs:
                if key.startswith("variable_"):
                    self.variables[key[9:]] = value
        if name == "CHANNEL_ANSWER":
            if not self.answered.done():
                self.answered.set_result(event)
        elif name in ("CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"):
            self.progress.set()
        elif name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
            self.mark_hung_up(h.get("Hangup-Cause") or "NORMAL_CLEARING")
        elif name == "PLAYBACK_STOP":
            play = self._plays.get(h.get("mbs_play_id", ""))
            if play is not None and not play.done.done():
                play.done.set_result(h.get("Playback-Status", "done"))
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            self._execute_complete(event)
        elif name == "DETECTED_SPEECH":
            self._speech(event)
        elif name == "DTMF":
            digit = h.get("DTMF-Digit", "")
            if digit:
                self._push(Heard(HeardKind.DTMF, digit=digit))
                self._speech_started.set()

    def _execute_complete(self, event: SwitchEvent) -> None:
        h = event.headers
        waiter = self._apps.get(h.get("Application-UUID", ""))
        if waiter is not None and not waiter.done():
            waiter.set_result(event)
        if h.get("Application") == "playback":
            found = _PLAY_ID.search(h.get("Application-Data", ""))
            play = self._plays.get(found.group(1)) if found else None
            if play is None or play.done.done():
                return
            response = h.get("Application-Response", "")
            if response in _PLAY_FAILURES:
                play.done.set_exception(PlaybackFailed(f"{response}: {h.get('Application-Data')}"))
            else:  # completed without a PLAYBACK_STOP we saw
                play.done.set_result("done")

    def _speech(self, event: SwitchEvent) -> None:
        kind = event.headers.get("Speech-Type", "")
        if kind == "begin-speaking":
            self._began_speaking(event_time_us(event))
        elif kind == "detected-partial-speech":
            text, _ = speech_result(event.body)
            self._partial(text, event_time_us(event))
        elif kind == "detected-speech":
            text, confidence = speech_result(event.body)
            began, ended = self._speaking_since_us, event_time_us(event)
            duration = (ended - began) // 1000 if began and ended > began else 0
            self._utterance(text, confidence, duration)
            if self.config.asr_resume:
                task = asyncio.ensure_future(
                    self._quietly(self.execute("detect_speech", "resume", wait=False))
                )
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    def _began_speaking(self, at_us: int) -> None:
        self._speaking_since_us = at_us or 1
        self._speech_started.set()

    def _partial(self, text: str, at_us: int) -> None:
        if len(text) >= self.config.barge_in_min_chars:
            if not self._speaking_since_us:
                self._speaking_since_us = at_us or 1
            self._speech_started.set()

    def _utterance(self, text: str, confidence: float, duration_ms: int) -> None:
        self._speaking_since_us = 0
        if text:
            self._push(
                Heard(HeardKind.UTTERANCE, text, confidence=confidence, duration_ms=duration_ms)
            )

    # ------------------------------------------------ the audio fork (ForkListener)

    def heard(self, update: SpeechUpdate) -> None:
        """What the streaming recogniser heard on this call's audio fork."""
        if update.kind == "start":
            self._began_speaking(int(time.time() * 1_000_000))
        elif update.kind == "partial":
            self._partial(update.text, int(time.time() * 1_000_000))
        elif update.kind == "final":
            self._utterance(update.text, update.confidence, update.duration_ms)

    def failed(self, cause: str) -> None:
        """The audio fork broke: the next listen() ends the call with this cause."""
        if not self.audio_failure:
            self.audio_failure = cause
            self._speaking_since_us = 0
            self._heard_signal.set()

    def _push(self, heard: Heard) -> None:
        self._heard.append(heard)
        self._heard_signal.set()

    def mark_hung_up(self, cause: str) -> None:
        if self.hung_up.done():
            return
        self.hung_up.set_result(cause)
        for play in self._plays.values():
            if not play.done.done():
                play.done.set_result("hangup")
        for waiter in self._apps.values():
            if not waiter.done():
                waiter.cancel()
        self._heard_signal.set()

    async def close(self) -> None:
        """Stop following the channel (after its hangup)."""
        self.client.close_channel(self.uuid)

    @staticmethod
    async def _quietly(coro: object) -> None:
        with contextlib.suppress(EslError, asyncio.CancelledError):
            await coro  # type: ignore[misc]

    # ------------------------------------------------------------------ commands

    async def execute(
        self, app: str, arg: str = "", *, wait: bool = True, timeout_s: float | None = None
    ) -> SwitchEvent | None:
        """Run a dialplan application on the channel (``sendmsg`` execute, Event-UUID)."""
        app_uuid = new_uuid()
        waiter: asyncio.Future[SwitchEvent] = asyncio.get_running_loop().create_future()
        if wait:
            self._apps[app_uuid] = waiter
        headers = [
            ("call-command", "execute"),
            ("execute-app-name", app),
            ("execute-app-arg", arg),
            ("Event-UUID", app_uuid),
        ]
        message = SendMsg(self.uuid, Headers(headers))
        try:
            try:
                reply = await self.client.command(message)
            except ConnectionLost:  # as api(): once more on the new link (same Event-UUID)
                log.warning("call %s: link lost during sendmsg %s, retrying", self.uuid, app)
                reply = await self.client.command(message)
            if isinstance(reply, CommandReply) and not reply.ok:
                raise EslError(f"sendmsg {app}: {reply.reply_text}")
            if not wait:
                return None
            hangup: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(self.hung_up))
            try:
                done, _ = await asyncio.wait(
                    {waiter, hangup}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                hangup.cancel()
            return waiter.result() if waiter in done and not waiter.cancelled() else None
        finally:
            self._apps.pop(app_uuid, None)

    async def resync(self) -> None:
        """After a reconnect: learn from ``uuid_dump`` what the lost events said.

        A channel gone is hung up (``lost_cause``); an answer or a hang-up we missed is
        taken as if its event had come; a prompt whose PLAYBACK_STOP may have been lost
        is taken as played once its known length (plus ``break_timeout_s``) is over.
        """
        dump = await self.client.api(f"uuid_dump {self.uuid}")  # no retry: rerun per link
        if dump.startswith("-"):
            if "No such channel" not in dump:  # a switch without uuid_dump
                dump = await self.client.api(f"uuid_exists {self.uuid}")
                if dump.strip() == "true":
                    return
            # gone, unless the originate has not reached the switch yet (it may still)
            if self.answered.done() or self.originate is None or self.originate.done():
                self.mark_hung_up(self.config.lost_cause)
            return
        headers = parse_dump(dump)
        for key, value in headers.pairs:
            if key.startswith("variable_"):
                self.variables[key[9:]] = value
        state = headers.get("Answer-State", "")
        if state == "hangup":
            self.mark_hung_up(headers.get("Hangup-Cause") or self.config.lost_cause)
            return
        if state == "early":
            self.progress.set()
        if state == "answered" and not self.answered.done():
            self.progress.set()
            self.answered.set_result(PlainEvent(headers))
        loop = asyncio.get_running_loop()
        for play in self._plays.values():
            if play.length_s is None or play.done.done():
                continue
            left = play.started + play.length_s - loop.time() + self.config.break_timeout_s
            loop.call_later(max(0.0, left), self._assume_played, play)

    @staticmethod
    def _assume_played(play: _Play) -> None:
        if not play.done.done():
            play.done.set_result("done")

    async def exists(self) -> bool:
        """Ask the switch whether the channel is still there (marks it hung up if not)."""
        if (await self.api(f"uuid_exists {self.uuid}")).strip() == "true":
            return True
        self.mark_hung_up(self.config.lost_cause)
        return False

    async def api(self, command: str) -> str:
        """``api`` once more after a reconnect when the link broke under it.

        The first attempt may or may not have run: every command used here is harmless
        twice (a prompt replayed at worst), which beats failing the call.
        """
        try:
            return await self.client.api(command)
        except ConnectionLost:
            log.warning("call %s: link lost during %s, retrying", self.uuid, command.split()[0])
            return await self.client.api(command)

    async def api_ok(self, command: str) -> bool:
        body = await self.api(command)
        if not body.startswith("+OK"):
            log.info("call %s: %s -> %s", self.uuid, command.split(" ")[0], body.strip())
            return False
        return True

    # ------------------------------------------------------------------ Call

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> PlayOutcome:
        if audio is not None:
            return await self.play(str(audio), barge_in=barge_in)
        # no audio for this text (a TTS that makes none): hold the line for its length
        ms = max(600, int(len(text.split()) / 2.5 * 1000))
        return await self.play(f"silence_stream://{ms}", barge_in=barge_in)

    async def play(self, path: str, *, barge_in: bool) -> PlayOutcome:
        if not self.is_up:
            return PlayOutcome.HANGUP
        if any(c.isspace() for c in path):  # uuid_broadcast splits its arguments on spaces
            raise PlaybackFailed(f"a prompt path cannot contain spaces on FreeSWITCH: {path!r}")
        play_id = new_hex(16)
        loop = asyncio.get_running_loop()
        length = prompt_seconds(path)
        if length is not None:
            length /= self.config.media_time_scale
        play = _Play(play_id, loop.create_future(), loop.time(), length)
        self._plays[play_id] = play
        if barge_in:
            self._speech_started.clear()
        try:
            target = f"{{mbs_play_id={play_id}}}{path}"
            if not await self.api_ok(f"uuid_broadcast {self.uuid} {target} aleg"):
                if not self.is_up or not await self.exists():
                    return PlayOutcome.HANGUP
                raise PlaybackFailed(f"the switch refused to play {path}")
            waits: set[asyncio.Future[Any]] = {play.done}
            speech: asyncio.Task[bool] | None = None
            if barge_in:
                speech = asyncio.ensure_future(self._speech_started.wait())
                waits.add(speech)
            try:
                await asyncio.wait(
                    waits, timeout=self.config.play_timeout_s, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                if speech is not None:
                    speech.cancel()
            if play.done.done():
                status = play.done.result()  # raises PlaybackFailed
                if status == "hangup" or not self.is_up:
                    return PlayOutcome.HANGUP
                if status == "break":
                    if self._heard:  # a DTMF terminator stopped it
                        return PlayOutcome.INTERRUPTED
                    # not us: the caller hanging up stops the prompt before HANGUP comes
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            asyncio.shield(self.hung_up), self.config.break_timeout_s
                        )
                    if not self.is_up:
                        return PlayOutcome.HANGUP
                return PlayOutcome.DONE
            if barge_in and self._speech_started.is_set():
                await self._break(play)
                return PlayOutcome.HANGUP if not self.is_up else PlayOutcome.INTERRUPTED
            log.warning("call %s: playback of %s did not end in time", self.uuid, path)
            await self._break(play)
            return PlayOutcome.DONE if self.is_up else PlayOutcome.HANGUP
        finally:
            self._plays.pop(play_id, None)

    async def _break(self, play: _Play) -> None:
        """Barge-in: stop the prompt (and anything queued after it) at once.

        A link lost meanwhile gets one more try on the new link; then the prompt is left
        to end by itself (the wait below is bounded)."""
        command = f"uuid_break {self.uuid} all"
        for attempt in (1, 2):
            try:
                await self.client.bgapi(command, timeout_s=self.config.command_timeout_s)
                break
            except ConnectionLost:
                log.warning("call %s: link lost during uuid_break (attempt %d)", self.uuid, attempt)
        with contextlib.suppress(TimeoutError, PlaybackFailed):
            await asyncio.wait_for(asyncio.shield(play.done), self.config.break_timeout_s)

    async def listen(self, timeout_s: float) -> Heard:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        extended = False
        while True:
            if self._heard:
                return self._heard.popleft()
            if not self.is_up:
                return Heard(HeardKind.HANGUP)
            if self.audio_failure:
                raise AudioStreamFailed(f"the call's audio stream failed: {self.audio_failure}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                if extended or not self._speaking_since_us:
                    return Heard(HeardKind.SILENCE)
                # the prospect is mid-sentence: give the recogniser time to finish
                deadline = loop.time() + self.config.utterance_grace_s
                extended = True
                continue
            self._heard_signal.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._heard_signal.wait(), remaining)

    async def greeting_begun(self, timeout_s: float) -> bool:
        """Wait until the callee starts speaking (or something was heard, or the call
        ended), at most ``timeout_s``; whether a greeting began."""
        if self.speaking or self._heard:
            return True
        waits: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(self._speech_started.wait()),
            asyncio.ensure_future(self._heard_signal.wait()),
        ]
        try:
            await asyncio.wait(
                [*waits, self.hung_up], timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waits:
                w.cancel()
        return self.speaking or bool(self._heard)

    def take_heard(self) -> list[Heard]:
        """Everything heard so far, removed from the queue (the AMD greeting)."""
        items = list(self._heard)
        self._heard.clear()
        return items

    def push_front(self, heard: Heard) -> None:
        self._heard.appendleft(heard)
        self._heard_signal.set()

    @property
    def speaking(self) -> bool:
        return bool(self._speaking_since_us)

    async def transfer(self, destination: str) -> bool:
        if not self.is_up:
            return False
        command = transfer_command(self.uuid, destination, self.config.transfer_context)
        if command is None:
            log.warning("call %s: %r is not a number nor an endpoint", self.uuid, destination)
            return False
        ok = await self.api_ok(command)
        if ok:
            self.transferred_to = destination
        return ok

    async def hangup(self) -> None:
        if not self.is_up:
            return
        with contextlib.suppress(EslError):
            await self.client.bgapi(
                f"uuid_kill {self.uuid}", timeout_s=self.config.command_timeout_s
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.hung_up), self.config.hangup_timeout_s)
