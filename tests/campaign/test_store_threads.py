"""The executor writes to the store from worker threads (``asyncio.to_thread``): on SQLite,
many calls moving and finishing at once must queue on the write lock, never fail with
"database is locked" (a deferred transaction that reads, then writes, cannot wait)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mbs.campaign.law import CallingLaw
from mbs.campaign.store import CallOutcome, ContactData, RetryPolicy, Store
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # Tuesday, 10:30 Paris
CALLS = 60
THREADS = 8


def test_concurrent_call_updates_on_sqlite(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'mbs.sqlite'}")
    store.create_campaign("threads", now=NOW)
    ids = store.upsert_contacts([ContactData(f"+336{i:08d}") for i in range(CALLS)], now=NOW).ids
    store.add_to_campaign("threads", ids.values(), now=NOW)
    claims = store.claim_due("threads", NOW, CALLS, "w1", CallingLaw()).claims
    assert len(claims) == CALLS
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(k: int) -> None:
        try:
            start.wait()
            for claim in claims[k::THREADS]:
                t = NOW
                for status in (CallStatus.CALLING, CallStatus.RINGING, CallStatus.IN_PROGRESS):
                    t += timedelta(seconds=1)
                    store.update_call_status(claim.call_id, status, at=t)
                store.record_events(claim.call_id, [(t, "said", {"text": "Bonjour"})] * 5)
                store.finish_call(
                    claim.call_id,
                    CallOutcome(CallStatus.COMPLETED, ended_at=t, result=Result.NOT_INTERESTED),
                    retry=RetryPolicy(),
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    stats = store.stats("threads", now=NOW)
    assert stats.done == CALLS and stats.by_status == {"COMPLETED": CALLS}
    assert all(len(store.events(c.call_id)) == 5 for c in claims)
    store.close()
