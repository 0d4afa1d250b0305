"""The campaign executor: claims due contacts, keeps calls going, records everything.

Crash safety rests on one rule: a call's row exists (PENDING, claimed by this worker)
*before* anything is dialled, and it is marked CALLING before the originate goes out.
After a crash, :meth:`Store.recover_interrupted` turns rows that reached CALLING into
finished attempts (never dialled again as the same attempt) and releases rows that
were only claimed. Several workers share a campaign through the store's claim, which
never hands the same contact to two workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from mbs.program import Result, Say
from mbs.runtime.clock import Clock, ScaledClock
from mbs.runtime.events import Event
from mbs.runtime.law import CallingLaw, CallingPolicy
from mbs.runtime.state import CallState
from mbs.runtime.store.records import (
    CallOutcome,
    CampaignStats,
    Claim,
    ClaimBatch,
    Finished,
    Recovery,
)
from mbs.runtime.store.retry import RetryPolicy
from mbs.runtime.telephony import CallStatus, Telephony
from mbs.runtime.vm import Vm

log = logging.getLogger(__name__)


class StorePort(Protocol):
    """The part of the store the executor uses (``mbs.runtime.store.Store``)."""

    def recover_interrupted(
        self,
        *,
        now: datetime,
        campaign: str | int | None = None,
        worker_id: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> Recovery: ...

    def claim_due(
        self,
        campaign: str | int,
        now: datetime,
        limit: int,
        worker_id: str,
        policy: CallingLaw | CallingPolicy | None = None,
    ) -> ClaimBatch: ...

    def update_call_status(
        self, call_id: str, status: CallStatus, *, at: datetime, hangup_cause: str | None = None
    ) -> None: ...

    def record_events(
        self, call_id: str, events: list[tuple[datetime, str, dict[str, Any]]]
    ) -> int: ...

    def finish_call(
        self, call_id: str, outcome: CallOutcome, *, retry: RetryPolicy | None = None
    ) -> Finished: ...

    def stats(self, campaign: str | int, *, now: datetime) -> CampaignStats: ...


@dataclass
class ExecutorSettings:
    campaign: str
    max_concurrent: int = 10
    batch_size: int = 50
    worker_id: str = field(default_factory=lambda: f"w-{uuid.uuid4().hex[:8]}")
    policy: CallingPolicy | None = None  # None: the store's default (French law)
    retry: RetryPolicy | None = None
    record: bool = True
    recordings_dir: Path = Path("recordings")
    transcripts_dir: Path = Path("transcripts")
    idle_poll_s: float = 1.0  # wall seconds between looks at the store when waiting


@dataclass
class Progress:
    """Live counters for the display."""

    started: int = 0
    running: int = 0
    finished: int = 0
    answered: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)
    objections: Counter[str] = field(default_factory=Counter)
    freestyle_turns: int = 0
    talk_seconds: float = 0.0
    waiting_until: datetime | None = None
    deferred: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


class _CallLog:
    """Collects one call's events for the store and writes its transcript."""

    def __init__(self, call_id: str, clock: Clock) -> None:
        self.call_id = call_id
        self.clock = clock
        self.events: list[Event] = []
        self.stored: list[tuple[datetime, str, dict[str, Any]]] = []
        self.lines: list[str] = []

    def emit(self, event: Event) -> None:
        event.setdefault("call_id", self.call_id)
        self.events.append(event)
        data = {k: v for k, v in event.items() if k not in ("event", "call_id")}
        self.stored.append((self.clock.now(), str(event.get("event", "")), data))
        kind = event.get("event")
        stamp = self.clock.now().strftime("%H:%M:%S")
        if kind == "said":
            self.lines.append(f"[{stamp}] robot: {event.get('text', '')}")
        elif kind == "heard":
            heard = event.get("kind")
            if heard == "utterance":
                self.lines.append(f"[{stamp}] prospect: {event.get('text', '')}")
            elif heard == "dtmf":
                self.lines.append(f"[{stamp}] prospect: <dtmf {event.get('digit', '')}>")
            else:
                self.lines.append(f"[{stamp}] <{heard}>")
        elif kind == "step_entered":
            self.lines.append(f"[{stamp}] -- {event.get('step')}")
        elif kind == "result":
            self.lines.append(f"[{stamp}] == {event.get('result')}")


class Executor:
    def __init__(
        self,
        *,
        store: StorePort,
        vm: Vm,
        telephony: Telephony,
        clock: Clock,
        settings: ExecutorSettings,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.store = store
        self.vm = vm
        self.telephony = telephony
        self.clock = clock
        self.settings = settings
        self.progress = Progress()
        self._on_progress = on_progress
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._spoken: list[int] | None = None
        self._law = CallingLaw(settings.policy) if settings.policy is not None else None

    def stop(self) -> None:
        """Stop claiming; calls in flight finish normally."""
        self._stopping.set()

    def _notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress)

    async def run(self) -> CampaignStats:
        s = self.settings
        # Calls this worker left open when it last died: closed, never dialled again.
        recovery = self.store.recover_interrupted(
            now=self.clock.now(), campaign=s.campaign, worker_id=s.worker_id, retry=s.retry
        )
        if recovery.interrupted or recovery.released:
            log.warning(
                "recovered %d interrupted call(s) and released %d unstarted claim(s)",
                len(recovery.interrupted),
                len(recovery.released),
            )
        while not self._stopping.is_set():
            free = s.max_concurrent - len(self._running)
            claimed = 0
            if free > 0:
                batch = self.store.claim_due(
                    s.campaign, self.clock.now(), min(free, s.batch_size), s.worker_id, self._law
                )
                for deferred in batch.deferred:
                    self.progress.deferred[deferred.reason] += 1
                for claim in batch.claims:
                    self._start(claim)
                claimed = len(batch.claims)
            if self._running:
                # Wait for a call to end (or a while, to claim contacts that became due).
                await asyncio.wait(
                    self._running, timeout=s.idle_poll_s, return_when=asyncio.FIRST_COMPLETED
                )
                continue
            if claimed:
                continue
            stats = self.store.stats(s.campaign, now=self.clock.now())
            if stats.next_due_at is None or stats.waiting == 0:
                break  # nothing left that the law or the retry policy will ever allow
            self.progress.waiting_until = stats.next_due_at
            self._notify()
            await self._wait_until(stats.next_due_at)
            self.progress.waiting_until = None
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self._notify()
        return self.store.stats(s.campaign, now=self.clock.now())

    async def _wait_until(self, when: datetime) -> None:
        gap = (when - self.clock.now()).total_seconds()
        if gap <= 0:
            return
        if isinstance(self.clock, ScaledClock):
            self.clock.jump_to(when)  # nothing is running: skip the idle simulated time
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=min(gap, 60.0))

    def _start(self, claim: Claim) -> None:
        task = asyncio.create_task(self._place(claim), name=f"call-{claim.call_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        self.progress.started += 1
        self.progress.running = len(self._running)
        self._notify()

    async def _place(self, claim: Claim) -> None:
        try:
            await self._place_call(claim)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or a store failure: keep the campaign going
            log.exception("call %s failed", claim.call_id)
            self.progress.errors.append(f"{claim.call_id}: {exc}")
            with contextlib.suppress(Exception):
                self.store.finish_call(
                    claim.call_id,
                    CallOutcome(
                        status=CallStatus.FAILED,
                        ended_at=self.clock.now(),
                        result=Result.TECHNICAL_ERROR,
                        hangup_cause=f"EXECUTOR_ERROR: {exc}"[:200],
                    ),
                    retry=self.settings.retry,
                )
        finally:
            self.progress.running = len(self._running) - 1
            self.progress.finished += 1
            self._notify()

    async def _place_call(self, claim: Claim) -> None:
        s = self.settings
        call_log = _CallLog(claim.call_id, self.clock)
        # Committed before the originate goes out: the crash-safety rule.
        self.store.update_call_status(claim.call_id, CallStatus.CALLING, at=self.clock.now())

        def on_status(status: CallStatus) -> None:
            if status is CallStatus.RINGING:
                self.store.update_call_status(claim.call_id, status, at=self.clock.now())

        variables: Mapping[str, str] = {
            "mbs_campaign": claim.campaign,
            "mbs_contact": str(claim.contact.id),
            "mbs_call": claim.call_id,
            "mbs_attempt": str(claim.attempt),
        }
        if s.record:
            variables = {**variables, "mbs_recording": str(self._recording_path(claim))}
        # Synthesise this contact's lines while the phone rings, so the robot does not
        # leave a silence the length of a TTS run after "allô".
        prefetch = asyncio.create_task(self._prefetch_audio(claim))
        try:
            await self._dial_and_converse(claim, variables, on_status, call_log)
        finally:
            prefetch.cancel()

    async def _dial_and_converse(
        self,
        claim: Claim,
        variables: Mapping[str, str],
        on_status: Callable[[CallStatus], None],
        call_log: _CallLog,
    ) -> None:
        s = self.settings
        dial = await self.telephony.dial(
            claim.contact.phone, call_id=claim.call_id, variables=variables, on_status=on_status
        )
        self.progress.statuses[dial.status.value] += 1
        if dial.call is None:
            outcome = CallOutcome(
                status=dial.status,
                ended_at=self.clock.now(),
                hangup_cause=dial.hangup_cause or None,
            )
            self.store.finish_call(claim.call_id, outcome, retry=s.retry)
            return

        answered_at = self.clock.now()
        self.progress.answered += 1
        self.store.update_call_status(claim.call_id, CallStatus.IN_PROGRESS, at=answered_at)
        state = await self.vm.run_call(
            dial.call,
            contact=claim.contact.template_vars(),
            sink=call_log,
            call_id=claim.call_id,
            machine_at_answer=dial.machine,
        )
        ended_at = self.clock.now()
        self.progress.talk_seconds += (ended_at - answered_at).total_seconds()
        outcome = self._outcome(claim, state, call_log, ended_at)
        self.store.record_events(claim.call_id, call_log.stored)
        self.store.finish_call(claim.call_id, outcome, retry=s.retry)

    async def _prefetch_audio(self, claim: Claim) -> None:
        tts = self.vm.tts
        if tts is None:
            return
        context: dict[str, object] = {
            "contact": {k: str(v) for k, v in claim.contact.template_vars().items()},
            "agent": dict(self.vm.loaded.agent),
        }
        for index in self._spoken_consts():
            try:
                text = self.vm.loaded.templates.const(index, context)
            except Exception:
                continue  # needs a variable only the conversation provides
            with contextlib.suppress(Exception):
                await tts.synthesize(text)

    def _spoken_consts(self) -> list[int]:
        """Constants spoken by ``say``, in program order (the opening lines first)."""
        if self._spoken is None:
            self._spoken = list(
                dict.fromkeys(ins.text for ins in self.vm.program.code if isinstance(ins, Say))
            )
        return self._spoken

    def _outcome(
        self, claim: Claim, state: CallState, call_log: _CallLog, ended_at: datetime
    ) -> CallOutcome:
        result = state.result or Result.TECHNICAL_ERROR
        if result is Result.ANSWERING_MACHINE:
            status = CallStatus.ANSWERING_MACHINE
        elif result is Result.TECHNICAL_ERROR:
            status = CallStatus.FAILED
            if state.error:
                self.progress.errors.append(f"{claim.call_id}: {state.error}")
        else:
            status = CallStatus.COMPLETED
        self.progress.results[result.value] += 1
        objections = [
            str(e["objection"])
            for e in call_log.events
            if e.get("event") == "objection" and e.get("objection")
        ]
        self.progress.objections.update(objections)
        freestyle = sum(1 for e in call_log.events if e.get("event") == "freestyle")
        self.progress.freestyle_turns += freestyle
        transcript = self._write_transcript(claim, call_log)
        return CallOutcome(
            status=status,
            ended_at=ended_at,
            result=result,
            freestyle_turns=freestyle,
            objections=objections,
            recording_path=str(self._recording_path(claim)) if self.settings.record else None,
            transcript_path=str(transcript) if transcript else None,
            opted_out=state.opt_out,
            hangup_cause=None,
        )

    def _recording_path(self, claim: Claim) -> Path:
        return self.settings.recordings_dir / claim.campaign / f"{claim.call_id}.wav"

    def _write_transcript(self, claim: Claim, call_log: _CallLog) -> Path | None:
        path = self.settings.transcripts_dir / claim.campaign / f"{claim.call_id}.txt"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            header = (
                f"# call {claim.call_id}  contact {claim.contact.phone}  attempt {claim.attempt}\n"
            )
            path.write_text(header + "\n".join(call_log.lines) + "\n", encoding="utf-8")
        except OSError as exc:
            self.progress.errors.append(f"transcript {path}: {exc.strerror}")
            return None
        return path


def summarise(stats: CampaignStats, progress: Progress) -> dict[str, Any]:
    """The end-of-run summary as plain data (printed by ``mbs run``)."""
    average = progress.talk_seconds / progress.answered if progress.answered else 0.0
    return {
        "campaign": stats.campaign,
        "contacts": stats.contacts,
        "done": stats.done,
        "waiting": stats.waiting,
        "calls": stats.calls,
        "answered": stats.answered,
        "answer_rate": stats.answer_rate,
        "by_status": stats.by_status,
        "by_result": stats.by_result,
        "average_talk_seconds": round(average, 1),
        "objections_matched": dict(progress.objections.most_common()),
        "freestyle_turns": progress.freestyle_turns,
        "next_due_at": stats.next_due_at.isoformat() if stats.next_due_at else None,
        "errors": progress.errors[:20],
    }


def simulated_start(next_window: Callable[[datetime], datetime], now: datetime) -> datetime:
    """Where a simulated campaign starts: the next allowed window (a little into it)."""
    start = next_window(now)
    return start + timedelta(minutes=1) if start > now else now
