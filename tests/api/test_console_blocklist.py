"""The console's blocklist form reads a number as ``mbs blocklist add`` does: what that
refuses is refused with its reason, what it takes is kept in E.164, the form the list is
matched on when dialling."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mbs.campaign.phones import parse_phone
from mbs.campaign.store import Store
from tests.api.conftest import Seeded
from tests.api.test_auth import csrf_of, log_in


async def block(c: httpx.AsyncClient, phone: str | None) -> str:
    """The message the console shows after posting ``phone`` to the blocklist form."""
    page = await c.get("/console/contacts")
    form = {"csrf": csrf_of(page.text)} | ({} if phone is None else {"phone": phone})
    r = await c.post("/console/contacts/blocklist", data=form)
    assert r.status_code == 303, r.text
    location = urlsplit(r.headers["location"])
    assert location.path == "/console/contacts"
    return parse_qs(location.query)["message"][0]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("+0612345678", "unreadable phone number '+0612345678'"),
        ("+1", "unreadable phone number '+1'"),
        ("+²³", "unreadable phone number '+²³'"),
        ("+33 6 12", "invalid phone number '+33 6 12'"),
        ("", "missing phone number"),
        (None, "missing phone number"),
    ],
)
async def test_what_the_cli_refuses_is_refused(
    base: str, store: Store, typed: str | None, reason: str
) -> None:
    async with log_in(base, "sam") as c:
        message = await block(c, typed)
    assert message == f"numéro invalide : {reason}"
    with pytest.raises(ValueError, match=re.escape(reason)):  # the CLI's reason
        parse_phone(typed or "")
    assert store.blocklist() == []


@pytest.mark.parametrize(
    "typed",
    [
        "+33612345678",
        "06 12 34 56 78",
        "+３３６１２３４５６７８",
        "＋33 6 12 34 56 78",
        "0033612345678",
    ],
)
async def test_a_number_is_kept_in_e164(base: str, store: Store, typed: str) -> None:
    async with log_in(base, "sam") as c:
        assert await block(c, typed) == "+33612345678 ajouté à la liste d'opposition"
        assert await block(c, "+33612345678") == "+33612345678 ajouté à la liste d'opposition"
    assert [phone for phone, _, _ in store.blocklist()] == ["+33612345678"]
    assert store.is_blocklisted("+33612345678")


async def test_the_row_button_blocks_the_contact(base: str, store: Store, seeded: Seeded) -> None:
    async with log_in(base, "sam") as c:
        message = await block(c, seeded.phones[0])
        page = await c.get("/console/contacts")
    assert message == f"{seeded.phones[0]} ajouté à la liste d'opposition"
    assert store.is_blocklisted(seeded.phones[0]) and "liste d'opposition" in page.text
