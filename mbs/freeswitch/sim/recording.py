"""``uuid_record`` for a simulated call: the WAV of both sides, from the audio itself.

The simulator knows what was on the line: the robot's prompts (the WAV files it played,
for as long as they played) and the caller's words (the samples it spoke into the audio
fork, or would have). A :class:`CallRecorder` lays both on one timeline in simulated
seconds from the start of the recording, mixed into one channel at 8000 Hz as
FreeSWITCH's ``uuid_record`` does by default, and writes the file at the stop. Prompts
that are not WAV files (``silence_stream://``, a missing file) leave silence.
"""

from __future__ import annotations

import logging
import wave
from array import array
from pathlib import Path

from mbs.audio.pcm import read_wav, resample, write_wav

log = logging.getLogger(__name__)

RATE = 8000
MAX_SECONDS = 4 * 3600  # a runaway call does not fill the memory


class CallRecorder:
    def __init__(self, path: str, started: float) -> None:
        self.path = path
        self.started = started  # simulated time of RECORD_START
        self._pieces: list[tuple[float, array[int]]] = []  # (offset s, samples at RATE)

    def add_samples(self, samples: array[int], rate: int, at: float) -> None:
        """The caller spoke ``samples`` at simulated time ``at``."""
        if rate != RATE:
            samples = resample(samples, rate, RATE)
        self._pieces.append((max(0.0, at - self.started), samples))

    def add_prompt(self, path: str, at: float, played_s: float) -> None:
        """The robot played the WAV ``path`` from ``at`` for ``played_s`` seconds."""
        try:
            samples, rate = read_wav(Path(path))
        except (OSError, EOFError, ValueError, wave.Error) as exc:
            log.debug("recording: prompt %s not readable (%s): silence", path, exc)
            return
        if rate != RATE:
            samples = resample(samples, rate, RATE)
        keep = max(0, int(played_s * RATE))
        self._pieces.append((max(0.0, at - self.started), samples[:keep]))

    def write(self, ended: float) -> Path:
        """Mix everything heard until ``ended`` and write the WAV (parents created).

        Pieces are copied with slice assignment (C speed); only where two overlap (a
        barge-in: both talk at once) are samples added one by one."""
        length = int(min(MAX_SECONDS, max(0.0, ended - self.started)) * RATE)
        out = array("h", bytes(2 * length))
        filled = 0  # out[:filled] may hold audio; beyond it, silence
        for offset, samples in sorted(self._pieces, key=lambda piece: piece[0]):
            start = int(offset * RATE)
            piece = samples[: max(0, length - start)]
            if not piece:
                continue
            overlap = max(0, min(filled, start + len(piece)) - start)
            for i in range(overlap):
                out[start + i] = max(-32768, min(32767, out[start + i] + piece[i]))
            out[start + overlap : start + len(piece)] = piece[overlap:]
            filled = max(filled, start + len(piece))
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_wav(target, out, RATE)
        return target
