"""Helpers for the campaign executor tests: a campaign file and contacts in a folder, a
store wrapper that records every status the executor writes, and whole-campaign checks
read back from the store (the properties a crash or a second worker must not break)."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mbs.campaign.law import CallingLaw, CallingPolicy
from mbs.campaign.store import CRASH_RECOVERED, FinishWrite, StatusWrite, Store
from mbs.campaign.store.models import Call, CampaignContact, Contact
from mbs.runtime.telephony import CallStatus, DialResult

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "or_rdv.mbs"


class NoAnswerSwitch:
    """A telephony backend where nobody answers: records each number dialled and when
    (on ``now``, the executor's clock), then calls ``after_dial`` (say, to stop)."""

    def __init__(
        self,
        now: Callable[[], datetime] | None = None,
        after_dial: Callable[[], None] | None = None,
    ) -> None:
        self.now = now
        self.after_dial = after_dial
        self.dialled: list[tuple[str, datetime | None]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def dial(
        self,
        number: str,
        *,
        call_id: str,
        variables: Mapping[str, str],
        on_status: Callable[[CallStatus], None] | None = None,
    ) -> DialResult:
        self.dialled.append((number, self.now() if self.now is not None else None))
        if self.after_dial is not None:
            self.after_dial()
        return DialResult(CallStatus.NO_ANSWER)


def write_campaign(
    folder: Path,
    phones: list[str],
    *,
    name: str = "exec-test",
    time_scale: float = 30.0,
    max_concurrent: int = 3,
    personas: str = "human = 1",
    extra: str = "",
    rows: list[str] | None = None,
    header: str = "Prénom;Téléphone",
    policy: str = "",
) -> Path:
    """A campaign file (sim backend, no TTS) and its contacts CSV; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = rows or [f"Contact{i};{phone}" for i, phone in enumerate(phones)]
    (folder / "contacts.csv").write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    path = folder / "campaign.toml"
    path.write_text(
        f"""name = "{name}"
scenario = "{SCENARIO}"
contacts = "contacts.csv"
max_concurrent = {max_concurrent}
record = false
{extra}
[telephony]
backend = "sim"

[builtins]
tts = "none"

[retry]
no_answer_delay = "30m"
busy_delay = "5m"
failed_delay = "10m"
max_retries = 2

[policy]
{policy}

[sim]
seed = 3
time_scale = {time_scale}
start = "next-window"

[sim.personas]
{personas}
""",
        encoding="utf-8",
    )
    return path


class RecordingStore:
    """The real store, with every status the executor writes kept in order per call."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.statuses: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()

    def _note(self, call_id: str, status: str) -> None:
        with self._lock:
            self.statuses[call_id].append(status)

    def claim_due(self, *args: Any, **kwargs: Any) -> Any:
        batch = self.store.claim_due(*args, **kwargs)
        for claim in batch.claims:
            self._note(claim.call_id, "PENDING")
        return batch

    def start_dial(self, call_id: str, **kwargs: Any) -> Any:
        decision = self.store.start_dial(call_id, **kwargs)
        self._note(call_id, "CALLING" if decision.allowed else "CANCELLED")
        return decision

    def update_call_status(self, call_id: str, status: CallStatus, **kwargs: Any) -> None:
        self.store.update_call_status(call_id, status, **kwargs)
        self._note(call_id, status.value)

    def finish_call(self, call_id: str, outcome: Any, **kwargs: Any) -> Any:
        done = self.store.finish_call(call_id, outcome, **kwargs)
        self._note(call_id, outcome.status.value)
        return done

    def apply_writes(self, writes: Sequence[StatusWrite | FinishWrite]) -> list[object]:
        results = self.store.apply_writes(writes)
        for write, result in zip(writes, results, strict=True):
            if not isinstance(result, BaseException):
                status = write.status if isinstance(write, StatusWrite) else write.outcome.status
                self._note(write.call_id, status.value)
        return results

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@dataclass
class CallRow:
    id: str
    phone: str
    attempt: int
    status: str
    result: str | None
    created_at: datetime
    dialled_at: datetime | None
    ended_at: datetime | None
    hangup_cause: str | None
    worker_id: str | None
    transcript_path: str | None


def call_rows(store: Store, campaign: str) -> dict[str, list[CallRow]]:
    """Every call of the campaign, per phone, in attempt order."""
    out: dict[str, list[CallRow]] = defaultdict(list)
    with store.session() as s:
        camp = store._find_campaign(s, campaign)
        for c in s.scalars(
            select(Call).where(Call.campaign_id == camp.id).order_by(Call.created_at)
        ):
            out[c.phone].append(
                CallRow(
                    c.id,
                    c.phone,
                    c.attempt,
                    str(c.status),
                    str(c.result) if c.result else None,
                    c.created_at,
                    c.dialled_at,
                    c.ended_at,
                    c.hangup_cause,
                    c.worker_id,
                    c.transcript_path,
                )
            )
    return out


def members(store: Store, campaign: str) -> dict[str, tuple[bool, str | None]]:
    """phone -> (done, outcome) for every contact of the campaign."""
    with store.session() as s:
        camp = store._find_campaign(s, campaign)
        rows = s.execute(
            select(Contact.phone, CampaignContact.done, CampaignContact.outcome)
            .join(Contact, Contact.id == CampaignContact.contact_id)
            .where(CampaignContact.campaign_id == camp.id)
        ).all()
    return {phone: (bool(done), outcome) for phone, done, outcome in rows}


RETRY_KIND = {
    "NO_ANSWER": "no_answer",
    "BUSY": "busy",
    "FAILED": "failed",
}


def kind_of(r: CallRow) -> str | None:
    """The retry counter an attempt used, if the contact was called again after it."""
    if r.status in ("NO_ANSWER", "BUSY"):
        return RETRY_KIND[r.status]
    if r.status == "ANSWERING_MACHINE" or r.result == "ANSWERING_MACHINE":
        return "machine"
    if r.result == "CALLBACK_REQUESTED":  # the prospect asked to be called back
        return "callback"
    if r.status == "FAILED" or r.result == "TECHNICAL_ERROR":
        return "failed"
    return None


def check_campaign(
    store: Store,
    campaign: str,
    *,
    max_retries: int = 2,
    retry_on: tuple[str, ...] = ("no_answer", "busy", "failed"),
    delays: dict[str, timedelta] | None = None,
    policy: CallingPolicy | None = None,
    max_callbacks: int = 1,
    callback_delay: timedelta = timedelta(days=1),
) -> dict[str, list[CallRow]]:
    """The invariants of a finished campaign, from the store; returns the calls."""
    law = CallingLaw(policy or CallingPolicy())
    calls = call_rows(store, campaign)
    state = members(store, campaign)
    assert state, "no contacts"
    not_done = [p for p, (done, _) in state.items() if not done]
    assert not not_done, f"contacts not done: {not_done}"
    for phone, rows in calls.items():
        for r in rows:  # nothing left open: finished, or closed by recovery
            assert r.ended_at is not None, f"{phone} attempt {r.attempt} never closed"
            assert r.status not in ("PENDING", "CALLING", "RINGING", "IN_PROGRESS"), r
            if r.status == "CANCELLED":  # a claim released before dialling: by recovery,
                # or because the law no longer allowed it at dial time
                assert r.dialled_at is None, r
                assert r.hangup_cause == CRASH_RECOVERED or (r.hangup_cause or "").startswith(
                    "LAW_AT_DIAL: "
                ), r
        dialled = [r for r in rows if r.status != "CANCELLED"]
        attempts = [r.attempt for r in dialled]
        assert attempts == list(range(1, len(dialled) + 1)), (phone, attempts)
        for a, b in itertools.pairwise(dialled):
            assert a.ended_at is not None and b.created_at >= a.ended_at, (
                f"{phone}: attempt {b.attempt} claimed before attempt {a.attempt} ended"
            )
            kind = kind_of(a)
            allowed = kind in retry_on or (kind == "callback" and max_callbacks > 0)
            assert allowed, f"{phone}: retried after {a.status}/{a.result}"
            if kind == "callback":
                assert b.created_at >= a.ended_at + callback_delay, (phone, a, b)
            if delays and kind in delays:
                assert b.created_at >= a.ended_at + delays[kind], (phone, a, b)
        used: dict[str, int] = defaultdict(int)
        for a in dialled[:-1]:
            used[kind_of(a) or "none"] += 1
        callbacks = used.pop("callback", 0)
        assert callbacks <= max_callbacks, (phone, callbacks)
        assert all(n <= max_retries for n in used.values()), (phone, dict(used))
        for r in dialled:  # claimed inside the law's hours, on the callee's clock
            assert law.next_window(phone, r.created_at) <= r.created_at + timedelta(seconds=1), (
                f"{phone} claimed outside the calling hours at {r.created_at}"
            )
    return calls
