"""Plain values going in and out of the store (never ORM objects, so callers can keep
them across threads and after the session is gone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mbs.program import Result
from mbs.runtime.telephony import CallStatus

if TYPE_CHECKING:
    from mbs.campaign.store.retry import RetryPolicy


@dataclass
class ContactData:
    """A contact to create or update. ``None`` fields leave the stored value alone."""

    phone: str  # E.164
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    consent: bool | None = None  # True records consent; False/None change nothing
    consent_at: datetime | None = None
    opted_out: bool | None = None  # True opts out; False/None change nothing


@dataclass(frozen=True)
class ContactInfo:
    id: int
    phone: str
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    tags: tuple[str, ...]
    extra: dict[str, Any]
    consent: bool
    opted_out: bool

    def template_vars(self) -> dict[str, Any]:
        """What a scenario sees as ``contact.*``: the known fields, then extra columns."""
        known = {
            "phone": self.phone,
            "first_name": self.first_name or "",
            "last_name": self.last_name or "",
            "email": self.email or "",
            "company": self.company or "",
            "tags": ", ".join(self.tags),  # said as written, not as a Python list
        }
        return {**self.extra, **known}


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    scenario: str | None
    program_hash: str | None
    settings: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    state: str = "created"  # mbs.campaign.state.CampaignState


@dataclass(frozen=True)
class Claim:
    """A call the caller must now place: its row exists, PENDING, owned by ``worker_id``."""

    call_id: str
    campaign_id: int
    campaign: str
    contact: ContactInfo
    attempt: int  # 1 for the first call of this contact in this campaign
    worker_id: str
    policy: dict[str, Any]


@dataclass(frozen=True)
class Deferred:
    """A due contact the law turned down at claim time (``next_at`` None: never)."""

    phone: str
    reason: str
    next_at: datetime | None


@dataclass(frozen=True)
class ClaimBatch:
    claims: list[Claim]
    deferred: list[Deferred]


@dataclass
class CallOutcome:
    """How a call ended, as :meth:`Store.finish_call` records it."""

    status: CallStatus
    ended_at: datetime
    result: Result | None = None
    hangup_cause: str | None = None
    freestyle_turns: int = 0
    objections: list[str] = field(default_factory=list)
    recording_path: str | None = None
    transcript_path: str | None = None
    opted_out: bool = False  # the prospect asked never to be called again
    callback_at: datetime | None = None  # when the prospect asked to be called back
    captures: dict[str, Any] = field(default_factory=dict)  # var -> value
    last_step: str | None = None  # the step the call ended in
    objective_result: Result | None = None  # set when the objective's step was reached
    objective_at: datetime | None = None
    # step -> (reached, unclear, fallback, objections) for the campaign's step counts
    steps: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusWrite:
    """``update_call_status`` as a value, for ``Store.apply_writes``."""

    call_id: str
    status: CallStatus
    at: datetime
    hangup_cause: str | None = None


@dataclass(frozen=True)
class FinishWrite:
    """``finish_call`` as a value, for ``Store.apply_writes``."""

    call_id: str
    outcome: CallOutcome
    retry: RetryPolicy | None = None
    events: tuple[tuple[datetime, str, dict[str, Any]], ...] = ()


@dataclass(frozen=True)
class Finished:
    """What finishing a call did to its contact's place in the campaign."""

    done: bool
    next_attempt_at: datetime | None
    retry_kind: str | None


@dataclass(frozen=True)
class Recovery:
    interrupted: list[str]  # calls that had started dialling: now FAILED / CRASH_RECOVERED
    released: list[str]  # calls claimed but never dialled: now CANCELLED, contact due again


@dataclass(frozen=True)
class CallTotals:
    """Talk time, freestyle turns and objections over every call of a campaign, so the
    summary after a resumed run covers the whole campaign, not only the last run."""

    talked: int  # answered calls with a recorded duration
    talk_seconds: float
    freestyle_turns: int
    objections: dict[str, int]  # objection -> times matched, most frequent first

    @property
    def average_talk_seconds(self) -> float:
        return self.talk_seconds / self.talked if self.talked else 0.0


@dataclass(frozen=True)
class CampaignStats:
    campaign: str
    contacts: int
    done: int
    in_flight: int
    waiting: int  # not done, not in flight
    due_now: int
    calls: int  # attempts (calls claimed and not released)
    dialled: int
    answered: int
    by_status: dict[str, int]
    by_result: dict[str, int]
    outcomes: dict[str, int]  # per contact: last result/status, or why skipped
    waiting_reasons: dict[str, int]
    next_due_at: datetime | None

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.dialled if self.dialled else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "contacts": self.contacts,
            "done": self.done,
            "in_flight": self.in_flight,
            "waiting": self.waiting,
            "due_now": self.due_now,
            "calls": self.calls,
            "dialled": self.dialled,
            "answered": self.answered,
            "answer_rate": self.answer_rate,
            "by_status": self.by_status,
            "by_result": self.by_result,
            "outcomes": self.outcomes,
            "waiting_reasons": self.waiting_reasons,
            "next_due_at": self.next_due_at.isoformat() if self.next_due_at else None,
        }
