"""What an executor reports while it runs: facts, one per thing that happened.

The executor does not keep counters for others to diff: it tells its observers each
fact as it happens (a call started, was dialled, finished with its status, result,
talk time and objections; a due contact was deferred by the law, or not dialled for a
field it lacks; the executor waits
for a calling window; something went wrong). Each reader folds the facts into what
it needs: :class:`Progress` (the run's display and summary) here, the live API's
per-campaign counters and talk-time histogram in ``mbs.api.live``.

Observers are called on the executor's event loop, in the order things happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CallStarted:
    campaign: str
    call_id: str


@dataclass(frozen=True, slots=True)
class CallDialled:
    """The dial is over: ``status`` is how it ended (IN_PROGRESS when answered)."""

    campaign: str
    call_id: str
    status: str
    answered: bool


@dataclass(frozen=True, slots=True)
class CallFinished:
    """The call is over and recorded. ``result`` is the conversation's (None when
    nobody answered, or the executor failed); ``talk_seconds`` runs from the answer to
    the hang-up on the campaign's clock (None when nobody answered)."""

    campaign: str
    call_id: str
    status: str
    result: str | None = None
    talk_seconds: float | None = None
    objections: tuple[str, ...] = ()
    freestyle_turns: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ContactDeferred:
    """A due contact the law turned down at claim time, and why."""

    campaign: str
    reason: str


@dataclass(frozen=True, slots=True)
class ContactIncomplete:
    """A claimed contact not dialled: it lacks fields the scenario says (``missing``)."""

    campaign: str
    call_id: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WaitingForWindow:
    """Nothing is due: the executor waits until ``until`` (None: it stopped waiting)."""

    campaign: str
    until: datetime | None


@dataclass(frozen=True, slots=True)
class ExecutorError:
    """Something went wrong beside a call's own result (a transcript not written, ...)."""

    campaign: str
    message: str


Fact = (
    CallStarted
    | CallDialled
    | CallFinished
    | ContactDeferred
    | ContactIncomplete
    | WaitingForWindow
    | ExecutorError
)
Observer = Callable[[Fact], None]


@dataclass
class Progress:
    """One executor's run so far, folded from its facts (for the display and summary)."""

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
    incomplete: Counter[str] = field(default_factory=Counter)  # contacts not dialled, by field
    errors: list[str] = field(default_factory=list)
    state: str = "running"  # the campaign's stored state, as last read
    # Calls in progress: call id -> step, last prospect words, transcript lines so far
    # (kept by the executor as the calls go, read by the console's live view).
    live: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, fact: Fact) -> None:
        if isinstance(fact, CallStarted):
            self.started += 1
            self.running += 1
            self.peak_running = max(self.peak_running, self.running)
        elif isinstance(fact, CallDialled):
            self.statuses[fact.status] += 1
            self.answered += fact.answered
        elif isinstance(fact, CallFinished):
            self.running -= 1
            self.finished += 1
            if fact.result is not None:
                self.results[fact.result] += 1
            self.objections.update(fact.objections)
            self.freestyle_turns += fact.freestyle_turns
            if fact.talk_seconds is not None:
                self.talk_seconds += fact.talk_seconds
            if fact.error is not None:
                self.errors.append(f"{fact.call_id}: {fact.error}")
        elif isinstance(fact, ContactDeferred):
            self.deferred[fact.reason] += 1
        elif isinstance(fact, ContactIncomplete):
            self.incomplete.update(fact.missing)
        elif isinstance(fact, WaitingForWindow):
            self.waiting_until = fact.until
        elif isinstance(fact, ExecutorError):
            self.errors.append(fact.message)
