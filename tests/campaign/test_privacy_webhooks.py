"""Webhooks (outbox, signature, retries, at-least-once across a restart), retention purge,
and forgetting a person, on SQLite and PostgreSQL, with a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mbs.campaign.law import CallingLaw
from mbs.campaign.privacy import forget, purge
from mbs.campaign.store import CallOutcome, ContactData, Store
from mbs.campaign.store.models import Call
from mbs.campaign.webhooks import LEASE, WebhookSender, backoff, pending, verify
from mbs.program import Result
from mbs.runtime.telephony import CallStatus
from tests.api.conftest import NOW, seed
from tests.store.conftest import backend, pg_schema, sqlite_url, store

__all__ = ["backend", "pg_schema", "sqlite_url", "store"]
SECRET = "s3cret-for-tests"
MBS = str(Path(sys.executable).with_name("mbs"))


class Receiver:
    """An HTTP server that answers with the next code of ``codes`` and keeps what it got."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = codes
        self.got: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((dict(self.headers), body))
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver([500, 200])
    yield r
    r.close()


def finish_one(store: Store, phone: str = "+33699000001") -> str:
    report = store.upsert_contacts([ContactData(phone, first_name="Zoé")], now=NOW)
    if store.get_campaign("hooks") is None:
        store.create_campaign("hooks", now=NOW)
    store.add_to_campaign("hooks", [report.ids[phone]], now=NOW)
    claim = store.claim_due("hooks", NOW, limit=1, worker_id="w", policy=CallingLaw()).claims[0]
    store.update_call_status(claim.call_id, CallStatus.CALLING, at=NOW)
    store.update_call_status(claim.call_id, CallStatus.IN_PROGRESS, at=NOW)
    store.finish_call(
        claim.call_id,
        CallOutcome(
            CallStatus.COMPLETED,
            ended_at=NOW + timedelta(seconds=30),
            result=Result.APPOINTMENT_SCHEDULED,
            captures={"day": "jeudi"},
            objective_result=Result.APPOINTMENT_SCHEDULED,
        ),
    )
    return claim.call_id


def test_outbox_retry_signature_and_idempotency(store: Store, receiver: Receiver) -> None:
    store.outbox_enabled = True
    call_id = finish_one(store)
    assert pending(store) == 1
    sender = WebhookSender(store, receiver.url, SECRET)
    at = NOW + timedelta(minutes=1)
    first = sender.deliver_due(at)
    assert (first.sent, first.failed) == (0, 1)  # the receiver answered 500
    assert sender.deliver_due(at).sent == 0  # not due again yet
    second = sender.deliver_due(at + backoff(1))
    assert (second.sent, second.failed) == (1, 0)
    assert pending(store) == 0
    assert sender.deliver_due(at + timedelta(days=1)).sent == 0  # delivered once is enough
    sender.close()
    assert len(receiver.got) == 2
    keys = {headers["Idempotency-Key"] for headers, _ in receiver.got}
    assert keys == {f"call.finished:{call_id}"}
    headers, body = receiver.got[-1]
    assert verify(SECRET, int(headers["X-Mbs-Timestamp"]), body, headers["X-Mbs-Signature"])
    assert not verify("other", int(headers["X-Mbs-Timestamp"]), body, headers["X-Mbs-Signature"])
    event = json.loads(body)
    assert event["result"] == "APPOINTMENT_SCHEDULED" and event["captures"] == {"day": "jeudi"}


def test_a_crash_after_taking_a_row_sends_it_again(store: Store, receiver: Receiver) -> None:
    receiver.codes = [200]
    store.outbox_enabled = True
    finish_one(store)
    crashed = WebhookSender(store, receiver.url, SECRET)
    at = NOW + timedelta(minutes=1)
    taken = crashed._take(at, 10)  # leased, then the process dies before posting
    assert len(taken) == 1
    crashed.close()
    # a new process (a new Store on the same database) finds it once the lease is over
    again = Store.from_engine(store.engine, migrate=False)
    sender = WebhookSender(again, receiver.url, SECRET)
    assert sender.deliver_due(at + LEASE / 2).sent == 0
    assert sender.deliver_due(at + LEASE + timedelta(seconds=1)).sent == 1
    sender.close()
    assert pending(store) == 0


def test_forget_drops_undelivered_webhooks(store: Store) -> None:
    store.outbox_enabled = True
    finish_one(store, "+33699000009")
    assert pending(store) == 1
    assert forget(store, "+33699000009", now=NOW).calls == 1
    assert pending(store) == 0


def test_no_outbox_unless_enabled(store: Store) -> None:
    finish_one(store)
    assert pending(store) == 0


def test_purge_drops_talk_keeps_figures(store: Store, tmp_path: Path) -> None:
    seeded = seed(store, tmp_path)
    recording = tmp_path / "recordings" / "printemps" / f"{seeded.answered}.wav"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"RIFF")
    before = store.stats("printemps", now=NOW)
    assert store.events(seeded.answered)
    report = purge(store, before=NOW + timedelta(days=1), base_dir=tmp_path)
    assert report.calls == 2 and report.files == 2  # transcript + recording; a gone file counts 0
    assert not seeded.transcript.exists() and not recording.exists()
    assert store.events(seeded.answered) == []
    after = store.stats("printemps", now=NOW)
    assert (after.calls, after.by_result) == (before.calls, before.by_result)
    assert purge(store, before=NOW + timedelta(days=1), base_dir=tmp_path).calls == 0


def test_purge_of_one_campaign_leaves_the_others(store: Store, tmp_path: Path) -> None:
    """A campaign's retention_days purges its own calls, not every campaign's."""
    seeded = seed(store, tmp_path)  # "printemps"
    other = tmp_path / "hooks.txt"
    other.write_text("Bonjour Zoé", encoding="utf-8")
    call_id = finish_one(store)  # "hooks"
    with store.session() as s:
        s.get(Call, call_id).transcript_path = str(other)  # type: ignore[union-attr]
    report = purge(store, before=NOW + timedelta(days=1), base_dir=tmp_path, campaign="hooks")
    assert (report.calls, report.files) == (1, 1) and not other.exists()
    assert seeded.transcript.exists() and store.events(seeded.answered)
    assert (
        purge(store, before=NOW + timedelta(days=1), base_dir=tmp_path, campaign="vide").calls == 0
    )


def test_a_file_that_cannot_be_deleted_keeps_its_path(store: Store, tmp_path: Path) -> None:
    """A file that is here and cannot be deleted keeps its path on the row, for the next
    purge; a path with no file here (a switch's recording on another host) is counted."""
    seeded = seed(store, tmp_path)
    stuck = tmp_path / "recordings" / "printemps" / f"{seeded.answered}.wav"
    stuck.mkdir(parents=True)  # unlink() refuses a folder, whoever runs the test
    report = purge(store, before=NOW + timedelta(days=1), base_dir=tmp_path)
    assert (report.calls, report.files, report.kept) == (2, 1, 1)
    assert report.absent == 1  # the refused call's transcript was already gone
    with store.session() as s:
        assert s.get(Call, seeded.answered).recording_path is not None  # type: ignore[union-attr]
        assert s.get(Call, seeded.answered).transcript_path is None  # type: ignore[union-attr]
    stuck.rmdir()
    again = purge(store, before=NOW + timedelta(days=1), base_dir=tmp_path)
    assert (again.calls, again.files, again.kept, again.absent) == (1, 0, 0, 1)


def test_forget_erases_and_keeps_the_opt_out(store: Store, tmp_path: Path) -> None:
    seeded = seed(store, tmp_path)
    phone = seeded.phones[0]
    store.add_to_blocklist([phone], now=NOW, source="test")
    report = forget(store, phone, now=NOW, base_dir=tmp_path)
    assert report.found and report.calls == 1 and report.files == 1
    assert store.get_contact(phone) is None and not seeded.transcript.exists()
    assert not store.is_blocklisted(phone)
    with store.session() as s:
        from sqlalchemy import text

        dump = repr(s.execute(text("SELECT * FROM forgotten_numbers")).all())
    assert phone not in dump
    # imported again later: never called, closed as opted out
    again = store.upsert_contacts([ContactData(phone)], now=NOW)
    store.create_campaign("later", now=NOW)
    store.add_to_campaign("later", [again.ids[phone]], now=NOW)
    batch = store.claim_due("later", NOW, limit=5, worker_id="w", policy=CallingLaw())
    assert batch.claims == [] and [d.reason for d in batch.deferred] == ["opted_out"]


def test_commands(sqlite_url: str, tmp_path: Path, receiver: Receiver) -> None:
    receiver.codes = [200]
    s = Store.open(sqlite_url)
    seeded = seed(s, tmp_path)
    s.close()
    env = {**os.environ, "DATABASE_URL": sqlite_url, "MBS_WEBHOOK_SECRET": SECRET}
    r = subprocess.run(
        [MBS, "webhook", "test", "--url", receiver.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0 and "accepted" in r.stdout, r.stderr
    assert json.loads(receiver.got[0][1])["event"] == "test"
    r = subprocess.run(
        [MBS, "contacts", "forget", "06 12 34 56 00", "--base-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0 and "+33612345600 forgotten: 1 calls" in r.stdout, r.stderr
    assert not seeded.transcript.exists()
    r = subprocess.run(
        [MBS, "purge", "--older-than-days", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0 and r.stdout.startswith("purged"), r.stderr


def test_a_campaign_run_posts_each_finished_call(tmp_path: Path, receiver: Receiver) -> None:
    from campaign_rig import write_campaign

    receiver.codes = []
    phones = ["+33140000101", "+33140000102", "+33140000103"]
    extra = f'retention_days = 30\n[webhook]\nurl = "{receiver.url}"\nsecret_env = "HOOK_SECRET"\n'
    campaign = write_campaign(tmp_path / "c", phones, name="hooked", extra=extra)
    database = f"sqlite:///{tmp_path / 'mbs.sqlite'}"
    command = [MBS, "run", "--campaign", str(campaign), "--database", database, "--quiet"]
    r = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode != 0 and "HOOK_SECRET" in r.stderr  # no secret: refused before dialling
    env = {**os.environ, "HOOK_SECRET": SECRET}
    r = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    events = [json.loads(body) for _, body in receiver.got]
    # every finished call posted once (a contact may be called again: a retry)
    assert sorted({e["phone"] for e in events}) == phones
    keys = [
        headers.get("Idempotency-Key") or headers.get("idempotency-key")
        for headers, _ in receiver.got
    ]
    assert len(set(keys)) == len(keys) == len(events)
    assert {e["event"] for e in events} == {"call.finished"}
    for headers, body in receiver.got:
        assert verify(SECRET, int(headers["X-Mbs-Timestamp"]), body, headers["X-Mbs-Signature"])
    s = Store.open(database)
    try:
        assert pending(s) == 0
    finally:
        s.close()
