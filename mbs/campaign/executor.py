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
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mbs.campaign.clock import Clock, ScaledClock
from mbs.campaign.law import CallingLaw, CallingPolicy
from mbs.campaign.outcomes import call_facts, committed_steps
from mbs.campaign.state import CampaignState
from mbs.campaign.store.records import (
    CallOutcome,
    CallTotals,
    CampaignStats,
    Claim,
    ClaimBatch,
    Finished,
    Recovery,
)
from mbs.campaign.store.retry import RetryPolicy
from mbs.program import Result, Say
from mbs.runtime.events import Event
from mbs.runtime.state import CallState
from mbs.runtime.telephony import CallStatus, Telephony
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


@dataclass
class Progress:
    """Live counters for the display."""

    started: int = 0
    running: int = 0
    peak_running: int = 0
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
    state: str = "running"  # the campaign's stored state, as last read
    # Calls in progress: call id -> step, last prospect words, transcript lines so far.
    live: dict[str, dict[str, Any]] = field(default_factory=dict)


class _CallLog:
    """Collects one call's events for the store and writes its transcript."""

    def __init__(self, call_id: str, clock: Clock, live: dict[str, Any] | None = None) -> None:
        self.call_id = call_id
        self.clock = clock
        self.events: list[Event] = []
        self.stored: list[tuple[datetime, str, dict[str, Any]]] = []
        self.lines: list[str] = []
        self.live = live  # the console's view of this call, updated as it goes

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
        if self.live is not None:
            if kind == "step_entered":
                self.live["step"] = event.get("step")
            elif kind == "heard" and event.get("kind") == "utterance":
                self.live["heard"] = event.get("text")
            self.live["lines"] = self.lines[-40:]


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
        self._synthesis = asyncio.Semaphore(SYNTHESIS_SLOTS)
        self._background: set[asyncio.Task[Any]] = set()
        self._slot_freed = asyncio.Event()
        self._committed = committed_steps(vm.program)
        self._state_read_at = float("-inf")

    def stop(self) -> None:
        """Stop claiming; calls in flight finish normally."""
        self._stopping.set()

    def _notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress)

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
                    self.progress.deferred[deferred.reason] += 1
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
            self.progress.waiting_until = stats.next_due_at
            self._notify()
            await self._wait_until(stats.next_due_at)
            self.progress.waiting_until = None
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
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
        self.progress.started += 1
        self.progress.running = len(self._running)
        self.progress.peak_running = max(self.progress.peak_running, len(self._running))
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
                await self._db(
                    self.store.finish_call,
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
            self.progress.live.pop(claim.call_id, None)
            self.progress.running = len(self._running) - 1
            self.progress.finished += 1
            self._notify()

    async def _place_call(self, claim: Claim) -> None:
        s = self.settings
        live: dict[str, Any] = {"campaign": claim.campaign, "step": None, "heard": None}
        self.progress.live[claim.call_id] = live
        call_log = _CallLog(claim.call_id, self.clock, live)
        # The contact's own lines ("Bonjour Marie, ...") are made before the dial, the
        # first one awaited, so the robot speaks as soon as the prospect picks up.
        lines = self._personal_lines(claim)
        if lines:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._synthesise(lines[:1]), s.opening_wait_s)
            if len(lines) > 1:
                self._in_background(self._synthesise(lines[1:]))
        # Committed before the originate goes out: the crash-safety rule.
        await self._db(
            self.store.update_call_status, claim.call_id, CallStatus.CALLING, at=self.clock.now()
        )
        ringing: list[asyncio.Task[None]] = []

        def on_status(status: CallStatus) -> None:
            # Called from the backend's event pump: written in order, off the loop.
            if status is CallStatus.RINGING and not ringing:
                ringing.append(
                    asyncio.ensure_future(
                        self._db(
                            self.store.update_call_status,
                            claim.call_id,
                            status,
                            at=self.clock.now(),
                        )
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
            await self._dial_and_converse(claim, variables, on_status, ringing, call_log)
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
    ) -> None:
        s = self.settings
        dial = await self.telephony.dial(
            claim.contact.phone, call_id=claim.call_id, variables=variables, on_status=on_status
        )
        self.progress.statuses[dial.status.value] += 1
        for task in ringing:  # RINGING is stored before whatever follows it
            await task
        if dial.call is None:
            outcome = CallOutcome(
                status=dial.status,
                ended_at=self.clock.now(),
                hangup_cause=dial.hangup_cause or None,
            )
            await self._db(self.store.finish_call, claim.call_id, outcome, retry=s.retry)
            return

        answered_at = self.clock.now()
        self.progress.answered += 1
        # Not awaited before the conversation starts: the prospect is saying "allô".
        in_progress = asyncio.ensure_future(
            self._db(
                self.store.update_call_status,
                claim.call_id,
                CallStatus.IN_PROGRESS,
                at=answered_at,
            )
        )
        try:
            state = await self.vm.run_call(
                dial.call,
                contact=claim.contact.template_vars(),
                sink=call_log,
                call_id=claim.call_id,
                machine_at_answer=dial.machine,
            )
        finally:
            await in_progress
        ended_at = self.clock.now()
        self.progress.talk_seconds += (ended_at - answered_at).total_seconds()
        outcome = await self._outcome(claim, state, call_log, ended_at)
        await self._db(
            self.store.finish_call, claim.call_id, outcome, retry=s.retry, events=call_log.stored
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
                    await tts.synthesize(text)

    def _personal_lines(self, claim: Claim) -> list[str]:
        """The lines this contact will hear that can be rendered before the call, in
        program order (the opening first). Lines the same for everyone were made at
        start-up (``CampaignRun.warm_tts``) and are found in the cache."""
        if self.vm.tts is None:
            return []
        context: dict[str, object] = {
            "contact": {k: str(v) for k, v in claim.contact.template_vars().items()},
            "agent": dict(self.vm.loaded.agent),
        }
        texts: list[str] = []
        for index in self._spoken_consts():
            try:
                texts.append(self.vm.loaded.templates.const(index, context))
            except Exception:
                continue  # needs a variable only the conversation provides
        return list(dict.fromkeys(texts))

    def _spoken_consts(self) -> list[int]:
        """Constants spoken by ``say``, in program order (the opening lines first)."""
        if self._spoken is None:
            self._spoken = list(
                dict.fromkeys(ins.text for ins in self.vm.program.code if isinstance(ins, Say))
            )
        return self._spoken

    async def _outcome(
        self, claim: Claim, state: CallState, call_log: _CallLog, ended_at: datetime
    ) -> CallOutcome:
        result = state.result or Result.TECHNICAL_ERROR
        facts = call_facts(call_log.stored, self._committed)
        if result is Result.HUNG_UP and facts.objective_result is not None:
            result = facts.objective_result  # hung up after the objective was reached
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
        transcript = await asyncio.to_thread(self._write_transcript, claim, call_log)
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
        "errors": progress.errors[:20],
    }
