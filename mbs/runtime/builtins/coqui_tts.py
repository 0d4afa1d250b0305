"""``tts.coqui``: Coqui XTTS v2, the agent's voice cloned from a reference recording.

Optional (``pip install 'mbs[coqui]'``, the maintained ``coqui-tts`` distribution, which
keeps the ``TTS.api`` module) and heavy: the model is a local checkpoint folder
(``config.json`` and the weights), loaded once with ``TTS(model_path=...,
config_path=...)`` so nothing is downloaded at run time. Each line is
``tts_to_file(text=..., speaker_wav=REFERENCE, language=..., file_path=...)``; XTTS
speaks at 24 kHz, and the file is resampled to the call's rate and kept in the same
content-addressed cache as espeak-ng's (the key adds the reference WAV's sha256, so a new
recording of the agent makes new files). One line is synthesised at a time per model
(PyTorch inference is not re-entrant on one model).

Settings: ``model_dir`` (required: the XTTS checkpoint folder), ``speaker_wav``
(required: a few seconds of the agent's voice, WAV), ``language`` (``fr``), ``rate``
(8000 | 16000, default 8000), ``device`` (``cpu`` or ``cuda``), ``cache_dir``
(``var/tts-cache``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from mbs.audio.pcm import read_wav, resample, write_wav
from mbs.program import Program
from mbs.runtime.builtins.base import BuiltinError, MissingDependency
from mbs.runtime.builtins.espeak_tts import RATES, cache_key
from mbs.runtime.builtins.options import PATH, BuiltinOptions
from mbs.runtime.builtins.settings import get_int, get_str

_OWNER = "tts.coqui"
ENGINE = "coqui-xtts"


class CoquiOptions(BuiltinOptions):
    model_dir: str = Field(
        json_schema_extra=PATH, description="A local XTTS checkpoint folder (with config.json)"
    )
    speaker_wav: str = Field(
        json_schema_extra=PATH, description="A WAV of the agent's voice, to clone"
    )
    language: str = Field(default="fr", description="Language of the lines")
    rate: int = Field(default=8000, description="Sample rate of the WAV files (Hz): 8000 or 16000")
    device: str = Field(default="cpu", description="Where the model runs (cpu, cuda)")
    cache_dir: str = Field(
        json_schema_extra=PATH,
        default="var/tts-cache",
        description="Where synthesised lines are kept",
    )


class CoquiTts:
    Options = CoquiOptions
    requires = ("TTS",)  # imported when built: checked by `mbs campaign check`

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        try:
            from TTS.api import TTS
        except ImportError as exc:
            raise MissingDependency(
                f"the coqui TTS needs `pip install 'mbs[coqui]'` ({exc})", extra="coqui"
            ) from exc
        model_dir = Path(get_str(config, "model_dir", "", owner=_OWNER)).expanduser()
        if not str(model_dir) or str(model_dir) == "." or not (model_dir / "config.json").is_file():
            raise MissingDependency(
                f"{_OWNER}: model_dir must be a local XTTS checkpoint folder with config.json "
                f"(got {str(model_dir)!r})"
            )
        speaker = Path(get_str(config, "speaker_wav", "", owner=_OWNER)).expanduser()
        if not speaker.is_file():
            raise BuiltinError(
                f"{_OWNER}: speaker_wav must be a WAV of the agent's voice (got {str(speaker)!r})"
            )
        self.speaker_wav = speaker
        self.language = get_str(config, "language", "fr", owner=_OWNER)
        self.rate = get_int(config, "rate", 8000, owner=_OWNER, choices=RATES)
        self.cache_dir = Path(get_str(config, "cache_dir", "var/tts-cache", owner=_OWNER))
        device = get_str(config, "device", "cpu", owner=_OWNER)
        self._voice = f"{self.language}:{hashlib.sha256(speaker.read_bytes()).hexdigest()[:16]}"
        try:
            model: Any = TTS(
                model_path=str(model_dir),
                config_path=str(model_dir / "config.json"),
                progress_bar=False,
            )
            self._model = model.to(device)
        except Exception as exc:  # torch and the checkpoint loader raise many kinds
            raise BuiltinError(f"{_OWNER}: cannot load the model in {model_dir}: {exc}") from exc
        self._lock = asyncio.Lock()
        self.syntheses = 0
        self.hits = 0

    def path_for(self, text: str) -> Path:
        key = cache_key(ENGINE, self._voice, self.rate, 0, text)
        return self.cache_dir / key[:2] / f"{key}.wav"

    async def synthesize(self, text: str) -> Path | None:
        text = " ".join(text.split())
        if not text:
            return None
        path = self.path_for(text)
        if path.exists():
            self.hits += 1
            return path
        async with self._lock:
            if path.exists():  # made while we waited
                self.hits += 1
                return path
            await asyncio.to_thread(self._make, text, path)
        return path

    def _make(self, text: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, raw_name = tempfile.mkstemp(prefix=".xtts-", suffix=".wav", dir=path.parent)
        os.close(fd)
        raw = Path(raw_name)
        final = raw.with_name(raw.name.replace(".xtts-", ".rate-"))
        try:
            try:
                self._model.tts_to_file(
                    text=text,
                    speaker_wav=str(self.speaker_wav),
                    language=self.language,
                    file_path=str(raw),
                )
            except Exception as exc:
                raise BuiltinError(f"{_OWNER}: synthesis failed: {exc}") from exc
            self.syntheses += 1
            try:
                samples, rate_in = read_wav(raw)
            except Exception as exc:
                raise BuiltinError(f"{_OWNER}: the model wrote no usable WAV: {exc}") from exc
            write_wav(final, resample(samples, rate_in, self.rate), self.rate)
            os.replace(final, path)
        finally:
            for leftover in (raw, final):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
