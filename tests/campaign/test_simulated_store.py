"""Simulated runs never touch real data: they live in a store of their own, and a store
never mixes simulated and real campaigns."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from test_crash_resume import MBS

from mbs.campaign.law import CallingLaw, Reason
from mbs.campaign.store import ContactData, Store
from mbs.campaign.store.models import Call

PHONES = ["+33140000101", "+33140000102", "+33140000103"]
REFUSING = """scenario refus "Refus immédiat" {
    agent "Julie" from "Aurum"
    record no
}
step a {
    say "Bonjour, c'est Julie, assistante vocale automatisée."
    end NOT_INTERESTED
}
"""


def write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refus.mbs").write_text(REFUSING, encoding="utf-8")
    (folder / "contacts.csv").write_text("phone\n" + "\n".join(PHONES) + "\n", encoding="utf-8")
    path = folder / "sim.toml"
    path.write_text(
        'name = "essai-sim"\nscenario = "refus.mbs"\ncontacts = "contacts.csv"\n'
        'record = false\n[telephony]\nbackend = "sim"\n[builtins]\ntts = "none"\n'
        '[sim]\ntime_scale = 200.0\nstart = "2026-04-27T10:00:00+02:00"\n'
        "[sim.personas]\nhuman = 1\n",
        encoding="utf-8",
    )
    return path


def mbs(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MBS_SIM_DATABASE_URL")}
    return subprocess.run(
        [*MBS, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def test_a_simulated_refusal_does_not_delay_a_real_call(tmp_path: Path) -> None:
    campaign = write(tmp_path / "camp")
    done = mbs(["run", "--campaign", str(campaign), "--quiet", "--format", "json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["by_result"] == {"NOT_INTERESTED": 3}
    # the simulated refusals are in the simulated store, and only there
    assert not (tmp_path / "var" / "mbs.sqlite").exists()
    sim = Store.open(f"sqlite:///{tmp_path / 'var' / 'sim.sqlite'}")
    try:
        with sim.session() as s:
            assert {c.phone for c in s.scalars(select(Call))} == set(PHONES)
            refused_at = max(c.ended_at for c in s.scalars(select(Call)) if c.ended_at)
        # in the simulated store, the law would now hold these numbers back 60 days
        history = sim.contact_history(PHONES[0], now=refused_at, policy=CallingLaw())
        assert CallingLaw().decide(history, PHONES[0], refused_at).reason == Reason.REFUSAL_COOLOFF
    finally:
        sim.close()
    # the real store: the same people, called at the same moment, are not held back
    real = Store.open(f"sqlite:///{tmp_path / 'var' / 'mbs.sqlite'}")
    try:
        real.create_campaign("reel", now=refused_at, settings={"telephony": {"backend": "esl"}})
        ids = real.upsert_contacts([ContactData(p) for p in PHONES], now=refused_at).ids
        real.add_to_campaign("reel", ids.values(), now=refused_at)
        batch = real.claim_due("reel", refused_at, 10, "w", CallingLaw())
        assert sorted(c.contact.phone for c in batch.claims) == PHONES
        assert batch.deferred == []
    finally:
        real.close()
    # the simulated campaign is listed with --sim, not in the real store
    listed = mbs(["campaign", "list", "--sim", "--format", "json"], tmp_path)
    assert json.loads(listed.stdout.splitlines()[0])["name"] == "essai-sim"
    listed = mbs(["campaign", "list", "--format", "json"], tmp_path)
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["reel"]


def test_a_store_never_mixes_simulated_and_real_campaigns(tmp_path: Path) -> None:
    campaign = write(tmp_path / "camp")
    real_url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    real = Store.open(real_url)
    try:
        real.create_campaign(
            "reel",
            now=datetime(2026, 4, 27, tzinfo=UTC),
            settings={"telephony": {"backend": "esl"}},
        )
    finally:
        real.close()
    done = mbs(["run", "--campaign", str(campaign), "--database", real_url, "--quiet"], tmp_path)
    assert done.returncode == 2
    assert "this store holds real campaigns ('reel')" in done.stderr
    real = Store.open(real_url)
    try:
        assert [c.name for c in real.list_campaigns()] == ["reel"]  # nothing written
    finally:
        real.close()
