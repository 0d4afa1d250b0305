"""The live registry fed the way the executor feeds ``on_progress``, read over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from mbs.api import (
    LiveFeed,
    LiveRegistry,
    create_app,
    serve_in_background,
    server_port,
    stop_background,
)
from mbs.campaign.facts import (
    CallDialled,
    CallFinished,
    CallStarted,
    ContactDeferred,
    ExecutorError,
    WaitingForWindow,
)
from mbs.campaign.store import Store
from tests.api.conftest import LOADED_S, read_key
from tests.api.metrics_util import samples, value


class ExecutorLike:
    """Reports the facts the executor reports, in the same order (start; dial; finish
    with status, result, talk time, objections and freestyle turns)."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed
        self.n = 0
        self.open: list[str] = []
        self.ending: CallFinished | None = None

    def start(self) -> None:
        self.n += 1
        self.open.append(f"c{self.n}")
        self.feed(CallStarted("printemps", self.open[-1]))

    def conversation(
        self, talk: float, result: str, objections: tuple[str, ...] = (), freestyle: int = 0
    ) -> None:
        call = self.open[0]
        self.feed(CallDialled("printemps", call, "IN_PROGRESS", answered=True))
        self.ending = CallFinished(
            "printemps", call, "COMPLETED", result, talk, objections, freestyle
        )

    def not_answered(self, status: str) -> None:
        call = self.open[0]
        self.feed(CallDialled("printemps", call, status, answered=False))
        self.ending = CallFinished("printemps", call, status)

    def finish(self) -> None:
        assert self.ending is not None
        self.open.pop(0)
        self.feed(self.ending)
        self.ending = None


def campaign_day(executor: ExecutorLike) -> None:
    for _ in range(3):
        executor.start()
    executor.conversation(42.0, "APPOINTMENT_SCHEDULED", ("c'est trop cher",), freestyle=2)
    executor.finish()
    executor.not_answered("NO_ANSWER")
    executor.finish()
    executor.conversation(8.0, "NOT_INTERESTED")
    executor.finish()


async def test_live_counters_over_http(client: httpx.AsyncClient, live: LiveRegistry) -> None:
    executor = ExecutorLike(live.feed("printemps"))
    executor.start()
    executor.start()
    page = samples((await client.get("/metrics")).text)
    assert value(page, "mbs_live_calls_running", campaign="printemps") == 2
    assert value(page, "mbs_live_calls_started_total", campaign="printemps") == 2
    assert value(page, "mbs_live_calls_finished_total", campaign="printemps") == 0

    executor.start()
    executor.conversation(42.0, "APPOINTMENT_SCHEDULED", ("c'est trop cher",), freestyle=2)
    executor.finish()
    executor.not_answered("NO_ANSWER")
    executor.finish()
    executor.conversation(8.0, "NOT_INTERESTED")
    executor.finish()

    page = samples((await client.get("/metrics")).text)
    c = {"campaign": "printemps"}
    assert value(page, "mbs_live_calls_started_total", **c) == 3
    assert value(page, "mbs_live_calls_finished_total", **c) == 3
    assert value(page, "mbs_live_calls_running", **c) == 0
    assert value(page, "mbs_live_calls_answered_total", **c) == 2
    assert value(page, "mbs_live_dial_statuses_total", status="IN_PROGRESS", **c) == 2
    assert value(page, "mbs_live_dial_statuses_total", status="NO_ANSWER", **c) == 1
    assert value(page, "mbs_live_call_results_total", result="APPOINTMENT_SCHEDULED", **c) == 1
    assert value(page, "mbs_live_call_results_total", result="NOT_INTERESTED", **c) == 1
    assert value(page, "mbs_live_freestyle_turns_total", **c) == 2
    assert value(page, "mbs_live_objections_matched_total", **c) == 1
    assert value(page, "mbs_live_errors_total", **c) == 0
    buckets = {
        le: value(page, "mbs_live_talk_seconds_bucket", le=le, **c)
        for le in ("5.0", "10.0", "30.0", "45.0", "+Inf")
    }
    assert buckets == {"5.0": 0, "10.0": 1, "30.0": 1, "45.0": 2, "+Inf": 2}
    assert value(page, "mbs_live_talk_seconds_sum", **c) == 50.0
    assert value(page, "mbs_live_talk_seconds_count", **c) == 2
    assert value(page, "mbs_live_last_progress_timestamp_seconds", **c) > 0

    body = (await client.get("/live")).json()
    assert body["attached"] is True
    [snap] = body["campaigns"]
    assert snap["campaign"] == "printemps"
    assert (snap["started"], snap["finished"], snap["running"], snap["answered"]) == (3, 3, 0, 2)
    assert snap["results"] == {"APPOINTMENT_SCHEDULED": 1, "NOT_INTERESTED": 1}
    assert snap["talk_seconds"] == 50.0 and snap["talk_calls"] == 2
    detail = (await client.get("/campaigns/printemps")).json()
    assert detail["live"] == snap  # the campaign page carries its live counters too


async def test_waiting_and_deferred(client: httpx.AsyncClient, live: LiveRegistry) -> None:
    feed = live.feed("printemps")
    for _ in range(3):
        feed(ContactDeferred("printemps", "hours"))
    until = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    feed(WaitingForWindow("printemps", until))
    page = samples((await client.get("/metrics")).text)
    assert value(page, "mbs_live_deferred_total", campaign="printemps", reason="hours") == 3
    assert (
        value(page, "mbs_live_waiting_until_timestamp_seconds", campaign="printemps")
        == until.timestamp()
    )
    feed(WaitingForWindow("printemps", None))
    feed(ExecutorError("printemps", "call x: boom"))
    page = samples((await client.get("/metrics")).text)
    assert (
        "mbs_live_waiting_until_timestamp_seconds",
        frozenset({("campaign", "printemps")}),
    ) not in page
    assert value(page, "mbs_live_errors_total", campaign="printemps") == 1
    assert value(page, "mbs_live_deferred_total", campaign="printemps", reason="hours") == 3


def test_executors_of_one_campaign_add_up_and_campaigns_stay_apart() -> None:
    live = LiveRegistry()
    a, b = ExecutorLike(live.feed("printemps")), ExecutorLike(live.feed("printemps"))
    other = ExecutorLike(live.feed("automne"))
    campaign_day(a)
    a.start()  # one of a's calls still going
    campaign_day(b)
    other.start()
    spring = live.get("printemps")
    autumn = live.get("automne")
    assert spring is not None and autumn is not None
    assert (spring.started, spring.finished, spring.running) == (7, 6, 1)
    assert spring.results == {"APPOINTMENT_SCHEDULED": 2, "NOT_INTERESTED": 2}
    assert spring.talk_calls == 4 and spring.talk_seconds == 100.0
    assert (autumn.started, autumn.running, autumn.finished) == (1, 1, 0)
    assert [c.campaign for c in live.snapshot()] == ["automne", "printemps"]


def test_a_fresh_progress_keeps_counting_up() -> None:
    """A new run reporting to the same feed adds to the totals."""
    live = LiveRegistry()
    feed = live.feed("printemps")
    first = ExecutorLike(feed)
    campaign_day(first)
    second = ExecutorLike(feed)  # same feed, a new run
    second.start()
    second.conversation(20.0, "QUALIFIED")
    second.finish()
    totals = live.get("printemps")
    assert totals is not None
    assert (totals.started, totals.finished, totals.answered) == (4, 4, 3)
    assert totals.results == {"APPOINTMENT_SCHEDULED": 1, "NOT_INTERESTED": 1, "QUALIFIED": 1}
    assert totals.talk_seconds == 70.0 and totals.talk_calls == 3


def test_each_finished_call_brings_its_own_talk_time() -> None:
    """Two calls that end back to back are two exact samples, not an average."""
    live = LiveRegistry()
    feed = live.feed("printemps")
    for call in ("c1", "c2"):
        feed(CallStarted("printemps", call))
        feed(CallDialled("printemps", call, "IN_PROGRESS", answered=True))
    for call, talk in (("c1", 10.0), ("c2", 50.0)):
        feed(CallFinished("printemps", call, "COMPLETED", "QUALIFIED", talk_seconds=talk))
    totals = live.get("printemps")
    assert totals is not None
    assert totals.talk_calls == 2 and totals.talk_seconds == 60.0
    # one sample in (5, 10], one in (45, 60]
    assert totals.talk_buckets[1] == 1 and totals.talk_buckets[5] == 1
    assert sum(totals.talk_buckets) == 2


async def test_no_registry_attached(store: Store) -> None:
    task, server = await serve_in_background(create_app(store), "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(
            timeout=LOADED_S,
            base_url=f"http://127.0.0.1:{server_port(server)}",
            headers=read_key(store),
        ) as c:
            assert (await c.get("/live")).json() == {"attached": False, "campaigns": []}
            assert (await c.get("/health")).json()["live"] is False
            text = (await c.get("/metrics")).text
    finally:
        await stop_background(task, server)
    assert "mbs_live_" not in text
