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
    Campaign,
    Contact,
    ForgottenNumber,
    WebhookOutbox,
)

BATCH = 500


def _remove(base_dir: Path, stored: str | None) -> int:
    """Delete one stored file: 1 if deleted, 0 if there is nothing to delete here."""
    return int(_delete(base_dir, stored) == "deleted")


def _delete(base_dir: Path, stored: str | None) -> str:
    """``deleted``, ``absent`` (nothing here: never written, already gone, or on another
    host, such as a switch's recordings) or ``kept`` (it is here and could not be
    deleted: a permission, a busy disk)."""
    if not stored:
        return "absent"
    path = Path(stored)
    path = path if path.is_absolute() else base_dir / path
    try:
        path.unlink()
    except FileNotFoundError:
        return "absent"
    except OSError:
        try:
            return "kept" if path.lstat() else "absent"
        except FileNotFoundError:
            return "absent"
        except OSError:  # a folder on the way cannot be searched: it may well be there
            return "kept"
    return "deleted"


@dataclass(frozen=True)
class PurgeReport:
    calls: int  # calls whose talk was dropped
    files: int  # files deleted
    absent: int = 0  # stored paths with no file here (a switch on another host keeps its own)
    kept: int = 0  # files that could not be deleted: their paths stay, for the next purge


def purge(
    store: Store, *, before: datetime, base_dir: Path = Path("."), campaign: str | None = None
) -> PurgeReport:
    """Drop transcripts, recordings and event logs of calls ended before ``before``, of
    one campaign or (``campaign`` None) of every campaign in the store. A file that is
    here and cannot be deleted keeps its path on the row, so nothing is lost track of."""
    calls = files = absent = kept = 0
    last = ""  # calls by id, one batch after the other: a kept path is not read twice
    scope = Call.ended_at < before
    if campaign is not None:
        scope = scope & Call.campaign_id.in_(select(Campaign.id).where(Campaign.name == campaign))
    while True:
        with store.writer() as s:
            rows = s.execute(
                select(Call.id, Call.transcript_path, Call.recording_path)
                .where(
                    scope,
                    Call.id > last,
                    (Call.transcript_path.is_not(None)) | (Call.recording_path.is_not(None)),
                )
                .order_by(Call.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            ids = [r[0] for r in rows]
            stuck: list[tuple[str, dict[str, str | None]]] = []  # rows with a file kept
            for call_id, transcript, recording in rows:
                left: dict[str, str | None] = {}
                for column, stored in (
                    ("transcript_path", transcript),
                    ("recording_path", recording),
                ):
                    outcome = _delete(base_dir, stored)
                    files += outcome == "deleted"
                    absent += bool(stored) and outcome == "absent"
                    kept += outcome == "kept"
                    left[column] = stored if outcome == "kept" else None
                if any(left.values()):
                    stuck.append((call_id, left))
            # one statement for the batch; the rare rows that keep a path, one each
            s.execute(
                update(Call)
                .where(Call.id.in_(ids))
                .values(transcript_path=None, recording_path=None)
            )
            for call_id, left in stuck:
                s.execute(update(Call).where(Call.id == call_id).values(**left))
            s.execute(delete(CallEvent).where(CallEvent.call_id.in_(ids)))
            calls += len(rows)
    return PurgeReport(calls, files, absent, kept)


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
