"""The simulator plays only what a real switch could read, and fails the rest as
FreeSWITCH does (FILE NOT FOUND): a missing file, a relative path (the switch resolves
it against its own sounds folder), something that is not a readable file."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from mbs.freeswitch.esl_call import PlaybackFailed
from mbs.freeswitch.sim.personas import Persona, PersonaKind, Turn
from mbs.freeswitch.simbackend import SimTelephony
from mbs.runtime.telephony import CallStatus, PlayOutcome

NUMBER = "+33140000001"
LISTENER = Persona(
    PersonaKind.HUMAN,
    rings=1,
    opener="Allô ?",
    turns=tuple(Turn("Oui.", pause_s=30.0) for _ in range(6)),
)


def tone(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x10" * 2400)  # 0.3 s
    return path


async def test_unreadable_prompt_paths_fail_like_freeswitch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tone(tmp_path / "audio" / "ok.wav")
    monkeypatch.chdir(tmp_path)  # the relative path below exists for the robot...
    relative = Path("audio") / "ok.wav"
    assert relative.is_file()
    telephony = SimTelephony(seed=1, time_scale=20.0, pinned={NUMBER: LISTENER})
    await telephony.start()
    try:
        dialled = await telephony.dial(NUMBER, call_id="c1", variables={})
        assert dialled.status is CallStatus.IN_PROGRESS and dialled.call is not None
        call = dialled.call
        assert await call.say("bonjour", good, barge_in=False) is PlayOutcome.DONE
        for bad in (tmp_path / "absent.wav", relative, tmp_path / "audio"):
            # ...but not for the switch; a directory is no prompt either
            with pytest.raises(PlaybackFailed, match="FILE NOT FOUND"):
                await call.say("bonjour", bad, barge_in=False)
        # the built-in streams need no file
        assert await call.say("deux mots", None, barge_in=False) is PlayOutcome.DONE
        await call.hangup()
    finally:
        await telephony.stop()
