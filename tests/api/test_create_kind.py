"""A campaign created from the console or the API takes its kind (simulated or real)
from the default campaign file, and a store keeps one kind: the console refuses to put
a simulated campaign beside real ones, or a real one beside simulated ones
(mbs.campaign.simulated)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mbs.api.create import CreateError, create_from_upload
from mbs.campaign.simulated import kind_conflict
from mbs.campaign.store import Store

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
CONTACTS = "Prénom;Téléphone\nAnne;0611223344\n".encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield s
    s.close()


def create(store: Store, tmp_path: Path, name: str, defaults: Path | None) -> None:
    create_from_upload(
        store,
        name=name,
        scenario="or_rdv.mbs",
        filename="liste.csv",
        data=CONTACTS,
        scenarios_dir=SCENARIOS,
        campaigns_dir=tmp_path / "campaigns",
        defaults=defaults,
        now=NOW,
    )


def real_defaults(tmp_path: Path) -> Path:
    path = tmp_path / "real.toml"
    path.write_text('[telephony]\nbackend = "esl"\n', encoding="utf-8")
    return path


def test_a_simulated_campaign_is_refused_beside_real_ones(store: Store, tmp_path: Path) -> None:
    create(store, tmp_path, "vraie", real_defaults(tmp_path))
    with pytest.raises(CreateError, match=r"holds real campaigns \('vraie'\)"):
        create(store, tmp_path, "essai", None)  # no defaults: a simulated campaign
    assert store.get_campaign("essai") is None
    assert not (tmp_path / "campaigns" / "essai.toml").exists()


def test_a_created_campaign_says_its_kind_from_the_start(store: Store, tmp_path: Path) -> None:
    create(store, tmp_path, "essai", None)
    assert kind_conflict(store, simulated=False) is not None  # a real one would be refused
    assert kind_conflict(store, simulated=True) is None
    with pytest.raises(CreateError, match="holds simulated campaigns"):
        create(store, tmp_path, "vraie", real_defaults(tmp_path))
