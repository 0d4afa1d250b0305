"""``stt.vosk``: offline French speech recognition with Vosk (Kaldi), WebRTC VAD around it.

Optional: ``pip install 'mbs[vosk]'`` brings the library; the acoustic model is a
directory to download once (e.g. vosk-model-small-fr-0.22 or vosk-model-fr-0.22) and
name in ``model``. The model is loaded once per builtin and shared by every call; each
utterance gets its own recogniser.

Only the speech is recognised: the voice detector (:mod:`.vad`) trims the silence
around it, which spares the recogniser work and keeps line noise out of the text. On a
live stream, :meth:`VoskStt.transcribe_stream` stops listening when the prospect has
finished (``end_ms`` of silence after speech).

Settings: ``model`` (a model directory; default ``$MBS_VOSK_MODEL``), ``vad`` (0-3,
WebRTC aggressiveness, default 2), ``end_ms`` (silence that ends an utterance, 700),
``pad_ms`` (audio kept around the speech, 200).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from mbs.program import Program
from mbs.runtime.builtins.base import BuiltinError, MissingDependency
from mbs.runtime.builtins.options import BuiltinOptions
from mbs.runtime.builtins.settings import get_int, get_str
from mbs.runtime.builtins.vad import SAMPLE_RATES, EndOfSpeech, speech_span

_OWNER = "stt.vosk"
_MODEL_HINT = (
    "download a French Vosk model (e.g. vosk-model-small-fr-0.22), unpack it and give "
    "its directory as the `model` setting or in MBS_VOSK_MODEL"
)


def _import_vosk() -> Any:
    try:
        import vosk
    except ImportError as exc:
        raise MissingDependency(
            f"the vosk STT needs `pip install 'mbs[vosk]'` ({exc})", extra="vosk"
        ) from exc
    return vosk


class VoskOptions(BuiltinOptions):
    model: str | None = Field(
        default=None, description="Vosk model directory; none: $MBS_VOSK_MODEL"
    )
    vad: int = Field(default=2, ge=0, le=3, description="WebRTC VAD aggressiveness")
    end_ms: int = Field(default=700, ge=0, description="Silence (ms) that ends an utterance")
    pad_ms: int = Field(default=200, ge=0, description="Audio (ms) kept around the speech")


class VoskStt:
    Options = VoskOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        vosk = _import_vosk()
        model_dir = get_str(config, "model", os.environ.get("MBS_VOSK_MODEL", ""), owner=_OWNER)
        if not model_dir:
            raise MissingDependency(f"{_OWNER}: no model given: {_MODEL_HINT}")
        path = Path(model_dir).expanduser()
        if not path.is_dir():
            raise MissingDependency(f"{_OWNER}: no model directory at {path}: {_MODEL_HINT}")
        self.aggressiveness = get_int(config, "vad", 2, owner=_OWNER, choices=(0, 1, 2, 3))
        self.end_ms = get_int(config, "end_ms", 700, owner=_OWNER)
        self.pad_ms = get_int(config, "pad_ms", 200, owner=_OWNER)
        vosk.SetLogLevel(-1)
        try:
            self.model = vosk.Model(model_path=str(path))
        except Exception as exc:  # vosk raises a bare Exception on a bad directory
            raise MissingDependency(
                f"{_OWNER}: {path} is not a Vosk model ({exc}): {_MODEL_HINT}"
            ) from exc
        self._vosk = vosk

    def _check_rate(self, sample_rate: int) -> None:
        if sample_rate not in SAMPLE_RATES:
            raise BuiltinError(
                f"{_OWNER}: audio at {sample_rate} Hz; expected one of {SAMPLE_RATES}"
            )

    def _recognise(self, pcm: bytes, sample_rate: int) -> str:
        recogniser = self._vosk.KaldiRecognizer(self.model, float(sample_rate))
        step = sample_rate * 2 // 5  # 200 ms of 16-bit samples per call
        for offset in range(0, len(pcm), step):
            recogniser.AcceptWaveform(pcm[offset : offset + step])
        text = json.loads(recogniser.FinalResult()).get("text", "")
        return " ".join(str(text).split())

    async def transcribe(self, pcm: bytes, sample_rate: int) -> str:
        self._check_rate(sample_rate)
        speech = speech_span(
            pcm,
            sample_rate,
            pad_ms=self.pad_ms,
            aggressiveness=self.aggressiveness,
            end_ms=self.end_ms,
        )
        if not speech:
            return ""
        return await asyncio.to_thread(self._recognise, speech, sample_rate)

    async def transcribe_stream(self, chunks: AsyncIterable[bytes], sample_rate: int) -> str:
        """Listen to live audio until the prospect has spoken and gone quiet."""
        self._check_rate(sample_rate)
        detector = EndOfSpeech(sample_rate, aggressiveness=self.aggressiveness, end_ms=self.end_ms)
        heard = bytearray()
        async for chunk in chunks:
            heard += chunk
            if detector.feed(chunk):
                break
        return await self.transcribe(bytes(heard), sample_rate)
