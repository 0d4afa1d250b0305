"""Read-side: campaign summaries and exports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from mbs.campaign.store.base import StoreBase
from mbs.campaign.store.calls_repo import counted
from mbs.campaign.store.models import Call, Campaign, CampaignContact, Contact
from mbs.campaign.store.records import CallTotals, CampaignStats
from mbs.campaign.store.types import UTCDateTime

EXPORT_COLUMNS = (
    "call_id",
    "campaign",
    "phone",
    "first_name",
    "last_name",
    "company",
    "email",
    "attempt",
    "status",
    "result",
    "created_at",
    "dialled_at",
    "answered_at",
    "ended_at",
    "duration_s",
    "hangup_cause",
    "freestyle_turns",
    "objections",
    "recording_path",
    "transcript_path",
    "program_hash",
    "policy",
    "worker_id",
    "objective_result",
    "last_step",
)


class StatsMixin(StoreBase):
    def stats(self, campaign: str | int, *, now: datetime) -> CampaignStats:
        with self.session() as s:
            camp = self._find_campaign(s, campaign)
            # One pass over the memberships and one over the calls for the counts (the
            # console asks for these every second, with 100,000 calls in the store).
            cc = CampaignContact
            open_ = and_(cc.done.is_(False), cc.active_call_id.is_(None))
            due = and_(open_, or_(cc.next_attempt_at.is_(None), cc.next_attempt_at <= now))
            contacts, done, in_flight, waiting, due_now, next_due = s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((cc.done, 1), else_=0)), 0),
                    func.count(cc.active_call_id),
                    func.coalesce(func.sum(case((open_, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((due, 1), else_=0)), 0),
                    func.min(case((open_, cc.next_attempt_at), else_=None)),
                ).where(cc.campaign_id == camp.id)
            ).one()
            contacts, done, in_flight = int(contacts), int(done), int(in_flight)
            waiting, due_now = int(waiting), int(due_now)
            if next_due is not None and not isinstance(next_due, datetime):
                next_due = UTCDateTime().process_result_value(next_due, self.engine.dialect)
            if due_now:
                next_due = now
            outcomes = {
                str(o): int(n)
                for o, n in s.execute(
                    select(cc.outcome, func.count())
                    .where(cc.campaign_id == camp.id, cc.outcome.is_not(None))
                    .group_by(cc.outcome)
                )
            }
            reasons = {
                str(r): int(n)
                for r, n in s.execute(
                    select(cc.waiting_reason, func.count())
                    .where(cc.campaign_id == camp.id, open_, cc.waiting_reason.is_not(None))
                    .group_by(cc.waiting_reason)
                )
            }
            mine = [Call.campaign_id == camp.id, counted(Call.status, Call.dialled_at)]
            by_status: dict[str, int] = {}
            dialled = answered = 0
            for st, n, d, a in s.execute(
                select(
                    Call.status,
                    func.count(),
                    func.count(Call.dialled_at),
                    func.count(Call.answered_at),
                )
                .where(*mine)
                .group_by(Call.status)
            ):
                by_status[str(st)] = int(n)
                dialled += int(d)
                answered += int(a)
            by_result = {
                str(r): int(n)
                for r, n in s.execute(
                    select(Call.result, func.count())
                    .where(*mine, Call.result.is_not(None))
                    .group_by(Call.result)
                )
            }
            return CampaignStats(
                campaign=camp.name,
                contacts=contacts,
                done=done,
                in_flight=in_flight,
                waiting=waiting,
                due_now=due_now,
                calls=sum(by_status.values()),
                dialled=dialled,
                answered=answered,
                by_status=by_status,
                by_result=by_result,
                outcomes=outcomes,
                waiting_reasons=reasons,
                next_due_at=next_due,
            )

    def call_totals(self, campaign: str | int) -> CallTotals:
        """Talk time of the answered calls, freestyle turns and objections matched, over
        every call of the campaign (every run and worker)."""
        with self.session() as s:
            camp = self._find_campaign(s, campaign)
            mine = [Call.campaign_id == camp.id, counted(Call.status, Call.dialled_at)]
            talked, seconds, freestyle = s.execute(
                select(
                    func.count(Call.duration_s).filter(Call.answered_at.is_not(None)),
                    func.sum(Call.duration_s).filter(Call.answered_at.is_not(None)),
                    func.sum(Call.freestyle_turns),
                ).where(*mine)
            ).one()
            objections: Counter[str] = Counter()
            for (matched,) in s.execute(select(Call.objections).where(*mine)):
                objections.update(str(o) for o in matched or ())
        return CallTotals(
            talked=int(talked or 0),
            talk_seconds=float(seconds or 0.0),
            freestyle_turns=int(freestyle or 0),
            objections=dict(objections.most_common()),
        )

    def last_activity(self, campaign: str | int) -> datetime | None:
        """The latest time written on the campaign's calls (created, dialled, answered,
        ended), None before the first claim. A simulated clock resumes from here, so a
        run after a crash never records times before those of the run it continues."""
        with self.session() as s:
            camp = self._find_campaign(s, campaign)
            row = s.execute(
                select(
                    func.max(Call.created_at),
                    func.max(Call.dialled_at),
                    func.max(Call.answered_at),
                    func.max(Call.ended_at),
                ).where(Call.campaign_id == camp.id)
            ).one()
        found = [t for t in row if t is not None]
        return max(found) if found else None

    def export_calls(self, campaign: str | int) -> Iterator[dict[str, Any]]:
        """Every attempt of a campaign with its contact, oldest first (EXPORT_COLUMNS)."""
        with self.session() as s:
            camp = self._find_campaign(s, campaign)
            q = (
                select(Call, Contact, Campaign.name)
                .join(Contact, Contact.id == Call.contact_id)
                .join(Campaign, Campaign.id == Call.campaign_id)
                .where(Call.campaign_id == camp.id)
                .order_by(Call.created_at, Call.id)
            )
            rows = s.execute(q).all()
        for call, contact, name in rows:
            yield {
                "call_id": call.id,
                "campaign": name,
                "phone": call.phone,
                "first_name": contact.first_name or "",
                "last_name": contact.last_name or "",
                "company": contact.company or "",
                "email": contact.email or "",
                "attempt": call.attempt,
                "status": str(call.status),
                "result": str(call.result) if call.result else "",
                "created_at": call.created_at,
                "dialled_at": call.dialled_at,
                "answered_at": call.answered_at,
                "ended_at": call.ended_at,
                "duration_s": call.duration_s,
                "hangup_cause": call.hangup_cause or "",
                "freestyle_turns": call.freestyle_turns,
                "objections": list(call.objections or []),
                "recording_path": call.recording_path or "",
                "transcript_path": call.transcript_path or "",
                "program_hash": call.program_hash or "",
                "policy": (call.policy or {}).get("name", ""),
                "worker_id": call.worker_id or "",
                "objective_result": call.objective_result or "",
                "last_step": call.last_step or "",
                "captures": dict(call.captures or {}),  # expanded by mbs.campaign.export_table
            }
