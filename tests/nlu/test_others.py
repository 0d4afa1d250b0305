"""A fact about someone or something of the speaker's is no request of theirs
(``mbs.nlu.others``)."""

from __future__ import annotations

import pytest

from mbs.nlu.fuzzy import IntentClassifier
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.others import INTENTS, speaks_of_another
from mbs.program import Program
from tests.nlu import heldout


@pytest.mark.parametrize(
    ("said", "another"),
    [
        ("ma soeur me rappelle tous les soirs vers vingt heures", True),
        ("mon fils a pris la voiture ce matin", True),
        ("euh mon patron est quelqu'un de très humain", True),
        ("ma voiture a dix ans", True),
        ("mon mari est là rappelez ce soir", False),  # the robot addressed
        ("mon numéro vous l'effacez tout de suite", False),
        ("je suis chez mon fils rappelez-moi demain", False),  # the speaker first
        ("ma femme travaille chez un opticien", True),  # "chez" is no imperative
        ("rappelez-moi quand mon mari sera là", False),
    ],
)
def test_a_subject_of_the_speakers_addressing_no_one(said: str, another: bool) -> None:
    assert speaks_of_another(said) is another


def test_no_dev_answer_of_the_vetoed_intents_speaks_of_another() -> None:
    said = [
        u.text
        for name in ("intents", "context")
        for u in heldout.load(name, "dev")
        if u.kind == "intent" and u.label in INTENTS
    ]
    assert len(said) > 100
    assert [t for t in said if speaks_of_another(t)] == []


def test_both_classifiers_leave_the_fact_alone(
    stdlib_program: Program, stdlib_hybrid: HybridClassifier
) -> None:
    for clf in (IntentClassifier(stdlib_program.intents), stdlib_hybrid):
        got = clf.classify("ma soeur me rappelle tous les soirs vers vingt heures")
        assert got.intent is None and got.runner_up not in INTENTS
        assert clf.classify("ma mère n'habite plus ici").intent == "wrong_person"
