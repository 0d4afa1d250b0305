"""Console: users, API keys, sessions, campaign state, captures and objective outcome,
per-step counts and tallies, webhook outbox, hashed opt-outs of forgotten people.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _ref(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_keys",
        _id(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        _time("created_at", nullable=False),
        _time("last_used_at"),
        _time("revoked_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        _ref("user_id"),
        sa.Column("csrf", sa.String(64), nullable=False),
        _time("created_at", nullable=False),
        _time("expires_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    op.create_table(
        "campaign_steps",
        _ref("campaign_id"),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("left", sa.Integer(), nullable=False),
        sa.Column("unclear", sa.Integer(), nullable=False),
        sa.Column("fallback", sa.Integer(), nullable=False),
        sa.Column("objections", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_steps_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "step", name=op.f("pk_campaign_steps")),
    )
    op.create_table(
        "campaign_tallies",
        _ref("campaign_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_tallies_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "kind", "key", name=op.f("pk_campaign_tallies")),
    )
    op.create_table(
        "webhook_outbox",
        _id(),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _time("created_at", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("next_attempt_at", nullable=False),
        _time("delivered_at"),
        sa.Column("last_error", sa.String(300)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_webhook_outbox_idempotency_key")),
    )
    op.create_index(
        op.f("ix_webhook_outbox_delivered_at_next_attempt_at"),
        "webhook_outbox",
        ["delivered_at", "next_attempt_at"],
    )
    op.create_table(
        "forgotten_numbers",
        sa.Column("phone_hash", sa.String(64), nullable=False),
        _time("forgotten_at", nullable=False),
        sa.PrimaryKeyConstraint("phone_hash", name=op.f("pk_forgotten_numbers")),
    )
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("state", sa.String(16), nullable=False, server_default="created")
        )
        batch.add_column(_time("state_changed_at"))
    # Campaigns that exist already were started by ``mbs run``: running, or done.
    op.execute(
        "UPDATE campaigns SET state = CASE WHEN finished_at IS NULL THEN 'running' ELSE 'done' END"
    )
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("captures", sa.JSON()))
        batch.add_column(sa.Column("last_step", sa.String(100)))
        batch.add_column(sa.Column("objective_result", sa.String(32)))
        batch.add_column(_time("objective_at"))
        batch.create_index(
            batch.f("ix_calls_campaign_id_created_at_id"), ["campaign_id", "created_at", "id"]
        )
        # Covering indexes: the console's counts read them alone, never the wide rows.
        batch.create_index(
            batch.f("ix_calls_campaign_id_status_dialled_at_answered_at"),
            ["campaign_id", "status", "dialled_at", "answered_at"],
        )
        batch.create_index(
            batch.f("ix_calls_campaign_id_result_status_dialled_at"),
            ["campaign_id", "result", "status", "dialled_at"],
        )
        batch.create_index(batch.f("ix_calls_campaign_id_last_step"), ["campaign_id", "last_step"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_index(batch.f("ix_calls_campaign_id_last_step"))
        batch.drop_index(batch.f("ix_calls_campaign_id_result_status_dialled_at"))
        batch.drop_index(batch.f("ix_calls_campaign_id_status_dialled_at_answered_at"))
        batch.drop_index(batch.f("ix_calls_campaign_id_created_at_id"))
        batch.drop_column("objective_at")
        batch.drop_column("objective_result")
        batch.drop_column("last_step")
        batch.drop_column("captures")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("state_changed_at")
        batch.drop_column("state")
    op.drop_table("forgotten_numbers")
    op.drop_index(op.f("ix_webhook_outbox_delivered_at_next_attempt_at"), "webhook_outbox")
    op.drop_table("webhook_outbox")
    op.drop_table("campaign_tallies")
    op.drop_table("campaign_steps")
    op.drop_table("web_sessions")
    op.drop_table("api_keys")
    op.drop_table("users")
