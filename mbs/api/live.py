"""Live executor metrics: what a running campaign does between two looks at the store.

The executor reports facts to its observers (``Executor(observers=[...])``, see
:mod:`mbs.campaign.facts`): a call started, was dialled, finished with its status,
result, talk time and objections; a contact was deferred; the executor waits for a
window. A :class:`LiveRegistry` hands out one :class:`LiveFeed` per executor, which
folds those facts into totals per campaign, so several executors of one campaign add
up. Each finished call brings its own talk time: one histogram sample per call.

Feeds run on the event loop; scrapes run in the API's worker threads: one lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from mbs.campaign.facts import (
    CallDialled,
    CallFinished,
    CallStarted,
    ContactDeferred,
    ContactIncomplete,
    ExecutorError,
    Fact,
    WaitingForWindow,
)

# Upper bounds of the talk-time buckets, in seconds of call time.
TALK_BUCKETS: tuple[float, ...] = (5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, math.inf)


@dataclass
class LiveCampaign:
    """Totals for one campaign over every feed of this registry (a copy when read)."""

    campaign: str
    started: int = 0
    running: int = 0
    finished: int = 0
    answered: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)
    deferred: Counter[str] = field(default_factory=Counter)
    objections_matched: int = 0
    freestyle_turns: int = 0
    talk_seconds: float = 0.0
    talk_calls: int = 0
    errors: int = 0
    waiting_until: datetime | None = None
    updated_at: float = 0.0  # Unix time of the last report
    # per-bucket (not cumulative) counts of talk samples, aligned with TALK_BUCKETS
    talk_buckets: list[int] = field(default_factory=lambda: [0] * len(TALK_BUCKETS))

    def copy(self) -> LiveCampaign:
        # replace() carries every field over; only the mutable ones need copies of their own
        return replace(
            self,
            statuses=Counter(self.statuses),
            results=Counter(self.results),
            deferred=Counter(self.deferred),
            talk_buckets=list(self.talk_buckets),
        )

    def observe_talk(self, seconds: float) -> None:
        self.talk_calls += 1
        for i, bound in enumerate(TALK_BUCKETS):
            if seconds <= bound:
                self.talk_buckets[i] += 1
                break


class LiveFeed:
    """The observer of one executor (``Executor(observers=[feed])``)."""

    def __init__(self, registry: LiveRegistry, campaign: str) -> None:
        self._registry = registry
        self.campaign = campaign
        self.running = 0
        self.waiting_until: datetime | None = None
        self.live_calls: Mapping[str, Mapping[str, Any]] = {}

    def __call__(self, fact: Fact) -> None:
        with self._registry._lock:
            self._fold(fact)

    def _fold(self, fact: Fact) -> None:
        c = self._registry._campaign(self.campaign)
        if isinstance(fact, CallStarted):
            c.started += 1
            self.running += 1
        elif isinstance(fact, CallDialled):
            c.statuses[fact.status] += 1
            c.answered += fact.answered
        elif isinstance(fact, CallFinished):
            c.finished += 1
            self.running = max(0, self.running - 1)
            if fact.result is not None:
                c.results[fact.result] += 1
            c.objections_matched += len(fact.objections)
            c.freestyle_turns += fact.freestyle_turns
            if fact.talk_seconds is not None:
                c.talk_seconds += fact.talk_seconds
                c.observe_talk(fact.talk_seconds)
            c.errors += fact.error is not None
        elif isinstance(fact, ContactDeferred):
            c.deferred[fact.reason] += 1
        elif isinstance(fact, ContactIncomplete):
            c.deferred["incomplete contact"] += 1
        elif isinstance(fact, WaitingForWindow):
            self.waiting_until = fact.until
        elif isinstance(fact, ExecutorError):
            c.errors += 1
        c.updated_at = time.time()
        self._registry._refresh_gauges(self.campaign)


class LiveRegistry:
    """Live counters of the executors running in this process, per campaign."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._campaigns: dict[str, LiveCampaign] = {}
        self._feeds: list[LiveFeed] = []

    def feed(self, campaign: str) -> LiveFeed:
        """An observer for ``Executor(observers=[...])``."""
        feed = LiveFeed(self, campaign)
        with self._lock:
            self._feeds.append(feed)
            self._campaign(campaign)
        return feed

    def _campaign(self, name: str) -> LiveCampaign:
        found = self._campaigns.get(name)
        if found is None:
            found = self._campaigns[name] = LiveCampaign(name)
        return found

    def _refresh_gauges(self, campaign: str) -> None:
        mine = [f for f in self._feeds if f.campaign == campaign]
        c = self._campaigns[campaign]
        c.running = sum(f.running for f in mine)
        waits = [f.waiting_until for f in mine if f.waiting_until is not None]
        c.waiting_until = min(waits) if waits else None

    def snapshot(self) -> list[LiveCampaign]:
        """Copies of every campaign's totals, by name."""
        with self._lock:
            return [self._campaigns[k].copy() for k in sorted(self._campaigns)]

    def calls(self) -> dict[str, dict[str, Any]]:
        """The calls in progress in this process's executors: step, last words, lines.

        The executors change these maps on their event loop; a copy that meets a change
        is simply taken again.
        """
        with self._lock:
            sources = [feed.live_calls for feed in self._feeds]
        found: dict[str, dict[str, Any]] = {}
        for source in sources:
            for _ in range(5):
                try:
                    found.update({k: dict(v) for k, v in list(source.items())})
                    break
                except RuntimeError:
                    continue
        return found

    def get(self, campaign: str) -> LiveCampaign | None:
        with self._lock:
            found = self._campaigns.get(campaign)
            return found.copy() if found is not None else None

    def collector(self) -> Collector:
        return LiveCollector(self)


class LiveCollector(Collector):
    """Exposes a :class:`LiveRegistry` to Prometheus (``mbs_live_*``)."""

    def __init__(self, live: LiveRegistry) -> None:
        self.live = live

    def collect(self) -> Iterator[Metric]:
        rows = self.live.snapshot()
        camp = ["campaign"]

        def counter(name: str, doc: str, value: Callable[[LiveCampaign], float]) -> Metric:
            family = CounterMetricFamily(name, doc, labels=camp)
            for c in rows:
                family.add_metric([c.campaign], value(c))
            return family

        def by_key(
            name: str, doc: str, label: str, counts: Callable[[LiveCampaign], Counter[str]]
        ) -> Metric:
            family = CounterMetricFamily(name, doc, labels=[*camp, label])
            for c in rows:
                for key, n in sorted(counts(c).items()):
                    family.add_metric([c.campaign, key], n)
            return family

        yield counter("mbs_live_calls_started", "Calls started by executors.", lambda c: c.started)
        yield counter("mbs_live_calls_finished", "Calls finished.", lambda c: c.finished)
        yield counter("mbs_live_calls_answered", "Calls answered.", lambda c: c.answered)
        running = GaugeMetricFamily("mbs_live_calls_running", "Calls in progress.", labels=camp)
        for c in rows:
            running.add_metric([c.campaign], c.running)
        yield running
        yield by_key(
            "mbs_live_dial_statuses",
            "How dialling ended, by the status the telephony reported.",
            "status",
            lambda c: c.statuses,
        )
        yield by_key(
            "mbs_live_call_results", "Results of conversations.", "result", lambda c: c.results
        )
        yield by_key(
            "mbs_live_deferred",
            "Due contacts the law turned down at claim time, by reason.",
            "reason",
            lambda c: c.deferred,
        )
        yield counter(
            "mbs_live_freestyle_turns", "Freestyle (LLM) turns.", lambda c: c.freestyle_turns
        )
        yield counter(
            "mbs_live_objections_matched", "Objections recognised.", lambda c: c.objections_matched
        )
        yield counter(
            "mbs_live_errors", "Executor errors (a call or a transcript).", lambda c: c.errors
        )
        talk = HistogramMetricFamily(
            "mbs_live_talk_seconds",
            "Talk time of answered calls (answer to hang-up, call clock).",
            labels=camp,
        )
        for c in rows:
            cumulative, buckets = 0, []
            for bound, n in zip(TALK_BUCKETS, c.talk_buckets, strict=True):
                cumulative += n
                buckets.append((floatToGoString(bound), float(cumulative)))
            talk.add_metric([c.campaign], buckets, c.talk_seconds)
        yield talk
        waiting = GaugeMetricFamily(
            "mbs_live_waiting_until_timestamp_seconds",
            "When an idle executor will look again (only while it waits for the law).",
            labels=camp,
        )
        for c in rows:
            if c.waiting_until is not None:
                waiting.add_metric([c.campaign], c.waiting_until.timestamp())
        yield waiting
        updated = GaugeMetricFamily(
            "mbs_live_last_progress_timestamp_seconds",
            "Wall time of the last progress report.",
            labels=camp,
        )
        for c in rows:
            if c.updated_at:
                updated.add_metric([c.campaign], c.updated_at)
        yield updated
