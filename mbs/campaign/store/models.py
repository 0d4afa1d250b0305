"""The store's tables as SQLAlchemy 2 typed models.

The schema itself is owned by the Alembic migrations (``mbs/campaign/migrations``); a
test checks that autogenerate finds no difference between these models and the
migrated database, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mbs.campaign.store.types import UTCDateTime
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer on SQLite (so it aliases ROWID and autoincrements), BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _status_type() -> Enum:
    return Enum(CallStatus, native_enum=False, length=24, validate_strings=True, name="call_status")


def _result_type() -> Enum:
    return Enum(Result, native_enum=False, length=32, validate_strings=True, name="call_result")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Contact(Base):
    """A person to call, shared by every campaign (the law counts across campaigns)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    company: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # template variables
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scenario: Mapped[str | None] = mapped_column(Text)  # path of the .mbs / .mbsc
    program_hash: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # created, running, paused, cancelled, done: every worker obeys it (mbs.campaign.state)
    state: Mapped[str] = mapped_column(String(16), default="created", server_default="created")
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignContact(Base):
    """A contact's membership in a campaign and where the campaign stands with them."""

    __tablename__ = "campaign_contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index(None, "campaign_id", "done", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: due now
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # per status kind
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    active_call_id: Mapped[str | None] = mapped_column(String(36))  # claimed, not finished
    outcome: Mapped[str | None] = mapped_column(String(40))  # last result/status/skip
    waiting_reason: Mapped[str | None] = mapped_column(String(40))  # law's last "not now"

    contact: Mapped[Contact] = relationship(lazy="joined")


class Call(Base):
    """One dialling attempt."""

    __tablename__ = "calls"
    __table_args__ = (
        Index(None, "campaign_id", "status"),
        Index(None, "contact_id", "created_at"),
        Index(None, "worker_id", "status"),
        Index(None, "campaign_id", "created_at", "id"),  # pages of calls, index-only
        # covering indexes for the console's counts (read alone, not the wide rows)
        Index(None, "campaign_id", "status", "dialled_at", "answered_at"),
        Index(None, "campaign_id", "result", "status", "dialled_at"),
        Index(None, "campaign_id", "last_step"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4, the telephony call id
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20))  # the number dialled
    attempt: Mapped[int] = mapped_column(Integer)  # 1 for the first call of this contact here
    status: Mapped[CallStatus] = mapped_column(_status_type())
    result: Mapped[Result | None] = mapped_column(_result_type())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dialled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)  # answered -> ended
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    freestyle_turns: Mapped[int] = mapped_column(Integer, default=0)
    objections: Mapped[list[str]] = mapped_column(JSON, default=list)
    recording_path: Mapped[str | None] = mapped_column(Text)
    transcript_path: Mapped[str | None] = mapped_column(Text)
    program_hash: Mapped[str | None] = mapped_column(String(64))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    worker_id: Mapped[str | None] = mapped_column(String(100))
    captures: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # var -> value, last wins
    last_step: Mapped[str | None] = mapped_column(String(100))  # where the call ended
    # The objective's result once its step was reached (kept when the prospect hangs up).
    objective_result: Mapped[str | None] = mapped_column(String(32))
    objective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallEvent(Base):
    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BlocklistEntry(Base):
    __tablename__ = "blocklist"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    source: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(Base):
    """A console user; ``role`` is admin, supervisor or viewer (mbs.api.auth)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A key for the JSON API; only the SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # read | control
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A logged-in browser: the SHA-256 of its cookie, and its CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignStep(Base):
    """Per campaign and step: calls that reached it, ended there, and what went wrong there."""

    __tablename__ = "campaign_steps"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(100), primary_key=True)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    left: Mapped[int] = mapped_column(Integer, default=0)
    unclear: Mapped[int] = mapped_column(Integer, default=0)
    fallback: Mapped[int] = mapped_column(Integer, default=0)
    objections: Mapped[int] = mapped_column(Integer, default=0)


class CampaignTally(Base):
    """Running counts the console shows without scanning the calls: objections heard
    (kind ``objection``), results per day (``day``, key ``YYYY-MM-DD|RESULT``), the
    objective reached (``objective``). Kept by ``finish_call``."""

    __tablename__ = "campaign_tallies"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class WebhookOutbox(Base):
    """A webhook to deliver at least once; written in the same transaction as the call's end."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (Index(None, "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))


class ForgottenNumber(Base):
    """What is kept of a forgotten person: the SHA-256 of the number, so they stay opted out."""

    __tablename__ = "forgotten_numbers"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(UTCDateTime)
