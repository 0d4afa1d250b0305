"""Read-only queries the API needs and the store does not offer: one call, a page of calls.

They go through the store's own sessions and models, so they see exactly what the
executor wrote, on SQLite and PostgreSQL alike. Nothing here writes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from mbs.campaign.store import Store
from mbs.campaign.store.models import Call, Campaign, Contact
from mbs.program import Result
from mbs.runtime.telephony import CallStatus


@dataclass(frozen=True)
class CallRow:
    """A call attempt as stored, with its campaign's name and its contact's names."""

    id: str
    campaign: str
    phone: str
    attempt: int
    status: CallStatus
    result: Result | None
    created_at: datetime
    dialled_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    hangup_cause: str | None
    retry_count: int
    freestyle_turns: int
    objections: list[str]
    recording_path: str | None
    transcript_path: str | None
    program_hash: str | None
    policy: dict[str, Any]
    worker_id: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    captures: dict[str, Any]
    objective_result: Result | None
    last_step: str | None


def _row(call: Call, campaign: str, contact: Contact) -> CallRow:
    return CallRow(
        id=call.id,
        campaign=campaign,
        phone=call.phone,
        attempt=call.attempt,
        status=CallStatus(call.status),
        result=Result(call.result) if call.result is not None else None,
        created_at=call.created_at,
        dialled_at=call.dialled_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        duration_s=call.duration_s,
        hangup_cause=call.hangup_cause,
        retry_count=call.retry_count,
        freestyle_turns=call.freestyle_turns,
        objections=list(call.objections or []),
        recording_path=call.recording_path,
        transcript_path=call.transcript_path,
        program_hash=call.program_hash,
        policy=dict(call.policy or {}),
        worker_id=call.worker_id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        company=contact.company,
        captures=dict(call.captures or {}),
        objective_result=Result(call.objective_result) if call.objective_result else None,
        last_step=call.last_step,
    )


def _joined() -> Any:
    return (
        select(Call, Campaign.name, Contact)
        .join(Campaign, Campaign.id == Call.campaign_id)
        .join(Contact, Contact.id == Call.contact_id)
    )


def get_call(store: Store, call_id: str) -> CallRow | None:
    with store.session() as s:
        found = s.execute(_joined().where(Call.id == call_id)).one_or_none()
        if found is None:
            return None
        call, campaign, contact = found
        return _row(call, campaign, contact)


@dataclass(frozen=True)
class CallPage:
    total: int
    rows: list[CallRow]


def list_calls(
    store: Store,
    campaign_id: int,
    *,
    status: CallStatus | None = None,
    result: Result | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CallPage:
    """A campaign's attempts, oldest first (the export's order), filtered and paged."""
    conds: list[Any] = [Call.campaign_id == campaign_id]
    if status is not None:
        conds.append(Call.status == status)
    if result is not None:
        conds.append(Call.result == result)
    with store.session() as s:
        total = int(s.scalar(select(func.count()).select_from(Call).where(*conds)) or 0)
        order = (Call.created_at, Call.id)
        page = select(Call.id).where(*conds).order_by(*order).limit(limit).offset(offset)
        ids = page.subquery()  # the page's ids from the index alone, then those rows
        rows = s.execute(_joined().join(ids, ids.c.id == Call.id).order_by(*order)).all()
        return CallPage(total, [_row(call, name, contact) for call, name, contact in rows])


def call_exists(store: Store, call_id: str) -> bool:
    with store.session() as s:
        return s.get(Call, call_id) is not None


@dataclass(frozen=True)
class TalkTimes:
    """Talk times (answer to hang-up) of one campaign's finished calls, bucketed."""

    campaign_id: int
    cumulative: list[int]  # calls with duration <= each bound, aligned with the bounds
    count: int
    total_seconds: float


def talk_times(store: Store, bounds: Sequence[float]) -> dict[int, TalkTimes]:
    """Per campaign, one query for all: how many calls lasted at most each bound."""
    finite = [b for b in bounds if math.isfinite(b)]
    columns = [func.sum(case((Call.duration_s <= b, 1), else_=0)) for b in finite]
    q = (
        select(Call.campaign_id, func.count(), func.sum(Call.duration_s), *columns)
        .where(Call.duration_s.is_not(None))
        .group_by(Call.campaign_id)
    )
    found: dict[int, TalkTimes] = {}
    with store.session() as s:
        for campaign_id, count, total, *under in s.execute(q):
            cumulative = [int(n or 0) for n in under]
            cumulative += [int(count)] * (len(bounds) - len(finite))
            found[int(campaign_id)] = TalkTimes(
                int(campaign_id), cumulative, int(count), float(total or 0.0)
            )
    return found
