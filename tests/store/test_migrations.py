"""The Alembic history builds exactly the models' schema, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect

from mbs.campaign.migrations import alembic_config, current_revision, head_revision, upgrade
from mbs.campaign.store import ContactData, Store
from mbs.campaign.store.models import Base

TABLES = {"contacts", "campaigns", "campaign_contacts", "calls", "call_events", "blocklist"}


def test_autogenerate_finds_no_difference(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []
        assert set(inspect(conn).get_table_names()) >= TABLES


def test_upgrade_is_idempotent_and_at_head(store: Store) -> None:
    upgrade(store.engine)
    assert current_revision(store.engine) == head_revision() == "0002"


def test_downgrade_to_base_and_back(store: Store) -> None:
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    with store.engine.connect() as conn:
        assert not TABLES & set(inspect(conn).get_table_names())
    upgrade(store.engine)
    with store.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES


def test_default_url_is_a_sqlite_file_in_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    s = Store.open()
    try:
        assert (tmp_path / "var" / "mbs.sqlite").exists()
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        s.close()


def test_migrations_live_inside_the_package() -> None:
    import mbs

    location = Path(alembic_config().get_main_option("script_location") or "")
    assert location.is_relative_to(Path(mbs.__file__).parent)
    assert (location / "versions" / "0001_initial.py").is_file()


def test_sqlite_claims_take_the_write_lock_first(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    begins: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    try:
        now = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
        store.create_campaign("c", now=now)
        ids = store.upsert_contacts([ContactData("+33612345678")], now=now).ids
        store.add_to_campaign("c", ids.values(), now=now)
        # read-then-write: a deferred reader turning writer cannot wait for the lock
        assert begins == ["BEGIN IMMEDIATE"] * 3
        begins.clear()
        assert store.get_contact("+33612345678") is not None
        assert store.campaign_size("c") == 1
        assert set(begins) == {"BEGIN"}  # reads stay deferred
        begins.clear()
        assert len(store.claim_due("c", now, 1, "w").claims) == 1
        assert begins == ["BEGIN IMMEDIATE"]
    finally:
        store.close()
