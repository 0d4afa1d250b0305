"""Real speech for the audio tests: espeak-ng lines at telephone rates, with silence."""

from __future__ import annotations

import random
import subprocess
import tempfile
from array import array
from pathlib import Path

from mbs.audio.pcm import read_wav, resample


def spoken(text: str, rate: int) -> array[int]:
    """``text`` said by espeak-ng in French, resampled to ``rate``, edges trimmed to
    the voice (so the caller knows exactly where the speech is)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "line.wav"
        subprocess.run(
            ["espeak-ng", "-v", "fr", "--stdin", "-w", str(wav)], input=text.encode(), check=True
        )
        samples, rate_in = read_wav(wav)
    samples = resample(samples, rate_in, rate)
    loud = [i for i, s in enumerate(samples) if abs(s) > 300]
    return array("h", samples[loud[0] : loud[-1] + 1])


def silence(ms: int, rate: int, noise: int = 30, seed: int = 7) -> array[int]:
    """Line noise at about -60 dBFS, deterministic."""
    rng = random.Random(seed + ms)
    return array("h", (rng.randint(-noise, noise) for _ in range(rate * ms // 1000)))
