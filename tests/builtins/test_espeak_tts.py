"""tts.espeak against the real espeak-ng: valid WAVs at the asked rate, made once."""

from __future__ import annotations

import asyncio
import shutil
import wave
from pathlib import Path
from typing import Any

import pytest

from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError
from mbs.runtime.builtins.espeak_tts import EspeakTts

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

LINE = "Bonjour, ici Julie d'Aurum Conseil. Avez-vous deux minutes ?"


def make(program: Program, tmp_path: Path, **config: object) -> EspeakTts:
    tts = registry.create(
        "tts", "espeak", program, {"cache_dir": str(tmp_path / "cache"), **config}
    )
    assert isinstance(tts, EspeakTts)
    return tts


@pytest.mark.parametrize("rate", [8000, 16000])
async def test_wav_at_the_asked_rate(program: Program, tmp_path: Path, rate: int) -> None:
    tts = make(program, tmp_path, rate=str(rate), resampler="python")
    path = await tts.synthesize(LINE)
    assert path is not None and path.is_relative_to(tmp_path / "cache")
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (rate, 1, 2)
        seconds = w.getnframes() / rate
        frames = w.readframes(w.getnframes())
    assert 1.5 < seconds < 10  # a sentence, not silence nor garbage
    assert any(frames)
    assert not list(path.parent.glob(".*"))  # no temporary file left behind


async def test_second_call_is_a_cache_hit(program: Program, tmp_path: Path) -> None:
    tts = make(program, tmp_path)
    first = await tts.synthesize(LINE)
    assert (tts.syntheses, tts.hits) == (1, 0)
    stamp = first.stat().st_mtime_ns if first else 0
    second = await tts.synthesize("  " + LINE.replace(" ", "  ") + "\n")  # same words
    assert second == first
    assert (tts.syntheses, tts.hits) == (1, 1)
    assert second is not None and second.stat().st_mtime_ns == stamp

    # another instance on the same directory (another worker) finds it too
    other = make(program, tmp_path)
    assert await other.synthesize(LINE) == first
    assert (other.syntheses, other.hits) == (0, 1)


async def test_concurrent_requests_for_one_line_synthesise_once(
    program: Program, tmp_path: Path
) -> None:
    tts = make(program, tmp_path)
    paths = await asyncio.gather(*(tts.synthesize("Au revoir et bonne journée.") for _ in range(4)))
    assert len(set(paths)) == 1
    assert (tts.syntheses, tts.hits) == (1, 3)


async def test_a_caller_giving_up_does_not_cancel_the_synthesis(
    program: Program, tmp_path: Path
) -> None:
    tts = make(program, tmp_path)
    text = "Je vous laisse, bonne fin de journée."
    leaving = asyncio.create_task(tts.synthesize(text))
    staying = asyncio.create_task(tts.synthesize(text))
    while not tts._pending:  # both are waiting on the one synthesis
        await asyncio.sleep(0)
    leaving.cancel()  # barge-in or hang-up on that call
    path = await staying
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert path is not None and path.exists()
    assert tts.syntheses == 1
    assert await tts.synthesize(text) == path and tts.syntheses == 1


async def test_key_depends_on_voice_rate_speed_and_text(program: Program, tmp_path: Path) -> None:
    base = make(program, tmp_path)
    others = [
        make(program, tmp_path, voice="fr-be"),
        make(program, tmp_path, rate=16000),
        make(program, tmp_path, speed=140),
    ]
    paths = {base.path_for(LINE), base.path_for(LINE + "!")} | {o.path_for(LINE) for o in others}
    assert len(paths) == 5


async def test_voice_defaults_to_the_scenario_voice(program: Program, tmp_path: Path) -> None:
    assert make(program, tmp_path).voice == "fr"
    scenario = program.scenario.model_copy(update={"voice": "fr-be"})
    belgian = program.model_copy(update={"scenario": scenario})
    assert make(belgian, tmp_path).voice == "fr-be"
    assert make(belgian, tmp_path, voice="fr-ch").voice == "fr-ch"


async def test_unknown_voice_is_a_clear_error(program: Program, tmp_path: Path) -> None:
    tts = make(program, tmp_path, voice="xx-nowhere")
    with pytest.raises(BuiltinError, match=r"espeak-ng failed \(voice 'xx-nowhere'\)"):
        await tts.synthesize(LINE)
    assert not any((tmp_path / "cache").rglob("*.wav"))


async def test_empty_text_makes_no_audio(program: Program, tmp_path: Path) -> None:
    assert await make(program, tmp_path).synthesize("   ") is None


def test_bad_settings(program: Program, tmp_path: Path) -> None:
    with pytest.raises(BuiltinError, match="'rate': must be one of 8000, 16000"):
        make(program, tmp_path, rate=22050)
    with pytest.raises(BuiltinError, match="resampler"):
        make(program, tmp_path, resampler="magic")


@pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox")
async def test_sox_resampler(program: Program, tmp_path: Path) -> None:
    path = await make(program, tmp_path, resampler="sox").synthesize(LINE)
    assert path is not None
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == 8000


async def test_tts_none_makes_nothing(program: Program) -> None:
    tts = registry.create("tts", "none", program, {})
    assert await tts.synthesize(LINE) is None  # type: ignore[attr-defined]


async def _started(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[asyncio.Event, list[asyncio.subprocess.Process]]:
    """Record the processes the builtin starts, and say when one has started."""
    started, procs = asyncio.Event(), []
    spawn = asyncio.create_subprocess_exec

    async def recording(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        proc = await spawn(*args, **kwargs)
        procs.append(proc)
        started.set()
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    return started, procs


async def test_a_cancelled_synthesis_leaves_no_process(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tts = make(program, tmp_path, timeout=600)
    started, procs = await _started(monkeypatch)
    task = asyncio.create_task(tts._run(["sleep", "600"], stdin=None, what="a tool"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert procs[0].returncode is not None  # killed and waited for, not orphaned


async def test_a_tool_over_its_time_is_killed(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tts = make(program, tmp_path, timeout=0.1)
    _, procs = await _started(monkeypatch)
    with pytest.raises(BuiltinError, match=r"took longer than 0\.1 s"):
        await tts._run(["sleep", "600"], stdin=None, what="a tool")
    assert procs[0].returncode is not None
