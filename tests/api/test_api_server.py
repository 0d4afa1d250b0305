"""Serving: in another program's event loop (serve_in_background, LiveApi) and as `mbs api`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mbs.api import (
    ApiBindError,
    LiveApi,
    create_app,
    serve_in_background,
    server_port,
    stop_background,
)
from mbs.campaign.facts import CallStarted
from mbs.campaign.store import Store
from tests.api.conftest import LOADED_S, read_key, seed

MBS = str(Path(sys.executable).with_name("mbs"))


def refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


async def test_serve_in_background_starts_and_stops(store: Store) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    task, server = await serve_in_background(create_app(store), "127.0.0.1", 0)
    port = server_port(server)
    assert server.started and not task.done()
    # the host program keeps its signal handlers (Ctrl-C stays the campaign's)
    assert {sig: signal.getsignal(sig) for sig in before} == before
    async with httpx.AsyncClient(timeout=LOADED_S) as c:
        r = await c.get(f"http://127.0.0.1:{port}/health")
    assert r.status_code == 200
    await stop_background(task, server)
    assert task.done() and task.exception() is None
    assert refused(port)
    assert {sig: signal.getsignal(sig) for sig in before} == before


async def test_the_loop_stays_free_while_serving(store: Store) -> None:
    """Other tasks of the loop run between requests (the executor's, under mbs run)."""
    task, server = await serve_in_background(create_app(store), "127.0.0.1", 0)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(ticker())
    try:
        async with httpx.AsyncClient(headers=read_key(store), timeout=LOADED_S) as c:
            for _ in range(5):
                r = await c.get(f"http://127.0.0.1:{server_port(server)}/campaigns")
                assert r.status_code == 200
    finally:
        other.cancel()
        await stop_background(task, server)
    assert ticks > 0


async def test_a_taken_port_is_a_clear_error(store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        tasks_before = asyncio.all_tasks()
        with pytest.raises(ApiBindError, match=f"cannot listen on 127.0.0.1:{port}"):
            await serve_in_background(create_app(store), "127.0.0.1", port)
        assert asyncio.all_tasks() == tasks_before  # nothing left running


async def test_live_api_serves_during_the_block(store: Store, tmp_path: Path) -> None:
    seed(store, tmp_path)
    api = LiveApi(store, port=0, base_dir=tmp_path)
    feed = api.feed("printemps")
    simulated = datetime(2026, 3, 12, 15, 0, tzinfo=UTC)
    async with api.serving(now=lambda: simulated) as running:
        assert running is api and not api.url.endswith(":0")
        async with httpx.AsyncClient(
            base_url=api.url, headers=read_key(store), timeout=LOADED_S
        ) as c:
            detail = (await c.get("/campaigns/printemps")).json()
            assert detail["next_due_at"].startswith("2026-03-12T15:00:00")  # the campaign's clock
            assert detail["live"]["started"] == 0
            feed(CallStarted("printemps", "c1"))
            assert (await c.get("/live")).json()["campaigns"][0]["running"] == 1
        url = api.url
    port = int(url.rsplit(":", 1)[1])
    assert refused(port)
    assert api.url.endswith(":0")  # not serving any more


# ------------------------------------------------------------------ the command


@pytest.fixture
def seeded_sqlite(sqlite_url: str, tmp_path: Path) -> str:
    store = Store.open(sqlite_url)
    try:
        seed(store, tmp_path)
    finally:
        store.close()
    return sqlite_url


@pytest.fixture
def key_header(seeded_sqlite: str) -> dict[str, str]:
    store = Store.open(seeded_sqlite)
    try:
        return read_key(store)
    finally:
        store.close()


def test_mbs_api_command(seeded_sqlite: str, key_header: dict[str, str], tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [MBS, "api", "--port", "0", "--database", seeded_sqlite, "--base-dir", str(tmp_path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("mbs api on http://127.0.0.1:"), first
        url = first.split()[3]
        with httpx.Client(base_url=url, timeout=30) as bare:
            assert bare.get("/campaigns").status_code == 401
        with httpx.Client(base_url=url, timeout=30, headers=key_header) as c:
            assert c.get("/health").json()["database"] == "sqlite"
            names = [x["name"] for x in c.get("/campaigns").json()]
            assert names == ["printemps", "vide"]
            calls = c.get("/campaigns/printemps/calls", params={"result": "APPOINTMENT_SCHEDULED"})
            call_id = calls.json()["items"][0]["id"]
            assert c.get(f"/calls/{call_id}/transcript").text.startswith("# call A")
            assert "mbs_calls{" in c.get("/metrics").text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_mbs_api_on_a_taken_port_exits_2(seeded_sqlite: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run(
            [MBS, "api", "--port", str(port), "--database", seeded_sqlite],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr
    assert "Traceback" not in r.stderr


def test_mbs_api_without_a_database_exits_3() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = subprocess.run(
        [MBS, "api", "--database", f"postgresql://postgres@127.0.0.1:{port}/test"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 3
    assert "cannot" in r.stderr and "Traceback" not in r.stderr
