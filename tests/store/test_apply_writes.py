"""Group commit: many calls' status changes and ends in one transaction, on both engines."""

from __future__ import annotations

from datetime import timedelta

from mbs.campaign.store import (
    CallAlreadyFinished,
    CallOutcome,
    Finished,
    FinishWrite,
    StatusWrite,
    Store,
)
from mbs.program import Result
from mbs.runtime.telephony import CallStatus
from tests.store.test_repository import LAW, NOW, RETRY, seed


def test_a_batch_lands_whole_and_a_bad_write_loses_nothing(store: Store) -> None:
    seed(store, 3)
    ids = [c.call_id for c in store.claim_due("spring", NOW, 3, "w1", LAW).claims]
    later = NOW + timedelta(seconds=30)
    answered = CallOutcome(CallStatus.COMPLETED, later, result=Result.APPOINTMENT_SCHEDULED)
    results = store.apply_writes(
        [
            StatusWrite(ids[0], CallStatus.CALLING, NOW),
            StatusWrite(ids[0], CallStatus.IN_PROGRESS, NOW + timedelta(seconds=5)),
            StatusWrite(ids[1], CallStatus.CALLING, NOW),
            FinishWrite(ids[0], answered, RETRY, ((later, "said", {"text": "bonjour"}),)),
        ]
    )
    assert results[:3] == [None, None, None] and isinstance(results[3], Finished)
    assert [kind for _, _, kind, _ in store.events(ids[0])] == ["said"]
    # ids[0] is over: writing to it again fails alone, the other writes still land
    busy = CallOutcome(CallStatus.BUSY, later)
    results = store.apply_writes(
        [
            StatusWrite(ids[0], CallStatus.RINGING, later),
            FinishWrite(ids[1], busy, RETRY),
            StatusWrite(ids[2], CallStatus.CALLING, later),
        ]
    )
    assert isinstance(results[0], CallAlreadyFinished)
    assert isinstance(results[1], Finished) and results[2] is None
    stats = store.stats("spring", now=later)
    assert stats.by_status.get("BUSY") == 1 and stats.by_status.get("COMPLETED") == 1
