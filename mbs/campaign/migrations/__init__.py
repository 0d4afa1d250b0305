"""The store's schema history (Alembic), run from code so it works from an installed package.

``upgrade(url_or_engine)`` brings a database to the newest revision; it is what
:meth:`mbs.campaign.store.Store.open` calls. Developers add a revision with::

    .venv/bin/python -m mbs.campaign.migrations revision "what changed"
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

HERE = Path(__file__).resolve().parent
_MIGRATION_LOCK = 0x6D62_7300  # pg advisory lock key held while migrating ("mbs")


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def _engine(target: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    from mbs.campaign.store.engine import make_engine

    return make_engine(target), True


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database at ``target`` (a URL or an Engine) up to ``revision``."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Workers started together on an empty database would both create the
                # tables: one migrates, the others wait here, then find it done.
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            command.upgrade(alembic_config(conn), revision)
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
