"""A run whose output folder cannot take transcripts is refused before anyone is
dialled (it used to call every contact and lose every transcript, exit 0)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from mbs.campaign.compose import CampaignNotResolved, writable_folder
from mbs.campaign.store import Store
from mbs.cli import run_cmd

ROOT = Path(__file__).resolve().parents[2]
app = typer.Typer()
run_cmd.register(app)


def test_a_folder_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    (tmp_path / "transcripts").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(CampaignNotResolved, match="cannot write transcripts in"):
        writable_folder(tmp_path / "transcripts", "transcripts")
    writable_folder(tmp_path / "new" / "transcripts", "transcripts")  # made, and clean
    assert list((tmp_path / "new" / "transcripts").iterdir()) == []


def test_mbs_run_dials_nobody_when_transcripts_cannot_be_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "transcripts").write_text("a file, not a folder", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'sim.sqlite'}"
    campaign = ROOT / "examples" / "campagne-or.toml"
    args = ["--campaign", str(campaign), "--database", url, "--output-dir", str(out)]
    result = CliRunner().invoke(app, [*args, "-q"])
    assert result.exit_code != 0
    assert "cannot write transcripts in" in " ".join(result.output.split())
    store = Store.open(url)
    try:
        with store.session() as s:  # nobody was dialled
            assert s.execute(text("SELECT count(*) FROM calls")).scalar_one() == 0
    finally:
        store.close()
