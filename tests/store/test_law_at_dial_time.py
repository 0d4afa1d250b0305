"""The law is checked again on the dial time: whatever the delay between a claim and its
originate, nobody is dialled outside the law, and an attempt counts at its dial time."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mbs.campaign.law import CallingLaw, Reason
from mbs.campaign.store import CallOutcome, ContactData, RetryPolicy, Store
from mbs.campaign.store.models import Call
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

PHONES = {
    "+33199001234": ("Europe/Paris", holidays.France()),
    "+262692123456": ("Indian/Reunion", holidays.France(subdiv="974")),
}
START = datetime(2026, 4, 27, 6, 0, tzinfo=UTC)  # a Monday, 08:00 in Paris


def legal_hours(phone: str, at: datetime) -> bool:
    zone, cal = PHONES[phone]
    local = at.astimezone(ZoneInfo(zone))
    t = local.time()
    return (
        local.weekday() < 5
        and local.date() not in cal
        and (time(10) <= t < time(13) or time(14) <= t < time(20))
    )


delays = st.one_of(
    st.integers(min_value=0, max_value=30),  # the usual: seconds of TTS warm-up
    st.integers(min_value=0, max_value=4 * 3600),  # a stalled worker
)
steps = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=2 * 24 * 60),  # minutes to the next claim
        delays,  # seconds between the claim and the dial
        st.booleans(),  # the prospect refuses
    ),
    min_size=5,
    max_size=30,
)


@settings(max_examples=30, deadline=None)
@given(steps=steps)
def test_nobody_is_dialled_outside_the_law_whatever_the_delay(
    steps: list[tuple[int, int, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'p.sqlite'}")
        try:
            run(store, steps)
        finally:
            store.close()


def run(store: Store, steps: list[tuple[int, int, bool]]) -> None:
    law = CallingLaw()
    retry = RetryPolicy(max_retries=20)
    store.create_campaign("a", now=START)
    ids = store.upsert_contacts([ContactData(p) for p in PHONES], now=START).ids
    store.add_to_campaign("a", ids.values(), now=START)
    dialled: dict[str, list[datetime]] = {p: [] for p in PHONES}
    refused: dict[str, list[datetime]] = {p: [] for p in PHONES}
    now = START
    for minutes, delay, refuses in steps:
        now += timedelta(minutes=minutes)
        for claim in store.claim_due("a", now, 10, "w", law).claims:
            phone = claim.contact.phone
            dial_at = now + timedelta(seconds=delay)
            decision = store.start_dial(claim.call_id, at=dial_at, policy=law)
            if not decision.allowed:
                with store.session() as s:
                    call = s.get(Call, claim.call_id)
                    assert call is not None
                    assert call.status == CallStatus.CANCELLED and call.dialled_at is None
                assert decision.next_allowed_at is None or decision.next_allowed_at > dial_at
                continue
            # dialled: legal on the dial time, over dial times
            assert legal_hours(phone, dial_at), (phone, dial_at)
            recent = [t for t in dialled[phone] if t > dial_at - timedelta(days=30)]
            assert len(recent) < 4, (phone, dial_at, recent)
            assert all(dial_at >= r + timedelta(days=60) for r in refused[phone])
            dialled[phone].append(dial_at)
            end = dial_at + timedelta(minutes=2)
            status, result = (
                (CallStatus.COMPLETED, Result.NOT_INTERESTED)
                if refuses
                else (CallStatus.NO_ANSWER, None)
            )
            store.update_call_status(claim.call_id, CallStatus.IN_PROGRESS, at=dial_at)
            store.finish_call(
                claim.call_id, CallOutcome(status, ended_at=end, result=result), retry=retry
            )
            if result is not None:
                refused[phone].append(end)
            now = max(now, end)
    with store.session() as s:  # the attempt's time is its dial time
        stored = [utc(c.dialled_at) for c in s.scalars(select(Call)) if c.dialled_at is not None]
    assert sorted(stored) == sorted(t for ts in dialled.values() for t in ts)


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_a_claim_made_at_12_59_59_is_released_when_the_dial_comes_at_13_00(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        claim_at = datetime(2026, 4, 27, 10, 59, 59, tzinfo=UTC)  # 12:59:59 in Paris
        store.create_campaign("a", now=claim_at)
        ids = store.upsert_contacts([ContactData("+33199001234")], now=claim_at).ids
        store.add_to_campaign("a", ids.values(), now=claim_at)
        (claim,) = store.claim_due("a", claim_at, 1, "w").claims
        decision = store.start_dial(claim.call_id, at=claim_at + timedelta(seconds=6))
        assert not decision.allowed and decision.reason == Reason.HOURS
        assert decision.next_allowed_at == datetime(2026, 4, 27, 12, 0, tzinfo=UTC)  # 14:00
        # released: due again at 14:00, the released claim not counted as an attempt
        assert store.claim_due("a", datetime(2026, 4, 27, 11, 30, tzinfo=UTC), 1, "w").claims == []
        (again,) = store.claim_due("a", datetime(2026, 4, 27, 12, 0, tzinfo=UTC), 1, "w").claims
        assert again.attempt == 1
    finally:
        store.close()


def test_an_attempt_counts_at_its_dial_time_for_the_30_day_cap(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        law = CallingLaw()
        day = datetime(2026, 4, 27, 8, 0, tzinfo=UTC)  # Monday 10:00 in Paris
        store.create_campaign("a", now=day)
        ids = store.upsert_contacts([ContactData("+33199001234")], now=day).ids
        store.add_to_campaign("a", ids.values(), now=day)
        retry = RetryPolicy(max_retries=10, no_answer_delay=timedelta(hours=1))
        dials = []
        for week in range(4):
            at = day + timedelta(days=7 * week)
            store.schedule_retry("a", "+33199001234", at)
            (claim,) = store.claim_due("a", at, 1, "w", law).claims
            dial_at = at + timedelta(hours=2)  # a slow dial: the attempt is at 12:00
            assert store.start_dial(claim.call_id, at=dial_at, policy=law).allowed
            dials.append(dial_at)
            store.finish_call(
                claim.call_id,
                CallOutcome(CallStatus.NO_ANSWER, ended_at=dial_at + timedelta(minutes=1)),
                retry=retry,
            )
        history = store.contact_history("+33199001234", now=dials[-1], policy=law)
        assert sorted(utc(a) for a in history.attempts) == dials
        # 30 days after the first DIAL (not the first claim) the cap lifts
        first_dial = dials[0]
        decision = law.decide(
            history, "+33199001234", first_dial + timedelta(days=30) - timedelta(minutes=1)
        )
        assert not decision.allowed and decision.reason == Reason.ATTEMPT_CAP
        assert (
            decision.next_allowed_at is not None
            and decision.next_allowed_at >= first_dial + timedelta(days=30)
        )
    finally:
        store.close()
