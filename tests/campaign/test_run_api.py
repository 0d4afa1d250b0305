"""``mbs run --api-port``: the status API answers while the campaign runs, in its loop."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
from campaign_rig import write_campaign
from test_crash_resume import MBS, phones

from mbs.campaign.store import Store
from tests.api.conftest import read_key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_status_api_serves_during_a_run(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c", phones(12), name="api-run", time_scale=30.0)
    port = _free_port()
    store = Store.open(f"sqlite:///{tmp_path / 'mbs.sqlite'}")
    try:
        headers = read_key(store)
    finally:
        store.close()
    proc = subprocess.Popen(
        [
            *MBS,
            "run",
            "--campaign",
            str(campaign),
            "--database",
            f"sqlite:///{tmp_path / 'mbs.sqlite'}",
            "--output-dir",
            str(tmp_path),
            "--api-port",
            str(port),
            "--quiet",
            "--format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen_live = None
    metrics = ""
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                live = httpx.get(f"http://127.0.0.1:{port}/live", timeout=2, headers=headers)
                if live.status_code == 200 and seen_live is None:
                    seen_live = live.json()
                    metrics = httpx.get(
                        f"http://127.0.0.1:{port}/metrics", timeout=2, headers=headers
                    ).text
            except httpx.TransportError:
                pass  # not listening yet, or the run just ended
            if seen_live is not None:
                break  # seen while the run was going: Ctrl-C ends it (summary, exit 0)
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert seen_live is not None, f"the API never answered during the run: {err}"
    assert "mbs_live_calls_started" in metrics or "mbs_calls" in metrics
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["campaign"] == "api-run" and summary["contacts"] == 12
