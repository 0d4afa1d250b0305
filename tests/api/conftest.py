"""A store with a little of everything in it, and the API served over it on loopback.

The stores are those of ``tests/store`` (a SQLite file, a PostgreSQL schema per test);
the API is a real uvicorn server on a free port, spoken to with httpx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from mbs.api import LiveRegistry, create_app, serve_in_background, server_port, stop_background
from mbs.api.auth import hash_password, new_api_key, sha256
from mbs.campaign.law import CallingLaw
from mbs.campaign.store import CallOutcome, ContactData, RetryPolicy, Store
from mbs.program import Result
from mbs.runtime.telephony import CallStatus
from tests.store.conftest import backend, pg_schema, sqlite_url, store

__all__ = ["backend", "pg_schema", "sqlite_url", "store"]

# Tuesday 10 March 2026, 10:30 in Paris: inside the legal hours.
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)  # the API's clock
TRANSCRIPT = "# call A\n[10:30:05] robot: Bonjour Jeanne, ici l'agence.\n[10:30:09] prospect: oui très bien\n[10:30:47] == APPOINTMENT_SCHEDULED\n"
# An HTTP client's patience with the in-process server: a guard against a hang, far past
# what a request takes even on a loaded machine (httpx's default of 5 s is not).
LOADED_S = 30.0


@dataclass
class Seeded:
    answered: str  # COMPLETED / APPOINTMENT_SCHEDULED, 42 s, events, a transcript file
    no_answer: str  # NO_ANSWER, retried later, no transcript
    refused: str  # COMPLETED / NOT_INTERESTED, 8 s, transcript path whose file is gone
    in_flight: str  # CALLING, never finished
    transcript: Path
    phones: list[str]


def seed(store: Store, base: Path) -> Seeded:
    """Campaign "printemps": 5 contacts, 4 claimed and taken to different ends; "vide": none."""
    store.create_campaign("printemps", now=NOW, scenario="or.mbs", program_hash="h" * 64)
    store.create_campaign("vide", now=NOW + timedelta(seconds=1), scenario="vide.mbs")
    phones = [f"+3361234560{i}" for i in range(5)]
    names = ["Jeanne", "Paul", "Léa", "Hugo", "Inès"]
    report = store.upsert_contacts(
        [
            ContactData(p, first_name=n, last_name="Martin", company="Acme")
            for p, n in zip(phones, names, strict=True)
        ],
        now=NOW,
    )
    store.add_to_campaign("printemps", [report.ids[p] for p in phones], now=NOW)
    batch = store.claim_due("printemps", NOW, limit=4, worker_id="w-test", policy=CallingLaw())
    assert len(batch.claims) == 4
    by_phone = {c.contact.phone: c.call_id for c in batch.claims}
    answered, no_answer, refused, in_flight = (by_phone[p] for p in phones[:4])
    retry = RetryPolicy()

    for call in (answered, no_answer, refused, in_flight):
        store.update_call_status(call, CallStatus.CALLING, at=NOW)
        store.update_call_status(call, CallStatus.RINGING, at=NOW + timedelta(seconds=1))
    for call in (answered, refused):
        store.update_call_status(call, CallStatus.IN_PROGRESS, at=NOW + timedelta(seconds=5))

    store.record_event(answered, "say", {"text": "Bonjour Jeanne"}, at=NOW + timedelta(seconds=5))
    store.record_event(
        answered, "heard", {"kind": "utterance", "text": "oui"}, at=NOW + timedelta(seconds=9)
    )
    store.record_event(
        answered, "result", {"result": "APPOINTMENT_SCHEDULED"}, at=NOW + timedelta(seconds=47)
    )
    relative = Path("transcripts") / "printemps" / f"{answered}.txt"
    (base / relative).parent.mkdir(parents=True)
    (base / relative).write_text(TRANSCRIPT, encoding="utf-8")
    store.finish_call(
        answered,
        CallOutcome(
            status=CallStatus.COMPLETED,
            result=Result.APPOINTMENT_SCHEDULED,
            ended_at=NOW + timedelta(seconds=47),
            hangup_cause="NORMAL_CLEARING",
            freestyle_turns=2,
            objections=["c'est trop cher"],
            recording_path=f"recordings/printemps/{answered}.wav",
            transcript_path=str(relative),
        ),
        retry=retry,
    )
    store.finish_call(
        no_answer,
        CallOutcome(
            status=CallStatus.NO_ANSWER,
            ended_at=NOW + timedelta(seconds=31),
            hangup_cause="NO_ANSWER",
        ),
        retry=retry,
    )
    store.finish_call(
        refused,
        CallOutcome(
            status=CallStatus.COMPLETED,
            result=Result.NOT_INTERESTED,
            ended_at=NOW + timedelta(seconds=13),
            transcript_path=str(base / "gone" / f"{refused}.txt"),
        ),
        retry=retry,
    )
    return Seeded(answered, no_answer, refused, in_flight, base / relative, phones)


@pytest.fixture
def seeded(store: Store, tmp_path: Path) -> Seeded:
    return seed(store, tmp_path)


@pytest.fixture
def live() -> LiveRegistry:
    return LiveRegistry()


def read_key(store: Store, name: str = "tests", scope: str = "read") -> dict[str, str]:
    """An API key of ``scope`` created in ``store``, as the header that sends it."""
    secret = new_api_key()
    store.add_api_key(name, sha256(secret), scope, now=NOW)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def client(
    store: Store, seeded: Seeded, live: LiveRegistry, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """httpx against a real uvicorn server (port 0) serving the seeded store."""
    app = create_app(store, live=live, now=lambda: LATER, base_dir=tmp_path)
    task, server = await serve_in_background(app, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server_port(server)}",
            timeout=LOADED_S,
            headers=read_key(store),
        ) as c:
            yield c
    finally:
        await stop_background(task, server)
    assert task.done() and task.exception() is None


PASSWORD = "correct horse battery"


@pytest.fixture
async def base(store: Store, seeded: Seeded, tmp_path: Path) -> AsyncIterator[str]:
    """The API and console on loopback, with a user of each role (``PASSWORD``): ada the
    admin, sam the supervisor, vic the viewer."""
    for name, role in (("ada", "admin"), ("sam", "supervisor"), ("vic", "viewer")):
        store.add_user(name, hash_password(PASSWORD), role, now=NOW)
    app = create_app(store, now=lambda: LATER, base_dir=tmp_path)
    task, server = await serve_in_background(app, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server_port(server)}"
    finally:
        await stop_background(task, server)
