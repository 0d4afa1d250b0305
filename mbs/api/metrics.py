"""Prometheus metrics read from the store at scrape time (``mbs_*``).

Numbers come from :meth:`Store.stats`, the same figures as ``mbs campaign status``, so
a dashboard and the command line never disagree. Every call status and every result
is exported for every campaign, zeros included, so series do not appear out of nowhere.
When the store cannot be read, ``mbs_store_up`` is 0 and the store's series are left
out for that scrape (the live ones, if any, are still there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy.exc import SQLAlchemyError

from mbs.api.live import TALK_BUCKETS, LiveRegistry
from mbs.api.reads import TalkTimes, talk_times
from mbs.campaign.store import CampaignNotFound, CampaignStats, Store, StoreError
from mbs.campaign.store.records import CampaignInfo
from mbs.program import Result
from mbs.runtime.telephony import CallStatus

CONTACT_STATES = ("done", "in_flight", "waiting")


class StoreCollector(Collector):
    def __init__(self, store: Store, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now

    def _read(self) -> tuple[list[tuple[CampaignInfo, CampaignStats]], dict[int, TalkTimes]]:
        rows = []
        now = self.now()
        for info in self.store.list_campaigns():
            try:
                rows.append((info, self.store.stats(info.id, now=now)))
            except CampaignNotFound:
                continue  # deleted between the two reads
        return rows, talk_times(self.store, TALK_BUCKETS)

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("mbs_store_up", "1 when the store could be read for this scrape.")
        try:
            rows, talks = self._read()
        except (StoreError, SQLAlchemyError):
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        contacts = GaugeMetricFamily(
            "mbs_campaign_contacts",
            "Contacts of a campaign by state (done, in_flight, waiting; they add up).",
            labels=["campaign", "state"],
        )
        due = GaugeMetricFamily(
            "mbs_campaign_due_contacts",
            "Waiting contacts already due (the law may still defer them).",
            labels=["campaign"],
        )
        calls = GaugeMetricFamily(
            "mbs_calls", "Call attempts by status.", labels=["campaign", "status"]
        )
        results = GaugeMetricFamily(
            "mbs_call_results", "Call attempts by result.", labels=["campaign", "result"]
        )
        dialled = GaugeMetricFamily(
            "mbs_calls_dialled", "Attempts that were dialled.", labels=["campaign"]
        )
        answered = GaugeMetricFamily(
            "mbs_calls_answered", "Attempts that were answered.", labels=["campaign"]
        )
        rate = GaugeMetricFamily(
            "mbs_answer_rate",
            "Answered / dialled (absent before the first dial).",
            labels=["campaign"],
        )
        next_due = GaugeMetricFamily(
            "mbs_campaign_next_due_timestamp_seconds",
            "When the next waiting contact becomes due (absent when none waits).",
            labels=["campaign"],
        )
        talk = HistogramMetricFamily(
            "mbs_call_talk_seconds",
            "Talk time of finished answered calls (answer to hang-up).",
            labels=["campaign"],
        )
        bounds = [floatToGoString(b) for b in TALK_BUCKETS]
        for info, st in rows:
            name = info.name
            times = talks.get(info.id)
            if times is None:
                talk.add_metric([name], [(b, 0.0) for b in bounds], 0.0)
            else:
                talk.add_metric(
                    [name],
                    [(b, float(n)) for b, n in zip(bounds, times.cumulative, strict=True)],
                    times.total_seconds,
                )
            for state, n in zip(CONTACT_STATES, (st.done, st.in_flight, st.waiting), strict=True):
                contacts.add_metric([name, state], n)
            due.add_metric([name], st.due_now)
            for status in CallStatus:
                calls.add_metric([name, status.value], st.by_status.get(status.value, 0))
            for result in Result:
                results.add_metric([name, result.value], st.by_result.get(result.value, 0))
            dialled.add_metric([name], st.dialled)
            answered.add_metric([name], st.answered)
            if st.answer_rate is not None:
                rate.add_metric([name], st.answer_rate)
            if st.next_due_at is not None and st.waiting:
                next_due.add_metric([name], st.next_due_at.timestamp())
        yield from (contacts, due, calls, results, dialled, answered, rate, next_due, talk)


def build_registry(
    store: Store, now: Callable[[], datetime], live: LiveRegistry | None
) -> CollectorRegistry:
    """A registry of this app's own (never the process-wide default one)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, now))
    if live is not None:
        registry.register(live.collector())
    return registry
