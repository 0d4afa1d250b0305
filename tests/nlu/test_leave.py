"""Leave-taking alone is a goodbye by its form (``mbs.nlu.leave``)."""

from __future__ import annotations

import pytest

from mbs.nlu.fuzzy import IntentClassifier
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.leave import takes_leave
from mbs.program import Program
from tests.nlu import heldout


@pytest.mark.parametrize(
    "said",
    [
        "merci pour l'appel au plaisir",
        "portez-vous bien surtout",
        "allez bonne fin de journée madame",
        "bon ben je vous laisse merci beaucoup",
        "prenez soin de vous",
        "au revoir",
        "à la prochaine alors",
        "bonne soirée à vous aussi",
        "je vous souhaite une excellente soirée",
        "belle journée à vous",
        "je vous souhaite un bon week-end madame",
    ],
)
def test_formulas_with_thanks_and_fillers_take_leave(said: str) -> None:
    assert takes_leave(said)


@pytest.mark.parametrize(
    "said",
    [
        "salut",  # a hello as much
        "merci",  # thanks for something
        "non merci au revoir",  # a refusal first
        "mon mari il est pas bavard bonjour au revoir et c'est tout",
        "bonne journée mais rappelez-moi demain",
        "au revoir et ne m'appelez plus",
        "avec plaisir",  # a yes
        "une bonne soirée au restaurant avec mon mari",  # a fact, no leave taken
        "",
    ],
)
def test_anything_more_is_left_to_the_scores(said: str) -> None:
    assert not takes_leave(said)


def test_no_dev_neutral_answer_takes_leave() -> None:
    assert [u.text for u in heldout.load("neutral", "dev") if takes_leave(u.text)] == []


def test_both_classifiers_take_leave_by_form(
    stdlib_program: Program, stdlib_hybrid: HybridClassifier
) -> None:
    for clf in (IntentClassifier(stdlib_program.intents), stdlib_hybrid):
        assert clf.classify("merci pour l'appel au plaisir").intent == "goodbye"
        assert clf.classify("au revoir et ne m'appelez plus").intent == "stop_calling"
