"""Whatever the sequence of claims and outcomes, nobody is dialled outside the law."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbs.campaign.law import CallingLaw
from mbs.campaign.store import CallOutcome, ContactData, RetryPolicy, Store
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

PHONES = {
    "+33199001234": ("Europe/Paris", holidays.France()),
    "+33465711234": ("Europe/Paris", holidays.France()),
    "+262692123456": ("Indian/Reunion", holidays.France(subdiv="974")),
    "+596696201234": ("America/Martinique", holidays.France(subdiv="972")),
}
CONSENTED = "+33465711234"
START = datetime(2026, 4, 27, 6, 0, tzinfo=UTC)
OUTCOMES = [
    (CallStatus.NO_ANSWER, None),
    (CallStatus.BUSY, None),
    (CallStatus.FAILED, None),
    (CallStatus.COMPLETED, Result.NOT_INTERESTED),
    (CallStatus.COMPLETED, Result.CALLBACK_REQUESTED),
    (CallStatus.COMPLETED, Result.HUNG_UP),
]


def legal_hours(phone: str, at: datetime) -> bool:
    zone, cal = PHONES[phone]
    local = at.astimezone(ZoneInfo(zone))
    t = local.time()
    return (
        local.weekday() < 5
        and local.date() not in cal
        and (time(10) <= t < time(13) or time(14) <= t < time(20))
    )


steps = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=3 * 24 * 60),  # minutes to the next claim
        st.sampled_from(range(len(OUTCOMES))),
        st.booleans(),  # reopen the contact afterwards (schedule_retry)
    ),
    min_size=5,
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps)
def test_claims_respect_the_law(steps: list[tuple[int, int, bool]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'p.sqlite'}")
        try:
            run(store, steps)
        finally:
            store.close()


def run(store: Store, steps: list[tuple[int, int, bool]]) -> None:
    law = CallingLaw()
    retry = RetryPolicy(max_retries=5)
    store.create_campaign("a", now=START)
    data = [ContactData(p, consent=(p == CONSENTED)) for p in PHONES]
    ids = store.upsert_contacts(data, now=START).ids
    store.add_to_campaign("a", ids.values(), now=START)
    dialled: dict[str, list[datetime]] = {p: [] for p in PHONES}
    refused: dict[str, list[datetime]] = {p: [] for p in PHONES}
    now = START
    for minutes, outcome, reopen in steps:
        now += timedelta(minutes=minutes)
        for claim in store.claim_due("a", now, 10, "w", law).claims:
            phone = claim.contact.phone
            if phone != CONSENTED:
                assert legal_hours(phone, now), (phone, now)
            recent = [t for t in dialled[phone] if t > now - timedelta(days=30)]
            assert len(recent) < 4, (phone, now, recent)
            assert all(now >= r + timedelta(days=60) for r in refused[phone])
            dialled[phone].append(now)
            status, result = OUTCOMES[outcome]
            store.update_call_status(claim.call_id, CallStatus.CALLING, at=now)
            end = now + timedelta(minutes=2)
            store.finish_call(
                claim.call_id, CallOutcome(status, ended_at=end, result=result), retry=retry
            )
            if result == Result.NOT_INTERESTED:
                refused[phone].append(end)
            if reopen:
                store.schedule_retry("a", phone, end + timedelta(minutes=1))
