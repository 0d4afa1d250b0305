"""Two ``mbs run --worker`` processes on one PostgreSQL campaign share it: every contact
is called by one worker at a time (the claim's FOR UPDATE SKIP LOCKED), both work, and
the campaign's record is the same as one worker's would be."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from campaign_rig import check_campaign, write_campaign
from test_crash_resume import MBS, phones

from mbs.runtime.store import Store
from mbs.runtime.store.engine import make_engine, normalise_url

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONTACTS = 40


@pytest.fixture
def pg() -> Iterator[tuple[str, str]]:
    """(base url, schema): a schema of this test's own, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    base = url if url.startswith("postgres") else PG_DEFAULT
    libpq = normalise_url(base).set(drivername="postgresql").render_as_string(False)
    try:
        psycopg.connect(libpq, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL unreachable at {base}: {exc}")
    schema = f"mbs_workers_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield base, schema
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.mark.postgres
def test_two_workers_share_a_campaign(pg: tuple[str, str], tmp_path: Path) -> None:
    base, schema = pg
    sep = "&" if "?" in base else "?"
    env = {**os.environ, "DATABASE_URL": f"{base}{sep}options=-csearch_path%3D{schema}"}
    campaign = write_campaign(
        tmp_path / "camp",
        phones(CONTACTS),
        name="two-workers",
        time_scale=120.0,
        max_concurrent=4,
        personas="human = 0.5\nno_answer = 0.2\nbusy = 0.2\nmachine = 0.1",
    )
    # the contacts enrolled once, before the workers start
    enrol = subprocess.run(
        [*MBS, "contacts", "import", str(tmp_path / "camp" / "contacts.csv"), "-c", "two-workers"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert enrol.returncode == 0, enrol.stderr
    argv = [*MBS, "run", "--campaign", str(campaign), "--quiet", "--format", "json"]
    workers = []
    for n in (1, 2):
        workers.append(
            subprocess.Popen(
                [*argv, "--worker", str(n), "--output-dir", str(tmp_path / f"w{n}")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
        time.sleep(0.2)
    outputs = [w.communicate(timeout=300) for w in workers]
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    store = Store.open(base, schema=schema)
    try:
        calls = check_campaign(store, "two-workers")
    finally:
        store.close()
    rows = [r for per in calls.values() for r in per]
    by_worker = Counter(r.worker_id for r in rows)
    assert len(by_worker) == 2 and all(n > 0 for n in by_worker.values()), by_worker
    # the worker that finished last saw the whole campaign done, with every call
    assert max(s["calls"] for s in summaries) == len(rows)
    assert max(s["done"] for s in summaries) == CONTACTS
    assert len(calls) == CONTACTS  # every contact called (none opted out or blocked here)
