"""The examples of an intent that acts on the call decide only when the utterance holds
a word of its field (``mbs.nlu.fields``): an adult's age, a date or the household's
children do not end an alcohol call, a topical word does not hand the call over."""

from __future__ import annotations

import pytest

from mbs.nlu.calibration import calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.fields import speaks_of
from mbs.nlu.fuzzy import IntentClassifier
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.vulnerable import by_rule
from mbs.program import Program
from tests.nlu import heldout

NOT_ABOUT_IT = [
    "j'ai soixante-quatorze ans",
    "le quinze du mois",
    "j'ai deux ados de quatorze et seize ans",
    "nous c'est deux adultes et trois gamins",
    "ça fait douze ans qu'on habite ici",
]


@pytest.mark.parametrize("text", NOT_ABOUT_IT)
def test_ages_dates_and_the_household_are_not_taken_for_it(
    text: str, stdlib_program: Program
) -> None:
    assert not speaks_of("vulnerable", text) and not by_rule(text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    for clf in (IntentClassifier(stdlib_program.intents), hybrid):
        assert clf.classify(text).intent != "vulnerable"


def test_what_its_examples_say_is_still_taken(stdlib_program: Program) -> None:
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    for text in ("c'est un gamin qui vous répond", "je suis trop jeune pour l'alcool"):
        assert speaks_of("vulnerable", text)
        assert hybrid.classify(text).intent == "vulnerable"


def test_every_dev_vulnerable_answer_is_read_by_a_rule_or_speaks_of_it() -> None:
    said = heldout.dev_said("vulnerable")
    assert len(said) > 15
    assert [t for t in said if not (by_rule(t) or speaks_of("vulnerable", t))] == []


@pytest.mark.parametrize("text", ["c'est commercial", "je suis vendeur moi aussi"])
def test_a_topical_word_does_not_hand_the_call_over(text: str, stdlib_program: Program) -> None:
    assert not speaks_of("human_request", text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    for clf in (IntentClassifier(stdlib_program.intents), hybrid):
        assert clf.classify(text).intent != "human_request"


def test_every_dev_request_for_a_human_speaks_of_one() -> None:
    said = heldout.dev_said("human_request")
    assert len(said) > 15
    assert [t for t in said if not speaks_of("human_request", t)] == []


def test_intents_without_a_field_are_not_concerned() -> None:
    assert speaks_of("yes", "ouais") and speaks_of("callback", "")


@pytest.mark.parametrize("text", ["salut", "salut à vous", "salut c'est qui"])
def test_a_hello_does_not_end_the_call(text: str, stdlib_program: Program) -> None:
    assert not speaks_of("goodbye", text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    for clf in (IntentClassifier(stdlib_program.intents), hybrid):
        assert clf.classify(text).intent != "goodbye"


@pytest.mark.parametrize("text", ["allez salut", "salut bonne journée", "bon ben salut"])
def test_salut_with_a_closing_word_still_takes_leave(text: str, stdlib_program: Program) -> None:
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    assert speaks_of("goodbye", text) and hybrid.classify(text).intent == "goodbye"


def test_every_dev_goodbye_speaks_of_leaving() -> None:
    said = heldout.dev_said("goodbye")
    assert len(said) > 15
    assert [t for t in said if not speaks_of("goodbye", t)] == []


def test_a_candidate_out_of_its_field_does_not_stop_a_question(stdlib_program: Program) -> None:
    # "se passe" scored near the requests for a human; the question's form decides
    text = "le rendez-vous se passe au téléphone ou chez moi"
    assert not speaks_of("human_request", text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    assert hybrid.classify(text).intent == "question"


@pytest.mark.parametrize(
    "text", ["j'ai un thé qui infuse pardon", "pardon je viens de rentrer les poules"]
)
def test_a_pardon_in_passing_is_no_request_to_hear_again(
    text: str, stdlib_program: Program
) -> None:
    assert not speaks_of("repeat", text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    assert hybrid.classify(text).intent != "repeat"
    assert speaks_of("repeat", "pardon ?") and hybrid.classify("pardon ?").intent == "repeat"


def test_every_dev_request_to_hear_again_speaks_of_hearing() -> None:
    said = heldout.dev_said("repeat")
    assert len(said) > 15
    assert [t for t in said if not speaks_of("repeat", t)] == []


def test_a_stop_request_refuses_something(stdlib_program: Program) -> None:
    # "va pour un coup de fil" accepts a call: no stop request, nor a stop runner-up the
    # VM would act on
    text = "bon ben allez va pour un coup de fil"
    assert not speaks_of("stop_calling", text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    found = hybrid.classify(text)
    assert "stop_calling" not in (found.intent, found.runner_up)
    assert hybrid.classify("plus de coups de fil").intent == "stop_calling"


def test_every_dev_stop_request_refuses_something() -> None:
    said = heldout.dev_said("stop_calling")
    assert len(said) > 15
    assert [t for t in said if not speaks_of("stop_calling", t)] == []


@pytest.mark.parametrize(
    "text", ["pour offrir ça m arrive à mon beau-frère surtout", "euh c est au nom de ma femme"]
)
def test_a_relative_named_in_an_answer_is_no_wrong_person(
    text: str, stdlib_program: Program
) -> None:
    assert not speaks_of("wrong_person", text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    assert hybrid.classify(text).intent != "wrong_person"
    assert speaks_of("wrong_person", "c'est sa femme")


def test_every_dev_wrong_person_speaks_of_someone_else() -> None:
    said = heldout.dev_said("wrong_person")
    assert len(said) > 15
    assert [t for t in said if not speaks_of("wrong_person", t)] == []
