"""Stores on both engines: a fresh SQLite file, and a fresh PostgreSQL schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mbs.campaign.store import Store
from mbs.campaign.store.engine import make_engine, normalise_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else DEFAULT_PG


_reachable: dict[str, str | None] = {}


def pg_problem() -> str | None:
    """None when PostgreSQL answers, else why not."""
    url = pg_url()
    if url not in _reachable:
        libpq = normalise_url(url).set(drivername="postgresql").render_as_string(False)
        try:
            with psycopg.connect(libpq, connect_timeout=3):
                _reachable[url] = None
        except psycopg.Error as exc:
            _reachable[url] = f"PostgreSQL unreachable at {url}: {exc}".strip()
    return _reachable[url]


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(url, schema): a schema of its own, dropped afterwards."""
    problem = pg_problem()
    if problem:
        pytest.skip(problem)
    url, schema = pg_url(), f"mbs_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield url, schema
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mbs.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    if backend == "sqlite":
        s = Store.open(request.getfixturevalue("sqlite_url"))
    else:
        url, schema = request.getfixturevalue("pg_schema")
        s = Store.open(url, schema=schema)
    try:
        yield s
    finally:
        s.close()
