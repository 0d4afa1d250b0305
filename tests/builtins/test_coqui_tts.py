"""``tts.coqui`` against a stand-in ``TTS.api`` module.

The real XTTS v2 cannot run here (no weights, no torch), so a small package named
``TTS`` with the same ``TTS.api.TTS`` surface is put on ``sys.path``: its constructor
takes ``model_path``/``config_path``/``progress_bar``, ``.to(device)`` returns the
model, and ``tts_to_file(text=, speaker_wav=, language=, file_path=)`` writes a 24 kHz
16-bit WAV (a tone as long as the text) and records the call. The adapter's side is
real: the arguments it passes, the resampling to the call's rate, the cache, the errors.
"""

from __future__ import annotations

import asyncio
import math
import sys
import textwrap
import wave
from array import array
from pathlib import Path

import pytest

from mbs.audio.pcm import write_wav
from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError, MissingDependency

STAND_IN = """
import math, wave
from array import array

CALLS = []
LOADED = []


class TTS:
    def __init__(self, model_name="", *, model_path=None, config_path=None, progress_bar=True, gpu=False):
        LOADED.append({"model_name": model_name, "model_path": model_path, "config_path": config_path, "progress_bar": progress_bar})
        self.device = "cpu"

    def to(self, device):
        self.device = device
        return self

    def tts_to_file(self, text, speaker=None, language=None, speaker_wav=None, file_path="output.wav", **kwargs):
        CALLS.append({"text": text, "language": language, "speaker_wav": speaker_wav, "file_path": file_path})
        if text == "boom":
            raise RuntimeError("CUDA out of memory")
        n = 24000 * len(text) // 20
        samples = array("h", (int(8000 * math.sin(2 * math.pi * 220 * i / 24000)) for i in range(n)))
        with wave.open(file_path, "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(24000)
            w.writeframes(samples.tobytes())
        return file_path
"""


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    package = tmp_path / "standin" / "TTS"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "api.py").write_text(textwrap.dedent(STAND_IN))
    monkeypatch.syspath_prepend(str(tmp_path / "standin"))
    for name in ("TTS", "TTS.api"):
        sys.modules.pop(name, None)
    import TTS.api

    yield TTS.api
    for name in ("TTS", "TTS.api"):
        sys.modules.pop(name, None)


@pytest.fixture
def checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "xtts_v2"
    model.mkdir()
    (model / "config.json").write_text("{}")
    reference = tmp_path / "agent.wav"
    write_wav(reference, array("h", (int(3000 * math.sin(i / 7)) for i in range(48000))), 16000)
    return model, reference


def create(
    program: Program, tmp_path: Path, checkpoint: tuple[Path, Path], **extra: object
) -> object:
    model, reference = checkpoint
    config = {
        "model_dir": str(model),
        "speaker_wav": str(reference),
        "cache_dir": str(tmp_path / "cache"),
    }
    return registry.create("tts", "coqui", program, {**config, **extra})


async def test_lines_are_cloned_resampled_and_cached(
    program: Program, tmp_path: Path, stand_in: object, checkpoint: tuple[Path, Path]
) -> None:
    tts = create(program, tmp_path, checkpoint, rate=16000)
    model, reference = checkpoint
    assert [  # type: ignore[attr-defined]
        {
            "model_name": "",
            "model_path": str(model),
            "config_path": str(model / "config.json"),
            "progress_bar": False,
        }
    ] == stand_in.LOADED
    first, again = await asyncio.gather(
        tts.synthesize("Bonjour madame"), tts.synthesize("Bonjour madame")
    )  # type: ignore[attr-defined]
    assert first == again
    (call,) = stand_in.CALLS  # type: ignore[attr-defined]
    assert (call["text"], call["language"], call["speaker_wav"]) == (
        "Bonjour madame",
        "fr",
        str(reference),
    )
    with wave.open(str(first), "rb") as w:  # 24 kHz made, 16 kHz kept
        assert w.getframerate() == 16000 and w.getnframes() == 16000 * len("Bonjour madame") // 20
    assert tts.syntheses == 1 and tts.hits == 1  # type: ignore[attr-defined]
    assert sorted(p.name for p in first.parent.iterdir()) == [first.name]  # no leftovers


async def test_failures_say_what_is_wrong(
    program: Program, tmp_path: Path, stand_in: object, checkpoint: tuple[Path, Path]
) -> None:
    tts = create(program, tmp_path, checkpoint)
    with pytest.raises(BuiltinError, match=r"tts\.coqui: synthesis failed: CUDA out of memory"):
        await tts.synthesize("boom")  # type: ignore[attr-defined]
    with pytest.raises(MissingDependency, match="local XTTS checkpoint folder"):
        create(program, tmp_path, (tmp_path / "nowhere", checkpoint[1]))
    with pytest.raises(BuiltinError, match="speaker_wav must be a WAV"):
        create(program, tmp_path, (checkpoint[0], tmp_path / "missing.wav"))


def test_without_the_package_the_extra_is_named(
    program: Program, tmp_path: Path, checkpoint: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "TTS", None)  # import TTS fails
    with pytest.raises(MissingDependency, match=r"pip install 'mbs\[coqui\]'") as info:
        create(program, tmp_path, checkpoint)
    assert info.value.extra == "coqui"
