"""The campaign executor end to end: the simulator over real ESL, SQLite, the French law."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from campaign_rig import RecordingStore, call_rows, check_campaign, members, write_campaign
from typer.testing import CliRunner

from mbs.campaign.compose import CampaignRun, enrol_contacts
from mbs.campaign.config import load_campaign
from mbs.campaign.store import Store
from mbs.cli import campaign_cmd
from mbs.cli.programs import load_program
from mbs.freeswitch.sim.personas import Persona, PersonaKind, Turn
from mbs.freeswitch.simbackend import SimTelephony
from mbs.runtime.events import calls_in, read_log
from mbs.runtime.replay import replay_call
from mbs.runtime.vm import LoadedProgram

SCALE = 30.0


def booker(*lines: str) -> Persona:
    return Persona(
        PersonaKind.HUMAN,
        rings=1,
        opener="Allô ?",
        turns=tuple(Turn(text, pause_s=0.6) for text in lines),
    )


BOOKS = booker(
    "Oui, allez-y.",
    "Non, pas encore.",
    "Oui, ça m'intéresse.",
    "Plutôt le matin.",
    "Jeudi, ça me va.",
    "Merci, au revoir.",
)
REFUSES = booker("Oui.", "Non merci, ça ne m'intéresse pas.", "Non, vraiment pas.", "Au revoir.")
OPTS_OUT = booker("Oui.", "Retirez-moi de votre liste, s'il vous plaît.", "Merci, au revoir.")

PEOPLE: dict[str, Persona] = {
    "+33140000001": BOOKS,
    "+33140000002": BOOKS,
    "+33140000003": REFUSES,
    "+33140000004": OPTS_OUT,
    "+33140000005": Persona(PersonaKind.NO_ANSWER),
    "+33140000006": Persona(PersonaKind.NO_ANSWER),
    "+33140000007": Persona(PersonaKind.BUSY, failure_after_s=1.0),
    "+33140000008": Persona(PersonaKind.BUSY, failure_after_s=1.0),
    "+33140000009": Persona(
        PersonaKind.MACHINE,
        rings=2,
        opener="Bonjour, vous êtes sur le répondeur de Paul, laissez un message après le bip.",
        amd_result="MACHINE",
        amd_cause="LONGGREETING",
    ),
    "+33140000010": Persona(
        PersonaKind.HANGUP_MID_PROMPT, rings=1, hangup_on_prompt=1, hangup_into_prompt_s=1.0
    ),
    "+33140000011": REFUSES,
}
OPPOSED = "+33140000012"  # opted out in the contacts file: never dialled


def national(e164: str) -> str:
    return "0" + e164[3:]


def setup(
    tmp_path: Path, *, name: str = "exec-test", max_concurrent: int = 3
) -> tuple[CampaignRun, RecordingStore, Store]:
    rows = [f"P{i};{national(p)};" for i, p in enumerate(PEOPLE)] + [f"Opp;{national(OPPOSED)};oui"]
    path = write_campaign(
        tmp_path / name,
        [],
        name=name,
        rows=rows,
        header="Prénom;Téléphone;Opposition",
        time_scale=SCALE,
        max_concurrent=max_concurrent,
    )
    campaign = load_campaign(path)
    program = load_program(campaign.scenario_path)
    store = Store.open(f"sqlite:///{tmp_path / 'mbs.sqlite'}")
    now = datetime.now(UTC)
    store.create_campaign(
        name,
        now=now,
        scenario=str(campaign.scenario_path),
        program_hash=program.program_hash,
        exist_ok=True,
    )
    assert enrol_contacts(store, campaign, now).added == len(PEOPLE) + 1
    recording = RecordingStore(store)
    telephony = SimTelephony(seed=1, time_scale=SCALE, pinned=PEOPLE, record=False)
    run = CampaignRun(
        campaign,
        program,
        recording,  # type: ignore[arg-type]
        output_dir=tmp_path / "out",
        telephony=telephony,
    )
    assert run.settings.max_concurrent == max_concurrent
    return run, recording, store


async def test_campaign_runs_every_contact_to_a_final_state(tmp_path: Path) -> None:
    run, recording, store = setup(tmp_path)
    result = await run.run()
    name = run.settings.campaign

    calls = check_campaign(
        store, name, delays={"no_answer": timedelta(minutes=30), "busy": timedelta(minutes=5)}
    )
    # every contact is done; the opposed one was never dialled
    state = members(store, name)
    assert all(done for done, _ in state.values())
    assert OPPOSED not in calls and state[OPPOSED][1] == "opted_out"
    # NO_ANSWER and BUSY: the first call and two retries each, then done
    for phone in ("+33140000005", "+33140000006"):
        assert [c.status for c in calls[phone]] == ["NO_ANSWER"] * 3
    for phone in ("+33140000007", "+33140000008"):
        assert [c.status for c in calls[phone]] == ["BUSY"] * 3
    results = {phone: rows[-1].result for phone, rows in calls.items()}
    assert results["+33140000001"] == results["+33140000002"] == "APPOINTMENT_SCHEDULED"
    assert results["+33140000003"] == results["+33140000011"] == "NOT_INTERESTED"
    assert results["+33140000009"] == "ANSWERING_MACHINE"
    assert results["+33140000010"] == "HUNG_UP"
    assert calls["+33140000004"][-1].status == "COMPLETED"
    assert state["+33140000004"] == (True, "opted_out")
    assert store.get_contact("+33140000004").opted_out  # type: ignore[union-attr]

    # statuses in order, as written: PENDING -> CALLING -> RINGING -> IN_PROGRESS -> final
    for phone, rows in calls.items():
        for row in rows:
            seen = recording.statuses[row.id]
            if row.status in ("COMPLETED", "ANSWERING_MACHINE"):
                assert seen == ["PENDING", "CALLING", "RINGING", "IN_PROGRESS", row.status], phone
            elif row.status == "NO_ANSWER":
                assert seen == ["PENDING", "CALLING", "RINGING", "NO_ANSWER"], phone
            else:  # busy: refused before it rang
                assert seen[:2] == ["PENDING", "CALLING"] and seen[-1] == row.status, phone

    # answered calls: events stored, transcript written where the row says
    answered = [
        r for rows in calls.values() for r in rows if r.status in ("COMPLETED", "ANSWERING_MACHINE")
    ]
    assert len(answered) == 7
    for row in answered:
        kinds = [kind for _, _, kind, _ in store.events(row.id)]
        assert kinds[0] == "call_started" and kinds[-1] == "result", kinds
        expected = tmp_path / "out" / "transcripts" / name / f"{row.id}.txt"
        assert row.transcript_path == str(expected) and expected.exists()
        assert expected.read_text(encoding="utf-8").startswith(f"# call {row.id}")
    booked = next(r for r in calls["+33140000001"])
    text = (tmp_path / "out" / "transcripts" / name / f"{booked.id}.txt").read_text("utf-8")
    assert "prospect: Jeudi, ça me va." in text and "== APPOINTMENT_SCHEDULED" in text
    kinds = {kind for _, _, kind, _ in store.events(booked.id)}
    assert {"said", "heard", "step_entered", "result"} <= kinds

    # never more than max_concurrent calls at once, seen by the switch itself
    telephony = run.telephony
    assert isinstance(telephony, SimTelephony)
    assert telephony.simulator.stats.peak <= run.settings.max_concurrent
    assert result.progress.peak_running == run.settings.max_concurrent  # it was saturated
    assert result.stats.done == len(PEOPLE) + 1 and result.stats.waiting == 0


async def test_campaign_calls_replay_identical_from_their_stored_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, _, store = setup(tmp_path, name="replayed")
    await run.run()
    answered = {
        str(r["call_id"])
        for r in store.export_calls("replayed")
        if r["status"] in ("COMPLETED", "ANSWERING_MACHINE")
    }
    app = typer.Typer()
    app.callback()(lambda: None)
    campaign_cmd.register(app)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'mbs.sqlite'}")
    log = tmp_path / "campaign.jsonl"
    result = CliRunner().invoke(app, ["campaign", "log", "replayed", "-o", str(log)])
    assert result.exit_code == 0, result.output
    calls = dict(calls_in(read_log(log)))
    assert set(calls) == answered and len(answered) == 7
    loaded = LoadedProgram(run.program, str(run.campaign.scenario_path))
    for call_id, events in calls.items():
        report = await replay_call(loaded, events)
        assert report.divergence is None, (call_id, report.divergence)
    # one call, by id; an unknown id is an error
    one = sorted(answered)[0]
    result = CliRunner().invoke(app, ["campaign", "log", "replayed", "--call", one])
    assert result.exit_code == 0 and {
        e["call_id"] for e in map(json.loads, result.stdout.splitlines())
    } == {one}
    result = CliRunner().invoke(app, ["campaign", "log", "replayed", "--call", "nope"])
    assert result.exit_code == 1 and "no call 'nope'" in result.stderr


async def test_opted_out_contact_is_never_called_again(tmp_path: Path) -> None:
    run, _, store = setup(tmp_path)
    await run.run()
    assert store.get_contact("+33140000004").opted_out  # type: ignore[union-attr]
    # the same contacts in a second campaign, same store: the opt-out holds everywhere
    run2, _, _ = setup(tmp_path, name="exec-test-2")
    await run2.run()
    calls = check_campaign(store, "exec-test-2")
    assert "+33140000004" not in calls and OPPOSED not in calls
    assert members(store, "exec-test-2")["+33140000004"] == (True, "opted_out")
    assert len(calls) == len(PEOPLE) - 1


async def test_stop_lets_calls_in_flight_finish(tmp_path: Path) -> None:
    run, _, store = setup(tmp_path, max_concurrent=2)
    task = asyncio.create_task(run.run())
    while run.executor.progress.started < 3:
        await asyncio.sleep(0.01)
    run.stop()  # what Ctrl-C does
    result = await task
    progress = result.progress
    assert progress.finished == progress.started >= 3
    calls = [r for rows in call_rows(store, run.settings.campaign).values() for r in rows]
    assert len(calls) == progress.started
    assert all(c.ended_at is not None for c in calls)
    assert not any(c.hangup_cause == "CRASH_RECOVERED" for c in calls)
    assert result.stats.in_flight == 0 and result.stats.waiting > 0  # stopped early
    # running again continues where it stopped and finishes the campaign
    run2, _, _ = setup_again(run, tmp_path)
    await run2.run()
    check_campaign(store, run.settings.campaign)


def setup_again(run: CampaignRun, tmp_path: Path) -> tuple[CampaignRun, None, None]:
    telephony = SimTelephony(seed=1, time_scale=SCALE, pinned=PEOPLE, record=False)
    again = CampaignRun(
        run.campaign, run.program, run.store, output_dir=tmp_path / "out", telephony=telephony
    )
    return again, None, None
