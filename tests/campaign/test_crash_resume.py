"""kill -9 an ``mbs run`` while calls are in progress, run the same command again: every
contact ends with exactly the calls the retry policy and the law allow, none dialled
twice for the same attempt, none lost.

Kills land on events, not on a clock: the trial watches the store (read-only) and kills
the worker once it has seen a random number of calls under way and one still is, so a
loaded machine only makes the trial slower, never pointless.

The simulator lives inside the killed process, so what was dialled is judged from the
store: no two calls of one contact overlapping in time, attempts numbered 1..n without
duplicates, every row closed (finished, or recovered as CRASH_RECOVERED), no contact
with more retries of a kind than allowed, every contact done at the end.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from campaign_rig import check_campaign, write_campaign

from mbs.campaign.store import CRASH_RECOVERED, Store

MBS = [sys.executable, "-c", "from mbs.cli import main; main()"]
CONTACTS = 24


def phones(n: int) -> list[str]:
    return [
        f"01 4{i // 100000 % 10} {i // 1000 % 100:02d} {i // 10 % 100:02d} {i % 10}{i % 7}"
        for i in range(100, 100 + n)
    ]


def command(campaign: Path, db: Path, out: Path) -> list[str]:
    return [
        *MBS,
        "run",
        "--campaign",
        str(campaign),
        "--database",
        f"sqlite:///{db}",
        "--output-dir",
        str(out),
        "--quiet",
        "--format",
        "json",
    ]


UNDER_WAY = ("CALLING", "RINGING", "IN_PROGRESS")


def calls_under_way(db: Path) -> set[str]:
    """The calls the store shows as under way now (empty while it has no schema yet)."""
    if not db.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5.0) as con:
            marks = ",".join("?" * len(UNDER_WAY))
            rows = con.execute(f"SELECT id FROM calls WHERE status IN ({marks})", UNDER_WAY)
            return {row[0] for row in rows}
    except sqlite3.OperationalError:  # no table yet, or a writer holds the lock
        return set()


def kill_during_a_call(proc: subprocess.Popen[bytes], db: Path, after: int) -> bool:
    """SIGKILL ``proc`` once ``after`` distinct calls were seen under way and one still
    is; False when the run ended first (nothing left to call)."""
    seen: set[str] = set()
    while proc.poll() is None:
        now = calls_under_way(db)
        seen |= now
        if now and len(seen) >= after:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)  # how often the store is looked at, not when the kill lands
    return False


def trial(tmp_path: Path, seed: int, kills: int) -> tuple[int, int]:
    """One campaign, killed ``kills`` times while calls are under way, then run to the
    end; returns (calls recovered after a crash, claims released)."""
    rng = random.Random(seed)
    folder = tmp_path / f"trial{seed}"
    campaign = write_campaign(
        folder,
        phones(CONTACTS),
        name=f"crash-{seed}",
        time_scale=120.0,
        max_concurrent=6,
        personas="human = 0.5\nno_answer = 0.2\nbusy = 0.2\nmachine = 0.1",
        policy='name = "crash-test"\nmax_attempts = 12',
    )
    db, out = folder / "mbs.sqlite", folder / "out"
    argv = command(campaign, db, out)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    for _ in range(kills):
        # The kill lands while a call is under way, as the store tells, not after a
        # random wall time: a loaded machine slows the run, it does not move the kill.
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        kill_during_a_call(proc, db, after=rng.randint(1, 8))
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    print(f"trial {seed}: final run {time.monotonic() - t0:.1f}s", file=sys.stderr)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["contacts"] == CONTACTS and summary["done"] == CONTACTS
    store = Store.open(f"sqlite:///{db}")
    try:
        calls = check_campaign(store, f"crash-{seed}")
    finally:
        store.close()
    rows = [r for per in calls.values() for r in per]
    recovered = sum(1 for r in rows if r.hangup_cause == CRASH_RECOVERED and r.status == "FAILED")
    released = sum(1 for r in rows if r.status == "CANCELLED")
    return recovered, released


def test_sigkill_then_resume(tmp_path: Path) -> None:
    recovered = released = 0
    for seed in range(4):
        r, c = trial(tmp_path, seed, kills=2)
        recovered, released = recovered + r, released + c
    assert recovered > 0, "no kill landed during a call: the trials proved nothing"


@pytest.mark.slow
def test_sigkill_then_resume_many(tmp_path: Path) -> None:
    recovered = 0
    for seed in range(100, 106):
        recovered += trial(tmp_path, seed, kills=random.Random(seed).randint(1, 4))[0]
    assert recovered > 0
