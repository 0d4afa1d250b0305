"""Initial schema: contacts, campaigns, campaign membership, calls, call events, blocklist.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = (
    "PENDING",
    "CALLING",
    "RINGING",
    "IN_PROGRESS",
    "COMPLETED",
    "FAILED",
    "NO_ANSWER",
    "BUSY",
    "ANSWERING_MACHINE",
    "CANCELLED",
)
RESULTS = (
    "APPOINTMENT_SCHEDULED",
    "QUALIFIED",
    "NOT_QUALIFIED",
    "NOT_INTERESTED",
    "CALLBACK_REQUESTED",
    "TRANSFERRED",
    "ANSWERING_MACHINE",
    "HUNG_UP",
    "TECHNICAL_ERROR",
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _ref(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "contacts",
        _id(),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("first_name", sa.String(120)),
        sa.Column("last_name", sa.String(120)),
        sa.Column("email", sa.String(254)),
        sa.Column("company", sa.String(200)),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        _time("consent_at"),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        _time("opted_out_at"),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("phone", name=op.f("uq_contacts_phone")),
    )
    op.create_table(
        "campaigns",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scenario", sa.Text()),
        sa.Column("program_hash", sa.String(64)),
        sa.Column("settings", sa.JSON(), nullable=False),
        _time("created_at", nullable=False),
        _time("started_at"),
        _time("finished_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_table(
        "blocklist",
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200)),
        _time("added_at", nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_blocklist")),
    )
    op.create_table(
        "campaign_contacts",
        _id(),
        _ref("campaign_id"),
        _ref("contact_id"),
        _time("added_at", nullable=False),
        _time("next_attempt_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retries", sa.JSON(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("active_call_id", sa.String(36)),
        sa.Column("outcome", sa.String(40)),
        sa.Column("waiting_reason", sa.String(40)),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_contacts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_campaign_contacts_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_contacts")),
        sa.UniqueConstraint(
            "campaign_id", "contact_id", name=op.f("uq_campaign_contacts_campaign_id_contact_id")
        ),
    )
    op.create_index(
        op.f("ix_campaign_contacts_campaign_id_done_next_attempt_at"),
        "campaign_contacts",
        ["campaign_id", "done", "next_attempt_at"],
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(36), nullable=False),
        _ref("campaign_id"),
        _ref("contact_id"),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="call_status", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("result", sa.Enum(*RESULTS, name="call_result", native_enum=False, length=32)),
        _time("created_at", nullable=False),
        _time("dialled_at"),
        _time("answered_at"),
        _time("ended_at"),
        sa.Column("duration_s", sa.Float()),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column("freestyle_turns", sa.Integer(), nullable=False),
        sa.Column("objections", sa.JSON(), nullable=False),
        sa.Column("recording_path", sa.Text()),
        sa.Column("transcript_path", sa.Text()),
        sa.Column("program_hash", sa.String(64)),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("hangup_cause", sa.String(64)),
        sa.Column("worker_id", sa.String(100)),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_calls_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_calls_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    op.create_index(op.f("ix_calls_campaign_id_status"), "calls", ["campaign_id", "status"])
    op.create_index(op.f("ix_calls_contact_id_created_at"), "calls", ["contact_id", "created_at"])
    op.create_index(op.f("ix_calls_worker_id_status"), "calls", ["worker_id", "status"])
    op.create_table(
        "call_events",
        _id(),
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _time("at", nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_events_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
        sa.UniqueConstraint("call_id", "seq", name=op.f("uq_call_events_call_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("call_events")
    op.drop_index(op.f("ix_calls_worker_id_status"), table_name="calls")
    op.drop_index(op.f("ix_calls_contact_id_created_at"), table_name="calls")
    op.drop_index(op.f("ix_calls_campaign_id_status"), table_name="calls")
    op.drop_table("calls")
    op.drop_index(
        op.f("ix_campaign_contacts_campaign_id_done_next_attempt_at"),
        table_name="campaign_contacts",
    )
    op.drop_table("campaign_contacts")
    op.drop_table("blocklist")
    op.drop_table("campaigns")
    op.drop_table("contacts")
