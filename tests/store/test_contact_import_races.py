"""Contact imports running at once into one store (parallel ``mbs contacts import``, an
upload, a worker enrolling) all succeed, and every number ends up once, with every
import's tags: no "database is locked" (SQLite), no unique violation (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from mbs.campaign.contacts import ImportResult, SaveReport, save_contacts
from mbs.campaign.store import ContactData, Store

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
IMPORTS = 6
T = TypeVar("T")


@pytest.fixture
def stores(backend: str, request: pytest.FixtureRequest) -> Iterator[list[Store]]:
    """One store per importer, each with its own connections, on one database."""
    if backend == "sqlite":
        url, schema = request.getfixturevalue("sqlite_url"), None
    else:
        url, schema = request.getfixturevalue("pg_schema")
    opened = [Store.open(url, schema=schema)]  # migrated once, before the race
    opened += [Store.open(url, schema=schema, migrate=False) for _ in range(IMPORTS - 1)]
    try:
        yield opened
    finally:
        for s in opened:
            s.close()


def race(stores: list[Store], work: Callable[[int, Store], T]) -> list[T]:
    """``work(k, store)`` on every store at once, released together by a barrier."""
    start = threading.Barrier(len(stores))
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            start.wait()
            results[k] = work(k, stores[k])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return [results[k] for k in range(len(stores))]


def phones_of(k: int) -> list[str]:
    """Overlapping lists of 90 numbers; every other one backwards, so that inserts also
    meet in opposite orders."""
    phones = [f"+3361{i:07d}" for i in range(k * 30, k * 30 + 90)]
    return phones[::-1] if k % 2 else phones


def test_parallel_imports_into_one_campaign(stores: list[Store]) -> None:
    lists = {k: phones_of(k) for k in range(IMPORTS)}

    def work(k: int, store: Store) -> SaveReport:
        result = ImportResult(path=f"f{k}.csv", format="csv")
        result.contacts = [
            ContactData(p, first_name=f"L{k}", tags=[f"t{k}"], extra={f"from{k}": "x"})
            for p in lists[k]
        ]
        return save_contacts(store, result, now=NOW, campaign="race")

    reports = race(stores, work)
    union = {p for phones in lists.values() for p in phones}
    # each number created exactly once; every other sighting merged into it
    assert sum(r.created for r in reports) == len(union)
    assert sum(r.created + r.updated for r in reports) == sum(map(len, lists.values()))
    assert sum(r.added_to_campaign for r in reports) == len(union)
    assert any(r.campaign_created for r in reports)
    check = stores[0]
    assert check.campaign_size("race") == len(union)
    for phone in sorted(union):
        importers = [k for k, phones in lists.items() if phone in phones]
        contact = check.get_contact(phone)
        assert contact is not None
        # tags and extra columns are unions: none lost to a concurrent merge
        assert sorted(contact.tags) == [f"t{k}" for k in importers], phone
        assert contact.extra == {f"from{k}": "x" for k in importers}, phone
        assert contact.first_name in {f"L{k}" for k in importers}


def test_parallel_blocklist_imports_and_opt_outs(stores: list[Store]) -> None:
    stores[0].upsert_contacts([ContactData("+33699999999")], now=NOW)

    def work(k: int, store: Store) -> tuple[int, bool]:
        added = store.add_to_blocklist(phones_of(k), now=NOW, source=f"f{k}")
        return added, store.opt_out("+33699999999", now=NOW)

    outcomes = race(stores, work)
    union = {p for k in range(IMPORTS) for p in phones_of(k)}
    assert sum(added for added, _ in outcomes) == len(union)
    assert all(found for _, found in outcomes)
    assert [p for p, _, _ in stores[0].blocklist()] == sorted(union)
    contact = stores[0].get_contact("+33699999999")
    assert contact is not None and contact.opted_out
