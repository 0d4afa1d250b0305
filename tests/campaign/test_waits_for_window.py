"""A campaign started late on a Friday: each contact is called on its own clock, and a
call the law does not allow yet waits for the next window (the simulated clock skips the
idle weekend) instead of being dialled or dropped. Bounds are wide (an hour of simulated
time is two real minutes at x30): the point is the day and the window, not the speed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from campaign_rig import call_rows, check_campaign, members, write_campaign
from test_executor import booker, national

from mbs.campaign.compose import CampaignRun, enrol_contacts
from mbs.campaign.config import load_campaign
from mbs.campaign.store import Store
from mbs.cli.programs import load_program
from mbs.freeswitch.sim.personas import Persona, PersonaKind
from mbs.freeswitch.simbackend import SimTelephony

SCALE = 30.0
PARIS, REUNION, MARTINIQUE = "+33140000021", "+262692618520", "+596696123456"
# Friday 12 March 2027, 19:45 in Paris (18:45 UTC): 14:45 in Martinique, 22:45 in Réunion.
START = datetime(2027, 3, 12, 18, 45, tzinfo=UTC)
NOT_INTERESTED = booker("Oui.", "Non merci, ça ne m'intéresse pas.", "Non, vraiment pas.")
PEOPLE: dict[str, Persona] = {
    PARIS: Persona(PersonaKind.NO_ANSWER),
    REUNION: NOT_INTERESTED,
    MARTINIQUE: NOT_INTERESTED,
}


def local(at: datetime | None, zone: str) -> datetime:
    assert at is not None
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


async def test_calls_outside_the_window_wait_for_the_callees_next_window(tmp_path: Path) -> None:
    rows = [f"P{i};{national(p) if p.startswith('+33') else p}" for i, p in enumerate(PEOPLE)]
    path = write_campaign(
        tmp_path / "late", [], name="late", rows=rows, time_scale=SCALE, max_concurrent=3
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"next-window"', f'"{START.isoformat()}"'), encoding="utf-8")
    campaign = load_campaign(path)
    program = load_program(campaign.scenario_path)
    store = Store.open(f"sqlite:///{tmp_path / 'mbs.sqlite'}")
    store.create_campaign(
        "late", now=START, scenario=str(campaign.scenario_path), program_hash=program.program_hash
    )
    assert enrol_contacts(store, campaign, START).added == len(PEOPLE)
    telephony = SimTelephony(seed=1, time_scale=SCALE, pinned=PEOPLE, record=False)
    run = CampaignRun(campaign, program, store, output_dir=tmp_path / "out", telephony=telephony)
    result = await run.run()

    calls = check_campaign(store, "late")  # includes: every call inside the law's hours
    assert all(done for done, _ in members(store, "late").values())
    assert result.simulated and result.started_at - START < timedelta(hours=1)
    # Martinique: mid-afternoon there, called that Friday
    (mq,) = calls[MARTINIQUE]
    assert local(mq.created_at, "America/Martinique").date() == date(2027, 3, 12)
    # Réunion: 22:45 there on Friday; waits for Monday 10:00 on its own clock
    (reunion,) = calls[REUNION]
    assert local(reunion.created_at, "Indian/Reunion") >= datetime(2027, 3, 15, 10, 0)
    assert local(reunion.created_at, "Indian/Reunion") < datetime(2027, 3, 15, 11, 0)
    # Paris: first call that Friday evening; the no-answer retry due at 20:15 waits for Monday 10:00
    paris = calls[PARIS]
    assert [c.status for c in paris] == ["NO_ANSWER"] * 3
    assert local(paris[0].created_at, "Europe/Paris").date() == date(2027, 3, 12)  # < 20:00
    monday = local(paris[1].created_at, "Europe/Paris")
    assert datetime(2027, 3, 15, 10, 0) <= monday < datetime(2027, 3, 15, 11, 0)
    assert paris[2].created_at >= paris[1].ended_at + timedelta(minutes=30)  # type: ignore[operator]
    assert not [
        r
        for rows in call_rows(store, "late").values()
        for r in rows
        if r.dialled_at and r.dialled_at.weekday() >= 5
    ]  # nothing dialled on the weekend
    store.close()
