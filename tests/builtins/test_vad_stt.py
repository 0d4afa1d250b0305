"""Speech detection on real speech (espeak-ng), stt.text and stt.vosk's setup paths."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from speech import silence, spoken

from mbs.audio.pcm import samples_to_pcm
from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError, MissingDependency
from mbs.runtime.builtins.vad import EndOfSpeech, speech_segments, speech_span

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
has_vosk = importlib.util.find_spec("vosk") is not None
VOSK_MODEL = os.environ.get("MBS_VOSK_MODEL", "")

FIRST = "Bonjour, je vous appelle de la part d'Aurum Conseil."
SECOND = "Avez-vous deux minutes à m'accorder ?"
FRAME = 30  # ms: the detector's resolution


@needs_espeak
@pytest.mark.parametrize("rate", [8000, 16000])
def test_segments_match_where_the_speech_is(rate: int) -> None:
    first, second = spoken(FIRST, rate), spoken(SECOND, rate)
    audio = silence(1000, rate) + first + silence(1500, rate) + second + silence(1000, rate)
    first_ms, second_ms = len(first) * 1000 // rate, len(second) * 1000 // rate

    segments = speech_segments(samples_to_pcm(audio), rate)

    assert len(segments) == 2, segments
    expected = [(1000, 1000 + first_ms), (2500 + first_ms, 2500 + first_ms + second_ms)]
    for segment, (start, end) in zip(segments, expected, strict=True):
        # starts within two frames of the first voiced sample; ends at the last voiced
        # frame, which may come a little before the last faint sample
        assert abs(segment.start_ms - start) <= 2 * FRAME, (segment, start)
        assert end - 300 <= segment.end_ms <= end + 2 * FRAME, (segment, end)


@needs_espeak
def test_a_short_pause_inside_a_sentence_does_not_end_it() -> None:
    rate = 8000
    audio = silence(500, rate) + spoken("Oui", rate) + silence(300, rate)
    audio += spoken("pourquoi pas", rate) + silence(1000, rate)
    assert len(speech_segments(samples_to_pcm(audio), rate)) == 1
    # with a 200 ms end-of-speech, the same pause splits it
    assert len(speech_segments(samples_to_pcm(audio), rate, end_ms=200)) == 2


@pytest.mark.parametrize("rate", [8000, 16000])
@pytest.mark.parametrize("noise", [30, 300])
def test_noise_alone_is_not_speech(rate: int, noise: int) -> None:
    # includes the detector's start-up, where WebRTC calls any signal speech
    assert speech_segments(samples_to_pcm(silence(3000, rate, noise=noise)), rate) == []


@needs_espeak
def test_streaming_detector_says_when_the_prospect_has_finished() -> None:
    rate = 16000
    speech = spoken(SECOND, rate)
    audio = samples_to_pcm(silence(600, rate) + speech + silence(2000, rate))
    detector = EndOfSpeech(rate, end_ms=700)
    chunk = rate * 2 * 20 // 1000  # 20 ms chunks, as a media stream delivers them
    fed = 0
    for offset in range(0, len(audio), chunk):
        fed += 1
        if detector.feed(audio[offset : offset + chunk]):
            break
    heard_ms = fed * 20
    speech_end = 600 + len(speech) * 1000 // rate
    assert detector.finished and len(detector.segments) == 1
    assert speech_end + 700 - 300 <= heard_ms <= speech_end + 700 + 4 * FRAME


@needs_espeak
def test_speech_span_keeps_the_speech_and_a_margin() -> None:
    rate = 8000
    speech = spoken(SECOND, rate)
    audio = samples_to_pcm(silence(1500, rate) + speech + silence(1500, rate))
    span = speech_span(audio, rate, pad_ms=200)
    per_ms = rate * 2 // 1000
    start = audio.index(span)
    assert abs(start - 1300 * per_ms) <= 2 * FRAME * per_ms
    speech_ms = len(speech) * 1000 // rate
    assert speech_ms + 400 - 300 <= len(span) // per_ms <= speech_ms + 400 + 2 * FRAME
    assert speech_span(samples_to_pcm(silence(2000, rate)), rate) == b""


def test_detector_refuses_rates_webrtc_cannot_take() -> None:
    with pytest.raises(ValueError, match="22050"):
        EndOfSpeech(22050)


async def test_text_stt(program: Program) -> None:
    stt = registry.create("stt", "text", program, {})
    assert await stt.from_text("  oui   d'accord \n") == "oui d'accord"  # type: ignore[attr-defined]
    with pytest.raises(BuiltinError, match="cannot transcribe audio"):
        await stt.transcribe(b"\0\0" * 800, 8000)  # type: ignore[attr-defined]


@pytest.mark.skipif(has_vosk, reason="vosk is installed here")
def test_vosk_missing_says_which_extra(program: Program) -> None:
    with pytest.raises(MissingDependency, match=r"pip install 'mbs\[vosk\]'") as info:
        registry.create("stt", "vosk", program, {"model": "/nowhere"})
    assert info.value.extra == "vosk"


@pytest.mark.skipif(not has_vosk, reason="needs the vosk extra")
def test_vosk_without_a_model_says_what_to_do(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MBS_VOSK_MODEL", raising=False)
    monkeypatch.setenv("MBS_MODELS_DIR", str(tmp_path / "models"))
    with pytest.raises(MissingDependency, match="no model given or installed: install a French"):
        registry.create("stt", "vosk", program, {})
    with pytest.raises(MissingDependency, match="no model directory at /nowhere"):
        registry.create("stt", "vosk", program, {"model": "/nowhere"})
    (tmp_path / "README").write_text("not a model")
    with pytest.raises(MissingDependency, match="is not a Vosk model"):
        registry.create("stt", "vosk", program, {"model": str(tmp_path)})


@pytest.mark.skipif(
    not (has_vosk and VOSK_MODEL and shutil.which("espeak-ng")),
    reason="needs the vosk extra, a French model in MBS_VOSK_MODEL and espeak-ng",
)
async def test_vosk_recognises_french_speech(program: Program) -> None:
    stt = registry.create("stt", "vosk", program, {"model": VOSK_MODEL})
    rate = 16000
    audio = samples_to_pcm(silence(800, rate) + spoken("oui d'accord", rate) + silence(1500, rate))
    text = await stt.transcribe(audio, rate)  # type: ignore[attr-defined]
    assert "accord" in text
    assert await stt.transcribe(samples_to_pcm(silence(2000, rate)), rate) == ""  # type: ignore[attr-defined]

    async def live() -> AsyncIterator[bytes]:
        step = rate * 2 * 20 // 1000
        for offset in range(0, len(audio), step):
            yield audio[offset : offset + step]

    assert "accord" in await stt.transcribe_stream(live(), rate)  # type: ignore[attr-defined]
