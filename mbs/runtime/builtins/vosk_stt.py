"""``stt.vosk``: offline French speech recognition with Vosk (Kaldi), WebRTC VAD around it.

Optional: ``pip install 'mbs[vosk]'`` brings the library; the acoustic model is a
directory to download once (e.g. vosk-model-small-fr-0.22 or vosk-model-fr-0.22) and
name in ``model``. The model is loaded once per builtin and shared by every call; each
utterance gets its own recogniser.

Only the speech is recognised: the voice detector (:mod:`.vad`) trims the silence
around it, which spares the recogniser work and keeps line noise out of the text. On a
live stream, :meth:`VoskStt.transcribe_stream` stops listening when the prospect has
finished (``end_ms`` of silence after speech).

On the campaign path the call's audio arrives as a stream (the audio fork):
:meth:`VoskStt.open_stream` gives a :class:`VoskStream` that the voice detector gates.
It says when speech starts (barge-in), gives partial results while the prospect speaks
and a final one when they stop; only speech (plus ``pad_ms`` before it) reaches Kaldi.

Settings: ``model`` (a model directory, or the name of one installed by ``mbs models
install``; default ``$MBS_VOSK_MODEL``, else the current installed model), ``vad`` (0-3,
WebRTC aggressiveness, default 2), ``end_ms`` (silence that ends an utterance, 700),
``pad_ms`` (audio kept around the speech, 200), ``grammar`` (a list of phrases: the
recogniser then only hears those, and ``[unk]`` for anything else), ``partial_ms``
(how often a partial result is asked for while speech goes on, 200).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import deque
from collections.abc import AsyncIterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from mbs.program import Program
from mbs.runtime.builtins.base import BuiltinError, MissingDependency, SpeechUpdate
from mbs.runtime.builtins.models import current_model, models_dir
from mbs.runtime.builtins.options import PATH_OR_NAME, BuiltinOptions
from mbs.runtime.builtins.settings import get_int, get_str
from mbs.runtime.builtins.vad import SAMPLE_RATES, EndOfSpeech, speech_span

_OWNER = "stt.vosk"
_MODEL_HINT = (
    "install a French Vosk model once with `mbs models install vosk ARCHIVE --sha256 HEX` "
    "(e.g. vosk-model-small-fr-0.22.zip), or give its directory as the `model` setting "
    "or in MBS_VOSK_MODEL"
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
        json_schema_extra=PATH_OR_NAME,
        default=None,
        description="Vosk model directory or installed model name; none: $MBS_VOSK_MODEL, "
        "else the one `mbs models install vosk` made current",
    )
    vad: int = Field(default=2, ge=0, le=3, description="WebRTC VAD aggressiveness")
    end_ms: int = Field(default=700, ge=0, description="Silence (ms) that ends an utterance")
    pad_ms: int = Field(default=200, ge=0, description="Audio (ms) kept around the speech")
    partial_ms: int = Field(
        default=200, ge=0, description="How often (ms) partial results are read"
    )
    grammar: list[str] | None = Field(
        default=None, description="Phrases the recogniser is limited to (none: free speech)"
    )


class VoskStt:
    Options = VoskOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        vosk = _import_vosk()
        path = _model_path(get_str(config, "model", "", owner=_OWNER))
        self.aggressiveness = get_int(config, "vad", 2, owner=_OWNER, choices=(0, 1, 2, 3))
        self.end_ms = get_int(config, "end_ms", 700, owner=_OWNER)
        self.pad_ms = get_int(config, "pad_ms", 200, owner=_OWNER)
        self.partial_ms = get_int(config, "partial_ms", 200, owner=_OWNER)
        grammar = config.get("grammar")
        if grammar is not None and (
            not isinstance(grammar, list | tuple)
            or not grammar
            or not all(isinstance(g, str) and g.strip() for g in grammar)
        ):
            raise BuiltinError(f"{_OWNER}: setting 'grammar' must be a list of phrases")
        self.grammar: str | None = (
            json.dumps([*grammar, "[unk]"], ensure_ascii=False) if grammar else None
        )
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

    def recogniser(self, sample_rate: int) -> Any:
        """A fresh Kaldi recogniser (one per utterance), on the grammar when there is one."""
        if self.grammar is not None:
            return self._vosk.KaldiRecognizer(self.model, float(sample_rate), self.grammar)
        return self._vosk.KaldiRecognizer(self.model, float(sample_rate))

    def open_stream(self, sample_rate: int) -> VoskStream:
        self._check_rate(sample_rate)
        return VoskStream(self, sample_rate)

    def _recognise(self, pcm: bytes, sample_rate: int) -> str:
        recogniser = self.recogniser(sample_rate)
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


def _model_path(setting: str) -> Path:
    """The model folder: the setting (a folder, or an installed model's name), else
    $MBS_VOSK_MODEL, else the current installed model."""
    chosen = setting or os.environ.get("MBS_VOSK_MODEL", "")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_dir() and "/" not in chosen and (models_dir() / "vosk" / chosen).is_dir():
            path = models_dir() / "vosk" / chosen
        if not path.is_dir():
            raise MissingDependency(f"{_OWNER}: no model directory at {path}: {_MODEL_HINT}")
        return path
    current = current_model("vosk")
    if current is None:
        raise MissingDependency(f"{_OWNER}: no model given or installed: {_MODEL_HINT}")
    return current


def _text(result: str, key: str) -> str:
    try:
        value = json.loads(result).get(key, "")
    except (ValueError, AttributeError):
        return ""
    words = [w for w in str(value).split() if w != "[unk]"]
    return " ".join(words)


class VoskStream:
    """One call's live audio: the voice detector gates a Kaldi recogniser.

    The detector decides (``EndOfSpeech``); when speech starts, the last ``pad_ms`` +
    the detector's start window of audio go to a new recogniser, then every frame until
    the speech ends, when the final result is taken. Partial results are asked for every
    ``partial_ms`` and reported when they change. CPU-bound: callers run ``feed`` in a
    worker thread while ``decoding`` (Kaldi releases the GIL), inline otherwise.
    """

    def __init__(self, stt: VoskStt, sample_rate: int) -> None:
        self.stt = stt
        self.rate = sample_rate
        self.detector = EndOfSpeech(
            sample_rate, aggressiveness=stt.aggressiveness, end_ms=stt.end_ms
        )
        self.frame_bytes = self.detector.frame_bytes
        keep_ms = stt.pad_ms + 300  # the detector's start window lies inside it
        self._recent: deque[bytes] = deque(maxlen=max(1, keep_ms // self.detector.frame_ms))
        self._pending = b""
        self._recogniser: Any = None  # while speech goes on
        self._spare: Any = None  # reset after its final result, ready for the next one
        self._since_partial = 0
        self._partial = ""
        self.heard_ms = 0

    @property
    def decoding(self) -> bool:
        return self._recogniser is not None

    def feed(self, pcm: bytes) -> list[SpeechUpdate]:
        data = self._pending + pcm
        usable = len(data) - len(data) % self.frame_bytes
        self._pending = data[usable:]
        updates: list[SpeechUpdate] = []
        for offset in range(0, usable, self.frame_bytes):
            self._frame(data[offset : offset + self.frame_bytes], updates)
        return updates

    def _frame(self, frame: bytes, updates: list[SpeechUpdate]) -> None:
        detector = self.detector
        was_speaking, ended = detector.in_speech, len(detector.segments)
        detector.feed(frame)
        self.heard_ms += detector.frame_ms
        self._recent.append(frame)
        if detector.in_speech and not was_speaking and self._recogniser is None:
            # a recogniser costs ~17 ms to build with a grammar: one per stream, reused
            self._recogniser = self._spare or self.stt.recogniser(self.rate)
            self._recogniser.AcceptWaveform(b"".join(self._recent))
            self._since_partial = 0
            self._partial = ""
            updates.append(SpeechUpdate("start"))
            return
        if self._recogniser is None:
            return
        self._recogniser.AcceptWaveform(frame)
        if len(detector.segments) > ended:
            updates.append(self._final(detector.segments[-1].duration_ms))
            return
        self._since_partial += detector.frame_ms
        if self._since_partial >= self.stt.partial_ms:
            self._since_partial = 0
            text = _text(self._recogniser.PartialResult(), "partial")
            if text and text != self._partial:
                self._partial = text
                updates.append(SpeechUpdate("partial", text))

    def _final(self, duration_ms: int) -> SpeechUpdate:
        text = _text(self._recogniser.FinalResult(), "text")  # also resets it
        self._spare, self._recogniser = self._recogniser, None
        return SpeechUpdate("final", text, duration_ms=duration_ms)

    def close(self) -> list[SpeechUpdate]:
        if self._recogniser is None:
            return []
        segments = self.detector.close()
        return [self._final(segments[-1].duration_ms if segments else 0)]
