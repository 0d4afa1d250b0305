"""A store that cannot be read: 503 with a sentence, and /metrics says mbs_store_up 0."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mbs.api import create_app, serve_in_background, server_port, stop_background
from mbs.campaign.store import Store
from mbs.campaign.store.engine import make_engine
from tests.api.conftest import LOADED_S


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once closed


async def serve(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    task, server = await serve_in_background(create_app(store), "127.0.0.1", 0)
    try:
        # A well-formed key: the store cannot be asked whether it is valid.
        headers = {"Authorization": "Bearer mbs_" + "k" * 43}
        async with httpx.AsyncClient(
            timeout=LOADED_S, base_url=f"http://127.0.0.1:{server_port(server)}", headers=headers
        ) as c:
            yield c
    finally:
        await stop_background(task, server)


@pytest.fixture
async def unreachable() -> AsyncIterator[httpx.AsyncClient]:
    """A PostgreSQL URL where no server listens."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    store = Store.from_engine(make_engine(url), migrate=False)
    async for c in serve(store):
        yield c
    store.close()


@pytest.fixture
async def schemaless(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A SQLite file that answers, without the store's tables."""
    store = Store.from_engine(make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}"), migrate=False)
    async for c in serve(store):
        yield c
    store.close()


async def test_unreachable_database(unreachable: httpx.AsyncClient) -> None:
    r = await unreachable.get("/health")
    assert r.status_code == 503
    assert r.json()["error"] == "store_unavailable"
    assert r.json()["detail"].startswith("cannot reach the database")
    for path in ("/campaigns", "/campaigns/x", "/campaigns/x/calls", "/calls/x", "/calls/x/events"):
        r = await unreachable.get(path)
        assert r.status_code == 503, path
        assert r.json()["error"] == "store_unavailable" and r.json()["detail"], path
    # Even /metrics needs a key, and no key can be checked without the store.
    metrics = await unreachable.get("/metrics")
    assert metrics.status_code == 503
    assert metrics.json()["error"] == "store_unavailable"


async def test_database_without_tables(schemaless: httpx.AsyncClient) -> None:
    assert (await schemaless.get("/health")).status_code == 200  # the file answers
    r = await schemaless.get("/campaigns")
    assert r.status_code == 503
    assert r.json()["error"] == "store_unavailable"
    assert "no such table" in r.json()["detail"]
    assert (await schemaless.get("/metrics")).status_code == 503
