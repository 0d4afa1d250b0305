"""The `mbs run --api-port` wiring, for real: a simulated campaign run by the executor,
the API in the same event loop, fed by on_progress; live figures agree with the store."""

from __future__ import annotations

import math
from pathlib import Path

import httpx

from mbs.api import LiveApi
from mbs.campaign.compose import CampaignRun, enrol_contacts
from mbs.campaign.config import load_campaign
from mbs.campaign.executor import Progress
from mbs.campaign.store import Store
from mbs.compiler import compile_file
from tests.api.conftest import NOW, read_key
from tests.api.metrics_util import samples, value

# Wall time: the API's routes run in anyio's worker threads, which a virtual loop cannot
# see (it would jump past the HTTP client's timeout while a query runs in one).

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "or_rdv.mbs"

CAMPAIGN = f"""
name = "direct"
scenario = "{SCENARIO}"
contacts = "contacts.csv"
max_concurrent = 3
record = false

[telephony]
backend = "sim"

[builtins]
tts = "none"
llm = "none"

[sim]
seed = 3
time_scale = 600.0
start = "2026-03-10T10:00:00+01:00"

[sim.personas]
human = 0.7
no_answer = 0.3
"""

CONTACTS = """prenom;nom;telephone
Jeanne;Martin;01 99 00 29 15
Paul;Durand;05 36 49 59 65
Léa;Petit;03 53 01 95 52
Hugo;Roux;06 12 34 56 78
Inès;Blanc;06 98 76 54 32
"""


async def test_a_campaign_run_feeds_the_api_in_its_own_loop(store: Store, tmp_path: Path) -> None:
    (tmp_path / "campaign.toml").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    loaded = load_campaign(tmp_path / "campaign.toml")
    program = compile_file(loaded.scenario_path).program
    assert program is not None
    store.create_campaign(
        "direct", now=NOW, scenario=str(SCENARIO), program_hash=program.program_hash
    )
    assert enrol_contacts(store, loaded, NOW).added == 5

    # The hook, as mbs run would write it.
    reported: list[int] = []
    api = LiveApi(store, port=0, base_dir=tmp_path)
    runner = CampaignRun(
        loaded,
        program,
        store,
        output_dir=tmp_path,
        on_progress=lambda p: reported.append(p.finished),
        observers=[api.feed("direct")],
    )
    async with api.serving(now=runner.clock.now):
        result = await runner.run()
        async with httpx.AsyncClient(base_url=api.url, timeout=30, headers=read_key(store)) as c:
            live = (await c.get("/live")).json()["campaigns"]
            detail = (await c.get("/campaigns/direct")).json()
            page = samples((await c.get("/metrics")).text)
            calls = (await c.get("/campaigns/direct/calls", params={"status": "COMPLETED"})).json()
            transcripts = {
                item["id"]: (await c.get(f"/calls/{item['id']}/transcript"))
                for item in calls["items"]
            }

    assert isinstance(result.progress, Progress) and reported  # the display still gets called
    assert reported[-1] == result.progress.finished
    [snap] = live
    stats = result.stats
    assert snap["started"] == snap["finished"] == stats.calls > 0
    assert snap["running"] == 0
    assert snap["answered"] == stats.answered == detail["answered"]
    assert snap["results"] == stats.by_result == detail["by_result"]
    assert detail["done"] == stats.done and detail["waiting"] == stats.waiting

    camp = {"campaign": "direct"}
    assert value(page, "mbs_live_calls_started_total", **camp) == stats.calls
    assert value(page, "mbs_live_talk_seconds_count", **camp) == value(
        page, "mbs_call_talk_seconds_count", **camp
    )
    assert math.isclose(
        value(page, "mbs_live_talk_seconds_sum", **camp),
        value(page, "mbs_call_talk_seconds_sum", **camp),
        rel_tol=1e-9,
    )
    for status, n in stats.by_status.items():
        assert value(page, "mbs_calls", status=status, **camp) == n

    assert transcripts and calls["total"] == stats.by_status.get("COMPLETED", 0)
    for call_id, response in transcripts.items():
        assert response.status_code == 200
        assert response.text.startswith(f"# call {call_id}")
