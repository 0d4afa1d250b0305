"""The independent sets are what their READMEs say they are: tests/nlu/independent/, two
customer packs of one phrasing per objection with their paraphrases, ordinary answers
and intents; tests/nlu/independent_second/, four more packs and ordinary answers. They
are reported (scripts/nlu_independent_report.py) and never fitted on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mbs.compiler import compile_file
from mbs.program import Program
from tests.nlu.heldout import INDEPENDENT_PACKS as PACKS
from tests.nlu.heldout import independent as rows
from tests.nlu.heldout import independent_packs, plain

SETS = ("objections", "intents", "neutral")
INTENTS = {
    "yes", "no", "not_interested", "callback", "stop_calling", "question", "who_is_calling",
    "wrong_person", "repeat", "insult", "goodbye", "robot_question", "human_request",
    "vulnerable",
}  # fmt: skip
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def programs() -> dict[str, Program]:
    compiled = {}
    for pack, path in PACKS.items():
        result = compile_file(path)
        assert result.program is not None, [str(d) for d in result.diagnostics]
        compiled[pack] = result.program
    return compiled


def test_each_pack_gives_one_phrasing_per_objection(programs: dict[str, Program]) -> None:
    for pack, program in programs.items():
        (own,) = [p for p in program.objection_packs if p.name == pack]
        assert len(own.objections) == 16
        assert all(o.variants == () for o in own.objections)


def test_every_objection_has_five_paraphrases(programs: dict[str, Program]) -> None:
    texts = {
        pack: {o.text for p in program.objection_packs if p.name == pack for o in p.objections}
        for pack, program in programs.items()
    }
    counts = Counter((r["pack"], r["label"]) for r in rows("objections"))
    assert set(counts) == {(pack, text) for pack, labels in texts.items() for text in labels}
    assert set(counts.values()) == {5}


def test_intents_and_ordinary_answers_are_labelled() -> None:
    assert Counter(r["label"] for r in rows("intents")) == {name: 6 for name in INTENTS}
    assert {r["kind"] for r in rows("neutral")} == {"none"} and len(rows("neutral")) == 60


def test_no_utterance_twice() -> None:
    """Written blind, the set shares some common answers with the stdlib ("non", "au
    revoir"): the report gives the figures without them too, not a test."""
    texts = [plain(r["text"]) for name in SETS for r in rows(name)]
    assert [t for t, n in Counter(texts).items() if n > 1] == []


def test_nothing_fits_on_it() -> None:
    """The calibration reads the held-out dev split only: no script that fits names
    this folder."""
    fitting = [REPO / "scripts" / "calibrate_nlu.py", *(REPO / "mbs" / "nlu").glob("calibrat*.py")]
    assert [p.name for p in fitting if "independent" in p.read_text(encoding="utf-8")] == []


def test_the_second_set_is_four_packs_of_fifteen_one_phrasing_objections() -> None:
    packs = independent_packs("second")
    assert set(packs) == {
        "isolation_isolea", "obseques_serenite", "fenetres_vitralis", "leasing_autoloa",
    }  # fmt: skip
    counts = Counter((r["pack"], r["label"]) for r in rows("objections", "second"))
    for pack, path in packs.items():
        result = compile_file(path)
        assert result.program is not None, [str(d) for d in result.diagnostics]
        (own,) = [p for p in result.program.objection_packs if p.name == pack]
        assert len(own.objections) == 15
        assert all(o.variants == () for o in own.objections)
        assert {counts[(pack, o.text)] for o in own.objections} == {5}
    assert sum(counts.values()) == 300
    neutral = rows("neutral", "second")
    assert {r["kind"] for r in neutral} == {"none"} and len(neutral) == 80
    assert rows("intents", "second") == []


def test_the_second_set_says_nothing_twice_in_a_pack() -> None:
    """One answer is in two packs ("la maison est en vente depuis le mois dernier" is
    selling the house for the insulation pack and moving for the windows pack)."""
    said = [(r["pack"], plain(r["text"])) for r in rows("objections", "second")]
    said += [("", plain(r["text"])) for r in rows("neutral", "second")]
    assert [t for t, n in Counter(said).items() if n > 1] == []
