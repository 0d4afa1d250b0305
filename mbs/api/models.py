"""The API's response bodies (pydantic): what /docs shows and what clients can rely on."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from mbs.program import Result
from mbs.runtime.telephony import CallStatus


class ErrorBody(BaseModel):
    """Every error: a short code and a sentence for humans."""

    error: str = Field(
        description="not_found, invalid_request, store_unavailable, unreadable or error."
    )
    detail: str


class Health(BaseModel):
    status: Literal["ok"]
    database: str = Field(description="The store's engine: sqlite or postgresql.")
    live: bool = Field(description="Live executor metrics are attached (mbs run --api-port).")


class CampaignSummary(BaseModel):
    name: str
    scenario: str | None
    program_hash: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    state: str = Field(description="created, running, paused, cancelled or done.")
    contacts: int = Field(description="Contacts enrolled.")
    done: int = Field(description="Contacts the campaign is finished with.")
    in_flight: int = Field(description="Contacts with a call in progress.")
    waiting: int = Field(description="Contacts neither done nor in flight.")
    calls: int = Field(description="Attempts (calls claimed and not released).")
    answered: int
    answer_rate: float | None = Field(description="answered / dialled; null before any dial.")


class LiveSnapshot(BaseModel):
    """What the executors of this process report (only with a live registry)."""

    campaign: str
    started: int
    running: int
    finished: int
    answered: int
    statuses: dict[str, int]
    results: dict[str, int]
    deferred: dict[str, int]
    objections_matched: int
    freestyle_turns: int
    talk_seconds: float
    talk_calls: int
    errors: int
    waiting_until: datetime | None
    updated_at: datetime | None


class CampaignDetail(CampaignSummary):
    due_now: int = Field(description="Waiting contacts already due.")
    dialled: int
    by_status: dict[str, int]
    by_result: dict[str, int]
    outcomes: dict[str, int] = Field(description="Per contact: last result or status, or skip.")
    waiting_reasons: dict[str, int] = Field(description="Why the law said 'not now'.")
    next_due_at: datetime | None
    live: LiveSnapshot | None = None


class CallSummary(BaseModel):
    id: str
    phone: str
    attempt: int
    status: CallStatus
    result: Result | None
    created_at: datetime
    dialled_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None = Field(description="Seconds from answer to hang-up.")
    hangup_cause: str | None
    captures: dict[str, Any] = Field(
        default_factory=dict, description="Answers captured (variable -> value)."
    )
    objective_result: Result | None = Field(
        default=None, description="The objective's result, once its step was reached."
    )
    last_step: str | None = Field(default=None, description="The step the call ended in.")


class CallPage(BaseModel):
    campaign: str
    total: int = Field(description="Calls matching the filters, all pages.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")
    items: list[CallSummary]


class ContactBrief(BaseModel):
    first_name: str | None
    last_name: str | None
    company: str | None


class CallDetail(CallSummary):
    campaign: str
    contact: ContactBrief
    retry_count: int
    freestyle_turns: int
    objections: list[str]
    recording_path: str | None
    transcript_path: str | None
    transcript_available: bool = Field(description="GET /calls/{id}/transcript will answer.")
    program_hash: str | None
    policy: dict[str, Any] = Field(description="The calling policy applied, and its decision.")
    worker_id: str | None


class CallEvent(BaseModel):
    seq: int
    at: datetime
    kind: str
    data: dict[str, Any]


class CallEvents(BaseModel):
    call_id: str
    events: list[CallEvent]


class LiveStatus(BaseModel):
    attached: bool = Field(description="False when no executor feeds this API.")
    campaigns: list[LiveSnapshot]
