"""Where speech starts and stops in 16-bit mono PCM, with WebRTC's voice detector.

The detector judges 10, 20 or 30 ms frames one by one; a single voiced frame is often a
click and a single unvoiced one a pause between syllables. :class:`EndOfSpeech` smooths
that the way a listener does: speech starts after ``start_ms`` of mostly voiced frames,
and ends after ``end_ms`` of silence. It works on a stream (``feed`` chunks as they
arrive, it says when the prospect has finished) and :func:`speech_segments` runs it over
a whole recording.

The detector's noise estimate needs about 100 ms of the line to settle and calls the
first frames of any signal speech, noise included; decisions in the first
``warmup_ms`` are therefore ignored (the audio itself is kept: callers pad the
segments they cut).

An energy floor keeps quiet line noise out: a frame quieter than ``min_rms`` (100, about
-50 dBFS; telephone speech sits around -30 to -20 dBFS) is never speech. Without it,
WebRTC's modes 1-2 called -60 dBFS white noise after loud speech "speech" for seconds
in our tests; mode 3 does not, but clips the soft start of words by ~90 ms, so mode 2
plus the floor is the default.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from operator import mul

import webrtcvad

from mbs.audio.pcm import pcm_to_samples

SAMPLE_RATES = (8000, 16000, 32000, 48000)
FRAME_MS = (10, 20, 30)


@dataclass(frozen=True, slots=True)
class Segment:
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


class EndOfSpeech:
    """Streaming speech detector: ``feed`` PCM, read ``segments`` and ``finished``.

    ``aggressiveness`` (0-3) is WebRTC's: higher rejects more noise as non-speech.
    Speech starts when at least ``ratio`` of the frames of the last ``start_ms`` are
    voiced (the segment then begins at the first of those frames), and ends after
    ``end_ms`` without a voiced frame (the segment ends after its last voiced frame).
    """

    def __init__(
        self,
        sample_rate: int,
        *,
        aggressiveness: int = 2,
        frame_ms: int = 30,
        start_ms: int = 150,
        end_ms: int = 700,
        ratio: float = 0.8,
        warmup_ms: int = 120,
        min_rms: float = 100.0,
    ) -> None:
        if sample_rate not in SAMPLE_RATES:
            raise ValueError(f"the voice detector takes {SAMPLE_RATES} Hz, not {sample_rate}")
        if frame_ms not in FRAME_MS:
            raise ValueError(f"frames are 10, 20 or 30 ms, not {frame_ms}")
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.frame_bytes = sample_rate * frame_ms // 1000 * 2
        self._vad = webrtcvad.Vad(aggressiveness)
        self._start_frames = max(1, start_ms // frame_ms)
        self._end_frames = max(1, end_ms // frame_ms)
        self._ratio = ratio
        self._warmup_frames = warmup_ms // frame_ms
        self._min_power = min_rms * min_rms
        self._window: deque[tuple[int, bool]] = deque(maxlen=self._start_frames)
        self._pending = b""
        self._frame = 0  # index of the next frame
        self._in_speech = False
        self._start = 0  # first frame of the current segment
        self._last_voiced = 0
        self.segments: list[Segment] = []

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def finished(self) -> bool:
        """Speech was heard and has now stopped for ``end_ms``."""
        return bool(self.segments) and not self._in_speech

    def feed(self, pcm: bytes) -> bool:
        """Take more audio; True once a segment of speech has ended."""
        data = self._pending + pcm
        usable = len(data) - len(data) % self.frame_bytes
        self._pending = data[usable:]
        for offset in range(0, usable, self.frame_bytes):
            frame = data[offset : offset + self.frame_bytes]
            voiced = (
                self._frame >= self._warmup_frames
                and self._loud_enough(frame)
                and self._vad.is_speech(frame, self.sample_rate)
            )
            self._step(voiced)
        return self.finished

    def close(self) -> list[Segment]:
        """End of the audio: a segment still open ends at its last voiced frame."""
        if self._in_speech:
            self._close_segment()
        return self.segments

    def _loud_enough(self, frame: bytes) -> bool:
        samples = pcm_to_samples(frame)
        return bool(sum(map(mul, samples, samples)) >= self._min_power * len(samples))

    def _step(self, voiced: bool) -> None:
        index = self._frame
        self._frame += 1
        if not self._in_speech:
            self._window.append((index, voiced))
            hits = [i for i, v in self._window if v]
            if len(self._window) == self._start_frames and len(hits) >= self._ratio * len(
                self._window
            ):
                self._in_speech = True
                self._start = hits[0]
                self._last_voiced = hits[-1]
                self._window.clear()
            return
        if voiced:
            self._last_voiced = index
        elif index - self._last_voiced >= self._end_frames:
            self._close_segment()

    def _close_segment(self) -> None:
        ms = self.frame_ms
        self.segments.append(Segment(self._start * ms, (self._last_voiced + 1) * ms))
        self._in_speech = False


def speech_segments(pcm: bytes, sample_rate: int, **options: int | float) -> list[Segment]:
    """Every stretch of speech in a recording (see :class:`EndOfSpeech` for options)."""
    detector = EndOfSpeech(sample_rate, **options)  # type: ignore[arg-type]
    detector.feed(pcm)
    return detector.close()


def speech_span(
    pcm: bytes, sample_rate: int, *, pad_ms: int = 200, **options: int | float
) -> bytes:
    """``pcm`` from its first speech to its last, ``pad_ms`` more each side (clipped to
    the recording); empty when there is no speech at all."""
    pcm = pcm[: len(pcm) - len(pcm) % 2]
    segments = speech_segments(pcm, sample_rate, **options)
    if not segments:
        return b""
    per_ms = sample_rate * 2 // 1000
    start = max(0, segments[0].start_ms - pad_ms) * per_ms
    end = (segments[-1].end_ms + pad_ms) * per_ms
    return pcm[start:end]
