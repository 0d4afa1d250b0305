"""Contacts, campaign membership, opt-outs and the blocklist.

Each write reads what is there, then adds what is missing. Imports run at the same
time (several ``mbs contacts import``, an upload, a worker enrolling), so these run in
:meth:`~StoreBase.write_retrying` transactions: on SQLite the write lock is taken before
the read (a deferred reader turning writer fails at once with "database is locked"); on
PostgreSQL the contacts read are locked and an insert that lost a race is tried again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mbs.campaign.store.base import StoreBase
from mbs.campaign.store.models import BlocklistEntry, CampaignContact, Contact
from mbs.campaign.store.records import ContactData, ContactInfo

_CHUNK = 500  # rows per IN (...) query


@dataclass(frozen=True)
class UpsertReport:
    created: int
    updated: int
    ids: dict[str, int]  # E.164 -> contact id


def contact_info(c: Contact) -> ContactInfo:
    return ContactInfo(
        id=c.id,
        phone=c.phone,
        first_name=c.first_name,
        last_name=c.last_name,
        email=c.email,
        company=c.company,
        tags=tuple(c.tags or ()),
        extra=dict(c.extra or {}),
        consent=c.consent,
        opted_out=c.opted_out,
    )


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _merge(c: Contact, data: ContactData, now: datetime) -> None:
    """Later non-empty values win; tags are unioned; extra columns merged."""
    for name in ("first_name", "last_name", "email", "company"):
        value = getattr(data, name)
        if value:
            setattr(c, name, value)
    if data.tags:
        c.tags = list(dict.fromkeys([*(c.tags or []), *data.tags]))
    if data.extra:
        extra = dict(c.extra or {})
        extra.update({k: v for k, v in data.extra.items() if v not in (None, "")})
        c.extra = extra
    if data.consent and not c.consent:
        c.consent, c.consent_at = True, data.consent_at or now
    if data.opted_out and not c.opted_out:
        c.opted_out, c.opted_out_at = True, now
    c.updated_at = now


class ContactsMixin(StoreBase):
    def upsert_contacts(self, contacts: Iterable[ContactData], *, now: datetime) -> UpsertReport:
        """Create new contacts, merge into existing ones (same E.164)."""
        wanted: dict[str, ContactData] = {}
        for data in contacts:
            if data.phone in wanted:  # merge duplicates of the batch first
                merged = wanted[data.phone]
                for name in ("first_name", "last_name", "email", "company"):
                    if getattr(data, name):
                        setattr(merged, name, getattr(data, name))
                merged.tags = list(dict.fromkeys([*merged.tags, *data.tags]))
                merged.extra = {**merged.extra, **data.extra}
                merged.consent = merged.consent or data.consent
                merged.opted_out = merged.opted_out or data.opted_out
            else:
                wanted[data.phone] = data
        phones = list(wanted)

        def work(s: Session) -> UpsertReport:
            created = updated = 0
            existing: dict[str, Contact] = {}
            # locked (PostgreSQL: no merge lost to another import), in one order (no deadlock)
            for chunk in _chunks(sorted(phones)):
                q = select(Contact).where(Contact.phone.in_(chunk)).order_by(Contact.phone)
                for c in s.scalars(q.with_for_update()):
                    existing[c.phone] = c
            for phone, data in wanted.items():
                found = existing.get(phone)
                if found is None:
                    found = Contact(
                        phone=phone,
                        tags=[],
                        extra={},
                        consent=False,
                        opted_out=False,
                        created_at=now,
                        updated_at=now,
                    )
                    _merge(found, data, now)
                    s.add(found)
                    existing[phone] = found
                    created += 1
                else:
                    _merge(found, data, now)
                    updated += 1
            s.flush()
            return UpsertReport(created, updated, {phone: existing[phone].id for phone in wanted})

        return self.write_retrying(work)

    def get_contact(self, phone: str) -> ContactInfo | None:
        with self.session() as s:
            found = s.scalars(select(Contact).where(Contact.phone == phone)).one_or_none()
            return contact_info(found) if found else None

    def add_to_campaign(
        self, campaign: str | int, contact_ids: Iterable[int], *, now: datetime
    ) -> int:
        """Make contacts members of a campaign (already members are left alone)."""
        wanted = list(dict.fromkeys(contact_ids))

        def work(s: Session) -> int:
            camp = self._find_campaign(s, campaign)
            present = set(
                s.scalars(
                    select(CampaignContact.contact_id).where(CampaignContact.campaign_id == camp.id)
                )
            )
            added = 0
            for cid in wanted:
                if cid in present:
                    continue
                s.add(
                    CampaignContact(
                        campaign_id=camp.id,
                        contact_id=cid,
                        added_at=now,
                        attempts=0,
                        retries={},
                        done=False,
                    )
                )
                added += 1
            s.flush()  # a lost race fails here, inside the retry
            return added

        return self.write_retrying(work)

    def campaign_size(self, campaign: str | int) -> int:
        with self.session() as s:
            camp = self._find_campaign(s, campaign)
            q = select(func.count()).where(CampaignContact.campaign_id == camp.id)
            return int(s.scalar(q) or 0)

    def opt_out(self, phone: str, *, now: datetime) -> bool:
        """Record that ``phone`` must never be called again; False if no such contact."""

        def work(s: Session) -> bool:
            q = select(Contact).where(Contact.phone == phone).with_for_update()
            found = s.scalars(q).one_or_none()
            if found is None:
                return False
            if not found.opted_out:
                found.opted_out, found.opted_out_at, found.updated_at = True, now, now
            return True

        return self.write_retrying(work)

    # ------------------------------------------------------------------ blocklist

    def add_to_blocklist(
        self, phones: Iterable[str], *, now: datetime, source: str | None = None
    ) -> int:
        """Blocklist E.164 numbers; returns how many were new."""
        wanted = list(dict.fromkeys(phones))

        def work(s: Session) -> int:
            present: set[str] = set()
            for chunk in _chunks(wanted):
                present.update(
                    s.scalars(select(BlocklistEntry.phone).where(BlocklistEntry.phone.in_(chunk)))
                )
            # in one order, so two imports inserting the same numbers never deadlock
            new = sorted(p for p in wanted if p not in present)
            s.add_all(BlocklistEntry(phone=p, source=source, added_at=now) for p in new)
            s.flush()  # a lost race fails here, inside the retry
            return len(new)

        return self.write_retrying(work)

    def remove_from_blocklist(self, phones: Iterable[str]) -> int:
        wanted = list(phones)
        with self.session() as s:
            removed = 0
            for chunk in _chunks(wanted):
                result = s.execute(delete(BlocklistEntry).where(BlocklistEntry.phone.in_(chunk)))
                removed += int(getattr(result, "rowcount", 0) or 0)
            return removed

    def blocklist(self) -> list[tuple[str, str | None, datetime]]:
        with self.session() as s:
            rows = s.execute(
                select(
                    BlocklistEntry.phone, BlocklistEntry.source, BlocklistEntry.added_at
                ).order_by(BlocklistEntry.phone)
            )
            return [(p, src, at) for p, src, at in rows]

    def is_blocklisted(self, phone: str) -> bool:
        with self.session() as s:
            return s.get(BlocklistEntry, phone) is not None
