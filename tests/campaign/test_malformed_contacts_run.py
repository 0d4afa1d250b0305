"""``mbs run`` on a contacts file with bad rows: each one reported (row number and
reason), the good rows enrolled and called, duplicates merged into one contact."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from campaign_rig import check_campaign, write_campaign
from test_crash_resume import MBS

from mbs.campaign.store import Store

ROWS = [  # file rows 2.. (the header is row 1)
    "Armelle;02 61 91 44 10;Crêperie Ty Armor",  # 2 good
    "Bastien;01 23 45;Marchand Paysage",  # 3 too short
    "Coralie;;Cabinet Benoît",  # 4 no number
    "Denis;pas de numéro;Payet Distribution",  # 5 not a number
    "Armelle;+33 2 61 91 44 10;Crêperie Ty Armor SARL",  # 6 duplicate of row 2: merged
    "Estelle;0899 99 99 99 99;Roche Conseil",  # 7 too long
    "Fabien;04 65 71 20 31;Lacroix Bâtiment",  # 8 good
    "Gisèle",  # 9 missing columns
    "Hélène;0590 20 25 48;Agence Les Tilleuls",  # 10 good (Guadeloupe)
]
BAD = {3, 4, 5, 7, 9}


def test_bad_rows_reported_good_rows_called(tmp_path: Path) -> None:
    folder = tmp_path / "camp"
    campaign = write_campaign(
        folder,
        [],
        name="malformed",
        rows=ROWS,
        header="Prénom;Téléphone;Société",
        time_scale=120.0,
        personas="human = 1",
    )
    # a Windows-1252 file, as spreadsheets export it
    csv = folder / "contacts.csv"
    csv.write_bytes(csv.read_text(encoding="utf-8").encode("cp1252"))
    db = tmp_path / "mbs.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [
            *MBS,
            "run",
            "--campaign",
            str(campaign),
            "--database",
            f"sqlite:///{db}",
            "--output-dir",
            str(tmp_path / "out"),
            "--quiet",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "3 read" in done.stderr and "1 merged" in done.stderr and "5 rejected" in done.stderr
    reported = {
        int(line.split()[1].rstrip(":"))
        for line in done.stderr.splitlines()
        if line.strip().startswith("row ")
    }
    assert reported == BAD, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["contacts"] == 3 and summary["done"] == 3
    store = Store.open(f"sqlite:///{db}")
    try:
        calls = check_campaign(store, "malformed")
        assert set(calls) == {"+33261914410", "+33465712031", "+590590202548"}
        armelle = store.get_contact("+33261914410")
        assert armelle is not None and armelle.company == "Crêperie Ty Armor SARL"  # merged
    finally:
        store.close()
