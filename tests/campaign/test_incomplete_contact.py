"""A contact who lacks a field the scenario says is not dialled: it would hear an empty
word, or the call would fail after the greeting. A field only tested or given a default
is no obstacle, whatever the contact file held."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from campaign_rig import NoAnswerSwitch
from sqlalchemy import select

from mbs.campaign.clock import ScaledClock
from mbs.campaign.executor import Executor, ExecutorSettings, summarise
from mbs.campaign.store import ContactData, Store
from mbs.campaign.store.models import Call, CampaignContact, Contact
from mbs.compiler import compile_file
from mbs.runtime.contact_fields import ContactFields
from mbs.runtime.telephony import CallStatus
from mbs.runtime.vm import Vm

MONDAY_10 = datetime(2026, 4, 27, 8, 0, tzinfo=UTC)  # 10:00 in Paris
SCENARIO = """
scenario fibre "Fibre" {
    agent "Léa" from "NovaFibre"
    fields industry
    start intro
}
use intents.common
step intro {
    say "Bonjour, ici Léa, assistante automatisée de NovaFibre. Cet appel est enregistré."
    ask "Vous êtes bien dans {{ contact.industry }}{% if contact.company %}, chez {{ contact.company }}{% endif %} ?"
    on yes -> done
    otherwise -> done
}
step done {
    say "Merci {{ contact.last_name | default('') }}, bonne journée."
    end QUALIFIED
}
"""
WITH = "+33199000001"  # industry given, no company (tested first: no obstacle)
WITHOUT = "+33199000002"  # no industry column at all
EMPTY = "+33199000003"  # industry given empty


def test_the_fields_said_and_the_fields_only_tested(tmp_path: Path) -> None:
    path = tmp_path / "fibre.mbs"
    path.write_text(SCENARIO, encoding="utf-8")
    program = compile_file(path).program
    assert program is not None
    fields = ContactFields.of(program)
    assert fields.used == {"industry", "company", "last_name"}
    assert fields.said == {"industry"}
    assert fields.missing({"company": "X"}) == ["industry"]
    assert fields.missing({"industry": "  "}) == ["industry"]
    assert fields.missing({"industry": "la boulangerie"}) == []
    assert fields.completed({"industry": "b"}) == {
        "industry": "b",
        "company": "",
        "last_name": "",
    }
    # a said field stays missing: its render fails rather than speak an empty word
    assert "industry" not in fields.completed({})


async def test_a_contact_lacking_a_said_field_is_not_dialled(tmp_path: Path) -> None:
    path = tmp_path / "fibre.mbs"
    path.write_text(SCENARIO, encoding="utf-8")
    program = compile_file(path).program
    assert program is not None
    store = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        store.create_campaign("a", now=MONDAY_10)
        contacts = [
            ContactData(WITH, first_name="Marie", extra={"industry": "la boulangerie"}),
            ContactData(WITHOUT, first_name="Paul"),
            ContactData(EMPTY, first_name="Léon", extra={"industry": ""}),
        ]
        ids = store.upsert_contacts(contacts, now=MONDAY_10).ids
        store.add_to_campaign("a", ids.values(), now=MONDAY_10)
        switch = NoAnswerSwitch()
        executor = Executor(
            store=store,
            vm=Vm(program),  # type: ignore[arg-type]
            telephony=switch,
            clock=ScaledClock(MONDAY_10, scale=1.0),
            settings=ExecutorSettings(campaign="a", record=False, idle_poll_s=0.01),
        )
        stats = await asyncio.wait_for(executor.run(), timeout=60)
        assert [number for number, _ in switch.dialled] == [WITH]
        assert executor.progress.incomplete == {"industry": 2}
        assert summarise(stats, executor.progress)["not_called_lacking"] == {"industry": 2}
        with store.session() as s:
            for phone in (WITHOUT, EMPTY):
                contact = s.scalars(select(Contact).where(Contact.phone == phone)).one()
                (call,) = s.scalars(select(Call).where(Call.contact_id == contact.id)).all()
                assert call.status == CallStatus.CANCELLED and call.dialled_at is None
                assert call.hangup_cause == "INCOMPLETE_CONTACT: contact.industry"
                member = s.scalars(
                    select(CampaignContact).where(CampaignContact.contact_id == contact.id)
                ).one()
                assert member.done and member.outcome == "INCOMPLETE_CONTACT"
                assert member.attempts == 0  # never dialled: no attempt used
    finally:
        store.close()
