"""Writing contacts to the store, and enrolling them in a campaign.

Reading contact files is :mod:`mbs.campaign.contact_files`, phone rules
:mod:`mbs.campaign.phones`; both are re-exported here for the callers that import
contacts as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mbs.campaign.contact_files import (
    ALIASES,
    FORMATS,
    ContactFileError,
    ImportResult,
    Merged,
    Rejected,
    decode_text,
    detect_format,
    map_columns,
    normalise_column,
    read_contacts,
    read_numbers,
)
from mbs.campaign.phones import parse_phone

if TYPE_CHECKING:
    from mbs.campaign.store import Store

__all__ = [
    "ALIASES",
    "FORMATS",
    "ContactFileError",
    "ImportResult",
    "Merged",
    "Rejected",
    "SaveReport",
    "decode_text",
    "detect_format",
    "map_columns",
    "normalise_column",
    "parse_phone",
    "read_contacts",
    "read_numbers",
    "save_contacts",
]


@dataclass(frozen=True)
class SaveReport:
    created: int
    updated: int
    added_to_campaign: int
    campaign_created: bool


def save_contacts(
    store: Store, result: ImportResult, *, now: datetime, campaign: str | None = None
) -> SaveReport:
    """Write the good contacts to the store and, with ``campaign``, enrol them in it.

    A campaign that does not exist yet is created bare (no scenario: ``mbs run``
    fills it in from the campaign file).
    """
    upserted = store.upsert_contacts(result.contacts, now=now)
    added, created = 0, False
    if campaign:
        if store.get_campaign(campaign) is None:
            store.create_campaign(campaign, now=now, exist_ok=True)
            created = True
        added = store.add_to_campaign(campaign, upserted.ids.values(), now=now)
    return SaveReport(upserted.created, upserted.updated, added, created)
