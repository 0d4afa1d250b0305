"""Alembic environment: always given a live connection by mbs.campaign.migrations."""

from __future__ import annotations

from alembic import context

from mbs.campaign.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through mbs.campaign.migrations.upgrade(url)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
