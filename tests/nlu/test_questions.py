"""An utterance that asks, with no intent recognised, is the ``question`` intent at its
threshold (``mbs.nlu.questions``): open questions use the product's words, not the
examples', but French marks them."""

from __future__ import annotations

import pytest

from mbs.nlu.calibration import calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.fuzzy import IntentClassifier, IntentMatch, asked, by_form
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.questions import asks
from mbs.program import Program
from tests.nlu import heldout

ASKING = [
    "et la livraison elle se fait sous combien de jours",
    "votre bureau est situé où ça",
    "les panneaux ils tiennent combien de temps",
    "pouvez-vous m'envoyer une brochure",
    "y a-t-il une garantie",
    "est-ce que c'est remboursable",
    "c'est quoi exactement le contrat",
    "la pose se fait comment",
    "vous livrez le samedi ?",
    "c'est pour une vente",
    "euh c'est pour un sondage",
    "il est où votre domaine",  # "où" after its verb
]
TELLING = [
    "c'est ce que je pensais",
    "quand mon contrat arrivera à échéance je verrai",
    "n'importe quel jour ça me va",
    "je sais pas quoi vous dire",
    "de l or moi j ai même pas de quoi payer mon loyer",
    "je sais pas comment vous avez eu mon numéro",
    "des pièces suisses je crois mais je sais plus combien",
    "je dirais vingt euros quoi",
    "euh alors comment dire ça",  # words sought
    "il est quelle heure déjà",  # the time, asked of the room
    "bon comment dirais-je c'est compliqué",
    "rappelez-nous la semaine prochaine",
    "j'habite à Nantes depuis dix ans",
    "on a deux chiens et un chat",
    "dites-moi tout",
    "allez-y je vous écoute",
    "je travaille à la mairie",
    "c'est pour offrir",
    "c'est pour ma femme surtout",
    "il est là ou pas",  # the conjunction
    "",
]


@pytest.mark.parametrize("text", ASKING)
def test_questions_are_told_by_their_form(text: str) -> None:
    assert asks(text)


@pytest.mark.parametrize("text", TELLING)
def test_statements_and_imperatives_are_not(text: str) -> None:
    assert not asks(text)


def test_no_held_out_dev_neutral_answer_asks() -> None:
    # the dev split only: the test split is for reporting, never for shaping a rule
    neutral = [u.text for u in heldout.load("neutral", "dev")]
    assert len(neutral) > 50 and [t for t in neutral if asks(t)] == []


def test_the_fallback_applies_only_when_nothing_was_recognised(stdlib_program: Program) -> None:
    fuzzy = IntentClassifier(stdlib_program.intents)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    asking = "votre entrepôt est situé où ça"
    for clf in (fuzzy, hybrid):
        assert clf._classify(asking).intent is None  # the scores alone: nothing
        got = clf.classify(asking)
        assert got.intent == "question" and got.runner_up != "question"
        assert clf.classify("oui d'accord").intent == "yes"  # recognised: left alone
        assert clf.classify("n'importe quel jour ça me va").intent != "question"
    # an unsure call-wide candidate stays unsure (the VM confirms an unsure stop)
    unsure_stop = IntentMatch(None, 0.4, "stop_calling", 0.4)
    assert asked(unsure_stop, 0.5) == unsure_stop
    assert asked(IntentMatch(None, 0.3, "yes", 0.3), 0.5) == IntentMatch(
        "question", 0.5, "yes", 0.3
    )
    assert asked(IntentMatch(None, 0.45, "question", 0.45), 0.5) == IntentMatch("question", 0.5)


def test_an_unsure_question_without_a_questions_form_is_no_candidate() -> None:
    # a step expecting questions would otherwise guess one from it
    unsure = IntentMatch(None, 0.71, "question", 0.71)
    said = "des pièces suisses je crois mais je sais plus combien exactement"
    assert by_form(said, ["question", "yes"], unsure, lambda _: 0.5) == IntentMatch(None, 0.71)
    asking = "et ça dure combien exactement"
    assert by_form(asking, ["question", "yes"], unsure, lambda _: 0.5).intent == "question"
