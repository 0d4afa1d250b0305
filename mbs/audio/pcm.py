"""16-bit mono PCM helpers: WAV in and out, and a pure-Python resampler.

espeak-ng speaks at 22050 Hz; telephony wants 8000 or 16000 Hz. ``audioop`` is gone
from Python 3.13 and sox is not always installed, so :func:`resample` is a small
polyphase windowed-sinc filter over ``array('h')``: no dependency, good enough for
speech (the low-pass keeps 90 % of the target Nyquist band and removes aliasing).
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from functools import lru_cache
from operator import mul
from pathlib import Path

_ZERO_CROSSINGS = 10  # half-width of the sinc, in zero crossings of the cut-off


def read_wav(path: Path) -> tuple[array[int], int]:
    """The samples and sample rate of a 16-bit mono WAV file."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(
                f"{path}: expected 16-bit mono, got {w.getsampwidth() * 8}-bit "
                f"{w.getnchannels()} channels"
            )
        rate = w.getframerate()
        data = w.readframes(w.getnframes())
    return pcm_to_samples(data), rate


def write_wav(path: Path, samples: array[int], rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples_to_pcm(samples))


def pcm_to_samples(data: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(data[: len(data) - len(data) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def samples_to_pcm(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        swapped = array("h", samples)
        swapped.byteswap()
        return swapped.tobytes()
    return samples.tobytes()


@lru_cache(maxsize=8)
def _filter_bank(up: int, down: int) -> tuple[int, tuple[tuple[float, ...], ...]]:
    """Per output phase, the weights of the input samples around it.

    Returns ``(half, bank)``: for phase ``p`` the weights apply to the input samples
    ``i - half + 1 .. i + half`` where ``i`` is the input index just before the output
    instant and ``p = (n * down) % up`` for output ``n``. Weights are normalised to sum
    to 1 (unit gain at DC).
    """
    cutoff = 0.9 * min(1.0, up / down)  # relative to the input Nyquist frequency
    half = math.ceil(_ZERO_CROSSINGS / cutoff)
    bank: list[tuple[float, ...]] = []
    for phase in range(up):
        frac = phase / up  # output instant, in input samples after i
        weights: list[float] = []
        for k in range(-half + 1, half + 1):
            x = k - frac  # distance of input sample i+k from the output instant
            window = 0.5 + 0.5 * math.cos(math.pi * x / half) if abs(x) < half else 0.0
            arg = math.pi * cutoff * x
            sinc = 1.0 if x == 0 else math.sin(arg) / arg
            weights.append(sinc * window)
        total = sum(weights) or 1.0
        bank.append(tuple(w / total for w in weights))
    return half, tuple(bank)


def resample(samples: array[int], rate_in: int, rate_out: int) -> array[int]:
    """``samples`` at ``rate_in`` Hz, resampled to ``rate_out`` Hz (16-bit, clipped)."""
    if rate_in == rate_out or not samples:
        return array("h", samples)
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    half, bank = _filter_bank(up, down)
    n_in = len(samples)
    n_out = n_in * up // down
    padded = [0.0] * half + [float(s) for s in samples] + [0.0] * (half + 1)
    out = array("h", bytes(2 * n_out))
    width = 2 * half
    for n in range(n_out):
        i, phase = divmod(n * down, up)
        start = i + 1  # padded index of input sample i - half + 1
        acc = sum(map(mul, bank[phase], padded[start : start + width]))
        out[n] = max(-32768, min(32767, round(acc)))
    return out
