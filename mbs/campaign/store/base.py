"""The store's core: its engine, its sessions, and campaign look-ups shared by the parts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mbs.campaign.names import check_slug
from mbs.campaign.store.engine import StoreError, immediate
from mbs.campaign.store.models import Campaign
from mbs.campaign.store.records import CampaignInfo

T = TypeVar("T")

# PostgreSQL's verdicts on a writer that lost a race: unique_violation (another
# transaction inserted the same key since we looked), deadlock_detected,
# serialization_failure. The next try sees the winner's rows.
_LOST_RACE = {"23505", "40P01", "40001"}
_RACE_TRIES = 10


class CampaignNotFound(StoreError):
    pass


class StoreBase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite: BEGIN IMMEDIATE (the write lock first); elsewhere the same sessions.
        writer = immediate(engine) if self.dialect == "sqlite" else engine
        self._writer_sessions = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as s:
            yield s

    @contextmanager
    def writer(self) -> Iterator[Session]:
        """A transaction that reads then writes and must not interleave with another."""
        with self._writer_sessions.begin() as s:
            yield s

    def write_retrying(self, work: Callable[[Session], T]) -> T:
        """``work`` in a :meth:`writer` transaction, run again when it lost a race.

        For a read-then-insert (select the keys present, add the others). SQLite
        serialises writers (BEGIN IMMEDIATE), so it never loses; PostgreSQL lets two
        transactions insert one key, and the second fails: tried again, it finds the
        row and updates it. ``work`` must start from nothing each time.
        """
        tries = 0
        while True:
            tries += 1
            try:
                with self.writer() as s:
                    return work(s)
            except DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if self.dialect == "sqlite" or code not in _LOST_RACE or tries >= _RACE_TRIES:
                    raise

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ campaigns

    @staticmethod
    def _find_campaign(s: Session, campaign: str | int) -> Campaign:
        q = select(Campaign).where(
            Campaign.id == campaign if isinstance(campaign, int) else Campaign.name == campaign
        )
        found = s.scalars(q).one_or_none()
        if found is None:
            raise CampaignNotFound(f"no campaign {campaign!r} in the store")
        return found

    def create_campaign(
        self,
        name: str,
        *,
        now: datetime,
        scenario: str | None = None,
        program_hash: str | None = None,
        settings: dict[str, Any] | None = None,
        exist_ok: bool = False,
    ) -> CampaignInfo:
        """Create a campaign; with ``exist_ok`` an existing one is updated and returned."""

        def work(s: Session) -> CampaignInfo:
            found = s.scalars(select(Campaign).where(Campaign.name == name)).one_or_none()
            if found is not None:
                if not exist_ok:
                    raise StoreError(f"campaign {name!r} already exists")
                if scenario is not None:
                    found.scenario = scenario
                if program_hash is not None:
                    found.program_hash = program_hash
                if settings is not None:
                    found.settings = settings
                return _campaign_info(found)
            try:
                check_slug(name)  # it names folders: never "../x" or "/etc"
            except ValueError as exc:
                raise StoreError(str(exc)) from None
            campaign = Campaign(
                name=name,
                scenario=scenario,
                program_hash=program_hash,
                settings=settings or {},
                created_at=now,
            )
            s.add(campaign)
            s.flush()
            return _campaign_info(campaign)

        # two imports into a new campaign at once both try to create it
        return self.write_retrying(work)

    def get_campaign(self, campaign: str | int) -> CampaignInfo | None:
        with self.session() as s:
            try:
                return _campaign_info(self._find_campaign(s, campaign))
            except CampaignNotFound:
                return None

    def list_campaigns(self) -> list[CampaignInfo]:
        with self.session() as s:
            return [_campaign_info(c) for c in s.scalars(select(Campaign).order_by(Campaign.id))]

    def mark_campaign(
        self,
        campaign: str | int,
        *,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
    ) -> None:
        """Record when a campaign started (kept if already set) or finished."""
        with self.session() as s:
            c = self._find_campaign(s, campaign)
            if started_at is not None and c.started_at is None:
                c.started_at = started_at
            if finished_at is not None:
                c.finished_at = finished_at

    def ping(self) -> None:
        """Fail early, with a clear message, when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except OperationalError as exc:
            raise StoreError(f"cannot reach the database: {exc.orig}") from None


def _campaign_info(c: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=c.id,
        name=c.name,
        scenario=c.scenario,
        program_hash=c.program_hash,
        settings=dict(c.settings or {}),
        created_at=c.created_at,
        started_at=c.started_at,
        finished_at=c.finished_at,
        state=c.state or "created",
    )
