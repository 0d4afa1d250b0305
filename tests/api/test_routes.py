"""Every JSON route over a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import httpx

from mbs.campaign.store import Store
from tests.api.conftest import LATER, NOW, TRANSCRIPT, Seeded


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_health(client: httpx.AsyncClient, store: Store) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": store.dialect, "live": True}


async def test_campaign_list_with_counts(client: httpx.AsyncClient) -> None:
    r = await client.get("/campaigns")
    assert r.status_code == 200
    body = r.json()
    assert [c["name"] for c in body] == ["printemps", "vide"]
    spring, empty = body
    assert spring["scenario"] == "or.mbs" and spring["program_hash"] == "h" * 64
    assert when(spring["created_at"]) == NOW and when(spring["started_at"]) == NOW
    assert spring["finished_at"] is None
    counts = {
        k: spring[k] for k in ("contacts", "done", "in_flight", "waiting", "calls", "answered")
    }
    assert counts == {
        "contacts": 5,
        "done": 2,
        "in_flight": 1,
        "waiting": 2,
        "calls": 4,
        "answered": 2,
    }
    assert spring["answer_rate"] == 0.5
    assert empty["contacts"] == 0 and empty["calls"] == 0 and empty["answer_rate"] is None
    assert empty["started_at"] is None


async def test_campaign_detail(client: httpx.AsyncClient) -> None:
    r = await client.get("/campaigns/printemps")
    assert r.status_code == 200
    d = r.json()
    assert (d["contacts"], d["done"], d["in_flight"], d["waiting"], d["due_now"]) == (5, 2, 1, 2, 1)
    assert (d["calls"], d["dialled"], d["answered"], d["answer_rate"]) == (4, 4, 2, 0.5)
    assert d["by_status"] == {"COMPLETED": 2, "NO_ANSWER": 1, "RINGING": 1}
    assert d["by_result"] == {"APPOINTMENT_SCHEDULED": 1, "NOT_INTERESTED": 1}
    assert d["outcomes"] == {"APPOINTMENT_SCHEDULED": 1, "NOT_INTERESTED": 1, "NO_ANSWER": 1}
    # one contact was never called, so something is due at the API's clock
    assert when(d["next_due_at"]) == LATER
    assert d["live"] is None  # a registry is attached, but no executor of this campaign


async def test_unknown_campaign_is_a_json_404(client: httpx.AsyncClient) -> None:
    for path in ("/campaigns/hiver", "/campaigns/hiver/calls"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.json() == {"error": "not_found", "detail": "no campaign 'hiver' in the store"}
    r = await client.get("/nowhere")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert "/nowhere" in r.json()["detail"]


async def test_calls_are_paged_oldest_first(client: httpx.AsyncClient, seeded: Seeded) -> None:
    everyone = sorted([seeded.answered, seeded.no_answer, seeded.refused, seeded.in_flight])
    r = await client.get("/campaigns/printemps/calls")
    assert r.status_code == 200
    page = r.json()
    assert (page["campaign"], page["total"], page["limit"], page["offset"]) == (
        "printemps",
        4,
        50,
        0,
    )
    assert page["next_offset"] is None
    assert [c["id"] for c in page["items"]] == everyone  # same creation time: by id

    first = (await client.get("/campaigns/printemps/calls", params={"limit": 3})).json()
    assert [c["id"] for c in first["items"]] == everyone[:3] and first["next_offset"] == 3
    rest = (await client.get("/campaigns/printemps/calls", params={"limit": 3, "offset": 3})).json()
    assert [c["id"] for c in rest["items"]] == everyone[3:] and rest["next_offset"] is None
    past = (await client.get("/campaigns/printemps/calls", params={"offset": 10})).json()
    assert past["items"] == [] and past["total"] == 4 and past["next_offset"] is None


async def test_calls_filtered_by_status_and_result(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    done = (await client.get("/campaigns/printemps/calls", params={"status": "COMPLETED"})).json()
    assert done["total"] == 2
    assert {c["id"] for c in done["items"]} == {seeded.answered, seeded.refused}
    refused = (
        await client.get(
            "/campaigns/printemps/calls", params={"status": "COMPLETED", "result": "NOT_INTERESTED"}
        )
    ).json()
    assert [c["id"] for c in refused["items"]] == [seeded.refused]
    item = refused["items"][0]
    assert item["status"] == "COMPLETED" and item["result"] == "NOT_INTERESTED"
    assert item["duration_s"] == 8.0 and item["attempt"] == 1
    assert item["phone"] == seeded.phones[2]
    none = (await client.get("/campaigns/vide/calls")).json()
    assert none["total"] == 0 and none["items"] == []


async def test_bad_query_parameters_are_422_with_a_message(client: httpx.AsyncClient) -> None:
    cases = {
        "status=DONE": "status",
        "result=MAYBE": "result",
        "limit=0": "limit",
        "limit=501": "limit",
        "offset=-1": "offset",
        "limit=ten": "limit",
    }
    for query, field in cases.items():
        r = await client.get(f"/campaigns/printemps/calls?{query}")
        assert r.status_code == 422, query
        body = r.json()
        assert body["error"] == "invalid_request"
        assert f"query.{field}" in body["detail"], body


async def test_one_call(client: httpx.AsyncClient, seeded: Seeded) -> None:
    r = await client.get(f"/calls/{seeded.answered}")
    assert r.status_code == 200
    c = r.json()
    assert c["id"] == seeded.answered and c["campaign"] == "printemps"
    assert c["phone"] == seeded.phones[0]
    assert c["contact"] == {"first_name": "Jeanne", "last_name": "Martin", "company": "Acme"}
    assert (c["status"], c["result"]) == ("COMPLETED", "APPOINTMENT_SCHEDULED")
    assert c["duration_s"] == 42.0 and c["hangup_cause"] == "NORMAL_CLEARING"
    assert when(c["dialled_at"]) == NOW and when(c["ended_at"]).second == 47
    assert c["freestyle_turns"] == 2 and c["objections"] == ["c'est trop cher"]
    assert c["recording_path"] == f"recordings/printemps/{seeded.answered}.wav"
    assert c["transcript_available"] is True
    assert c["policy"]["name"] == "fr-D223-9" and c["policy"]["decision"] == "allowed"
    assert c["worker_id"] == "w-test" and c["program_hash"] == "h" * 64

    flight = (await client.get(f"/calls/{seeded.in_flight}")).json()
    assert flight["status"] == "RINGING" and flight["result"] is None
    assert flight["ended_at"] is None and flight["transcript_available"] is False
    gone = (await client.get(f"/calls/{seeded.refused}")).json()
    assert gone["transcript_path"] and gone["transcript_available"] is False

    r = await client.get("/calls/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert r.json()["detail"] == "no call '00000000-0000-0000-0000-000000000000' in the store"


async def test_call_events(client: httpx.AsyncClient, seeded: Seeded) -> None:
    r = await client.get(f"/calls/{seeded.answered}/events")
    assert r.status_code == 200
    body = r.json()
    assert body["call_id"] == seeded.answered
    assert [(e["seq"], e["kind"]) for e in body["events"]] == [
        (1, "say"),
        (2, "heard"),
        (3, "result"),
    ]
    assert body["events"][1]["data"] == {"kind": "utterance", "text": "oui"}
    assert when(body["events"][0]["at"]).second == 5
    empty = (await client.get(f"/calls/{seeded.in_flight}/events")).json()
    assert empty == {"call_id": seeded.in_flight, "events": []}
    r = await client.get("/calls/nope/events")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


async def test_transcripts(client: httpx.AsyncClient, seeded: Seeded) -> None:
    r = await client.get(f"/calls/{seeded.answered}/transcript")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == TRANSCRIPT  # read under base_dir: the stored path is relative

    missing = await client.get(f"/calls/{seeded.refused}/transcript")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert "missing" in missing.json()["detail"] and seeded.refused in missing.json()["detail"]

    none = await client.get(f"/calls/{seeded.no_answer}/transcript")
    assert none.status_code == 404
    assert none.json()["detail"] == f"call {seeded.no_answer} has no transcript"

    unknown = await client.get("/calls/nope/transcript")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no call 'nope' in the store"


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/health",
        "/campaigns",
        "/campaigns/{name}",
        "/campaigns/{name}/calls",
        "/calls/{call_id}",
        "/calls/{call_id}/events",
        "/calls/{call_id}/transcript",
        "/live",
        "/metrics",
    ):
        assert "get" in spec["paths"][path], path
    assert "CampaignDetail" in spec["components"]["schemas"]
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # offline: every asset the page names is served here, none from elsewhere
    assert "https://" not in docs.text and "http://" not in docs.text
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert asset in docs.text
        assert (await client.get(asset)).status_code == 200


async def test_writes_are_not_routes(client: httpx.AsyncClient, seeded: Seeded) -> None:
    for method, path in (
        ("DELETE", f"/calls/{seeded.answered}"),
        ("PUT", "/campaigns/printemps"),
    ):
        r = await client.request(method, path)
        assert r.status_code == 405, (method, path)
        assert r.json()["error"] == "error"
