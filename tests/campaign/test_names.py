"""Campaign names are slugs; a campaign's files never leave its data folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mbs.campaign.config import CampaignFileError, parse_campaign
from mbs.campaign.executor import ExecutorSettings
from mbs.campaign.names import UnsafeCampaignPath, campaign_file, check_slug
from mbs.campaign.store import Store, StoreError
from mbs.cli import contacts_cmd

BAD = ["../../x", "/etc/cron.d/x", "a/b", "..", "", "Été-2026", "x" * 65, "-x", "a b", "a\x00b"]
GOOD = ["demo", "or-rdv-demo", "relance_2026", "a", "9", "x" * 64]


@pytest.mark.parametrize("name", GOOD)
def test_slugs_are_accepted(name: str) -> None:
    assert check_slug(name) == name


@pytest.mark.parametrize("name", BAD)
def test_other_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="is not a slug"):
        check_slug(name)


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "Été 2026"])
def test_the_campaign_file_names_the_key_and_line(name: str, tmp_path: Path) -> None:
    source = f'scenario = "s.mbs"\nname = "{name}"\n'
    with pytest.raises(CampaignFileError) as caught:
        parse_campaign(source, tmp_path / "c.toml", check_paths=False)
    (line,) = caught.value.lines()
    assert line.startswith(f"{tmp_path / 'c.toml'}:2: name: campaign name")
    assert "lowercase letters" in line


def test_the_store_refuses_a_new_campaign_that_is_not_a_slug(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        with pytest.raises(StoreError, match="not a slug"):
            store.create_campaign("../../x", now=datetime(2026, 3, 1, tzinfo=UTC))
        assert store.list_campaigns() == []
    finally:
        store.close()


@pytest.mark.parametrize(
    ("campaign", "filename"),
    [("../x", "a.txt"), ("demo", "../a.txt"), ("demo", "/etc/passwd"), ("demo", ".."), ("/x", "a")],
)
def test_campaign_files_cannot_escape(campaign: str, filename: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeCampaignPath):
        campaign_file(tmp_path, campaign, filename)


def test_campaign_files_stay_inside(tmp_path: Path) -> None:
    assert campaign_file(tmp_path, "demo", "c1.txt") == tmp_path / "demo" / "c1.txt"


def test_the_executor_refuses_a_name_that_is_not_a_slug() -> None:
    with pytest.raises(ValueError, match="not a slug"):
        ExecutorSettings(campaign="../../x")


def test_contacts_import_refuses_a_bad_campaign_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    app = typer.Typer()

    @app.callback()
    def _root() -> None: ...

    contacts_cmd.register(app)
    source = tmp_path / "c.csv"
    source.write_text("phone\n+33612345678\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["contacts", "import", str(source), "-c", "../../x"])
    assert result.exit_code == 2
    assert "--campaign: campaign name '../../x' is not a slug" in result.stderr
    assert not (tmp_path.parent / "x").exists()
