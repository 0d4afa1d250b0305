"""Two ``mbs run --worker`` processes on one PostgreSQL campaign share it: every contact
is called by one worker at a time (the claim's FOR UPDATE SKIP LOCKED), both work, and
the campaign's record is the same as one worker's would be."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from campaign_rig import check_campaign, write_campaign
from test_crash_resume import MBS, phones

from mbs.campaign.store import Store
from mbs.campaign.store.engine import make_engine, normalise_url

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


def two_workers(base: str, schema: str, tmp_path: Path, *, enrol_first: bool) -> None:
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
    if enrol_first:
        enrol = subprocess.run(
            [
                *MBS,
                "contacts",
                "import",
                str(tmp_path / "camp" / "contacts.csv"),
                "-c",
                "two-workers",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert enrol.returncode == 0, enrol.stderr
    argv = [*MBS, "run", "--campaign", str(campaign), "--quiet", "--format", "json"]
    workers = [
        subprocess.Popen(
            [*argv, "--worker", str(n), "--output-dir", str(tmp_path / f"w{n}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in (1, 2)
    ]
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


@pytest.mark.postgres
def test_two_workers_share_a_campaign(pg: tuple[str, str], tmp_path: Path) -> None:
    two_workers(*pg, tmp_path, enrol_first=True)


@pytest.mark.postgres
def test_two_workers_started_together_on_an_empty_database(
    pg: tuple[str, str], tmp_path: Path
) -> None:
    """Both migrate the empty schema, create the campaign and enrol the same contacts at
    the same moment: one does each, the other waits or finds it done."""
    two_workers(*pg, tmp_path, enrol_first=False)


@pytest.mark.postgres
def test_stores_opened_together_on_an_empty_schema(pg: tuple[str, str]) -> None:
    """Store.open migrates; several at once must not collide creating the tables."""
    base, schema = pg
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            start.wait()
            Store.open(base, schema=schema).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
