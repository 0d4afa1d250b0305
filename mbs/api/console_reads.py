"""The console's queries: per-step counts, results over time, objections, the funnel,
calls with filters, contacts. Each is one or two indexed queries, so a page stays fast
with a hundred thousand calls in the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from mbs.api.reads import CallRow, _joined, _row
from mbs.campaign.store import Store
from mbs.campaign.store.models import (
    BlocklistEntry,
    Call,
    Campaign,
    CampaignContact,
    CampaignStep,
    CampaignTally,
    Contact,
)
from mbs.campaign.store.types import UTCDateTime
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

LIVE_STATUSES = (CallStatus.CALLING, CallStatus.RINGING, CallStatus.IN_PROGRESS)


@dataclass(frozen=True)
class StepRow:
    step: str
    reached: int
    left: int
    unclear: int
    fallback: int
    objections: int


def step_counts(store: Store, campaign_id: int) -> list[StepRow]:
    with store.session() as s:
        rows = s.scalars(
            select(CampaignStep)
            .where(CampaignStep.campaign_id == campaign_id)
            .order_by(CampaignStep.reached.desc(), CampaignStep.step)
        )
        return [
            StepRow(r.step, r.reached, r.left, r.unclear, r.fallback, r.objections) for r in rows
        ]


def _tallies(store: Store, campaign_id: int, kind: str) -> list[tuple[str, int]]:
    with store.session() as s:
        return [
            (str(k), int(n))
            for k, n in s.execute(
                select(CampaignTally.key, CampaignTally.n).where(
                    CampaignTally.campaign_id == campaign_id, CampaignTally.kind == kind
                )
            )
        ]


def results_by_day(store: Store, campaign_id: int) -> list[tuple[str, dict[str, int]]]:
    """Per day (UTC) of the call's creation: how many calls ended with each result."""
    found: dict[str, dict[str, int]] = {}
    for key, n in _tallies(store, campaign_id, "day"):
        day, _, result = key.partition("|")
        found.setdefault(day, {})[result] = n
    return sorted(found.items())


def objection_counts(store: Store, campaign_id: int, limit: int = 15) -> list[tuple[str, int]]:
    counts = _tallies(store, campaign_id, "objection")
    return sorted(counts, key=lambda kv: (-kv[1], kv[0]))[:limit]


@dataclass(frozen=True)
class Funnel:
    contacts: int
    dialled: int
    answered: int
    objective: int  # calls that reached the objective's step
    results: dict[str, int]


def objective_reached(store: Store, campaign_id: int) -> dict[str, int]:
    return dict(_tallies(store, campaign_id, "objective"))


@dataclass(frozen=True)
class CallFilter:
    status: CallStatus | None = None
    result: Result | None = None
    step: str | None = None
    day: date | None = None


@dataclass(frozen=True)
class CallsPage:
    total: int
    rows: list[CallRow]


def filtered_calls(
    store: Store, campaign_id: int, f: CallFilter, *, limit: int, offset: int
) -> CallsPage:
    """Newest first (what an operator looks at), filtered and paged."""
    conds: list[Any] = [Call.campaign_id == campaign_id]
    if f.status is not None:
        conds.append(Call.status == f.status)
    if f.result is not None:
        conds.append(Call.result == f.result)
    if f.step:
        conds.append(Call.last_step == f.step)
    if f.day is not None:
        begin = datetime(f.day.year, f.day.month, f.day.day, tzinfo=UTC)
        conds.append(Call.created_at >= begin)
        if f.day < date.max:  # the calendar's last day has no next one: no upper bound
            conds.append(Call.created_at < begin + timedelta(days=1))
    with store.session() as s:
        total = int(s.scalar(select(func.count()).select_from(Call).where(*conds)) or 0)
        # The page's ids first, from the (campaign, created_at, id) index alone; then
        # only those rows are read in full.
        order = (Call.created_at.desc(), Call.id.desc())
        ids = select(Call.id).where(*conds).order_by(*order).limit(limit).offset(offset)
        page = ids.subquery()
        rows = s.execute(_joined().join(page, page.c.id == Call.id).order_by(*order)).all()
        return CallsPage(total, [_row(c, n, k) for c, n, k in rows])


def steps_seen(store: Store, campaign_id: int) -> list[str]:
    with store.session() as s:
        return sorted(
            s.scalars(select(CampaignStep.step).where(CampaignStep.campaign_id == campaign_id))
        )


@dataclass(frozen=True)
class LiveCall:
    id: str
    campaign: str
    phone: str
    status: str
    started: datetime  # answered, else dialled, else claimed


def calls_in_progress(store: Store, limit: int = 1000) -> list[LiveCall]:
    """Calls claimed, dialling, ringing or in conversation: the few columns the page shows."""
    with store.session() as s:
        # Per campaign, so the (campaign_id, status, ...) index finds them.
        campaigns = dict(s.execute(select(Campaign.id, Campaign.name)).all())
        rows = s.execute(
            select(
                Call.id,
                Call.campaign_id,
                Call.phone,
                Call.status,
                func.coalesce(Call.answered_at, Call.dialled_at, Call.created_at),
            )
            .where(
                Call.campaign_id.in_(list(campaigns)),
                Call.status.in_(LIVE_STATUSES),
                Call.ended_at.is_(None),
            )
            .order_by(Call.created_at)
            .limit(limit)
        ).all()
    found = []
    for call_id, campaign_id, phone, status, started in rows:
        if not isinstance(started, datetime):
            started = UTCDateTime().process_result_value(started, store.engine.dialect)
        found.append(LiveCall(call_id, campaigns[campaign_id], phone, str(status), started))
    return found


@dataclass(frozen=True)
class ContactRow:
    phone: str
    first_name: str | None
    last_name: str | None
    company: str | None
    opted_out: bool
    blocklisted: bool
    campaigns: int


def search_contacts(store: Store, text: str, *, limit: int = 50) -> list[ContactRow]:
    q = select(Contact).order_by(Contact.id.desc()).limit(limit)
    text = text.strip()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        q = q.where(
            or_(
                Contact.phone.like(like),
                Contact.last_name.ilike(like),
                Contact.first_name.ilike(like),
                Contact.company.ilike(like),
            )
        )
    with store.session() as s:
        contacts = list(s.scalars(q))
        phones = [c.phone for c in contacts]
        blocked = set(
            s.scalars(select(BlocklistEntry.phone).where(BlocklistEntry.phone.in_(phones)))
        )
        ids = [c.id for c in contacts]
        memberships = dict(
            s.execute(
                select(CampaignContact.contact_id, func.count())
                .where(CampaignContact.contact_id.in_(ids))
                .group_by(CampaignContact.contact_id)
            ).all()
        )
        return [
            ContactRow(
                c.phone,
                c.first_name,
                c.last_name,
                c.company,
                c.opted_out,
                c.phone in blocked,
                int(memberships.get(c.id, 0)),
            )
            for c in contacts
        ]
