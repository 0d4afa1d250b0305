"""The pure-Python resampler keeps speech-band tones and removes what would alias."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import pytest

from mbs.audio.pcm import read_wav, resample, write_wav


def tone(freq: float, rate: int, n: int, amplitude: float = 10000.0) -> array[int]:
    return array(
        "h", (round(amplitude * math.sin(2 * math.pi * freq * i / rate)) for i in range(n))
    )


def rms(samples: array[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@pytest.mark.parametrize("rate_out", [8000, 16000])
@pytest.mark.parametrize("freq", [300.0, 1000.0, 3000.0])
def test_speech_band_tone_comes_out_in_phase(rate_out: int, freq: float) -> None:
    out = resample(tone(freq, 22050, 22050), 22050, rate_out)
    assert len(out) == rate_out
    ideal = tone(freq, rate_out, rate_out)
    inner = slice(100, -100)  # away from the zero-padded edges
    error = array("h", (a - b for a, b in zip(out[inner], ideal[inner], strict=True)))
    assert rms(error) < 0.01 * rms(ideal[inner])


def test_above_the_new_nyquist_is_filtered_out() -> None:
    out = resample(tone(5000.0, 22050, 22050), 22050, 8000)  # 5 kHz > 4 kHz Nyquist
    assert rms(out[100:-100]) < 0.01 * 10000


def test_loud_input_clips_instead_of_wrapping() -> None:
    square = array("h", ([32767] * 50 + [-32768] * 50) * 40)
    out = resample(square, 22050, 8000)
    assert max(out) == 32767 and min(out) == -32768  # ringing clipped, no overflow


def test_wav_round_trip(tmp_path: Path) -> None:
    samples = tone(440.0, 8000, 800)
    write_wav(tmp_path / "t.wav", samples, 8000)
    back, rate = read_wav(tmp_path / "t.wav")
    assert rate == 8000 and back == samples
    assert resample(back, 8000, 8000) == samples
