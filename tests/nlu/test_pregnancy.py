"""A speaker who says she is pregnant, wherever in the turn, is the ``vulnerable``
intent whatever the examples score (``mbs.nlu.pregnancy``): an alcohol call stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.compiler import compile_file
from mbs.nlu.calibration import calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.fuzzy import IntentClassifier
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.pregnancy import says_pregnant
from mbs.program import Program
from mbs.runtime.builtins.hybrid import HybridNlu
from mbs.runtime.decision import decide_at, step_context
from tests.nlu import heldout

PREGNANT = [
    "je suis enceinte",
    "bah en ce moment rien du tout je suis enceinte",
    "oui enfin d'habitude mais là chuis enceinte de trois mois",
    "je suis actuellement enceinte",
    "non pas cette année j'attends un bébé",
    "j'attends des jumeaux pour le printemps",
    "je suis à six mois de grossesse",
    "je suis au cinquième mois",
    "je suis en début de grossesse alors l'alcool non",
    "je vais être maman en juin",
    "je porte notre deuxième terme prévu en juin",  # the due date
    "mon terme est prévu fin mars",
    "j'accouche dans un mois",
    "on attend notre deuxième, je suis à sept mois",
    "\udcff je suis enceinte",  # a bad byte off the wire does not hide it
]
NOT_PREGNANT = [
    "je suis pas enceinte",
    "je ne suis pas enceinte non",
    "je suis plus enceinte depuis longtemps",
    "ma fille est enceinte",
    "quand j'étais enceinte j'ai arrêté le vin",
    "ma femme attend un bébé",
    "j'attends un coup de fil de mon fils",
    "j'attends mon petit-fils à la gare",
    "je suis maman de trois enfants",
    "je suis au mois de mars dans le sud",
    "je porte un carton",
    "à court terme ça rapporte quoi",
    "ma fille accouche dans un mois",
    "je suis à trois mois de la retraite",
    "on attend notre fils pour le dîner",
    "on attend un colis",
    "",
    "🙂",
]


@pytest.mark.parametrize("text", PREGNANT)
def test_the_speaker_saying_she_is_pregnant_is_recognised(text: str) -> None:
    assert says_pregnant(text)


@pytest.mark.parametrize("text", NOT_PREGNANT)
def test_others_the_past_and_denials_are_not(text: str) -> None:
    assert not says_pregnant(text)


def test_only_a_bounded_prefix_is_read() -> None:
    assert not says_pregnant("oui " + "très " * 2_000_000 + "je suis enceinte")
    assert says_pregnant("je suis enceinte " + "très " * 2_000_000)


def test_no_held_out_dev_answer_of_another_kind_is_taken_for_a_pregnancy() -> None:
    others = heldout.dev_said("vulnerable", other_than=True)
    assert len(others) > 500
    assert [t for t in others if says_pregnant(t)] == []


def test_both_classifiers_give_the_vulnerable_intent(stdlib_program: Program) -> None:
    fuzzy = IntentClassifier(stdlib_program.intents)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    for clf in (fuzzy, hybrid):
        got = clf.classify("bah en ce moment rien du tout je suis enceinte")
        assert got.intent == "vulnerable" and got.score == 1.0
        assert got.runner_up != "vulnerable"


async def test_a_wine_call_ends_when_she_says_it_in_a_longer_answer() -> None:
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "vin_lead.mbs"
    program = compile_file(scenario).program
    assert program is not None
    nlu = HybridNlu(program, {})
    text = "bah en ce moment rien du tout je suis enceinte"
    ctx = step_context(program, "budget")
    decision = decide_at(ctx, text, await nlu.classify(text), await nlu.match_objection(text))
    assert (decision.kind, decision.name) == ("intent", "vulnerable")
