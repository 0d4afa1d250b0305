"""A speaker who says they are a minor is the ``vulnerable`` intent whatever the
examples score (``mbs.nlu.minors``): selling alcohol to them is an offence."""

from __future__ import annotations

import pytest

from mbs.nlu.calibration import calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.fuzzy import IntentClassifier, IntentMatch, said_minor
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.minors import says_minor
from mbs.program import Program
from tests.nlu import heldout

MINORS = [
    "bah j'ai quatorze ans moi",
    "j'ai 17 ans monsieur",
    "je n'ai que seize ans",
    "j'ai pas encore dix-huit ans",
    "je viens d'avoir quinze ans la semaine dernière",
    "je suis en troisième",
    "je suis encore au lycée",
    "moi je suis collégienne",
    "je suis mineure vous savez",
    "vous parlez à un gamin j'ai treize ans",
    "je suis âgée de 15 ans",
    "je vais avoir 18 ans en mai",
    "j'ai bientôt dix-huit ans",
    "j'ai même pas seize ans",
    "j'ai pas 18 ans",
    "\udcff j'ai quinze ans",  # a bad byte off the wire does not hide it
]
ADULTS = [
    "mon fils a quinze ans il est au lycée",
    "j'ai quarante-deux ans",
    "j'ai dix-huit ans depuis mars",
    "j'ai trente ans de métier",
    "j'ai 12 ans d'expérience dans le vin",
    "j'ai deux enfants en bas âge",
    "ça fait seize ans qu'on habite ici",
    "je suis en première année de droit",
    "j'ai même pas cinquante ans",
    "j'ai pas 15 ans quand même",
    "j'ai 3 ans pour rembourser",
    "j'ai encore 2 ans à tirer avant la retraite",
    "là je suis au lycée je récupère ma fille",
    "",
    "🙂",
]


@pytest.mark.parametrize("text", MINORS)
def test_a_stated_age_under_18_or_a_school_year_is_a_minor(text: str) -> None:
    assert says_minor(text)


@pytest.mark.parametrize("text", ADULTS)
def test_adults_and_other_peoples_ages_are_not(text: str) -> None:
    assert not says_minor(text)


def test_only_a_bounded_prefix_is_read() -> None:
    # an age said after the first 400 characters of a 10 MB utterance is not read
    assert not says_minor("j'ai " + "très " * 2_000_000 + "quinze ans")
    assert says_minor("j'ai quinze ans " + "très " * 2_000_000)


def test_no_held_out_dev_answer_of_another_kind_is_taken_for_a_minor() -> None:
    others = heldout.dev_said("vulnerable", other_than=True)
    assert len(others) > 500
    assert [t for t in others if says_minor(t)] == []


def test_both_classifiers_give_the_vulnerable_intent_and_keep_the_runner_up(
    stdlib_program: Program,
) -> None:
    fuzzy = IntentClassifier(stdlib_program.intents)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    for clf in (fuzzy, hybrid):
        got = clf.classify("c'est ma mère qu'il faut appeler j'ai quinze ans")
        assert got.intent == "vulnerable" and got.score == 1.0
        assert got.runner_up != "vulnerable"
    # a program without the intent is left alone
    without = [i for i in stdlib_program.intents if i.name != "vulnerable"]
    assert IntentClassifier(without).classify("j'ai quinze ans").intent != "vulnerable"
    assert said_minor(IntentMatch("vulnerable", 0.7, "yes", 0.2)) == IntentMatch(
        "vulnerable", 1.0, "yes", 0.2
    )
