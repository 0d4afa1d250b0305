"""A campaign file put into the store: settings, contacts, and repeating it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mbs.campaign.config import load_campaign, setup_campaign
from mbs.campaign.law import CallingLaw
from mbs.campaign.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "campagne-or.toml"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_setup_from_the_example_is_repeatable(store: Store) -> None:
    campaign = load_campaign(EXAMPLE)
    first = setup_campaign(store, campaign, now=NOW, program_hash="p1")
    assert first.saved is not None and first.contacts is not None
    assert first.saved.added_to_campaign == 64 and first.saved.created == 64
    info = store.get_campaign("or-rdv-demo")
    assert info is not None and info.program_hash == "p1"
    assert info.scenario == str(campaign.scenario_path)
    assert info.settings["retry"]["no_answer_delay"] == "30m"
    assert info.settings["policy"]["name"] == "fr-D223-9"

    again = setup_campaign(store, campaign, now=NOW + timedelta(days=1), program_hash="p2")
    assert again.saved is not None
    assert (again.saved.created, again.saved.updated, again.saved.added_to_campaign) == (0, 64, 0)
    assert again.campaign.id == first.campaign.id and again.campaign.program_hash == "p2"

    law = CallingLaw(campaign.settings.policy)
    claims = store.claim_due("or-rdv-demo", NOW, 100, "w", law).claims
    # 10:30 in Paris: metropolitan numbers now; Réunion (13:30, lunch) and the
    # Antilles/Guyane (05:30) wait for their own windows, unless they consented.
    assert first.contacts is not None
    overseas = [c for c in first.contacts.contacts if not c.phone.startswith("+33")]
    waiting = [c.phone for c in overseas if not c.consent]
    assert claims and waiting
    for claim in claims:
        overseas_claim = not claim.contact.phone.startswith("+33")
        assert claim.policy["decision"] == ("allowed_consent" if overseas_claim else "allowed")
        assert claim.contact.consent or not overseas_claim
    assert store.stats("or-rdv-demo", now=NOW).waiting_reasons == {"hours": len(waiting)}
