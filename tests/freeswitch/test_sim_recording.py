"""The simulator's recorder: pieces land at their time, overlaps are mixed (and
clipped), the file is 8 kHz mono 16-bit."""

from __future__ import annotations

from array import array
from pathlib import Path

from mbs.audio.pcm import read_wav, write_wav
from mbs.freeswitch.sim.recording import RATE, CallRecorder


def test_pieces_are_placed_and_overlaps_mixed(tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.wav"
    write_wav(prompt, array("h", [1000] * RATE), RATE)  # 1 s
    rec = CallRecorder(str(tmp_path / "out" / "call.wav"), started=100.0)
    rec.add_prompt(str(prompt), at=100.5, played_s=0.5)  # cut short by a barge-in
    rec.add_samples(array("h", [200] * (RATE // 2)), RATE, at=100.75)  # talks over it
    rec.add_samples(array("h", [32700] * 10), RATE, at=101.0)
    rec.add_prompt(str(tmp_path / "missing.wav"), at=101.5, played_s=1.0)  # silence
    path = rec.write(ended=102.0)
    samples, rate = read_wav(path)
    assert rate == RATE and len(samples) == 2 * RATE
    at = lambda s: samples[int(s * RATE)]  # noqa: E731
    # prompt 0.5-1.0 s, the caller 0.75-1.25 s over it, a loud click at 1.0 s
    assert (at(0.2), at(0.6), at(0.8), at(0.9), at(1.1), at(1.8)) == (0, 1000, 1200, 1200, 200, 0)
    assert samples[RATE] == 32767  # 200 + 32700, clipped
    assert samples[RATE + 10] == 200
