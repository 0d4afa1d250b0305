"""``mbs run --workers N``: N worker processes on one PostgreSQL campaign; SQLite refused."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from campaign_rig import check_campaign, write_campaign
from test_crash_resume import MBS, phones
from test_two_workers import CONTACTS, pg  # noqa: F401  (the fixture)

from mbs.campaign.store import Store
from mbs.cli.workers import WorkersError, child_arguments, worker_count


def test_worker_count_and_child_arguments() -> None:
    assert worker_count("3") == 3 and worker_count("auto") >= 1
    for bad in ("0", "-1", "two", ""):
        with pytest.raises(WorkersError, match="--workers takes"):
            worker_count(bad)
    argv = ["run", "-c", "x.toml", "--workers", "auto", "--worker=a", "--api-port", "80"]
    assert child_arguments(argv, "a-2") == [
        *("run", "-c", "x.toml"),
        *("--worker", "a-2", "--format", "json", "--quiet"),
    ]


def test_sqlite_is_refused_with_the_reason(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "camp", phones(3), name="solo", time_scale=120.0)
    db = f"sqlite:///{tmp_path / 'mbs.sqlite'}"
    argv = [*MBS, "run", "--campaign", str(campaign), "--database", db, "--workers", "2"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "--workers needs PostgreSQL" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.postgres
def test_workers_share_one_campaign(pg: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811
    base, schema = pg
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    # a simulated campaign: its store is the simulated one (MBS_SIM_DATABASE_URL)
    env = {**os.environ, "DATABASE_URL": url, "MBS_SIM_DATABASE_URL": url}
    campaign = write_campaign(
        tmp_path / "camp",
        phones(CONTACTS),
        name="many-workers",
        time_scale=120.0,
        max_concurrent=4,
        personas="human = 0.5\nno_answer = 0.2\nbusy = 0.2\nmachine = 0.1",
    )
    argv = [*MBS, "run", "--campaign", str(campaign), "--workers", "2", "--format", "json"]
    argv += ["--worker", "h", "--output-dir", str(tmp_path / "out")]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["workers"] == [{"worker": "h-1", "exit": 0}, {"worker": "h-2", "exit": 0}]
    store = Store.open(base, schema=schema)
    try:
        calls = check_campaign(store, "many-workers")
    finally:
        store.close()
    rows = [r for per in calls.values() for r in per]
    assert summary["done"] == CONTACTS and summary["calls"] == len(rows)
    # ids are host/campaign/worker: the same on several hosts stays apart
    assert {w.rsplit("/", 1)[-1] for w in Counter(r.worker_id for r in rows)} <= {"h-1", "h-2"}
    assert len(calls) == CONTACTS
