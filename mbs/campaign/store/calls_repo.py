"""The executor's side of the store: claim due contacts, follow calls, finish, recover.

The life of one attempt::

    claim_due()          -> call row PENDING, contact marked in flight (active_call_id)
    start_dial()         -> the law again, on the dial time: CALLING (commit BEFORE
                            dialling, dialled_at = the attempt's time), or released
    update_call_status() -> RINGING, IN_PROGRESS
    record_event()       -> the call's event log, numbered 1, 2, 3...
    finish_call()        -> final status/result; the contact is done, or due again later

Claiming is atomic: on PostgreSQL the due rows (and their contacts) are locked with
``SELECT ... FOR UPDATE SKIP LOCKED``, so workers sharing a campaign never take the same
contact and never wait for each other; on SQLite the claim runs in a ``BEGIN
IMMEDIATE`` transaction (one writer at a time, others queue on the busy timeout).
The law is applied at claim time, with the contact's history across all campaigns, and
again by :meth:`CallsMixin.start_dial` immediately before the originate: an attempt's
time is its dial time, and a claim the law no longer allows (the window closed while the
opening line was synthesised, another campaign dialled the person meanwhile) is released,
not dialled.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from mbs.campaign.law import CallingLaw, CallingPolicy, ContactHistory, Decision, Reason
from mbs.campaign.store.base import StoreBase
from mbs.campaign.store.contacts_repo import contact_info
from mbs.campaign.store.engine import StoreError
from mbs.campaign.store.models import (
    BlocklistEntry,
    Call,
    CallEvent,
    Campaign,
    CampaignContact,
    CampaignStep,
    CampaignTally,
    Contact,
    ForgottenNumber,
    WebhookOutbox,
)
from mbs.campaign.store.records import (
    CallOutcome,
    Claim,
    ClaimBatch,
    Deferred,
    Finished,
    FinishWrite,
    Recovery,
    StatusWrite,
)
from mbs.campaign.store.retry import CALLBACK, RetryPolicy, retry_kind
from mbs.runtime.telephony import CallStatus

CRASH_RECOVERED = "CRASH_RECOVERED"
# a contact lacking fields the scenario says: released undialled, done in the campaign
INCOMPLETE = "INCOMPLETE_CONTACT"
MAX_EXAMINED = 2000  # due rows one claim_due call looks at, at most
LIVE = (CallStatus.CALLING, CallStatus.RINGING, CallStatus.IN_PROGRESS)
FINAL = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.FAILED,
        CallStatus.NO_ANSWER,
        CallStatus.BUSY,
        CallStatus.ANSWERING_MACHINE,
        CallStatus.CANCELLED,
    }
)


class CallNotFound(StoreError):
    pass


class CallAlreadyFinished(StoreError):
    """A late update for a call that is over (finished, or closed by crash recovery)."""


def _law(policy: CallingLaw | CallingPolicy | None) -> CallingLaw:
    if isinstance(policy, CallingLaw):
        return policy
    return CallingLaw(policy)


def counted(q_status: Any, q_dialled: Any) -> Any:
    """SQL condition: the call counts as a solicitation (not released before dialling)."""
    return or_(q_status != CallStatus.CANCELLED, q_dialled.is_not(None))


def add_step_counts(
    s: Session,
    campaign_id: int,
    steps: dict[str, tuple[int, int, int, int]],
    last_step: str | None,
) -> None:
    """Add one call's per-step counts to the campaign's (rows locked in a stable order)."""
    names = sorted(n[:100] for n in steps)
    blank = [
        {
            "campaign_id": campaign_id,
            "step": name,
            "reached": 0,
            "left": 0,
            "unclear": 0,
            "fallback": 0,
            "objections": 0,
        }
        for name in names
    ]
    # Two workers may meet a step for the first time together: insert-if-absent, then lock.
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        s.execute(pg_insert(CampaignStep).values(blank).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        s.execute(sqlite_insert(CampaignStep).values(blank).on_conflict_do_nothing())
    rows = s.scalars(
        select(CampaignStep)
        .where(CampaignStep.campaign_id == campaign_id, CampaignStep.step.in_(names))
        .order_by(CampaignStep.step)
        .with_for_update()
    )
    for row in rows:
        reached, unclear, fallback, objections = steps.get(row.step, (0, 0, 0, 0))
        row.reached += reached
        row.unclear += unclear
        row.fallback += fallback
        row.objections += objections
        if row.step == last_step:
            row.left += 1


def add_tallies(s: Session, call: Call, outcome: CallOutcome) -> None:
    """Count the call's objections, its result for its day, its objective result."""
    day = call.created_at.astimezone(UTC).strftime("%Y-%m-%d")
    counts: dict[tuple[str, str], int] = defaultdict(int)
    counts[("day", f"{day}|{outcome.result or outcome.status}")] += 1
    for text in outcome.objections:
        counts[("objection", str(text)[:200])] += 1
    if outcome.objective_result is not None:
        counts[("objective", str(outcome.objective_result))] += 1
    rows = [
        {"campaign_id": call.campaign_id, "kind": k, "key": key, "n": n}
        for (k, key), n in sorted(counts.items())
    ]
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(CampaignTally).values(rows)
        s.execute(
            pg.on_conflict_do_update(
                index_elements=["campaign_id", "kind", "key"],
                set_={"n": CampaignTally.n + pg.excluded.n},
            )
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(CampaignTally).values(rows)
        s.execute(
            lite.on_conflict_do_update(
                index_elements=["campaign_id", "kind", "key"],
                set_={"n": CampaignTally.n + lite.excluded.n},
            )
        )


def phone_hash(phone: str) -> str:
    """What is kept of a forgotten number (the law needs their opt-out to last)."""
    return hashlib.sha256(phone.encode("utf-8")).hexdigest()


class CallsMixin(StoreBase):
    # Write a webhook event to the outbox with each call's end (mbs.campaign.webhooks).
    outbox_enabled: bool = False

    @staticmethod
    def _queue_webhook(s: Session, call: Call, outcome: CallOutcome) -> None:
        campaign = s.get(Campaign, call.campaign_id)
        payload = {
            "event": "call.finished",
            "call_id": call.id,
            "campaign": campaign.name if campaign is not None else None,
            "phone": call.phone,
            "attempt": call.attempt,
            "status": str(outcome.status),
            "result": str(outcome.result) if outcome.result else None,
            "objective_result": call.objective_result,
            "last_step": call.last_step,
            "captures": dict(call.captures or {}),
            "duration_s": call.duration_s,
            "ended_at": outcome.ended_at.isoformat(),
            "opted_out": outcome.opted_out,
        }
        key = f"call.finished:{call.id}"
        exists = s.scalar(select(WebhookOutbox.id).where(WebhookOutbox.idempotency_key == key))
        if exists is None:
            s.add(
                WebhookOutbox(
                    idempotency_key=key,
                    event="call.finished",
                    payload=payload,
                    created_at=outcome.ended_at,
                    attempts=0,
                    next_attempt_at=outcome.ended_at,
                )
            )

    # ------------------------------------------------------------------ history

    def _histories(
        self,
        s: Session,
        contacts: Iterable[Contact],
        law: CallingLaw,
        now: datetime,
        exclude_call: str | None = None,
    ) -> dict[int, ContactHistory]:
        """The law's view of each contact: attempts and refusals across all campaigns.

        An attempt counts at its dial time (its claim time while it is not dialled yet:
        a claim in flight elsewhere counts too). ``exclude_call`` is the call being
        judged, which must not count against itself."""
        by_id = {c.id: c for c in contacts}
        if not by_id:
            return {}
        policy = law.policy
        horizon = now - timedelta(
            days=max(policy.attempts_period_days, policy.refusal_cooloff_days)
        )
        attempts: dict[int, list[datetime]] = defaultdict(list)
        refusals: dict[int, list[datetime]] = defaultdict(list)
        refusal_results = set(policy.refusal_results)
        attempt_at = func.coalesce(Call.dialled_at, Call.created_at)
        conds = [
            Call.contact_id.in_(list(by_id)),
            attempt_at >= horizon,
            counted(Call.status, Call.dialled_at),
        ]
        if exclude_call is not None:
            conds.append(Call.id != exclude_call)
        rows = s.execute(
            select(
                Call.contact_id, Call.dialled_at, Call.created_at, Call.result, Call.ended_at
            ).where(*conds)
        )
        for contact_id, dialled_at, created_at, result, ended_at in rows:
            at = dialled_at or created_at
            attempts[contact_id].append(at)
            if result is not None and str(result) in refusal_results:
                refusals[contact_id].append(ended_at or at)
        phones = [c.phone for c in by_id.values()]
        blocked = set(
            s.scalars(select(BlocklistEntry.phone).where(BlocklistEntry.phone.in_(phones)))
        )
        hashes = {phone_hash(p): p for p in phones}
        forgotten = {
            hashes[h]
            for h in s.scalars(
                select(ForgottenNumber.phone_hash).where(ForgottenNumber.phone_hash.in_(hashes))
            )
        }
        return {
            cid: ContactHistory(
                attempts=attempts[cid],
                refusals=refusals[cid],
                opted_out=c.opted_out or c.phone in forgotten,
                blocklisted=c.phone in blocked,
                consent=c.consent,
            )
            for cid, c in by_id.items()
        }

    def contact_history(
        self, phone: str, *, now: datetime, policy: CallingLaw | CallingPolicy | None = None
    ) -> ContactHistory:
        law = _law(policy)
        with self.session() as s:
            found = s.scalars(select(Contact).where(Contact.phone == phone)).one_or_none()
            if found is None:
                raise StoreError(f"no contact {phone} in the store")
            return self._histories(s, [found], law, now)[found.id]

    # ------------------------------------------------------------------ claiming

    def claim_due(
        self,
        campaign: str | int,
        now: datetime,
        limit: int,
        worker_id: str,
        policy: CallingLaw | CallingPolicy | None = None,
    ) -> ClaimBatch:
        """Take up to ``limit`` contacts due at ``now`` that the law lets us call now.

        For each, a call row is created PENDING (owned by ``worker_id``) and the contact
        is marked in flight. Due contacts the law refuses are deferred to the law's next
        allowed time, or closed for good (opted out, blocklisted, invalid number).
        """
        law = _law(policy)
        described = law.policy.describe()
        claims: list[Claim] = []
        deferred: list[Deferred] = []
        examined = 0
        with self.writer() as s:
            camp = self._find_campaign(s, campaign)
            if camp.started_at is None:
                camp.started_at = now
            # Bounded, so one claim never holds the lock for a whole campaign's worth of
            # deferrals; the rest are looked at by the next call.
            while len(claims) < limit and examined < MAX_EXAMINED:
                q = (
                    select(CampaignContact, Contact)
                    .join(Contact, Contact.id == CampaignContact.contact_id)
                    .where(
                        CampaignContact.campaign_id == camp.id,
                        CampaignContact.done.is_(False),
                        CampaignContact.active_call_id.is_(None),
                        or_(
                            CampaignContact.next_attempt_at.is_(None),
                            CampaignContact.next_attempt_at <= now,
                        ),
                    )
                    .order_by(CampaignContact.next_attempt_at.nulls_first(), CampaignContact.id)
                    .limit(max(limit - len(claims), 20))
                )
                if self.dialect == "postgresql":
                    q = q.with_for_update(
                        skip_locked=True, of=[CampaignContact.__table__, Contact.__table__]
                    )
                rows = s.execute(q).all()
                if not rows:
                    break
                examined += len(rows)
                histories = self._histories(s, [c for _, c in rows], law, now)
                for member, contact in rows:
                    if len(claims) >= limit:
                        break
                    decision = law.decide(histories[contact.id], contact.phone, now)
                    if not decision.allowed:
                        member.waiting_reason = decision.reason
                        if decision.next_allowed_at is None:
                            member.done, member.outcome = True, decision.reason
                        else:
                            member.next_attempt_at = decision.next_allowed_at
                        deferred.append(
                            Deferred(contact.phone, decision.reason, decision.next_allowed_at)
                        )
                        continue
                    call = Call(
                        id=str(uuid.uuid4()),
                        campaign_id=camp.id,
                        contact_id=contact.id,
                        phone=contact.phone,
                        attempt=member.attempts + 1,
                        status=CallStatus.PENDING,
                        created_at=now,
                        retry_count=member.attempts,
                        freestyle_turns=0,
                        objections=[],
                        program_hash=camp.program_hash,
                        policy={**described, "decision": decision.reason},
                        worker_id=worker_id,
                    )
                    s.add(call)
                    member.attempts += 1
                    member.active_call_id = call.id
                    member.waiting_reason = None
                    claims.append(
                        Claim(
                            call_id=call.id,
                            campaign_id=camp.id,
                            campaign=camp.name,
                            contact=contact_info(contact),
                            attempt=call.attempt,
                            worker_id=worker_id,
                            policy=call.policy,
                        )
                    )
                s.flush()
        return ClaimBatch(claims, deferred)

    # ------------------------------------------------------------------ dialling

    def start_dial(
        self, call_id: str, *, at: datetime, policy: CallingLaw | CallingPolicy | None = None
    ) -> Decision:
        """The law checked again at ``at``, the moment the originate leaves.

        Allowed: the call becomes CALLING with ``dialled_at = at`` (the attempt's time
        from now on), committed before the caller dials. Refused: the claim is released
        (CANCELLED, never dialled, the attempt not counted) and the contact waits for
        the law's next allowed time, or is closed when it never will be. The caller
        dials only when the returned decision is allowed.
        """
        law = _law(policy)
        with self.writer() as s:
            call = self._live_call(s, call_id)
            if call.status != CallStatus.PENDING:
                raise StoreError(f"call {call_id} is {call.status}, not PENDING: not dialled twice")
            q = select(Contact).where(Contact.id == call.contact_id)
            if self.dialect == "postgresql":
                q = q.with_for_update()  # two campaigns dialling one person: one at a time
            contact = s.scalars(q).one()
            history = self._histories(s, [contact], law, at, exclude_call=call.id)[contact.id]
            decision = law.decide(history, contact.phone, at)
            if decision.allowed:
                call.status = CallStatus.CALLING
                call.dialled_at = at
                call.policy = {**(call.policy or {}), "decision": decision.reason}
                return decision
            released = CallOutcome(
                CallStatus.CANCELLED, ended_at=at, hangup_cause=f"LAW_AT_DIAL: {decision.reason}"
            )
            self._close(s, call, released, None)
            member = _member(s, call)
            member.waiting_reason = decision.reason
            if decision.next_allowed_at is None:
                member.done, member.outcome = True, decision.reason
            else:
                member.next_attempt_at = decision.next_allowed_at
            return decision

    def release_incomplete(self, call_id: str, *, at: datetime, missing: Sequence[str]) -> None:
        """A claim released without a dial because the contact lacks fields the
        scenario says (``missing``, from ``mbs.runtime.contact_fields``): CANCELLED,
        never dialled, the attempt not counted, and the contact done in this campaign
        with the outcome ``INCOMPLETE_CONTACT`` (an operator who completes the contact
        re-queues it, ``schedule_retry``)."""
        with self.writer() as s:
            call = self._live_call(s, call_id)
            if call.status != CallStatus.PENDING:
                raise StoreError(f"call {call_id} is {call.status}, not PENDING")
            lacks = ", ".join(f"contact.{f}" for f in missing)
            released = CallOutcome(
                CallStatus.CANCELLED, ended_at=at, hangup_cause=f"{INCOMPLETE}: {lacks}"[:200]
            )
            self._close(s, call, released, None)
            member = _member(s, call)
            member.done, member.outcome = True, INCOMPLETE

    # ------------------------------------------------------------------ progress

    def _live_call(self, s: Session, call_id: str) -> Call:
        call = s.get(Call, call_id)
        if call is None:
            raise CallNotFound(f"no call {call_id} in the store")
        if call.ended_at is not None or call.status in FINAL:
            raise CallAlreadyFinished(
                f"call {call_id} is already over ({call.status}"
                + (f", {call.hangup_cause})" if call.hangup_cause else ")")
            )
        return call

    def update_call_status(
        self, call_id: str, status: CallStatus, *, at: datetime, hangup_cause: str | None = None
    ) -> None:
        """Move a live call to CALLING / RINGING / IN_PROGRESS (use finish_call to end it).

        CALLING must be committed before the dial command goes out: a call still PENDING
        after a crash is known never to have rung.
        """
        if status not in LIVE:
            raise ValueError(f"update_call_status takes {', '.join(LIVE)}; use finish_call")
        with self.writer() as s:
            self._set_status(s, call_id, status, at, hangup_cause)

    def _set_status(
        self, s: Session, call_id: str, status: CallStatus, at: datetime, hangup_cause: str | None
    ) -> None:
        call = self._live_call(s, call_id)
        call.status = status
        if call.dialled_at is None:
            call.dialled_at = at
        if status == CallStatus.IN_PROGRESS and call.answered_at is None:
            call.answered_at = at
        if hangup_cause:
            call.hangup_cause = hangup_cause

    def apply_writes(self, writes: Sequence[StatusWrite | FinishWrite]) -> list[object]:
        """Status changes and call ends of many calls in one transaction (group commit).

        Returns, per write and in order, ``None`` for a status change, the ``Finished``
        of a call end, or the exception the write raised. One commit for the batch; when
        a write fails the batch is rolled back and every write is made again in its own
        transaction, so one bad write never loses the others.
        """
        for w in writes:
            if isinstance(w, StatusWrite) and w.status not in LIVE:
                raise ValueError(f"a StatusWrite takes {', '.join(LIVE)}; use FinishWrite")
            if isinstance(w, FinishWrite) and w.outcome.status not in FINAL:
                raise ValueError(f"{w.outcome.status} is not a final status")
        try:
            with self.writer() as s:
                return [self._apply(s, w) for w in writes]
        except Exception:
            if len(writes) == 1:
                raise
        results: list[object] = []
        for w in writes:
            try:
                with self.writer() as s:
                    results.append(self._apply(s, w))
            except Exception as exc:
                results.append(exc)
        return results

    def _apply(self, s: Session, w: StatusWrite | FinishWrite) -> object:
        if isinstance(w, StatusWrite):
            self._set_status(s, w.call_id, w.status, w.at, w.hangup_cause)
            return None
        call = self._live_call(s, w.call_id)
        self._append_events(s, w.call_id, w.events)
        return self._close(s, call, w.outcome, w.retry)

    def record_event(
        self, call_id: str, kind: str, data: dict[str, Any] | None = None, *, at: datetime
    ) -> int:
        """Append to a call's event log; returns the event's sequence number (1, 2, ...)."""
        with self.writer() as s:
            if s.get(Call, call_id) is None:
                raise CallNotFound(f"no call {call_id} in the store")
            return self._append_events(s, call_id, [(at, kind, data or {})])

    def record_events(
        self, call_id: str, events: Iterable[tuple[datetime, str, dict[str, Any]]]
    ) -> int:
        """Append many events to a call's log in one transaction; returns how many.

        One commit for many events; the executor hands a call's events to ``finish_call``
        instead, so the log and the call's end share a single commit.
        """
        with self.writer() as s:
            if s.get(Call, call_id) is None:
                raise CallNotFound(f"no call {call_id} in the store")
            rows = list(events)
            self._append_events(s, call_id, rows)
            return len(rows)

    @staticmethod
    def _append_events(
        s: Session, call_id: str, events: Iterable[tuple[datetime, str, dict[str, Any]]]
    ) -> int:
        """Number ``events`` after the call's last one and add them; returns the last seq."""
        last = s.scalar(select(func.max(CallEvent.seq)).where(CallEvent.call_id == call_id))
        seq = int(last or 0)
        for at, kind, data in events:
            seq += 1
            s.add(CallEvent(call_id=call_id, seq=seq, at=at, kind=kind, data=data))
        return seq

    def events(self, call_id: str) -> list[tuple[int, datetime, str, dict[str, Any]]]:
        with self.session() as s:
            rows = s.execute(
                select(CallEvent.seq, CallEvent.at, CallEvent.kind, CallEvent.data)
                .where(CallEvent.call_id == call_id)
                .order_by(CallEvent.seq)
            )
            return [(seq, at, kind, dict(data or {})) for seq, at, kind, data in rows]

    # ------------------------------------------------------------------ finishing

    def finish_call(
        self,
        call_id: str,
        outcome: CallOutcome,
        *,
        retry: RetryPolicy | None = None,
        events: Iterable[tuple[datetime, str, dict[str, Any]]] = (),
    ) -> Finished:
        """Close a call and settle its contact: done, or due again per ``retry``.

        NO_ANSWER, BUSY, FAILED (or TECHNICAL_ERROR) and answering machines are retried
        after their delay while that kind has retries left; a CALLBACK_REQUESTED result
        is called back after ``callback_delay`` while the contact has callbacks left
        (``retry=None``: never). A CANCELLED call leaves the contact due again without
        using a retry. An opt-out closes the contact in every campaign, callback or not.
        ``events`` are appended to the call's log in the same transaction (one commit for
        the end of a call, not two).
        """
        if outcome.status not in FINAL:
            raise ValueError(f"{outcome.status} is not a final status")
        with self.writer() as s:
            call = self._live_call(s, call_id)
            self._append_events(s, call_id, events)
            return self._close(s, call, outcome, retry)

    def _close(
        self, s: Session, call: Call, outcome: CallOutcome, retry: RetryPolicy | None
    ) -> Finished:
        call.status = outcome.status
        call.result = outcome.result
        call.ended_at = outcome.ended_at
        call.hangup_cause = outcome.hangup_cause or call.hangup_cause
        call.freestyle_turns = outcome.freestyle_turns
        call.objections = list(outcome.objections)
        call.recording_path = outcome.recording_path
        call.transcript_path = outcome.transcript_path
        if outcome.captures:
            call.captures = dict(outcome.captures)
        call.last_step = outcome.last_step
        if outcome.objective_result is not None:
            call.objective_result = str(outcome.objective_result)
            call.objective_at = outcome.objective_at
        if outcome.steps:
            add_step_counts(s, call.campaign_id, outcome.steps, outcome.last_step)
        if call.answered_at is not None:
            call.duration_s = max(0.0, (outcome.ended_at - call.answered_at).total_seconds())
        if outcome.status is not CallStatus.CANCELLED or call.dialled_at is not None:
            add_tallies(s, call, outcome)
        if self.outbox_enabled and outcome.status is not CallStatus.CANCELLED:
            self._queue_webhook(s, call, outcome)
        member = _member(s, call)
        if member.active_call_id == call.id:
            member.active_call_id = None
        member.outcome = str(outcome.result or outcome.status)
        if outcome.opted_out:
            contact = s.get(Contact, call.contact_id)
            assert contact is not None
            if not contact.opted_out:
                contact.opted_out = True
                contact.opted_out_at = outcome.ended_at
                contact.updated_at = outcome.ended_at
            member.done, member.outcome = True, Reason.OPTED_OUT
            return Finished(True, None, None)
        if outcome.status == CallStatus.CANCELLED:
            if call.dialled_at is None:
                member.attempts = max(0, member.attempts - 1)
            return Finished(False, member.next_attempt_at, None)
        kind = retry_kind(outcome.status, outcome.result)
        if kind is None or retry is None:
            member.done = True
            return Finished(True, None, kind)
        used = dict(member.retries or {})
        if used.get(kind, 0) >= retry.allowed(kind):
            member.done = True
            return Finished(True, None, kind)
        used[kind] = used.get(kind, 0) + 1
        member.retries = used
        member.next_attempt_at = outcome.ended_at + retry.delay(kind)
        if kind == CALLBACK and outcome.callback_at is not None:
            # the time the prospect asked for, when it is still ahead
            member.next_attempt_at = max(outcome.callback_at, outcome.ended_at)
        return Finished(False, member.next_attempt_at, kind)

    def schedule_retry(
        self, campaign: str | int, phone: str, at: datetime, *, reopen: bool = True
    ) -> None:
        """Make a contact due again at ``at`` (the law still decides at claim time).

        For callbacks and manual re-queues; ``reopen`` also undoes ``done``.
        """
        with self.writer() as s:
            camp = self._find_campaign(s, campaign)
            member = s.scalars(
                select(CampaignContact)
                .join(Contact, Contact.id == CampaignContact.contact_id)
                .where(CampaignContact.campaign_id == camp.id, Contact.phone == phone)
            ).one_or_none()
            if member is None:
                raise StoreError(f"{phone} is not in campaign {camp.name!r}")
            if member.active_call_id is not None:
                raise StoreError(f"{phone} has a call in progress in {camp.name!r}")
            member.next_attempt_at = at
            if reopen:
                member.done = False

    # ------------------------------------------------------------------ recovery

    def recover_interrupted(
        self,
        *,
        now: datetime,
        campaign: str | int | None = None,
        worker_id: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Recovery:
        """Close the calls a crashed worker left open, without dialling them again.

        Calls that had started dialling (CALLING, RINGING, IN_PROGRESS) become FAILED
        with hangup cause CRASH_RECOVERED; their contact is due again only through the
        ``retry`` policy's ``failed`` kind (and the law, at the next claim). Calls still
        PENDING never rang: they become CANCELLED and their contact is due again.
        Give ``worker_id`` to recover one worker's calls while others keep running;
        ``campaign`` alone recovers every worker's calls in it (only when none is alive).
        """
        if campaign is None and worker_id is None:
            raise ValueError("recover_interrupted needs a campaign, a worker id, or both")
        interrupted: list[str] = []
        released: list[str] = []
        with self.writer() as s:
            conds: list[ColumnElement[bool]] = [
                Call.status.in_([CallStatus.PENDING, *LIVE]),
                Call.ended_at.is_(None),
            ]
            if campaign is not None:
                conds.append(Call.campaign_id == self._find_campaign(s, campaign).id)
            if worker_id is not None:
                conds.append(Call.worker_id == worker_id)
            q = select(Call).where(and_(*conds)).order_by(Call.created_at)
            if self.dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            for call in s.scalars(q).all():
                if call.status == CallStatus.PENDING:
                    outcome = CallOutcome(
                        CallStatus.CANCELLED, ended_at=now, hangup_cause=CRASH_RECOVERED
                    )
                    self._close(s, call, outcome, None)
                    released.append(call.id)
                else:
                    outcome = CallOutcome(
                        CallStatus.FAILED, ended_at=now, hangup_cause=CRASH_RECOVERED
                    )
                    self._close(s, call, outcome, retry)
                    interrupted.append(call.id)
        return Recovery(interrupted, released)


def _member(s: Session, call: Call) -> CampaignContact:
    """The campaign membership a call belongs to (its contact in its campaign)."""
    return s.scalars(
        select(CampaignContact).where(
            CampaignContact.campaign_id == call.campaign_id,
            CampaignContact.contact_id == call.contact_id,
        )
    ).one()
