"""Workers claiming from one campaign at once never get the same contact."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

from mbs.campaign.law import CallingLaw
from mbs.campaign.store import ContactData, Store

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # Tuesday, 10:30 Paris
CONTACTS = 120
WORKERS = 4


def _race(stores: list[Store]) -> Counter[str]:
    law = CallingLaw()
    claimed: list[list[str]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            while True:
                batch = stores[i].claim_due("race", NOW, 3, f"w{i}", law)
                if not batch.claims:
                    return
                claimed[i].extend(c.contact.phone for c in batch.claims)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return Counter(p for per_worker in claimed for p in per_worker)


def _seed(store: Store) -> None:
    store.create_campaign("race", now=NOW)
    ids = store.upsert_contacts([ContactData(f"+336{i:08d}") for i in range(CONTACTS)], now=NOW).ids
    store.add_to_campaign("race", ids.values(), now=NOW)


def test_postgresql_workers_never_share_a_contact(pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    stores = [Store.open(url, schema=schema) for _ in range(WORKERS)]  # separate pools
    try:
        _seed(stores[0])
        counts = _race(stores)
        assert len(counts) == CONTACTS and set(counts.values()) == {1}
        stats = stores[0].stats("race", now=NOW)
        assert stats.calls == CONTACTS and stats.in_flight == CONTACTS
    finally:
        for s in stores:
            s.close()


def test_sqlite_workers_never_share_a_contact(sqlite_url: str) -> None:
    stores = [Store.open(sqlite_url) for _ in range(WORKERS)]
    try:
        _seed(stores[0])
        counts = _race(stores)
        assert len(counts) == CONTACTS and set(counts.values()) == {1}
    finally:
        for s in stores:
            s.close()
