"""``tts.espeak``: espeak-ng behind a content-addressed audio cache.

A robot says the same fixed lines thousands of times, so every file is named by the
sha256 of what determines its sound (engine, voice, rate, speed, text) and made once:
later calls, other workers sharing the directory and ``mbs tts prebuild`` all hit the
same file. Files are written to a temporary name and renamed into place, so a reader
never sees half a WAV; concurrent requests for one line in a process share one
synthesis.

espeak-ng writes 22050 Hz; the file is resampled to ``rate`` (8000 or 16000 Hz) with
sox when it is installed (``resampler = "auto"``), else with the pure-Python filter of
:mod:`mbs.audio.pcm`.

The agent's voice: ``gender`` (``male`` | ``female``) picks an espeak-ng variant
(``fr+m3`` / ``fr+f3``), and the scenario's personality sets the delivery: each
personality of the standard library has a speed and a pitch (``PROSODY``: ``doux``
slower and lower, ``dynamique`` faster and higher, ...); ``speed`` and ``pitch`` settings
override them.

Settings: ``voice`` (default: the scenario's ``voice``, else ``fr``), ``gender`` (male |
female, default: the voice's own), ``rate`` (8000 | 16000, default 8000: the call's
rate on a PCMU/PCMA trunk), ``speed`` (words per minute, default: the personality's,
else 165), ``pitch`` (0-99, default: the personality's, else 50), ``cache_dir``
(default ``var/tts-cache``), ``resampler`` (auto | sox | python), ``timeout`` (s, 20).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from mbs.audio.pcm import read_wav, resample, write_wav
from mbs.audio.process import reap
from mbs.program import Program
from mbs.runtime.builtins.base import BuiltinError, MissingDependency
from mbs.runtime.builtins.options import PATH, BuiltinOptions, read_options

_OWNER = "tts.espeak"
ENGINE = "espeak-ng"
RATES = (8000, 16000)
GENDERS = {"male": "m3", "female": "f3"}  # espeak-ng variants (voices/!v/m3, f3)
# (words per minute, pitch 0-99) per personality of the standard library
PROSODY: dict[str, tuple[int, int]] = {
    "professionnel": (165, 50),
    "commercial": (170, 52),
    "doux": (150, 44),
    "dynamique": (185, 58),
    "assertif": (170, 46),
    "expert": (160, 48),
    "consultative": (160, 50),
}
DEFAULT_PROSODY = (165, 50)


def cache_key(engine: str, voice: str, rate: int, speed: int, text: str, pitch: int = 50) -> str:
    """The content address of one synthesised line."""
    parts = [engine, voice, str(rate), str(speed), text]
    if pitch != 50:  # lines made before pitch was a setting keep their address
        parts.append(f"p{pitch}")
    material = "\x1f".join(parts)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


_AGENT_GENDER = {"f": "female", "m": "male"}  # Agent.gender -> espeak variant


class EspeakOptions(BuiltinOptions):
    voice: str | None = Field(
        default=None, description="espeak-ng voice; none: the scenario's voice, else fr"
    )
    gender: Literal["male", "female"] | None = Field(
        default=None, description="Voice variant; none: the scenario's agent, else the voice's own"
    )
    rate: int = Field(default=8000, description="Sample rate of the WAV files (Hz)")
    speed: int | None = Field(
        default=None,
        ge=80,
        le=450,
        description="Words per minute; none: the personality's, else 165",
    )
    pitch: int | None = Field(
        default=None, ge=0, le=99, description="0-99; none: the personality's, else 50"
    )
    cache_dir: str = Field(
        json_schema_extra=PATH,
        default="var/tts-cache",
        description="Where synthesised lines are kept (content-addressed); the campaign puts it under telephony.audio_dir",
    )
    timeout: float = Field(default=20.0, ge=0.1, description="Seconds one synthesis may take")
    resampler: Literal["auto", "sox", "python"] = Field(
        default="auto", description="How 22.05 kHz espeak output becomes `rate`"
    )

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: int) -> int:
        if value not in RATES:
            raise ValueError(f"must be one of {', '.join(str(r) for r in RATES)}, got {value}")
        return value


class EspeakTts:
    Options = EspeakOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        options = read_options(EspeakOptions, config, owner=_OWNER)
        voice = options.voice or program.scenario.voice or "fr"
        agent = program.scenario.agent
        # the agent declared in the scenario (`agent "Julie" ... feminine`) picks the voice
        gender = options.gender or _AGENT_GENDER.get(agent.gender if agent else "", "")
        if gender:
            voice = f"{voice.split('+', 1)[0]}+{GENDERS[gender]}"
        self.voice = voice
        self.rate = options.rate
        speed, pitch = PROSODY.get(program.scenario.personality or "", DEFAULT_PROSODY)
        self.speed = options.speed if options.speed is not None else speed
        self.pitch = options.pitch if options.pitch is not None else pitch
        self.cache_dir = Path(options.cache_dir)
        self.timeout = options.timeout
        resampler = options.resampler
        self.espeak = shutil.which("espeak-ng")
        if self.espeak is None:
            raise MissingDependency(
                f"{_OWNER}: espeak-ng is not installed (e.g. `apt-get install espeak-ng`)"
            )
        sox = shutil.which("sox")
        if resampler == "sox" and sox is None:
            raise MissingDependency(
                f"{_OWNER}: resampler 'sox' asked for, but sox is not installed"
            )
        self.sox = sox if resampler != "python" else None
        self.hits = 0  # lines served from the cache
        self.syntheses = 0  # espeak-ng runs
        self._pending: dict[str, asyncio.Future[None]] = {}

    # ------------------------------------------------------------------ public

    def path_for(self, text: str) -> Path:
        """Where the audio for ``text`` lives (whether or not it exists yet)."""
        key = cache_key(ENGINE, self.voice, self.rate, self.speed, text, self.pitch)
        return self.cache_dir / key[:2] / f"{key}.wav"

    async def synthesize(self, text: str) -> Path | None:
        text = " ".join(text.split())
        if not text:
            return None
        path = self.path_for(text)
        if path.exists():
            self.hits += 1
            return path
        task = self._pending.get(path.name)
        if task is not None:  # the same line is being made right now
            self.hits += 1
        else:
            # a task of its own: a caller that gives up (barge-in, hang-up) does not
            # cancel the synthesis the others wait for, and the line still gets cached
            task = asyncio.ensure_future(self._make(text, path))
            self._pending[path.name] = task
            task.add_done_callback(lambda done: self._finished(path.name, done))
        await asyncio.shield(task)
        return path

    def _finished(self, name: str, task: asyncio.Future[None]) -> None:
        self._pending.pop(name, None)
        if not task.cancelled():
            task.exception()  # retrieved here; the callers re-raise it themselves

    # ----------------------------------------------------------------- private

    async def _make(self, text: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, raw_name = tempfile.mkstemp(prefix=".espeak-", suffix=".wav", dir=path.parent)
        os.close(fd)
        raw = Path(raw_name)
        final = raw.with_name(raw.name.replace(".espeak-", ".rate-"))
        try:
            await self._run(
                [
                    self.espeak or ENGINE,
                    "-v",
                    self.voice,
                    "-s",
                    str(self.speed),
                    "-p",
                    str(self.pitch),
                    "--stdin",
                    "-w",
                    str(raw),
                ],
                stdin=text.encode("utf-8"),
                what="espeak-ng",
            )
            self.syntheses += 1
            if self.sox is not None:
                await self._run(
                    [
                        self.sox,
                        "-q",
                        str(raw),
                        "-r",
                        str(self.rate),
                        "-b",
                        "16",
                        "-c",
                        "1",
                        str(final),
                    ],
                    stdin=None,
                    what="sox",
                )
            else:
                samples, rate_in = await asyncio.to_thread(read_wav, raw)
                converted = await asyncio.to_thread(resample, samples, rate_in, self.rate)
                await asyncio.to_thread(write_wav, final, converted, self.rate)
            os.replace(final, path)
        finally:
            for leftover in (raw, final):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    async def _run(self, argv: list[str], *, stdin: bytes | None, what: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, err = await asyncio.wait_for(proc.communicate(stdin), self.timeout)
        except BaseException as exc:  # too slow, or the call ended: no orphan process
            await reap(proc)
            if isinstance(exc, TimeoutError):
                raise BuiltinError(
                    f"{_OWNER}: {what} took longer than {self.timeout:g} s"
                ) from None
            raise
        if proc.returncode != 0:
            detail = err.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
            raise BuiltinError(f"{_OWNER}: {what} failed (voice {self.voice!r}): {detail}")
