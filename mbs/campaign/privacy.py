"""Privacy: purge transcripts and recordings after a retention period; forget a person.

``purge`` removes, for calls ended before the cut-off, the transcript and recording
files and the call's event log (which holds what was said); the call's row stays, so
the figures and the law's attempt counts do not change. ``forget`` erases a person:
contact row, calls, events, files, blocklist entry, undelivered webhook events, and
keeps only the SHA-256 of the number, so they are never called again (the opt-out the
law requires).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select, update

from mbs.campaign.store import Store
from mbs.campaign.store.calls_repo import phone_hash
from mbs.campaign.store.models import (
    BlocklistEntry,
    Call,
    CallEvent,
    Contact,
    ForgottenNumber,
    WebhookOutbox,
)

BATCH = 500


def _remove(base_dir: Path, stored: str | None) -> int:
    if not stored:
        return 0
    path = Path(stored)
    path = path if path.is_absolute() else base_dir / path
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    except OSError:
        return 0
    return 1


@dataclass(frozen=True)
class PurgeReport:
    calls: int
    files: int


def purge(store: Store, *, before: datetime, base_dir: Path = Path(".")) -> PurgeReport:
    """Drop transcripts, recordings and event logs of calls ended before ``before``."""
    calls = files = 0
    while True:
        with store.writer() as s:
            rows = s.execute(
                select(Call.id, Call.transcript_path, Call.recording_path)
                .where(
                    Call.ended_at < before,
                    (Call.transcript_path.is_not(None)) | (Call.recording_path.is_not(None)),
                )
                .limit(BATCH)
            ).all()
            if not rows:
                break
            ids = [r[0] for r in rows]
            for _, transcript, recording in rows:
                files += _remove(base_dir, transcript) + _remove(base_dir, recording)
            s.execute(delete(CallEvent).where(CallEvent.call_id.in_(ids)))
            s.execute(
                update(Call)
                .where(Call.id.in_(ids))
                .values(transcript_path=None, recording_path=None)
            )
            calls += len(ids)
    return PurgeReport(calls, files)


@dataclass(frozen=True)
class ForgetReport:
    found: bool
    calls: int
    files: int


def forget(store: Store, phone: str, *, now: datetime, base_dir: Path = Path(".")) -> ForgetReport:
    """Erase everything about ``phone``; keep its hash so it stays opted out."""
    digest = phone_hash(phone)
    with store.writer() as s:
        contact = s.scalars(select(Contact).where(Contact.phone == phone)).one_or_none()
        calls = s.execute(
            select(Call.id, Call.transcript_path, Call.recording_path).where(
                (Call.contact_id == contact.id) if contact is not None else (Call.phone == phone)
            )
        ).all()
        files = 0
        for _, transcript, recording in calls:
            files += _remove(base_dir, transcript) + _remove(base_dir, recording)
        ids = [c[0] for c in calls]
        if ids:
            s.execute(delete(CallEvent).where(CallEvent.call_id.in_(ids)))
            s.execute(delete(Call).where(Call.id.in_(ids)))
            # Webhook events not yet delivered carry the number and the answers too.
            keys = [f"call.finished:{i}" for i in ids]
            s.execute(delete(WebhookOutbox).where(WebhookOutbox.idempotency_key.in_(keys)))
        if contact is not None:
            s.execute(delete(Contact).where(Contact.id == contact.id))  # memberships cascade
        s.execute(delete(BlocklistEntry).where(BlocklistEntry.phone == phone))
        if s.get(ForgottenNumber, digest) is None:
            s.add(ForgottenNumber(phone_hash=digest, forgotten_at=now))
        return ForgetReport(contact is not None or bool(ids), len(ids), files)
