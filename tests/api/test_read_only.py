"""The read routes write nothing: the database is the same after every GET (but for a
key's time of last use), and the modules behind them never call a method of the store
that writes. Writing is the control routes' and the console forms' job."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from mbs.campaign.store import Store
from mbs.campaign.store.models import Base
from tests.api.conftest import Seeded

API = Path(__file__).resolve().parents[2] / "mbs" / "api"
READERS = ("app.py", "reads.py", "console_reads.py", "metrics.py", "live.py", "docs.py")

WRITERS = {
    "add_to_blocklist",
    "add_to_campaign",
    "claim_due",
    "create_campaign",
    "finish_call",
    "mark_campaign",
    "opt_out",
    "record_event",
    "record_events",
    "recover_interrupted",
    "remove_from_blocklist",
    "schedule_retry",
    "update_call_status",
    "upsert_contacts",
    "writer",
}


def everything(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.session() as s:
        return {
            table.name: sorted(
                (
                    tuple(repr(v) for k, v in row._mapping.items() if k != "last_used_at")
                    for row in s.execute(select(table))
                ),
                key=repr,
            )
            for table in Base.metadata.sorted_tables
        }


async def test_every_route_leaves_the_database_as_it_was(
    client: httpx.AsyncClient, store: Store, seeded: Seeded
) -> None:
    before = everything(store)
    assert before["calls"] and before["call_events"]
    paths = ["/health", "/campaigns", "/campaigns/printemps", "/campaigns/vide", "/live"]
    paths += ["/campaigns/printemps/calls?limit=2&offset=1", "/metrics", "/campaigns/x"]
    for call in (seeded.answered, seeded.no_answer, seeded.refused, seeded.in_flight):
        paths += [f"/calls/{call}", f"/calls/{call}/events", f"/calls/{call}/transcript"]
    for path in paths:
        r = await client.get(path)
        assert r.status_code in (200, 404), path
    assert everything(store) == before


def test_the_api_code_calls_no_writing_store_method() -> None:
    called = set()
    for name in READERS:
        path = API / name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called.add((path.name, node.func.attr))
    assert {(f, name) for f, name in called if name in WRITERS} == set()
    # and the check does look at the calls it should
    assert ("app.py", "stats") in called and ("reads.py", "session") in called
