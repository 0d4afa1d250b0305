"""Input nested past Python's recursion limit, and files of the wrong shape, through
every loader of structured files: one clear error naming the file, never a
RecursionError or a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.campaign.config import CampaignFileError, parse_campaign
from mbs.freeswitch.profile import ProfileError, load_profile
from mbs.runtime.convtest import TestFileError as BadTestFile
from mbs.runtime.convtest import load_test_file
from mbs.runtime.events import EventLogError, read_log
from mbs.runtime.nlu_eval import SetError, load_set

DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_JSON = '{"event": ' + "[" * 100_000 + "]" * 100_000 + "}\n"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_deep_toml_is_refused_clearly_by_every_toml_loader(tmp_path: Path) -> None:
    with pytest.raises(CampaignFileError, match="nested too deeply"):
        parse_campaign(DEEP_TOML, tmp_path / "c.toml")
    with pytest.raises(BadTestFile, match="nested too deeply"):
        load_test_file(write(tmp_path, "x.test.toml", DEEP_TOML))
    with pytest.raises(ProfileError, match="nested too deeply"):
        load_profile(write(tmp_path, "switch.toml", DEEP_TOML))


def test_deep_json_lines_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match=r"x\.jsonl:1: not an mbs event"):
        read_log(write(tmp_path, "x.jsonl", DEEP_JSON))
    with pytest.raises(SetError, match=r"set\.jsonl:1: not a labelled answer"):
        load_set(write(tmp_path, "set.jsonl", DEEP_JSON))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('defaults = "x"\n[[test]]\nname = "a"\n', r"\[defaults\] must be a table"),
        ("test = [1, 2]\n", r"test 1 must be a \[\[test\]\] table"),
        ('x = "\xe9"\n'.encode("latin-1"), "not UTF-8"),
    ],
)
def test_a_test_file_of_the_wrong_shape_says_what_is_wrong(
    tmp_path: Path, text: str | bytes, message: str
) -> None:
    with pytest.raises(BadTestFile, match=message):
        load_test_file(write(tmp_path, "x.test.toml", text))
