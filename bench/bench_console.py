"""Console and API pages with 100,000 calls in the store, on SQLite and PostgreSQL.

One command: ``.venv/bin/python bench/bench_console.py [--calls N] [--runs R] [--skip-pg]``.

The store is seeded directly (bulk inserts, not calls): 100,000 calls in one campaign
over 50,000 contacts, answered ones with two events, captures, a last step, a result;
per-step counts and tallies (objections, results per day, objective) as finish_call
keeps them; 200 calls in progress. Then the real app is served by uvicorn on loopback and
each page is fetched R times (after one warm-up) with a logged-in session cookie or an
API key, as a browser or a program would: what is timed is the whole HTTP request
(authentication, queries, template rendering). Figures are medians with min-max.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from mbs.api import create_app, serve_in_background, server_port, stop_background  # noqa: E402
from mbs.api.auth import hash_password, new_api_key, sha256  # noqa: E402
from mbs.campaign.store import Store  # noqa: E402
from mbs.campaign.store.engine import make_engine  # noqa: E402
from mbs.campaign.store.models import (  # noqa: E402
    Call,
    CallEvent,
    CampaignContact,
    CampaignStep,
    CampaignTally,
    Contact,
)

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STEPS = ["intro", "discovery", "pitch", "qualify", "pick_moment", "pick_day", "booked", "callback"]
RESULTS = ["APPOINTMENT_SCHEDULED", "NOT_INTERESTED", "CALLBACK_REQUESTED", "HUNG_UP", None]
STATUSES = ["COMPLETED", "NO_ANSWER", "BUSY", "COMPLETED", "COMPLETED"]
OBJECTIONS = ["c'est trop cher", "je n'ai pas le temps", "envoyez-moi un mail"]


def seed(store: Store, calls: int) -> str:
    """Bulk-insert the campaign; returns the id of one answered call."""
    rng = random.Random(7)
    contacts = calls // 2
    store.create_campaign("bench", now=START, scenario=None)
    info = store.get_campaign("bench")
    assert info is not None
    with store.session() as s:
        s.execute(
            Contact.__table__.insert(),
            [
                {
                    "id": i + 1,
                    "phone": f"+3361{i:08d}",
                    "first_name": f"Prénom{i}",
                    "last_name": f"Nom{i % 977}",
                    "company": f"Société {i % 313}",
                    "tags": [],
                    "extra": {},
                    "consent": False,
                    "opted_out": i % 97 == 0,
                    "created_at": START,
                    "updated_at": START,
                }
                for i in range(contacts)
            ],
        )
        s.execute(
            CampaignContact.__table__.insert(),
            [
                {
                    "campaign_id": info.id,
                    "contact_id": i + 1,
                    "added_at": START,
                    "attempts": 2,
                    "retries": {},
                    "done": i % 10 != 0,
                }
                for i in range(contacts)
            ],
        )
    one = ""
    tallies: dict[tuple[str, str], int] = {}
    batch: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for n in range(calls):
        call_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = START + timedelta(seconds=n * 6)
        live = n >= calls - 1000
        status = "IN_PROGRESS" if live else STATUSES[n % len(STATUSES)]
        answered = status in ("COMPLETED", "IN_PROGRESS")
        result = RESULTS[n % len(RESULTS)] if status == "COMPLETED" else None
        step = STEPS[n % len(STEPS)] if answered else None
        batch.append(
            {
                "id": call_id,
                "campaign_id": info.id,
                "contact_id": n % contacts + 1,
                "phone": f"+3361{n % contacts:08d}",
                "attempt": 1 + n // contacts,
                "status": status,
                "result": result,
                "created_at": created,
                "dialled_at": created,
                "answered_at": created + timedelta(seconds=5) if answered else None,
                "ended_at": None if live else created + timedelta(seconds=50),
                "duration_s": 45.0 if answered and not live else None,
                "retry_count": 0,
                "freestyle_turns": 0,
                "objections": [OBJECTIONS[n % 3]] if n % 4 == 0 and answered else [],
                "policy": {"name": "fr-D223-9"},
                "captures": {"day": "jeudi", "moment": "matin"} if result else None,
                "last_step": step,
                "objective_result": "APPOINTMENT_SCHEDULED"
                if result == "APPOINTMENT_SCHEDULED"
                else None,
                "worker_id": "bench",
            }
        )
        day = f"{created:%Y-%m-%d}|{result or status}"
        if not live:
            tallies[("day", day)] = tallies.get(("day", day), 0) + 1
        for text in batch[-1]["objections"]:  # type: ignore[attr-defined]
            tallies[("objection", text)] = tallies.get(("objection", text), 0) + 1
        if result == "APPOINTMENT_SCHEDULED":
            key = ("objective", result)
            tallies[key] = tallies.get(key, 0) + 1
        if answered:
            one = one or call_id
            events += [
                {
                    "call_id": call_id,
                    "seq": 1,
                    "at": created,
                    "kind": "step_entered",
                    "data": {"step": "intro"},
                },
                {
                    "call_id": call_id,
                    "seq": 2,
                    "at": created,
                    "kind": "heard",
                    "data": {"kind": "utterance", "text": "oui"},
                },
            ]
        if len(batch) >= 5000:
            with store.session() as s:
                s.execute(Call.__table__.insert(), batch)
                if events:
                    s.execute(CallEvent.__table__.insert(), events)
            batch, events = [], []
    with store.session() as s:
        if batch:
            s.execute(Call.__table__.insert(), batch)
        if events:
            s.execute(CallEvent.__table__.insert(), events)
        s.execute(
            CampaignTally.__table__.insert(),
            [
                {"campaign_id": info.id, "kind": k, "key": key, "n": n}
                for (k, key), n in tallies.items()
            ],
        )
        s.execute(
            CampaignStep.__table__.insert(),
            [
                {
                    "campaign_id": info.id,
                    "step": st,
                    "reached": calls // (i + 1),
                    "left": i * 100,
                    "unclear": i * 10,
                    "fallback": i,
                    "objections": i * 7,
                }
                for i, st in enumerate(STEPS)
            ],
        )
    return one


async def time_pages(store: Store, one_call: str, runs: int) -> dict[str, list[float]]:
    store.add_user("bench", hash_password("bench-password-1"), "admin", now=START)
    key = new_api_key()
    store.add_api_key("bench", sha256(key), "read", now=START)
    app = create_app(store, now=lambda: START + timedelta(days=7))
    task, server = await serve_in_background(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server_port(server)}"
    pages = {
        "console: campaigns": "/console",
        "console: campaign": "/console/campaigns/bench",
        "console: campaign, page 1000": "/console/campaigns/bench?page=1000",
        "console: campaign, filtered": "/console/campaigns/bench?status=COMPLETED&result=APPOINTMENT_SCHEDULED&step=booked",
        "console: campaign, one day": "/console/campaigns/bench?day=2026-03-05",
        "console: call": f"/console/calls/{one_call}",
        "console: live calls (1,000)": "/console/live",
        "console: live calls JSON (1,000, polled)": "/console/live/calls.json",
        "console: contacts search": "/console/contacts?q=Nom42",
        "api: /campaigns": "/campaigns",
        "api: /campaigns/bench": "/campaigns/bench",
        "api: calls page": "/campaigns/bench/calls?limit=50&offset=90000",
        "api: /calls/{id}": f"/calls/{one_call}",
    }
    found: dict[str, list[float]] = {}
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120) as browser:
            form = (await browser.get("/login")).text
            token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            r = await browser.post(
                "/login",
                data={"username": "bench", "password": "bench-password-1", "csrf": token},
            )
            assert r.status_code == 303, r.text
            for name, path in pages.items():
                headers = {"Authorization": f"Bearer {key}"} if name.startswith("api") else {}
                client = browser
                r = await client.get(path, headers=headers)  # warm-up
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    r = await client.get(path, headers=headers)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200
                found[name] = times
    finally:
        await stop_background(task, server)
    return found


def run(
    url: str, calls: int, runs: int, schema: str | None = None
) -> tuple[dict[str, list[float]], float]:
    store = Store.open(url, schema=schema)
    try:
        t0 = time.perf_counter()
        one = seed(store, calls)
        seeded = time.perf_counter() - t0
        if store.dialect == "postgresql":
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        return asyncio.run(time_pages(store, one, runs)), seeded
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    import tempfile

    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mbs-bench-console-") as tmp:
        times, seeded = run(f"sqlite:///{tmp}/bench.sqlite", args.calls, args.runs)
        results["SQLite"] = times
        print(f"SQLite: seeded {args.calls} calls in {seeded:.1f} s", file=sys.stderr)
    if not args.skip_pg:
        url = os.environ.get("DATABASE_URL", "")
        url = url if url.startswith("postgres") else PG_DEFAULT
        schema = f"bench_console_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            times, seeded = run(url, args.calls, args.runs, schema)
            results["PostgreSQL"] = times
            print(f"PostgreSQL: seeded {args.calls} calls in {seeded:.1f} s", file=sys.stderr)
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{args.calls:,} calls, {args.runs} requests per page (median, min-max, ms)"
    )
    backends = list(results)
    print("| page | " + " | ".join(backends) + " |")
    print("|---|" + "---|" * len(backends))
    for page in results[backends[0]]:
        cells = []
        for b in backends:
            t = results[b][page]
            cells.append(f"{statistics.median(t):.0f} ({min(t):.0f}-{max(t):.0f})")
        print(f"| {page} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
