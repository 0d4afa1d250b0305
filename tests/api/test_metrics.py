"""/metrics: the store's figures at scrape time, parsed back with prometheus_client."""

from __future__ import annotations

from pathlib import Path

import httpx
import prometheus_client
from prometheus_client.parser import text_string_to_metric_families

from mbs.api import create_app, serve_in_background, server_port, stop_background
from mbs.campaign.store import Store
from mbs.program import Result
from mbs.runtime.telephony import CallStatus
from tests.api.conftest import LATER, LOADED_S, Seeded, read_key
from tests.api.metrics_util import families, samples, value


async def test_store_metrics(client: httpx.AsyncClient, seeded: Seeded) -> None:
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    page = samples(r.text)
    assert value(page, "mbs_store_up") == 1

    for state, n in (("done", 2), ("in_flight", 1), ("waiting", 2)):
        assert value(page, "mbs_campaign_contacts", campaign="printemps", state=state) == n
        assert value(page, "mbs_campaign_contacts", campaign="vide", state=state) == 0
    assert value(page, "mbs_campaign_due_contacts", campaign="printemps") == 1

    expected_status = {"COMPLETED": 2, "NO_ANSWER": 1, "RINGING": 1}
    for status in CallStatus:  # every status is there, zeros included
        n = expected_status.get(status.value, 0)
        assert value(page, "mbs_calls", campaign="printemps", status=status.value) == n
        assert value(page, "mbs_calls", campaign="vide", status=status.value) == 0
    expected_result = {"APPOINTMENT_SCHEDULED": 1, "NOT_INTERESTED": 1}
    for result in Result:
        n = expected_result.get(result.value, 0)
        assert value(page, "mbs_call_results", campaign="printemps", result=result.value) == n

    assert value(page, "mbs_calls_dialled", campaign="printemps") == 4
    assert value(page, "mbs_calls_answered", campaign="printemps") == 2
    assert value(page, "mbs_answer_rate", campaign="printemps") == 0.5
    assert ("mbs_answer_rate", frozenset({("campaign", "vide")})) not in page  # nothing dialled
    due = value(page, "mbs_campaign_next_due_timestamp_seconds", campaign="printemps")
    assert due == LATER.timestamp()

    # talk times 42 s and 8 s
    talk = {
        le: value(page, "mbs_call_talk_seconds_bucket", campaign="printemps", le=le)
        for le in ("5.0", "10.0", "30.0", "45.0", "600.0", "+Inf")
    }
    assert talk == {"5.0": 0, "10.0": 1, "30.0": 1, "45.0": 2, "600.0": 2, "+Inf": 2}
    assert value(page, "mbs_call_talk_seconds_count", campaign="printemps") == 2
    assert value(page, "mbs_call_talk_seconds_sum", campaign="printemps") == 50.0
    assert value(page, "mbs_call_talk_seconds_count", campaign="vide") == 0

    kinds = families(r.text)
    assert kinds["mbs_calls"] == "gauge" and kinds["mbs_call_talk_seconds"] == "histogram"
    # the live registry is attached but nothing fed it: its families are empty
    assert kinds["mbs_live_calls_started"] == "counter"
    assert not any(name.startswith("mbs_live_") for name, _ in page)


async def test_metrics_follow_the_store(
    client: httpx.AsyncClient, store: Store, seeded: Seeded
) -> None:
    from mbs.campaign.store import CallOutcome

    before = samples((await client.get("/metrics")).text)
    assert value(before, "mbs_calls", campaign="printemps", status="RINGING") == 1
    store.finish_call(
        seeded.in_flight, CallOutcome(status=CallStatus.BUSY, ended_at=LATER), retry=None
    )
    after = samples((await client.get("/metrics")).text)
    assert value(after, "mbs_calls", campaign="printemps", status="RINGING") == 0
    assert value(after, "mbs_calls", campaign="printemps", status="BUSY") == 1
    assert value(after, "mbs_campaign_contacts", campaign="printemps", state="in_flight") == 0
    assert value(after, "mbs_campaign_contacts", campaign="printemps", state="done") == 3


async def test_openmetrics_when_asked(client: httpx.AsyncClient) -> None:
    r = await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")


async def test_each_app_has_its_own_registry(store: Store, seeded: Seeded, tmp_path: Path) -> None:
    """Two apps in one process: no duplicate-registration error, nothing in the global one."""
    headers = read_key(store)
    servers = []
    for _ in range(2):
        app = create_app(store, base_dir=tmp_path)
        servers.append(await serve_in_background(app, "127.0.0.1", 0))
    try:
        for _task, server in servers:
            async with httpx.AsyncClient(headers=headers, timeout=LOADED_S) as c:
                r = await c.get(f"http://127.0.0.1:{server_port(server)}/metrics")
            page = samples(r.text)
            assert value(page, "mbs_calls", campaign="printemps", status="COMPLETED") == 2
            assert not any(name.startswith("mbs_live_") for name, _ in page)  # no live registry
    finally:
        for task, server in servers:
            await stop_background(task, server)
    global_names = {
        f.name
        for f in text_string_to_metric_families(
            prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()
        )
    }
    assert not any(name.startswith("mbs_") for name in global_names)
