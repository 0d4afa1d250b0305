"""The agent's voice with espeak-ng: the declared gender and the personality's delivery
are heard in the audio itself (pitch measured by autocorrelation, length by samples)."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from mbs.audio.pcm import read_wav
from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError
from mbs.runtime.builtins.espeak_tts import PROSODY, EspeakTts

LINE = "Bonjour, je vous appelle au sujet de votre demande de rendez-vous."


def make(program: Program, tmp_path: Path, **config: object) -> EspeakTts:
    tts = registry.create("tts", "espeak", program, {"cache_dir": str(tmp_path), **config})
    assert isinstance(tts, EspeakTts)
    return tts


def with_personality(program: Program, name: str | None) -> Program:
    scenario = program.scenario.model_copy(update={"personality": name})
    return program.model_copy(update={"scenario": scenario})


def median_f0(path: Path) -> float:
    """The voice's median fundamental frequency over its loud 40 ms frames (Hz)."""
    samples, rate = read_wav(path)
    size, found = rate // 25, []
    lo, hi = rate // 400, rate // 70  # 70-400 Hz
    for start in range(0, len(samples) - size, size):
        frame = samples[start : start + size]
        if max(abs(s) for s in frame) < 3000:
            continue
        best = max(
            range(lo, hi), key=lambda lag: sum(frame[i] * frame[i + lag] for i in range(size - lag))
        )
        found.append(rate / best)
    return statistics.median(found)


async def test_a_female_agent_sounds_higher_than_a_male_one(
    program: Program, tmp_path: Path
) -> None:
    male = make(program, tmp_path, gender="male", rate=16000)
    female = make(program, tmp_path, gender="female", rate=16000)
    assert (male.voice, female.voice) == ("fr+m3", "fr+f3")
    male_f0 = median_f0(await male.synthesize(LINE))  # type: ignore[arg-type]
    female_f0 = median_f0(await female.synthesize(LINE))  # type: ignore[arg-type]
    # measured: about 100 Hz and 200 Hz
    assert female_f0 > 1.4 * male_f0, (male_f0, female_f0)


async def test_the_personality_sets_the_delivery(program: Program, tmp_path: Path) -> None:
    gentle = make(with_personality(program, "doux"), tmp_path)
    lively = make(with_personality(program, "dynamique"), tmp_path)
    assert (gentle.speed, gentle.pitch) == PROSODY["doux"]
    assert (lively.speed, lively.pitch) == PROSODY["dynamique"]
    slow, _ = read_wav(await gentle.synthesize(LINE))  # type: ignore[arg-type]
    fast, _ = read_wav(await lively.synthesize(LINE))  # type: ignore[arg-type]
    assert len(slow) > 1.1 * len(fast)
    assert median_f0(gentle.path_for(LINE)) < median_f0(lively.path_for(LINE))
    # settings win over the personality; unknown personalities get the defaults
    own = make(with_personality(program, "doux"), tmp_path, speed=200, pitch=70)
    assert (own.speed, own.pitch) == (200, 70)
    assert (make(with_personality(program, "maison"), tmp_path).speed) == 165


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"gender": "robot"}, "option 'gender': Input should be 'male' or 'female'"),
        ({"pitch": 120}, "option 'pitch': Input should be less than or equal to 99"),
        ({"speed": 20}, "option 'speed': Input should be greater than or equal to 80"),
    ],
)
def test_bad_voice_settings_are_refused(
    program: Program, tmp_path: Path, config: dict[str, object], message: str
) -> None:
    with pytest.raises(BuiltinError, match=message):
        make(program, tmp_path, **config)
