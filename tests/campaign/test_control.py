"""Campaign control: every worker obeys the stored state (pause, resume, cancel), the
answers captured and the objective reached are stored, and exported as typed columns."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from campaign_rig import call_rows
from test_executor import setup

from mbs.campaign.export_table import csv_text, export_table
from mbs.campaign.outcomes import call_facts, committed_steps
from mbs.campaign.state import Action, CampaignState, TransitionRefused, next_state
from mbs.campaign.store import Store
from mbs.campaign.store.records import FinishWrite
from mbs.cli.programs import load_program
from mbs.program import Result
from tests.store.conftest import pg_schema

__all__ = ["pg_schema"]

ROOT = Path(__file__).resolve().parents[2]


class Watch:
    """Records, in order, the executor's claims and the states it read."""

    def __init__(self, store: Any, on_state: Any = None) -> None:
        self.store = store
        self.log: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.on_state = on_state

    def claim_due(self, *args: Any, **kwargs: Any) -> Any:
        batch = self.store.claim_due(*args, **kwargs)
        with self.lock:
            self.log.append(("claim", len(batch.claims)))
        return batch

    def campaign_state(self, campaign: str | int) -> CampaignState:
        state = self.store.campaign_state(campaign)
        with self.lock:
            self.log.append(("state", state))
            reads = sum(1 for kind, _ in self.log if kind == "state")
        if self.on_state is not None:
            self.on_state(state, reads)
        return state


def test_transitions() -> None:
    assert next_state(CampaignState.CREATED, Action.START) is CampaignState.RUNNING
    assert next_state(CampaignState.RUNNING, Action.PAUSE) is CampaignState.PAUSED
    assert next_state(CampaignState.PAUSED, Action.RESUME) is CampaignState.RUNNING
    assert next_state(CampaignState.PAUSED, Action.CANCEL) is CampaignState.CANCELLED
    with pytest.raises(TransitionRefused, match="cannot resume a campaign that is running"):
        next_state(CampaignState.RUNNING, Action.RESUME)
    with pytest.raises(TransitionRefused):
        next_state(CampaignState.CANCELLED, Action.START)


async def test_a_pause_stops_claims_lets_calls_finish_and_resume_goes_on(tmp_path: Path) -> None:
    run, recording, store = setup(tmp_path, name="paused", max_concurrent=3)
    name = run.settings.campaign
    run.executor.settings.state_poll_s = 0.0  # look at the state before every claim
    paused_at: list[int] = []

    real_apply = recording.apply_writes

    def finish_then_pause(writes: Any) -> Any:
        # the executor's store writes are batched: pause once the first call has ended
        done = real_apply(writes)
        if not paused_at and any(isinstance(w, FinishWrite) for w in writes):
            store.control_campaign(name, Action.PAUSE, now=datetime.now(UTC))
            paused_at.append(1)
        return done

    def resume_later(state: CampaignState, reads: int) -> None:
        # Paused, and every call in flight has ended: resume.
        if state is CampaignState.PAUSED and run.executor.progress.running == 0:
            store.control_campaign(name, Action.RESUME, now=datetime.now(UTC))

    watch = Watch(recording.store, resume_later)
    recording.apply_writes = finish_then_pause  # type: ignore[method-assign]
    recording.claim_due = watch.claim_due  # type: ignore[method-assign]
    recording.campaign_state = watch.campaign_state  # type: ignore[attr-defined]
    result = await run.run()

    states = [value for kind, value in watch.log if kind == "state"]
    assert CampaignState.PAUSED in states and states[-1] is CampaignState.RUNNING
    # No claim between the first paused read and the next running one.
    first = next(i for i, (k, v) in enumerate(watch.log) if v is CampaignState.PAUSED)
    back = next(i for i, (k, v) in enumerate(watch.log) if i > first and v is CampaignState.RUNNING)
    assert all(kind != "claim" for kind, _ in watch.log[first:back])
    # Calls in flight at the pause finished normally; the campaign then went to its end.
    assert result.stats.waiting == 0 and result.stats.in_flight == 0
    assert not any(
        row.hangup_cause == "CRASH_RECOVERED"
        for rows in call_rows(store, name).values()
        for row in rows
    )
    assert store.campaign_state(name) is CampaignState.DONE


async def test_a_paused_campaign_stays_paused_across_a_restart(tmp_path: Path) -> None:
    run, recording, store = setup(tmp_path, name="held")
    name = run.settings.campaign
    store.control_campaign(name, Action.PAUSE, now=datetime.now(UTC))
    run.executor.settings.state_poll_s = 0.0

    def stop_after_a_few(state: CampaignState, reads: int) -> None:
        assert state is CampaignState.PAUSED
        if reads >= 3:
            run.executor.stop()

    watch = Watch(recording.store, stop_after_a_few)
    recording.claim_due = watch.claim_due  # type: ignore[method-assign]
    recording.campaign_state = watch.campaign_state  # type: ignore[attr-defined]
    result = await run.run()
    assert not any(kind == "claim" for kind, _ in watch.log)
    assert result.stats.calls == 0 and store.campaign_state(name) is CampaignState.PAUSED


async def test_cancel_stops_the_workers(tmp_path: Path) -> None:
    run, _, store = setup(tmp_path, name="stopped")
    name = run.settings.campaign
    store.control_campaign(name, Action.CANCEL, now=datetime.now(UTC))
    result = await run.run()
    assert result.stats.calls == 0
    assert store.campaign_state(name) is CampaignState.CANCELLED


async def test_captures_and_objective_are_stored_and_exported(tmp_path: Path) -> None:
    run, _, store = setup(tmp_path, name="captured")
    await run.run()
    name = run.settings.campaign
    columns, rows = export_table(store, name)
    assert {"capture.slot", "capture.slot_at", "objective_result", "last_step"} <= set(columns)
    booked = [r for r in rows if r["phone"] == "+33140000001"][-1]
    # the typed capture: what the prospect said, read back, and the moment it names
    assert booked["capture.slot"].startswith("jeudi") and "matin" in booked["capture.slot"]
    assert booked["capture.slot_at"].endswith("10:00:00+01:00")
    # "au revoir" at the read-back keeps the appointment: the objective is reached there
    assert booked["objective_result"] == "APPOINTMENT_SCHEDULED"
    assert booked["last_step"] == "confirm_slot"
    refused = [r for r in rows if r["phone"] == "+33140000003"][-1]
    assert refused["objective_result"] == "" and refused["capture.slot"] is None
    text = csv_text(columns, rows)
    assert "capture.slot" in text.splitlines()[0] and ",jeudi " in text
    info = store.get_campaign(name)
    assert info is not None
    from mbs.api.console_reads import step_counts

    steps = {s.step: s for s in step_counts(store, info.id)}
    assert steps["confirm_slot"].reached == 2 and steps["confirm_slot"].left == 2
    # the running tallies agree with the calls
    from mbs.api.console_reads import objective_reached, results_by_day

    assert objective_reached(store, info.id) == {"APPOINTMENT_SCHEDULED": 2}
    per_day: dict[str, int] = {}
    for _, counts in results_by_day(store, info.id):
        for result, n in counts.items():
            per_day[result] = per_day.get(result, 0) + n
    expected: dict[str, int] = {}
    for r in rows:
        key = r["result"] or r["status"]
        expected[key] = expected.get(key, 0) + 1
    assert per_day == expected


def test_a_hang_up_after_the_confirmation_is_still_an_appointment() -> None:
    program = load_program(ROOT / "scenarios" / "or_rdv.mbs")
    committed = committed_steps(program)
    assert committed == {"booked": Result.APPOINTMENT_SCHEDULED}
    at = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    events = [
        (at, "step_entered", {"step": "pick_day"}),
        (at, "captured", {"var": "day", "value": "jeudi"}),
        (at, "routed", {"case": "unclear"}),
        (at, "step_entered", {"step": "booked"}),
        (at, "heard", {"kind": "hangup"}),
        (at, "result", {"result": "HUNG_UP"}),
    ]
    facts = call_facts(events, committed)
    assert facts.objective_result is Result.APPOINTMENT_SCHEDULED
    assert facts.captures == {"day": "jeudi"} and facts.last_step == "booked"
    assert facts.steps["pick_day"].unclear == 1


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        from mbs.campaign.export_table import safe_text

        assert safe_text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
        assert safe_text("Jeanne") == "Jeanne"
    finally:
        store.close()


def test_two_workers_on_postgresql_read_the_same_state(pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    operator, worker = Store.open(url, schema=schema), Store.open(url, schema=schema)
    try:
        now = datetime.now(UTC)
        operator.create_campaign("shared", now=now)
        assert worker.begin_work("shared", now=now) is CampaignState.RUNNING
        operator.control_campaign("shared", Action.PAUSE, now=now)
        assert worker.campaign_state("shared") is CampaignState.PAUSED
        assert worker.begin_work("shared", now=now) is CampaignState.PAUSED  # a restart obeys
        operator.control_campaign("shared", Action.RESUME, now=now)
        assert worker.campaign_state("shared") is CampaignState.RUNNING
    finally:
        operator.close()
        worker.close()
