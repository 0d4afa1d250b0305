"""mod_audio_fork for a simulated call: the caller's voice, as L16, to a websocket.

``uuid_audio_fork UUID start ws://host:port/path mono|mixed|stereo 8000|16000 [...]``
(drachtio/drachtio-freeswitch-modules) opens a websocket (subprotocol
``audio.drachtio.org``), sends one text frame of metadata, then binary frames of 16-bit
little-endian PCM, 20 ms each, for as long as the fork runs. The simulator does the same,
paced by the simulated clock: silence, except while the persona talks, when the frames
carry its line spoken by espeak-ng (the simulator's ``voice``, French by default),
resampled to the fork's rate. The metadata is sent as given on the command line (the
switch does not read it).

Text frames coming back are the server's commands, turned into CUSTOM events with the
JSON ``data`` as body, as ``lws_glue.cpp`` does: ``{"type": "transcription", "data":
{...}}`` gives ``mod_audio_fork::transcription``; likewise ``playAudio`` (``play_audio``),
``killAudio`` (``kill_audio``), ``transfer``, ``disconnect``, ``error``, ``json``.
Around them: ``mod_audio_fork::connect``, ``::connect_failed``, ``::disconnect``.

A ``sim://`` URL streams nothing: the simulator then plays the transcriber itself and
fires ``mod_audio_fork::transcription`` with ``{"text", "final", "confidence"}`` for each
line the caller says (for tests of the event path without a speech server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from array import array
from collections import deque
from collections.abc import Callable
from typing import Any

import websockets

from mbs.audio.process import reap
from mbs.freeswitch.sim.clock import SimClock

FRAME_S = 0.02
SUBPROTOCOL = "audio.drachtio.org"
# server message type -> event subclass suffix (lws_glue.cpp processIncomingMessage)
MESSAGE_EVENTS = {
    "transcription": "transcription",
    "playAudio": "play_audio",
    "killAudio": "kill_audio",
    "transfer": "transfer",
    "disconnect": "disconnect",
    "error": "error",
    "json": "json",
}


_SPOKEN: dict[tuple[str, int, str], array[int]] = {}  # personas repeat their lines
_SPOKEN_MAX = 512


async def speak_pcm(text: str, rate: int, voice: str = "fr") -> array[int]:
    """``text`` said by espeak-ng in ``voice`` as 16-bit samples at ``rate`` (kept for
    the next caller who says the same line); a voiced buzz of the same length when
    espeak-ng is missing, so voice activity is still there."""
    key = (text, rate, voice)
    cached = _SPOKEN.get(key)
    if cached is not None:
        return cached
    samples = await _speak(text, rate, voice)
    if len(_SPOKEN) >= _SPOKEN_MAX:
        _SPOKEN.pop(next(iter(_SPOKEN)))
    _SPOKEN[key] = samples
    return samples


async def _speak(text: str, rate: int, voice: str) -> array[int]:
    from mbs.audio.pcm import pcm_to_samples, resample

    try:
        proc = await asyncio.create_subprocess_exec(
            "espeak-ng",
            "-v",
            voice,
            "--stdout",
            text,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            wav, _ = await proc.communicate()
        except BaseException:  # the call ended while speaking: no orphan espeak-ng
            await reap(proc)
            raise
        if proc.returncode == 0 and wav[:4] == b"RIFF" and len(wav) > 44:
            native = int.from_bytes(wav[24:28], "little")
            return await asyncio.to_thread(resample, pcm_to_samples(wav[44:]), native, rate)
    except OSError:
        pass
    seconds = max(0.4, len(text.split()) / 2.8)
    n = int(seconds * rate)
    return array(
        "h",
        (
            int(6000 * math.sin(2 * math.pi * 180 * i / rate) * (0.6 + 0.4 * math.sin(i / 900)))
            for i in range(n)
        ),
    )


class AudioFork:
    """One running fork. ``feed`` queues the caller's speech; ``stop`` ends the fork."""

    def __init__(
        self,
        url: str,
        rate: int,
        metadata: str,
        clock: SimClock,
        fire: Callable[[str, str | None], None],
    ) -> None:
        self.url = url
        self.rate = rate if rate in (8000, 16000, 24000, 32000, 48000, 64000) else 8000
        self.metadata = metadata
        self.clock = clock
        self.fire = fire  # (subclass suffix, body) -> CUSTOM mod_audio_fork::suffix
        self.simulated = url.startswith("sim:")
        self.connected = asyncio.Event()
        self._speech: deque[int] = deque()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.frames_sent = 0

    def start(self) -> None:
        if self.simulated:
            self.connected.set()
            self.fire("connect", None)
            return
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._closing = True
        if self.simulated:
            self.fire("disconnect", None)
            return
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def feed(self, samples: array[int]) -> None:
        """The caller speaks: ``samples`` (at the fork's rate) go out in the next frames."""
        if self.simulated or self._closing:
            return
        self._speech.extend(samples)

    def _frame(self) -> bytes:
        n = int(self.rate * FRAME_S)
        out = array("h", (self._speech.popleft() if self._speech else 0 for _ in range(n)))
        return out.tobytes()  # little-endian on the hosts we run on; FreeSWITCH sends L16 LE

    async def _run(self) -> None:
        try:
            ws = await websockets.connect(
                self.url, subprotocols=[websockets.Subprotocol(SUBPROTOCOL)], open_timeout=5
            )
        except (TimeoutError, OSError, websockets.WebSocketException):
            self.fire("connect_failed", json.dumps({"reason": "connection failed"}))
            return
        self.connected.set()
        self.fire("connect", None)
        reader = asyncio.ensure_future(self._read(ws))
        try:
            if self.metadata:
                await ws.send(self.metadata)
            start = self.clock.now()
            while not reader.done():
                due = int((self.clock.now() - start) / FRAME_S) - self.frames_sent
                for _ in range(max(0, min(due, 500))):
                    await ws.send(self._frame())
                    self.frames_sent += 1
                await asyncio.sleep(0.01)
        except websockets.ConnectionClosed:
            pass
        finally:
            reader.cancel()
            with contextlib.suppress(Exception):
                await ws.close()
            self.fire("disconnect", None)

    async def _read(self, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in ws:
                if not isinstance(message, str):
                    continue
                try:
                    doc = json.loads(message)
                except ValueError:
                    self.fire("error", json.dumps({"error": "invalid json", "message": message}))
                    continue
                kind = (
                    MESSAGE_EVENTS.get(str(doc.get("type", ""))) if isinstance(doc, dict) else None
                )
                if kind is None:
                    continue
                data = doc.get("data")
                self.fire(kind, json.dumps(data, ensure_ascii=False) if data is not None else None)
