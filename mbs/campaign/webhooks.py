"""Webhooks at the end of each call: an outbox in the store, delivered at least once.

``finish_call`` writes the event to ``webhook_outbox`` in the same transaction as the
call's end (when the store is told to, :attr:`Store.outbox_enabled`), so a crash never
loses one. :class:`WebhookSender` takes due rows (leasing them, so two workers do not
send the same row at once), POSTs them, and marks them delivered, or schedules a retry
with exponential backoff. A crash between the POST and the mark sends the row again
after its lease: receivers deduplicate with the ``Idempotency-Key`` header.

Each request is signed: ``X-Mbs-Signature: sha256=HEX``, the HMAC-SHA256 with the
shared secret of ``TIMESTAMP.BODY``, where TIMESTAMP is the ``X-Mbs-Timestamp`` header
(Unix seconds); a receiver recomputes it and rejects old timestamps.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from mbs.campaign.store import Store
from mbs.campaign.store.models import WebhookOutbox

LEASE = timedelta(seconds=60)  # a taken row is not taken again before this
FIRST_DELAY_S = 5.0
MAX_DELAY_S = 3600.0
MAX_ATTEMPTS = 20  # then the row stays undelivered, with its last error, for an operator


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** max(0, attempts - 1)))


def post_event(
    client: httpx.Client,
    url: str,
    secret: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
) -> str | None:
    """POST one signed event; None when the receiver took it (2xx), else why not."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    stamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        "X-Mbs-Timestamp": str(stamp),
        "X-Mbs-Signature": sign(secret, stamp, body),
        "User-Agent": "mbs-webhook",
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


class WebhookSender:
    def __init__(
        self,
        store: Store,
        url: str,
        secret: str,
        *,
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.store, self.url, self.secret = store, url, secret
        self.client = client or httpx.Client(timeout=timeout_s, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def _take(self, now: datetime, limit: int) -> list[tuple[int, str, dict[str, Any], int]]:
        with self.store.writer() as s:
            q = (
                select(WebhookOutbox)
                .where(
                    WebhookOutbox.delivered_at.is_(None),
                    WebhookOutbox.next_attempt_at <= now,
                    WebhookOutbox.attempts < MAX_ATTEMPTS,
                )
                .order_by(WebhookOutbox.next_attempt_at, WebhookOutbox.id)
                .limit(limit)
            )
            if self.store.dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = list(s.scalars(q))
            for row in rows:
                row.next_attempt_at = now + LEASE
                row.attempts += 1
            return [(r.id, r.idempotency_key, dict(r.payload), r.attempts) for r in rows]

    def post(self, key: str, payload: dict[str, Any], now: datetime) -> str | None:
        return post_event(self.client, self.url, self.secret, key, payload, now)

    def deliver_due(self, now: datetime, *, limit: int = 50) -> Delivery:
        sent = failed = 0
        for row_id, key, payload, attempts in self._take(now, limit):
            problem = self.post(key, payload, now)
            with self.store.session() as s:
                row = s.get(WebhookOutbox, row_id)
                if row is None:
                    continue
                if problem is None:
                    row.delivered_at, row.last_error = now, None
                    sent += 1
                else:
                    row.next_attempt_at = now + backoff(attempts)
                    row.last_error = problem
                    failed += 1
        return Delivery(sent, failed)


def pending(store: Store) -> int:
    from sqlalchemy import func

    with store.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(WebhookOutbox)
                .where(WebhookOutbox.delivered_at.is_(None))
            )
            or 0
        )


class WebhookCourier:
    """Delivers the outbox while a campaign runs (every ``period_s``), in a worker thread."""

    def __init__(
        self,
        sender: WebhookSender,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        period_s: float = 1.0,
    ) -> None:
        # ``now``: the campaign's clock (the outbox is stamped with it; simulated or wall).
        self.sender, self.now, self.period_s = sender, now, period_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="mbs-webhooks")

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):  # a store hiccup: the rows wait in the outbox
                await asyncio.to_thread(self.sender.deliver_due, self.now())
            await asyncio.sleep(self.period_s)

    async def stop(self) -> None:
        """One last round for the calls that just ended, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.sender.deliver_due, self.now())
        self.sender.close()
