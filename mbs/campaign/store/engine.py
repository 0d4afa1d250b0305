"""Engines for the store: which database, and how it is opened.

``DATABASE_URL`` picks it. Unset, the store is a SQLite file, ``var/mbs.sqlite`` under
the current directory, opened in WAL mode (readers never wait for the writer) with a
busy timeout (writers queue instead of failing). ``postgres://`` and ``postgresql://``
URLs are sent through psycopg 3.

SQLite has a single writer. Transactions start deferred (``BEGIN``); a session bound
to :func:`immediate` starts with ``BEGIN IMMEDIATE`` instead, taking the write lock
before it reads, so a read-then-write such as claiming due contacts cannot interleave
with another writer. PostgreSQL needs none of this: it uses row locks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

DEFAULT_SQLITE_PATH = Path("var") / "mbs.sqlite"
BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "mbs_sqlite_begin"


class StoreError(Exception):
    """The store cannot be opened or used (bad URL, unreachable server, bad state)."""


def database_url(explicit: str | None = None) -> str:
    """The URL to use: ``explicit``, else ``DATABASE_URL``, else the default SQLite file."""
    url = explicit or os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalise_url(url: str | URL) -> URL:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"invalid DATABASE_URL {str(url)!r}: {exc}") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL | None = None, *, schema: str | None = None) -> Engine:
    """An engine for ``url`` (see :func:`database_url`).

    ``schema`` (PostgreSQL only) puts every table in that schema through the
    connection's ``search_path``: used by tests, and by deployments that share a
    database.
    """
    parsed = normalise_url(url if url is not None else database_url())
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {database}: {exc}") from None
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    elif backend == "postgresql":
        if schema:
            kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:  # missing driver, bad options
        raise StoreError(f"cannot use database {parsed.render_as_string()}: {exc}") from None
    if backend == "sqlite":
        _sqlite_setup(engine)
    return engine


def immediate(engine: Engine) -> Engine:
    """The same engine, whose transactions take SQLite's write lock up front."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())
