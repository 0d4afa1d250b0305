"""The store's repository API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import StatementError

from mbs.campaign.law import CallingLaw, CallingPolicy, Reason
from mbs.campaign.store import (
    CRASH_RECOVERED,
    CallAlreadyFinished,
    CallOutcome,
    CampaignNotFound,
    ContactData,
    Finished,
    RetryPolicy,
    Store,
    StoreError,
)
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

# Tuesday 10 March 2026, 10:30 in Paris: inside the legal hours.
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
LAW = CallingLaw()
RETRY = RetryPolicy()


def phone(i: int) -> str:
    return f"+336{i:08d}"


def seed(store: Store, n: int, campaign: str = "spring", **extra: object) -> list[str]:
    store.create_campaign(campaign, now=NOW, scenario="s.mbs", program_hash="abc", exist_ok=True)
    phones = [phone(i) for i in range(n)]
    report = store.upsert_contacts(
        [ContactData(p, first_name=f"Prénom{i}", **extra) for i, p in enumerate(phones)],  # type: ignore[arg-type]
        now=NOW,
    )
    store.add_to_campaign(campaign, report.ids.values(), now=NOW)
    return phones


def dial(store: Store, call_id: str, at: datetime, answered: bool = True) -> None:
    store.update_call_status(call_id, CallStatus.CALLING, at=at)
    store.update_call_status(call_id, CallStatus.RINGING, at=at)
    if answered:
        store.update_call_status(call_id, CallStatus.IN_PROGRESS, at=at + timedelta(seconds=5))


# --------------------------------------------------------------- campaigns, contacts


def test_campaigns(store: Store) -> None:
    info = store.create_campaign(
        "spring", now=NOW, scenario="a.mbs", program_hash="h1", settings={"max_concurrent": 3}
    )
    assert info.name == "spring" and info.created_at == NOW and info.settings["max_concurrent"] == 3
    with pytest.raises(StoreError, match="already exists"):
        store.create_campaign("spring", now=NOW)
    again = store.create_campaign("spring", now=NOW, program_hash="h2", exist_ok=True)
    assert again.id == info.id and again.program_hash == "h2" and again.scenario == "a.mbs"
    assert [c.name for c in store.list_campaigns()] == ["spring"]
    assert store.get_campaign("nope") is None
    assert store.get_campaign(info.id) is not None
    store.mark_campaign("spring", started_at=NOW, finished_at=NOW + timedelta(hours=1))
    got = store.get_campaign("spring")
    assert got is not None and got.started_at == NOW and got.finished_at == NOW + timedelta(hours=1)


def test_upsert_merges_later_non_empty_fields_and_unions_tags(store: Store) -> None:
    first = store.upsert_contacts(
        [ContactData("+33612345678", first_name="Jeanne", company="Acme", tags=["a"])], now=NOW
    )
    assert (first.created, first.updated) == (1, 0)
    later = NOW + timedelta(days=1)
    second = store.upsert_contacts(
        [
            ContactData(
                "+33612345678",
                last_name="Moreau",
                company="",
                tags=["b", "a"],
                extra={"ville": "Lyon"},
                consent=True,
            )
        ],
        now=later,
    )
    assert (second.created, second.updated) == (0, 1)
    assert second.ids == first.ids
    c = store.get_contact("+33612345678")
    assert c is not None
    assert (c.first_name, c.last_name, c.company) == ("Jeanne", "Moreau", "Acme")
    assert c.tags == ("a", "b") and c.extra == {"ville": "Lyon"} and c.consent
    assert c.template_vars()["ville"] == "Lyon" and c.template_vars()["first_name"] == "Jeanne"
    assert c.template_vars()["tags"] == "a, b"  # said as text, not as a Python list


def test_add_to_campaign_is_idempotent(store: Store) -> None:
    seed(store, 3)
    ids = store.upsert_contacts([ContactData(phone(i)) for i in range(5)], now=NOW).ids
    assert store.add_to_campaign("spring", ids.values(), now=NOW) == 2
    assert store.campaign_size("spring") == 5
    with pytest.raises(CampaignNotFound):
        store.add_to_campaign("autumn", ids.values(), now=NOW)


def test_blocklist(store: Store) -> None:
    assert store.add_to_blocklist(["+33611111111", "+33622222222"], now=NOW, source="x") == 2
    assert store.add_to_blocklist(["+33611111111"], now=NOW) == 0
    assert store.is_blocklisted("+33611111111")
    assert [p for p, _, _ in store.blocklist()] == ["+33611111111", "+33622222222"]
    assert store.remove_from_blocklist(["+33611111111"]) == 1
    assert not store.is_blocklisted("+33611111111")


# --------------------------------------------------------------- claiming


def test_claim_creates_pending_calls_and_never_reclaims(store: Store) -> None:
    seed(store, 5)
    batch = store.claim_due("spring", NOW, 3, "w1", LAW)
    assert len(batch.claims) == 3 and not batch.deferred
    claim = batch.claims[0]
    assert claim.attempt == 1 and claim.worker_id == "w1" and claim.campaign == "spring"
    assert claim.policy["name"] == "fr-D223-9" and claim.policy["max_attempts"] == 4
    assert claim.contact.first_name == "Prénom0"
    rest = store.claim_due("spring", NOW, 10, "w2", LAW)
    assert len(rest.claims) == 2
    assert not store.claim_due("spring", NOW, 10, "w3", LAW).claims
    phones = {c.contact.phone for c in batch.claims + rest.claims}
    assert len(phones) == 5
    rows = list(store.export_calls("spring"))
    assert {r["status"] for r in rows} == {"PENDING"}
    assert {r["program_hash"] for r in rows} == {"abc"}
    assert {r["worker_id"] for r in rows} == {"w1", "w2"}
    info = store.get_campaign("spring")
    assert info is not None and info.started_at == NOW


def test_claim_defers_outside_legal_hours(store: Store) -> None:
    seed(store, 2)
    saturday = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    batch = store.claim_due("spring", saturday, 5, "w1", LAW)
    assert not batch.claims
    monday_ten = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    assert [(d.reason, d.next_at) for d in batch.deferred] == [(Reason.DAY, monday_ten)] * 2
    stats = store.stats("spring", now=saturday)
    assert stats.waiting_reasons == {"day": 2} and stats.next_due_at == monday_ten
    assert stats.due_now == 0
    # not even looked at again before Monday 10:00
    assert store.claim_due("spring", saturday + timedelta(hours=5), 5, "w1", LAW).deferred == []
    assert len(store.claim_due("spring", monday_ten, 5, "w1", LAW).claims) == 2


def test_opted_out_and_blocklisted_are_never_claimed(store: Store) -> None:
    phones = seed(store, 3)
    store.opt_out(phones[0], now=NOW)
    store.add_to_blocklist([phones[1]], now=NOW)
    batch = store.claim_due("spring", NOW, 5, "w1", LAW)
    assert [c.contact.phone for c in batch.claims] == [phones[2]]
    assert {(d.phone, d.reason, d.next_at) for d in batch.deferred} == {
        (phones[0], Reason.OPTED_OUT, None),
        (phones[1], Reason.BLOCKLISTED, None),
    }
    stats = store.stats("spring", now=NOW)
    assert stats.outcomes == {"opted_out": 1, "blocklisted": 1} and stats.done == 2


def test_consent_lets_a_contact_be_called_on_sunday(store: Store) -> None:
    seed(store, 1, consent=True)
    seed(store, 1, campaign="other")
    sunday = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    assert len(store.claim_due("spring", sunday, 5, "w1", LAW).claims) == 1
    strict = CallingPolicy(consent_overrides_hours=False)
    store.create_campaign("strict", now=NOW)
    ids = store.upsert_contacts([ContactData(phone(7), consent=True)], now=NOW).ids
    store.add_to_campaign("strict", ids.values(), now=NOW)
    assert not store.claim_due("strict", sunday, 5, "w1", strict).claims


# --------------------------------------------------------------- progress, finish, retry


def test_call_lifecycle_and_events(store: Store) -> None:
    seed(store, 1)
    claim = store.claim_due("spring", NOW, 1, "w1", LAW).claims[0]
    dial(store, claim.call_id, NOW)
    assert store.record_event(claim.call_id, "say", {"text": "Bonjour"}, at=NOW) == 1
    assert store.record_event(claim.call_id, "heard", {"text": "oui"}, at=NOW) == 2
    ended = NOW + timedelta(seconds=65)
    finished = store.finish_call(
        claim.call_id,
        CallOutcome(
            CallStatus.COMPLETED,
            ended_at=ended,
            result=Result.APPOINTMENT_SCHEDULED,
            hangup_cause="NORMAL_CLEARING",
            freestyle_turns=2,
            objections=["c'est trop cher"],
            recording_path="recordings/x.wav",
        ),
        retry=RETRY,
    )
    assert finished.done and finished.next_attempt_at is None
    (row,) = store.export_calls("spring")
    assert row["status"] == "COMPLETED" and row["result"] == "APPOINTMENT_SCHEDULED"
    assert row["dialled_at"] == NOW and row["answered_at"] == NOW + timedelta(seconds=5)
    assert row["duration_s"] == 60.0 and row["objections"] == ["c'est trop cher"]
    assert row["freestyle_turns"] == 2 and row["policy"] == "fr-D223-9"
    later = [(NOW, "classify", {"intent": "yes"}), (NOW, "end", {})]
    assert store.record_events(claim.call_id, later) == 2  # how many were written
    assert store.record_events(claim.call_id, []) == 0
    assert [e[2] for e in store.events(claim.call_id)] == ["say", "heard", "classify", "end"]
    assert [e[0] for e in store.events(claim.call_id)] == [1, 2, 3, 4]
    assert store.events(claim.call_id)[0][3] == {"text": "Bonjour"}
    with pytest.raises(CallAlreadyFinished):
        store.update_call_status(claim.call_id, CallStatus.RINGING, at=ended)
    with pytest.raises(CallAlreadyFinished):
        store.finish_call(claim.call_id, CallOutcome(CallStatus.FAILED, ended_at=ended))
    stats = store.stats("spring", now=ended)
    assert stats.by_result == {"APPOINTMENT_SCHEDULED": 1} and stats.answer_rate == 1.0
    assert stats.done == 1 and stats.in_flight == 0


def test_call_totals_cover_every_call_of_the_campaign(store: Store) -> None:
    seed(store, 3)
    store.create_campaign("other", now=NOW, scenario="s.mbs", program_hash="abc")
    report = store.upsert_contacts([ContactData(phone(99))], now=NOW)
    store.add_to_campaign("other", report.ids.values(), now=NOW)
    assert store.call_totals("spring").talked == 0
    assert store.call_totals("spring").average_talk_seconds == 0.0
    claims = store.claim_due("spring", NOW, 3, "w1", LAW).claims
    talks = [(40, 1, ["trop cher", "pas le temps"]), (20, 0, ["trop cher"])]
    for claim, (seconds, freestyle, objections) in zip(claims, talks, strict=False):
        dial(store, claim.call_id, NOW)  # answered 5 s after NOW
        outcome = CallOutcome(
            CallStatus.COMPLETED,
            ended_at=NOW + timedelta(seconds=5 + seconds),
            result=Result.NOT_INTERESTED,
            freestyle_turns=freestyle,
            objections=objections,
        )
        store.finish_call(claim.call_id, outcome, retry=RETRY)
    dial(store, claims[2].call_id, NOW, answered=False)
    outcome = CallOutcome(CallStatus.NO_ANSWER, ended_at=NOW + timedelta(seconds=30))
    store.finish_call(claims[2].call_id, outcome, retry=RETRY)
    (other,) = store.claim_due("other", NOW, 1, "w1", LAW).claims
    dial(store, other.call_id, NOW)
    store.finish_call(
        other.call_id,
        CallOutcome(
            CallStatus.COMPLETED, ended_at=NOW + timedelta(seconds=500), objections=["autre"]
        ),
        retry=RETRY,
    )
    totals = store.call_totals("spring")
    assert totals.talked == 2 and totals.talk_seconds == 60.0
    assert totals.average_talk_seconds == 30.0 and totals.freestyle_turns == 1
    assert totals.objections == {"trop cher": 2, "pas le temps": 1}
    assert list(totals.objections) == ["trop cher", "pas le temps"]  # most frequent first


def test_no_answer_retries_after_delay_then_gives_up(store: Store) -> None:
    seed(store, 1)
    at = NOW
    attempts = []
    for _ in range(3):
        batch = store.claim_due("spring", at, 1, "w1", LAW)
        assert len(batch.claims) == 1, batch
        claim = batch.claims[0]
        attempts.append(claim.attempt)
        dial(store, claim.call_id, at, answered=False)
        end = at + timedelta(seconds=30)
        finished = store.finish_call(
            claim.call_id, CallOutcome(CallStatus.NO_ANSWER, ended_at=end), retry=RETRY
        )
        if claim.attempt < 3:
            assert finished.next_attempt_at == end + timedelta(minutes=30)
            assert not store.claim_due("spring", end + timedelta(minutes=29), 1, "w1", LAW).claims
            at = end + timedelta(minutes=30)
        else:
            assert finished.done  # max_retries = 2 retries of each kind
    assert attempts == [1, 2, 3]
    stats = store.stats("spring", now=at)
    assert stats.by_status == {"NO_ANSWER": 3} and stats.answered == 0 and stats.dialled == 3
    assert stats.answer_rate == 0.0 and stats.outcomes == {"NO_ANSWER": 1}


def callback_requested(
    store: Store, at: datetime, retry: RetryPolicy | None, **kw: bool
) -> Finished:
    """Claim the due contact at ``at``; the prospect answers and asks to be called back."""
    claim = store.claim_due("spring", at, 1, "w1", LAW).claims[0]
    dial(store, claim.call_id, at)
    outcome = CallOutcome(
        CallStatus.COMPLETED,
        ended_at=at + timedelta(minutes=1),
        result=Result.CALLBACK_REQUESTED,
        **kw,
    )
    return store.finish_call(claim.call_id, outcome, retry=retry)


def test_callback_requested_is_called_back_once_after_the_delay(store: Store) -> None:
    seed(store, 1)
    # No other retry left: callbacks have their own counter.
    retry = RetryPolicy(max_retries=0)
    first = callback_requested(store, NOW, retry)
    end = NOW + timedelta(minutes=1)
    assert not first.done and first.retry_kind == "callback"
    assert first.next_attempt_at == end + timedelta(days=1)  # default callback_delay "1d"
    assert not store.claim_due("spring", end + timedelta(hours=23), 1, "w1", LAW).claims
    second = callback_requested(store, end + timedelta(days=1), retry)
    assert second.done and second.next_attempt_at is None  # max_callbacks = 1
    assert not store.claim_due("spring", end + timedelta(days=5), 1, "w1", LAW).claims
    stats = store.stats("spring", now=end + timedelta(days=5))
    assert stats.by_result == {"CALLBACK_REQUESTED": 2} and stats.done == 1


def test_a_callback_still_waits_for_the_law(store: Store) -> None:
    seed(store, 1)
    finished = callback_requested(store, NOW, RetryPolicy(callback_delay=timedelta(hours=10)))
    due = NOW + timedelta(minutes=1, hours=10)  # 20:31 in Paris, after the last window
    assert finished.next_attempt_at == due
    batch = store.claim_due("spring", due, 1, "w1", LAW)
    assert not batch.claims and batch.deferred[0].reason == Reason.HOURS
    wednesday_ten = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    assert batch.deferred[0].next_at == wednesday_ten
    assert store.claim_due("spring", wednesday_ten, 1, "w1", LAW).claims[0].attempt == 2


def test_max_callbacks_zero_closes_the_contact(store: Store) -> None:
    seed(store, 1)
    finished = callback_requested(store, NOW, RetryPolicy(max_callbacks=0))
    assert finished.done and finished.next_attempt_at is None
    assert not store.claim_due("spring", NOW + timedelta(days=2), 1, "w1", LAW).claims


def test_an_opt_out_wins_over_a_callback_request(store: Store) -> None:
    phones = seed(store, 1)
    finished = callback_requested(store, NOW, RETRY, opted_out=True)
    assert finished.done and finished.next_attempt_at is None
    contact = store.get_contact(phones[0])
    assert contact is not None and contact.opted_out
    assert not store.claim_due("spring", NOW + timedelta(days=2), 1, "w1", LAW).claims


def test_refusal_holds_the_contact_in_every_campaign(store: Store) -> None:
    seed(store, 1, campaign="a")
    seed(store, 1, campaign="b")
    claim = store.claim_due("a", NOW, 1, "w1", LAW).claims[0]
    dial(store, claim.call_id, NOW)
    store.finish_call(
        claim.call_id,
        CallOutcome(CallStatus.COMPLETED, ended_at=NOW, result=Result.NOT_INTERESTED),
        retry=RETRY,
    )
    batch = store.claim_due("b", NOW + timedelta(days=1), 1, "w1", LAW)
    assert not batch.claims
    (deferred,) = batch.deferred
    assert deferred.reason == Reason.REFUSAL_COOLOFF
    assert deferred.next_at is not None and deferred.next_at >= NOW + timedelta(days=60)


def test_four_attempts_in_thirty_days_across_campaigns(store: Store) -> None:
    for name in "abcde":
        seed(store, 1, campaign=name)
    at = NOW
    for name in "abcd":
        claim = store.claim_due(name, at, 1, "w1", LAW).claims[0]
        dial(store, claim.call_id, at, answered=False)
        store.finish_call(claim.call_id, CallOutcome(CallStatus.BUSY, ended_at=at))
        at += timedelta(minutes=30)
    batch = store.claim_due("e", at, 1, "w1", LAW)
    assert not batch.claims and batch.deferred[0].reason == Reason.ATTEMPT_CAP
    assert batch.deferred[0].next_at == NOW + timedelta(days=30)


def test_opt_out_during_a_call(store: Store) -> None:
    phones = seed(store, 1, campaign="a")
    seed(store, 1, campaign="b")
    claim = store.claim_due("a", NOW, 1, "w1", LAW).claims[0]
    dial(store, claim.call_id, NOW)
    store.finish_call(
        claim.call_id,
        CallOutcome(CallStatus.COMPLETED, ended_at=NOW, result=Result.HUNG_UP, opted_out=True),
    )
    contact = store.get_contact(phones[0])
    assert contact is not None and contact.opted_out
    batch = store.claim_due("b", NOW + timedelta(days=90), 1, "w1", LAW)
    assert not batch.claims and batch.deferred[0].reason == Reason.OPTED_OUT


def test_cancelled_before_dialling_does_not_count(store: Store) -> None:
    seed(store, 1)
    claim = store.claim_due("spring", NOW, 1, "w1", LAW).claims[0]
    finished = store.finish_call(claim.call_id, CallOutcome(CallStatus.CANCELLED, ended_at=NOW))
    assert not finished.done
    again = store.claim_due("spring", NOW, 1, "w1", LAW).claims[0]
    assert again.attempt == 1 and again.call_id != claim.call_id
    history = store.contact_history(again.contact.phone, now=NOW)
    assert len(history.attempts) == 1  # the released one is not a solicitation


def test_schedule_retry_reopens_a_contact(store: Store) -> None:
    phones = seed(store, 1)
    claim = store.claim_due("spring", NOW, 1, "w1", LAW).claims[0]
    dial(store, claim.call_id, NOW)
    store.finish_call(
        claim.call_id,
        CallOutcome(CallStatus.COMPLETED, ended_at=NOW, result=Result.CALLBACK_REQUESTED),
    )
    later = NOW + timedelta(days=1)
    store.schedule_retry("spring", phones[0], later)
    assert not store.claim_due("spring", NOW + timedelta(hours=2), 1, "w1", LAW).claims
    assert store.claim_due("spring", later, 1, "w1", LAW).claims[0].attempt == 2
    with pytest.raises(StoreError, match="in progress"):
        store.schedule_retry("spring", phones[0], later)


# --------------------------------------------------------------- crash recovery


def test_recover_interrupted_closes_without_redialling(store: Store) -> None:
    seed(store, 4)
    mine = store.claim_due("spring", NOW, 3, "crashed", LAW).claims
    other = store.claim_due("spring", NOW, 1, "alive", LAW).claims[0]
    dial(store, mine[0].call_id, NOW)  # IN_PROGRESS
    store.update_call_status(mine[1].call_id, CallStatus.CALLING, at=NOW)  # CALLING
    # mine[2] stays PENDING: never dialled
    dial(store, other.call_id, NOW)
    later = NOW + timedelta(minutes=10)
    report = store.recover_interrupted(now=later, worker_id="crashed", retry=RETRY)
    assert set(report.interrupted) == {mine[0].call_id, mine[1].call_id}
    assert report.released == [mine[2].call_id]
    rows = {r["call_id"]: r for r in store.export_calls("spring")}
    for c in mine[:2]:
        assert rows[c.call_id]["status"] == "FAILED"
        assert rows[c.call_id]["hangup_cause"] == CRASH_RECOVERED
        assert rows[c.call_id]["ended_at"] == later
    assert rows[mine[2].call_id]["status"] == "CANCELLED"
    assert rows[other.call_id]["status"] == "IN_PROGRESS"  # the live worker is untouched
    # the zombie worker's late updates are refused
    with pytest.raises(CallAlreadyFinished, match=CRASH_RECOVERED):
        store.update_call_status(mine[0].call_id, CallStatus.RINGING, at=later)
    # the never-dialled contact is due at once; the interrupted ones after failed_delay
    batch = store.claim_due("spring", later, 10, "new", LAW)
    assert [c.contact.phone for c in batch.claims] == [mine[2].contact.phone]
    assert batch.claims[0].attempt == 1
    retry_at = later + RETRY.failed_delay
    batch = store.claim_due("spring", retry_at, 10, "new", LAW)
    got = {c.contact.phone: c for c in batch.claims}
    assert set(got) == {mine[0].contact.phone, mine[1].contact.phone}
    assert all(c.attempt == 2 for c in got.values())
    assert not {c.call_id for c in got.values()} & {c.call_id for c in mine}


def test_recovered_contacts_still_wait_for_the_law(store: Store) -> None:
    seed(store, 1)
    evening = datetime(2026, 3, 10, 18, 50, tzinfo=UTC)  # 19:50 Paris
    claim = store.claim_due("spring", evening, 1, "crashed", LAW).claims[0]
    dial(store, claim.call_id, evening)
    store.recover_interrupted(now=evening + timedelta(minutes=5), campaign="spring", retry=RETRY)
    batch = store.claim_due("spring", evening + timedelta(minutes=30), 1, "new", LAW)
    assert not batch.claims
    assert batch.deferred[0].reason == Reason.HOURS
    assert batch.deferred[0].next_at == datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


def test_recover_needs_a_scope(store: Store) -> None:
    with pytest.raises(ValueError):
        store.recover_interrupted(now=NOW)


# --------------------------------------------------------------- values


def test_times_come_back_aware_utc_and_naive_is_refused(store: Store) -> None:
    store.create_campaign("tz", now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    info = store.get_campaign("tz")
    assert info is not None and info.created_at.tzinfo is not None
    assert info.created_at == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with pytest.raises(StatementError, match="aware datetimes"):
        store.create_campaign("naive", now=datetime(2026, 3, 10, 12, 0))
