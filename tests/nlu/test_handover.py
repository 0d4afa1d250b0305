"""A request to be put through to a person of the company is ``human_request`` by rule
(``mbs.nlu.handover``): the words around it are new each time, its form is closed."""

from __future__ import annotations

import pytest

from mbs.nlu.fuzzy import IntentClassifier
from mbs.nlu.handover import asks_for_a_person
from mbs.nlu.hybrid import HybridClassifier
from mbs.program import Program
from tests.nlu import heldout

ASKING = [
    "passez-moi quelqu'un de chez vous en direct",
    "pourrais-je m'entretenir avec un commercial",
    "je voudrais parler à votre responsable",
    "mettez-moi en relation avec un humain",
    "j'aimerais mieux parler directement à quelqu'un du domaine",
    "passe-moi ton chef",
]
NOT_ASKING = [
    "je ne veux pas parler à un conseiller",  # denied
    "passez-moi un conseiller demain",  # put off: a callback
    "je voudrais parler à ma femme d'abord",  # the prospect's own side
    "vous avez une adresse un magasin où on peut passer",  # dropping by
    "le conseiller il connaît l'or",
    "je voudrais voir un conseiller en personne dans vos locaux",  # a meeting wished
]


@pytest.mark.parametrize("text", ASKING)
def test_a_request_for_a_person_is_told_by_its_form(text: str) -> None:
    assert asks_for_a_person(text)


@pytest.mark.parametrize("text", NOT_ASKING)
def test_denied_put_off_or_someone_else_is_not(text: str) -> None:
    assert not asks_for_a_person(text)


@pytest.mark.parametrize("text", ASKING[:2])
def test_both_classifiers_hand_the_call_over(
    text: str, stdlib_program: Program, stdlib_hybrid: HybridClassifier
) -> None:
    for clf in (IntentClassifier(stdlib_program.intents), stdlib_hybrid):
        assert clf.classify(text).intent == "human_request"


def test_no_dev_answer_of_another_label_asks_for_a_person() -> None:
    others = heldout.dev_said("human_request", other_than=True)
    assert len(others) > 1000
    assert [t for t in others if asks_for_a_person(t)] == []
