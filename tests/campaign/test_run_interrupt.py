"""Ctrl-C on ``mbs run``: no new calls, the calls in progress finish and are recorded,
the summary is printed, exit 0; the same command again finishes the campaign."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from campaign_rig import call_rows, check_campaign, write_campaign
from sqlalchemy.exc import OperationalError
from test_crash_resume import MBS, phones

from mbs.campaign.store import CRASH_RECOVERED, Store


def test_sigint_stops_cleanly_and_the_same_command_resumes(tmp_path: Path) -> None:
    campaign = write_campaign(
        tmp_path / "camp",
        phones(40),
        name="interrupt",
        time_scale=60.0,
        max_concurrent=4,
        personas="human = 0.7\nno_answer = 0.15\nbusy = 0.15",
    )
    db = tmp_path / "mbs.sqlite"
    argv = [
        *MBS,
        "run",
        "--campaign",
        str(campaign),
        "--database",
        f"sqlite:///{db}",
        "--output-dir",
        str(tmp_path / "out"),
        "--quiet",
        "--format",
        "json",
    ]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + 120
    while not db.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    store = Store.open(f"sqlite:///{db}", migrate=False)  # the run migrates it, not us
    try:
        while time.monotonic() < deadline:  # until calls are under way
            try:
                started = store.get_campaign("interrupt") is not None and sum(
                    len(r) for r in call_rows(store, "interrupt").values()
                )
            except OperationalError:  # the run is still creating the tables
                started = 0
            if started and started >= 6:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "stopping" in err
        summary = json.loads(out.strip().splitlines()[-1])
        assert 0 < summary["done"] < 40 and summary["waiting"] > 0
        rows = [r for per in call_rows(store, "interrupt").values() for r in per]
        assert rows and all(r.ended_at is not None for r in rows)  # every call finished
        assert not any(r.hangup_cause == CRASH_RECOVERED for r in rows)
        again = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        assert again.returncode == 0, again.stderr
        assert "recovered" not in again.stderr  # nothing was left open to recover
        check_campaign(store, "interrupt")
        # the summary of the resumed run covers the whole campaign, both runs' calls
        final = json.loads(again.stdout.strip().splitlines()[-1])
        totals = store.call_totals("interrupt")
        assert totals.talked > 0
        assert final["average_talk_seconds"] == round(totals.average_talk_seconds, 1) > 0
        assert final["freestyle_turns"] == totals.freestyle_turns
        assert final["objections_matched"] == totals.objections
    finally:
        if proc.poll() is None:
            proc.kill()
        store.close()
