"""The live registry fed the way the executor feeds ``on_progress``, read over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from mbs.api import (
    LiveRegistry,
    ProgressFeed,
    create_app,
    serve_in_background,
    server_port,
    stop_background,
)
from mbs.campaign.executor import Progress
from mbs.campaign.store import Store
from tests.api.conftest import read_key
from tests.api.metrics_util import samples, value


class ExecutorLike:
    """Moves a real ``Progress`` through the same steps, in the same order, as the executor
    (start: started/running then notify; end: dial status, answer, talk time, result,
    objections, freestyle turns, then running/finished and notify)."""

    def __init__(self, feed: ProgressFeed) -> None:
        self.progress = Progress()
        self.feed = feed
        self.live = 0

    def start(self) -> None:
        self.progress.started += 1
        self.live += 1
        self.progress.running = self.live
        self.feed(self.progress)

    def conversation(
        self, talk: float, result: str, objections: tuple[str, ...] = (), freestyle: int = 0
    ) -> None:
        p = self.progress
        p.statuses["IN_PROGRESS"] += 1
        p.answered += 1
        p.talk_seconds += talk
        p.results[result] += 1
        p.objections.update(objections)
        p.freestyle_turns += freestyle

    def not_answered(self, status: str) -> None:
        self.progress.statuses[status] += 1

    def finish(self) -> None:
        self.live -= 1
        self.progress.running = self.live
        self.progress.finished += 1
        self.feed(self.progress)


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
    progress = Progress()
    progress.deferred["hours"] += 3
    progress.waiting_until = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    feed(progress)
    page = samples((await client.get("/metrics")).text)
    assert value(page, "mbs_live_deferred_total", campaign="printemps", reason="hours") == 3
    assert (
        value(page, "mbs_live_waiting_until_timestamp_seconds", campaign="printemps")
        == progress.waiting_until.timestamp()
    )
    progress.waiting_until = None
    progress.errors.append("call x: boom")
    feed(progress)
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
    """A new run (new Progress, counters back at zero) adds to the totals, never subtracts."""
    live = LiveRegistry()
    feed = live.feed("printemps")
    first = ExecutorLike(feed)
    campaign_day(first)
    second = ExecutorLike(feed)  # same feed, new Progress
    second.start()
    second.conversation(20.0, "QUALIFIED")
    second.finish()
    totals = live.get("printemps")
    assert totals is not None
    assert (totals.started, totals.finished, totals.answered) == (4, 4, 3)
    assert totals.results == {"APPOINTMENT_SCHEDULED": 1, "NOT_INTERESTED": 1, "QUALIFIED": 1}
    assert totals.talk_seconds == 70.0 and totals.talk_calls == 3


def test_results_reported_together_share_their_talk_time() -> None:
    live = LiveRegistry()
    executor = ExecutorLike(live.feed("printemps"))
    executor.start()
    executor.start()
    executor.conversation(10.0, "QUALIFIED")
    executor.conversation(50.0, "QUALIFIED")  # both ended before the next report
    executor.finish()
    totals = live.get("printemps")
    assert totals is not None
    assert totals.talk_calls == 2 and totals.talk_seconds == 60.0
    # two samples of 30 s each: both in the (20, 30] bucket
    assert totals.talk_buckets[3] == 2 and sum(totals.talk_buckets) == 2


def test_then_is_called_with_the_same_progress() -> None:
    seen: list[int] = []
    live = LiveRegistry()
    executor = ExecutorLike(live.feed("printemps", then=lambda p: seen.append(p.started)))
    campaign_day(executor)
    assert seen == [1, 2, 3, 3, 3, 3]


async def test_no_registry_attached(store: Store) -> None:
    task, server = await serve_in_background(create_app(store), "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server_port(server)}", headers=read_key(store)
        ) as c:
            assert (await c.get("/live")).json() == {"attached": False, "campaigns": []}
            assert (await c.get("/health")).json()["live"] is False
            text = (await c.get("/metrics")).text
    finally:
        await stop_background(task, server)
    assert "mbs_live_" not in text
