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
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mbs.campaign.clock import Clock, ScaledClock
from mbs.campaign.facts import (
    CallDialled,
    CallFinished,
    CallStarted,
    ContactDeferred,
    ContactIncomplete,
    ExecutorError,
    Fact,
    Observer,
    Progress,
    WaitingForWindow,
)
from mbs.campaign.law import CallingLaw, CallingPolicy, Decision
from mbs.campaign.names import campaign_file, check_slug
from mbs.campaign.outcomes import call_facts, committed_steps, objective_results
from mbs.campaign.state import CampaignState
from mbs.campaign.store.records import (
    CallOutcome,
    CallTotals,
    CampaignStats,
    Claim,
    ClaimBatch,
    Finished,
    FinishWrite,
    Recovery,
    StatusWrite,
)
from mbs.campaign.store.retry import RetryPolicy
from mbs.campaign.writes import GroupCommit
from mbs.program import Result
from mbs.runtime.ahead import AheadLines
from mbs.runtime.events import CallEvent, Event, FreestyleEvent, ObjectionEvent, parse_event
from mbs.runtime.state import CallState
from mbs.runtime.telephony import CallStatus, Telephony
from mbs.runtime.transcript import log_line
from mbs.runtime.vm import Vm

log = logging.getLogger(__name__)

T = TypeVar("T")

# Speech synthesis runs beside the conversations: at most this many lines at once, so a
# TTS that computes in this process (espeak's pure-Python resampler holds the GIL) or
# spawns processes never starves the event loop the calls run on.
SYNTHESIS_SLOTS = max(1, (os.cpu_count() or 2) - 1)


class StorePort(Protocol):
    """The part of the store the executor uses (``mbs.campaign.store.Store``)."""

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

    def start_dial(
        self, call_id: str, *, at: datetime, policy: CallingLaw | CallingPolicy | None = None
    ) -> Decision: ...

    def release_incomplete(self, call_id: str, *, at: datetime, missing: Sequence[str]) -> None: ...

    def update_call_status(
        self, call_id: str, status: CallStatus, *, at: datetime, hangup_cause: str | None = None
    ) -> None: ...

    def finish_call(
        self,
        call_id: str,
        outcome: CallOutcome,
        *,
        retry: RetryPolicy | None = None,
        events: Iterable[tuple[datetime, str, dict[str, Any]]] = (),
    ) -> Finished: ...

    def stats(self, campaign: str | int, *, now: datetime) -> CampaignStats: ...

    def apply_writes(self, writes: Sequence[StatusWrite | FinishWrite]) -> list[object]: ...

    def begin_work(self, campaign: str | int, *, now: datetime) -> CampaignState: ...

    def finish_work(self, campaign: str | int, *, now: datetime) -> CampaignState: ...

    def campaign_state(self, campaign: str | int) -> CampaignState: ...


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
    state_poll_s: float = 1.0  # wall seconds between looks at the campaign's state
    # The contact's first line is synthesised before dialling (never a silence after
    # "allô"); the wait is bounded, and the line is then made on demand if still missing.
    opening_wait_s: float = 20.0

    def __post_init__(self) -> None:
        check_slug(self.campaign)  # it names the recordings' and transcripts' folders


class _CallLog:
    """Collects one call's events for the store and writes its transcript."""

    def __init__(self, call_id: str, clock: Clock, live: dict[str, Any] | None = None) -> None:
        self.call_id = call_id
        self.clock = clock
        self.events: list[CallEvent] = []
        self.stored: list[tuple[datetime, str, dict[str, Any]]] = []
        self.lines: list[str] = []
        self.live = live  # the console's view of this call, updated as it goes

    def emit(self, event: Event) -> None:
        event.setdefault("call_id", self.call_id)
        now = self.clock.now()
        data = {k: v for k, v in event.items() if k not in ("event", "call_id")}
        self.stored.append((now, str(event.get("event", "")), data))
        typed = parse_event(event)
        self.events.append(typed)
        line = log_line(typed)
        if line is not None:
            self.lines.append(f"[{now.strftime('%H:%M:%S')}] {line}")
        if self.live is not None:  # the console's view of the call in progress
            kind = event.get("event")
            if kind == "step_entered":
                self.live["step"] = event.get("step")
            elif kind == "heard" and event.get("kind") == "utterance":
                self.live["heard"] = event.get("text")
            self.live["lines"] = self.lines[-40:]


@dataclass
class _CallReport:
    """What one call's ``CallFinished`` will say, filled in as the call goes."""

    status: str = CallStatus.FAILED.value
    result: str | None = None
    talk_seconds: float | None = None
    objections: list[str] = field(default_factory=list)
    freestyle_turns: int = 0
    error: str | None = None


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
        observers: Iterable[Observer] = (),
    ) -> None:
        self.store = store
        self.vm = vm
        self.telephony = telephony
        self.clock = clock
        self.settings = settings
        self.progress = Progress()
        self._on_progress = on_progress
        self._observers = list(observers)
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._ahead = AheadLines(vm.loaded)
        self._law = CallingLaw(settings.policy) if settings.policy is not None else None
        self._synthesis = asyncio.Semaphore(SYNTHESIS_SLOTS)
        self._background: set[asyncio.Task[Any]] = set()
        self._slot_freed = asyncio.Event()
        self._writes = GroupCommit(store)  # status changes and call ends, batched
        self._tts_silent = False  # the TTS made no audio for a line: nothing to prepare
        self._committed = committed_steps(vm.program)
        self._objective = objective_results(vm.program)
        self._state_read_at = float("-inf")

    def stop(self) -> None:
        """Stop claiming; calls in flight finish normally."""
        self._stopping.set()

    def _notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress)

    def _report(self, fact: Fact, *, notify: bool = True) -> None:
        """Tell the observers what happened; ``Progress`` folds it like any of them."""
        self.progress.apply(fact)
        for observer in self._observers:
            observer(fact)
        if notify:
            self._notify()

    async def run(self) -> CampaignStats:
        s = self.settings
        # Calls this worker left open when it last died: closed, never dialled again.
        recovery = await self._db(
            self.store.recover_interrupted,
            now=self.clock.now(),
            campaign=s.campaign,
            worker_id=s.worker_id,
            retry=s.retry,
        )
        if recovery.interrupted or recovery.released:
            log.warning(
                "recovered %d interrupted call(s) and released %d unstarted claim(s)",
                len(recovery.interrupted),
                len(recovery.released),
            )
        self.progress.state = await self._db(
            self.store.begin_work, s.campaign, now=self.clock.now()
        )
        loop = asyncio.get_running_loop()
        # Claim in batches: each claim is a write transaction that also reads the
        # contacts' histories, so with many calls in flight a slot or two is not worth
        # one; and after a claim came back short (nothing more due), look again only
        # after idle_poll_s rather than at every call's end.
        claim_floor = max(1, min(s.batch_size, s.max_concurrent // 10))
        look_again_at = 0.0
        while not self._stopping.is_set():
            self._slot_freed.clear()  # set again by any call that ends from here on
            if not await self._may_claim(loop.time()):
                if self.progress.state in (CampaignState.CANCELLED, CampaignState.DONE):
                    break  # calls in flight finish below
                # Paused: calls in flight go on; look at the state again shortly.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=s.state_poll_s)
                continue
            free = s.max_concurrent - len(self._running)
            claimed = 0
            idle = not self._running
            if free > 0 and (idle or (free >= claim_floor and loop.time() >= look_again_at)):
                wanted = min(free, s.batch_size)
                batch = await self._db(
                    self.store.claim_due,
                    s.campaign,
                    self.clock.now(),
                    wanted,
                    s.worker_id,
                    self._law,
                )
                for deferred in batch.deferred:
                    self._report(ContactDeferred(s.campaign, deferred.reason), notify=False)
                for claim in batch.claims:
                    self._start(claim)
                claimed = len(batch.claims)
                if claimed < wanted:
                    look_again_at = loop.time() + s.idle_poll_s
            if self._running:
                # Wait for a call to end (or a while, to claim contacts that became due).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._slot_freed.wait(), timeout=s.idle_poll_s)
                continue
            if claimed:
                continue
            stats = await self._db(self.store.stats, s.campaign, now=self.clock.now())
            if stats.next_due_at is None or stats.waiting == 0:
                # Nothing left that the law or the retry policy will ever allow; done
                # once no other worker has a call in flight either (its call could
                # still schedule a retry).
                if stats.in_flight == 0:
                    self.progress.state = await self._db(
                        self.store.finish_work, s.campaign, now=self.clock.now()
                    )
                break
            self._report(WaitingForWindow(s.campaign, stats.next_due_at))
            await self._wait_until(stats.next_due_at)
            self._report(WaitingForWindow(s.campaign, None), notify=False)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        await self._writes.close()
        for task in list(self._background):
            task.cancel()
        self._notify()
        return await self._db(self.store.stats, s.campaign, now=self.clock.now())

    async def _may_claim(self, now: float) -> bool:
        """Whether the stored state lets this worker claim (read every state_poll_s)."""
        if now - self._state_read_at >= self.settings.state_poll_s:
            self._state_read_at = now
            state = await self._db(self.store.campaign_state, self.settings.campaign)
            if state != self.progress.state:
                self.progress.state = state
                self._notify()
        return self.progress.state == CampaignState.RUNNING

    @staticmethod
    async def _db(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """A store call, in a worker thread: a commit (an fsync, a lock wait on SQLite, a
        round trip to PostgreSQL) never holds up the event loop the other calls run on."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _wait_until(self, when: datetime) -> None:
        gap = (when - self.clock.now()).total_seconds()
        if gap <= 0:
            return
        if isinstance(self.clock, ScaledClock):
            self.clock.jump_to(when)  # nothing is running: skip the idle simulated time
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=min(gap, 60.0))

    def _call_ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slot_freed.set()

    def _start(self, claim: Claim) -> None:
        task = asyncio.create_task(self._place(claim), name=f"call-{claim.call_id}")
        self._running.add(task)
        task.add_done_callback(self._call_ended)
        self._report(CallStarted(claim.campaign, claim.call_id))

    async def _place(self, claim: Claim) -> None:
        report = _CallReport()
        try:
            await self._place_call(claim, report)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or a store failure: keep the campaign going
            log.exception("call %s failed", claim.call_id)
            report.status, report.result, report.error = CallStatus.FAILED.value, None, str(exc)
            with contextlib.suppress(Exception):
                await self._writes.finish(
                    FinishWrite(
                        claim.call_id,
                        CallOutcome(
                            status=CallStatus.FAILED,
                            ended_at=self.clock.now(),
                            result=Result.TECHNICAL_ERROR,
                            hangup_cause=f"EXECUTOR_ERROR: {exc}"[:200],
                        ),
                        retry=self.settings.retry,
                    )
                )
        finally:
            self.progress.live.pop(claim.call_id, None)
            self._report(
                CallFinished(
                    claim.campaign,
                    claim.call_id,
                    status=report.status,
                    result=report.result,
                    talk_seconds=report.talk_seconds,
                    objections=tuple(report.objections),
                    freestyle_turns=report.freestyle_turns,
                    error=report.error,
                )
            )

    async def _place_call(self, claim: Claim, report: _CallReport) -> None:
        s = self.settings
        live: dict[str, Any] = {"campaign": claim.campaign, "step": None, "heard": None}
        self.progress.live[claim.call_id] = live
        call_log = _CallLog(claim.call_id, self.clock, live)
        # A contact lacking a field the scenario says ("{{ contact.industry }}") would hear
        # an empty word or end in an error after the greeting: it is not dialled.
        missing = self.vm.loaded.contact_fields.missing(claim.contact.template_vars())
        if missing:
            await self._db(
                self.store.release_incomplete, claim.call_id, at=self.clock.now(), missing=missing
            )
            report.status = CallStatus.CANCELLED.value
            self._report(ContactIncomplete(claim.campaign, claim.call_id, tuple(missing)))
            return
        # The contact's own lines ("Bonjour Marie, ...") are made before the dial, the
        # first one awaited, so the robot speaks as soon as the prospect picks up.
        lines = [] if self._tts_silent else self._personal_lines(claim)
        if lines:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._synthesise(lines[:1]), s.opening_wait_s)
            if len(lines) > 1:
                self._in_background(self._synthesise(lines[1:]))
        # The law again, on the dial time (the opening line may have taken seconds, the
        # window may have closed); CALLING committed before the originate goes out: the
        # crash-safety rule. A claim no longer legal is released, not dialled.
        decision = await self._db(
            self.store.start_dial, claim.call_id, at=self.clock.now(), policy=self._law
        )
        if not decision.allowed:
            self.progress.deferred[decision.reason] += 1
            self.progress.statuses[CallStatus.CANCELLED.value] += 1
            return
        ringing: list[asyncio.Task[None]] = []

        def on_status(status: CallStatus) -> None:
            # Called from the backend's event pump: written in order, off the loop.
            if status is CallStatus.RINGING and not ringing:
                ringing.append(
                    asyncio.ensure_future(
                        self._writes.status(StatusWrite(claim.call_id, status, self.clock.now()))
                    )
                )

        variables: Mapping[str, str] = {
            "mbs_campaign": claim.campaign,
            "mbs_contact": str(claim.contact.id),
            "mbs_call": claim.call_id,
            "mbs_attempt": str(claim.attempt),
        }
        if s.record:
            variables = {**variables, "mbs_recording": str(self._recording_path(claim))}
        try:
            await self._dial_and_converse(claim, variables, on_status, ringing, call_log, report)
        finally:
            for task in ringing:  # never left running past the call's end
                with contextlib.suppress(Exception):
                    await task

    async def _dial_and_converse(
        self,
        claim: Claim,
        variables: Mapping[str, str],
        on_status: Callable[[CallStatus], None],
        ringing: list[asyncio.Task[None]],
        call_log: _CallLog,
        report: _CallReport,
    ) -> None:
        s = self.settings
        dial = await self.telephony.dial(
            claim.contact.phone, call_id=claim.call_id, variables=variables, on_status=on_status
        )
        report.status = dial.status.value
        self._report(
            CallDialled(claim.campaign, claim.call_id, dial.status.value, dial.call is not None),
            notify=False,
        )
        for task in ringing:  # RINGING is stored before whatever follows it
            await task
        if dial.call is None:
            outcome = CallOutcome(
                status=dial.status,
                ended_at=self.clock.now(),
                hangup_cause=dial.hangup_cause or None,
            )
            await self._writes.finish(FinishWrite(claim.call_id, outcome, retry=s.retry))
            return

        answered_at = self.clock.now()
        # Not awaited before the conversation starts: the prospect is saying "allô".
        in_progress = asyncio.ensure_future(
            self._writes.status(StatusWrite(claim.call_id, CallStatus.IN_PROGRESS, answered_at))
        )
        try:
            state = await self.vm.run_call(
                dial.call,
                contact=claim.contact.template_vars(),
                sink=call_log,
                call_id=claim.call_id,
                machine_at_answer=dial.machine,
                now=self._callee_now(claim),
            )
        finally:
            await in_progress
        ended_at = self.clock.now()
        report.talk_seconds = (ended_at - answered_at).total_seconds()
        outcome = await self._outcome(claim, state, call_log, ended_at, report)
        await self._writes.finish(
            FinishWrite(claim.call_id, outcome, retry=s.retry, events=tuple(call_log.stored))
        )

    def _in_background(self, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _synthesise(self, texts: list[str]) -> None:
        tts = self.vm.tts
        if tts is None:
            return
        for text in texts:
            async with self._synthesis:
                with contextlib.suppress(Exception):  # the call will say it, or fail, itself
                    if await tts.synthesize(text) is None:
                        # a TTS that makes no audio (tts "none", the switch speaks): the
                        # templates rendered for it were CPU spent for nothing
                        self._tts_silent = True

    def _personal_lines(self, claim: Claim) -> list[str]:
        """The lines this contact will hear that can be rendered before the call (the
        opening first). Lines the same for everyone were made at start-up
        (``CampaignRun.warm_tts``) and are found in the cache."""
        if self.vm.tts is None:
            return []
        return self._ahead.for_contact(claim.contact.template_vars())

    def _callee_now(self, claim: Claim) -> datetime | None:
        """The call's start in the callee's zone: the dates a prospect says
        ("demain à 14h") are relative to it."""
        law = self._law or CallingLaw()
        try:
            zone = law.clock_for(claim.contact.phone).zones[0]
        except ValueError:
            return None
        return self.clock.now().astimezone(zone)

    def _callback_at(self, claim: Claim, state: CallState) -> datetime | None:
        """The call-back time the prospect asked for, moved into a legal window."""
        if state.callback_at is None:
            return None
        try:
            asked = datetime.fromisoformat(state.callback_at)
            return (self._law or CallingLaw()).next_window(claim.contact.phone, asked)
        except ValueError:
            return None

    async def _outcome(
        self,
        claim: Claim,
        state: CallState,
        call_log: _CallLog,
        ended_at: datetime,
        report: _CallReport,
    ) -> CallOutcome:
        result = state.result or Result.TECHNICAL_ERROR
        facts = call_facts(call_log.stored, self._committed)
        if result is Result.HUNG_UP and facts.objective_result is not None:
            result = facts.objective_result  # hung up after the objective was reached
        if facts.objective_result is None and result in self._objective:
            # reached without entering a committed step ("au revoir" at the read-back)
            facts.objective_result, facts.objective_at = result, ended_at
        if result is Result.ANSWERING_MACHINE:
            status = CallStatus.ANSWERING_MACHINE
        elif result is Result.TECHNICAL_ERROR:
            status = CallStatus.FAILED
            if state.error:
                report.error = state.error
        else:
            status = CallStatus.COMPLETED
        report.status = status.value
        report.result = result.value
        objections = [
            e.result.objection
            for e in call_log.events
            if isinstance(e, ObjectionEvent) and e.result.objection
        ]
        freestyle = sum(1 for e in call_log.events if isinstance(e, FreestyleEvent))
        report.objections, report.freestyle_turns = objections, freestyle
        transcript = await asyncio.to_thread(self._write_transcript, claim, call_log)
        if isinstance(transcript, str):
            self._report(ExecutorError(claim.campaign, transcript), notify=False)
        return CallOutcome(
            status=status,
            ended_at=ended_at,
            result=result,
            captures=facts.captures,
            last_step=facts.last_step,
            objective_result=facts.objective_result,
            objective_at=facts.objective_at,
            steps={
                k: (v.reached, v.unclear, v.fallback, v.objections) for k, v in facts.steps.items()
            },
            freestyle_turns=freestyle,
            objections=objections,
            recording_path=str(self._recording_path(claim)) if self.settings.record else None,
            transcript_path=str(transcript) if isinstance(transcript, Path) else None,
            opted_out=state.opt_out,
            hangup_cause=None,
            callback_at=self._callback_at(claim, state)
            if result is Result.CALLBACK_REQUESTED
            else None,
        )

    def _recording_path(self, claim: Claim) -> Path:
        return campaign_file(self.settings.recordings_dir, claim.campaign, f"{claim.call_id}.wav")

    def _write_transcript(self, claim: Claim, call_log: _CallLog) -> Path | str:
        """The transcript's path, or what went wrong (runs in a worker thread)."""
        path = campaign_file(self.settings.transcripts_dir, claim.campaign, f"{claim.call_id}.txt")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            header = (
                f"# call {claim.call_id}  contact {claim.contact.phone}  attempt {claim.attempt}\n"
            )
            path.write_text(header + "\n".join(call_log.lines) + "\n", encoding="utf-8")
        except OSError as exc:
            return f"transcript {path}: {exc.strerror}"
        return path


def summarise(
    stats: CampaignStats, progress: Progress, totals: CallTotals | None = None
) -> dict[str, Any]:
    """The end-of-run summary as plain data (printed by ``mbs run``). With ``totals``
    (from the store) talk time, freestyle turns and objections cover the whole campaign,
    like the counts; without, only this run's calls."""
    if totals is not None:
        average = totals.average_talk_seconds
        objections = totals.objections
        freestyle = totals.freestyle_turns
    else:
        average = progress.talk_seconds / progress.answered if progress.answered else 0.0
        objections = dict(progress.objections.most_common())
        freestyle = progress.freestyle_turns
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
        "objections_matched": objections,
        "freestyle_turns": freestyle,
        "next_due_at": stats.next_due_at.isoformat() if stats.next_due_at else None,
        # contacts not dialled by this run, by the field they lacked
        "not_called_lacking": dict(sorted(progress.incomplete.items())),
        "errors": progress.errors[:20],
    }
