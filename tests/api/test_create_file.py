"""The campaign file the console writes is TOML that ``mbs run`` reads back as the
defaults said, a campaign the store refuses leaves no file behind, and a campaign
takes its kind (simulated or real) from the defaults, refused on a store of the other
kind."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mbs.api.create import Created, CreateError, campaign_toml, create_from_upload
from mbs.campaign.config import load_campaign
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


def create(
    store: Store,
    tmp_path: Path,
    name: str,
    defaults: str | bytes | None,
    contacts: bytes = CONTACTS,
) -> Created:
    path = None
    if defaults is not None:
        path = tmp_path / "defaults.toml"
        if isinstance(defaults, str):
            defaults = defaults.encode()
        path.write_bytes(defaults)
    return create_from_upload(
        store,
        name=name,
        scenario="or_rdv.mbs",
        filename="liste.csv",
        data=contacts,
        scenarios_dir=SCENARIOS,
        campaigns_dir=tmp_path / "campaigns",
        defaults=path,
        now=NOW,
    )


def files(tmp_path: Path) -> list[str]:
    folder = tmp_path / "campaigns"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_password_with_a_newline_is_written_so_that_mbs_run_reads_it(
    store: Store, tmp_path: Path
) -> None:
    password = 'Clue\nCon\t"\\\r\b\f\x01\x7fé'
    defaults = r"""
[telephony]
backend = "esl"
[telephony.esl]
password = "Clue\nCon\t\"\\\r\b\f\u0001\u007Fé"
"""
    assert tomllib.loads(defaults)["telephony"]["esl"]["password"] == password
    made = create(store, tmp_path, "printemps", defaults)
    campaign = load_campaign(made.campaign_file)  # what `mbs run --campaign` does
    assert campaign.settings.telephony.esl.password == password
    assert campaign.settings.name == "printemps"
    assert files(tmp_path) == ["printemps.toml"]


def test_dates_and_times_are_written_as_toml_literals() -> None:
    extra = {
        "since": datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=1))),
        "local": datetime(2026, 3, 1, 9, 0, 0, 250000),
        "day": date(2026, 3, 1),
        "at": time(9, 30),
        "days": [date(2026, 3, 1), date(2026, 3, 2)],
    }
    written = tomllib.loads(campaign_toml({"name": "dates", "builtins": {"extra": extra}}))
    assert written["builtins"]["extra"] == extra


def test_a_defaults_file_that_would_not_run_creates_nothing(store: Store, tmp_path: Path) -> None:
    with pytest.raises(CreateError, match=r"would not run: .*builtins.extra: no builtin named"):
        create(store, tmp_path, "dates", "[builtins.extra]\nsince = 2026-03-01\n")
    assert store.get_campaign("dates") is None and files(tmp_path) == []


def test_relative_paths_of_the_defaults_file_still_reach_their_files(
    store: Store, tmp_path: Path
) -> None:
    """The new campaign file lives in campaigns/: the defaults file's relative paths
    (its switch profile, a builtin's folder) are written from the defaults' folder."""
    switch = tmp_path / "fs" / "mbs-switch.toml"
    switch.parent.mkdir()
    switch.write_text('gateway = "ovh"\nasr = "vosk"\n', encoding="utf-8")
    defaults = (
        '[telephony]\nbackend = "esl"\n[telephony.esl]\nswitch = "fs/mbs-switch.toml"\n'
        '[builtins.vosk]\nmodel = "models/fr"\n[builtins.espeak]\ncache_dir = "/srv/tts"\n'
    )
    made = create(store, tmp_path, "reel", defaults)
    written = tomllib.loads(Path(made.campaign_file).read_text(encoding="utf-8"))
    assert written["telephony"]["esl"]["switch"] == str(switch)
    assert written["builtins"]["vosk"]["model"] == str(tmp_path / "models" / "fr")
    assert written["builtins"]["espeak"]["cache_dir"] == "/srv/tts"  # absolute: as it was
    loaded = load_campaign(made.campaign_file)
    assert loaded.switch_profile().gateway == "ovh"


@pytest.mark.parametrize(
    "settings",
    [
        {"name": "x", "a b": 1, "é": "ok", "": "empty key"},
        {"name": "x", "t": {"k.dot": {"z": [1.5, float("inf"), -0.0, 1e-05]}, "empty": {}}},
        {"name": "x", "rows": [{"a": 1, "b c": [True]}, {}], "nan": float("nan")},
        {"name": "x", "s": "".join(chr(c) for c in range(0x80)) + "\u2028\U0001f600"},
    ],
)
def test_every_toml_value_reads_back_the_same(settings: dict[str, Any]) -> None:
    text = campaign_toml(settings)
    assert repr(tomllib.loads(text)) == repr(settings)


def test_what_toml_cannot_hold_is_a_sentence() -> None:
    with pytest.raises(CreateError, match="cannot be written back"):
        campaign_toml({"name": "x", "scenario": "/scenarios/\udcff.mbs"})
    with pytest.raises(CreateError, match="cannot be written back"):
        campaign_toml({"name": "x", "at": datetime(2026, 3, 1, tzinfo=timezone(timedelta(0, 1)))})


@pytest.mark.parametrize("name", ["Printemps.2026", "a..b", "../evil", "Été", "x" * 65])
def test_a_refused_name_leaves_no_file(store: Store, tmp_path: Path, name: str) -> None:
    with pytest.raises(CreateError, match="is not a slug") as refused:
        create(store, tmp_path, name, None)
    assert "for example" in str(refused.value)
    assert store.get_campaign(name) is None and files(tmp_path) == []


def test_a_campaign_the_store_refuses_leaves_no_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_campaign = store.create_campaign

    def created_meanwhile(name: str, **kwargs: Any) -> Any:
        create_campaign(name, now=NOW)  # another operator, between the check and here
        return create_campaign(name, **kwargs)

    monkeypatch.setattr(store, "create_campaign", created_meanwhile)
    with pytest.raises(CreateError, match="already exists"):
        create(store, tmp_path, "hiver", None)
    assert files(tmp_path) == []  # not even the staged file


def test_a_campaign_file_already_there_is_never_overwritten(store: Store, tmp_path: Path) -> None:
    mine = tmp_path / "campaigns" / "hiver.toml"
    mine.parent.mkdir()
    mine.write_text('name = "hiver"\n# written by hand\n', encoding="utf-8")
    with pytest.raises(CreateError, match=r"hiver\.toml already exists"):
        create(store, tmp_path, "hiver", None)
    assert mine.read_text(encoding="utf-8") == 'name = "hiver"\n# written by hand\n'
    assert store.get_campaign("hiver") is None and files(tmp_path) == ["hiver.toml"]


@pytest.mark.parametrize(
    ("defaults", "reason"),
    [(b"\xff\xfe not utf-8", "not UTF-8 text"), ("a = [" * 2000, "cannot read")],
)
def test_an_unreadable_defaults_file_is_a_sentence(
    store: Store, tmp_path: Path, defaults: str | bytes, reason: str
) -> None:
    with pytest.raises(CreateError, match="cannot read the default campaign file") as refused:
        create(store, tmp_path, "hiver", defaults)
    assert reason in str(refused.value)
    assert store.get_campaign("hiver") is None and files(tmp_path) == []


# A store keeps one kind (mbs.campaign.simulated): the console refuses to put a
# simulated campaign beside real ones, or a real one beside simulated ones.
REAL = '[telephony]\nbackend = "esl"\n'


def test_a_simulated_campaign_is_refused_beside_real_ones(store: Store, tmp_path: Path) -> None:
    create(store, tmp_path, "vraie", REAL)
    with pytest.raises(CreateError, match=r"holds real campaigns \('vraie'\)"):
        create(store, tmp_path, "essai", None)  # no defaults: a simulated campaign
    assert store.get_campaign("essai") is None
    assert files(tmp_path) == ["vraie.toml"]


def test_a_created_campaign_says_its_kind_from_the_start(store: Store, tmp_path: Path) -> None:
    create(store, tmp_path, "essai", None)
    assert kind_conflict(store, simulated=False) is not None  # a real one would be refused
    assert kind_conflict(store, simulated=True) is None
    with pytest.raises(CreateError, match="holds simulated campaigns"):
        create(store, tmp_path, "vraie", REAL)


def test_thousands_of_rejected_rows_are_summed_up(store: Store, tmp_path: Path) -> None:
    data = b"phone;name\n0611223344;Anne\n" + b"pas un numero;x\n" * 3000
    made = create(store, tmp_path, "gros", None, data)
    assert made.contacts == 1 and len(made.rejected) == 1001
    assert made.rejected[-1] == "... and 2,000 more rows rejected"
