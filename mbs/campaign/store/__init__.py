"""The store: contacts, campaigns, calls and their events, in SQLite or PostgreSQL.

Open it with :meth:`Store.open` (``DATABASE_URL``, else ``var/mbs.sqlite``); the schema
is brought up to date by the Alembic migrations on the way. Every method runs its own
short transaction and returns plain values, so one ``Store`` may be shared by threads
(asyncio code calls it through ``asyncio.to_thread``). The executor's API — claim,
update, record, finish, recover — is documented in ``docs/campaigns.md``.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from mbs.campaign.store.auth_repo import ApiKeyInfo, AuthMixin, SessionInfo, UserInfo
from mbs.campaign.store.base import CampaignNotFound
from mbs.campaign.store.calls_repo import (
    CRASH_RECOVERED,
    CallAlreadyFinished,
    CallNotFound,
    CallsMixin,
)
from mbs.campaign.store.contacts_repo import ContactsMixin, UpsertReport
from mbs.campaign.store.control_repo import ControlMixin
from mbs.campaign.store.engine import StoreError, database_url, make_engine
from mbs.campaign.store.records import (
    CallOutcome,
    CallTotals,
    CampaignInfo,
    CampaignStats,
    Claim,
    ClaimBatch,
    ContactData,
    ContactInfo,
    Deferred,
    Finished,
    FinishWrite,
    Recovery,
    StatusWrite,
)
from mbs.campaign.store.retry import RetryPolicy
from mbs.campaign.store.stats_repo import EXPORT_COLUMNS, StatsMixin


class Store(ContactsMixin, CallsMixin, StatsMixin, AuthMixin, ControlMixin):
    """The repository the CLI and the campaign executor use."""

    @classmethod
    def open(
        cls, url: str | URL | None = None, *, schema: str | None = None, migrate: bool = True
    ) -> Store:
        """Open the store at ``url`` (default: ``DATABASE_URL`` or ``var/mbs.sqlite``)."""
        engine = make_engine(url if url is not None else database_url(), schema=schema)
        return cls.from_engine(engine, migrate=migrate)

    @classmethod
    def from_engine(cls, engine: Engine, *, migrate: bool = True) -> Store:
        if migrate:
            from mbs.campaign.migrations import upgrade

            try:
                upgrade(engine)
            except DBAPIError as exc:
                engine.dispose()
                raise StoreError(f"cannot open the database: {exc.orig}") from None
        return cls(engine)


__all__ = [
    "CRASH_RECOVERED",
    "EXPORT_COLUMNS",
    "ApiKeyInfo",
    "CallAlreadyFinished",
    "CallNotFound",
    "CallOutcome",
    "CallTotals",
    "CampaignInfo",
    "CampaignNotFound",
    "CampaignStats",
    "Claim",
    "ClaimBatch",
    "ContactData",
    "ContactInfo",
    "Deferred",
    "FinishWrite",
    "Finished",
    "Recovery",
    "RetryPolicy",
    "SessionInfo",
    "StatusWrite",
    "Store",
    "StoreError",
    "UpsertReport",
    "UserInfo",
]
