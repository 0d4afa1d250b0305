"""The examples of an intent that acts on the call decide only when the utterance holds
a word of its field (``mbs.nlu.fields``): an adult's age, a date or the household's
children do not end an alcohol call, a topical word does not hand the call over, a hello
does not end it, an apology does not make the robot repeat itself."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mbs.nlu.fields import speaks_of
from mbs.nlu.fuzzy import IntentClassifier
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.vulnerable import by_rule
from mbs.program import Program
from tests.nlu import heldout

# (intent, an utterance outside its field, whether the fuzzy classifier is held to it too)
OUTSIDE = [
    *(
        ("vulnerable", text, True)
        for text in (
            "j'ai soixante-quatorze ans",
            "le quinze du mois",
            "j'ai deux ados de quatorze et seize ans",
            "nous c'est deux adultes et trois gamins",
            "ça fait douze ans qu'on habite ici",
        )
    ),
    ("human_request", "c'est commercial", True),
    ("human_request", "je suis vendeur moi aussi", True),
    ("goodbye", "salut", True),
    ("goodbye", "salut à vous", True),
    ("goodbye", "salut c'est qui", True),
    ("repeat", "j'ai un thé qui infuse pardon", False),
    ("repeat", "pardon je viens de rentrer les poules", False),
    ("wrong_person", "pour offrir ça m arrive à mon beau-frère surtout", False),
    ("wrong_person", "euh c est au nom de ma femme", False),
    # drinking given up is abstinence, no minor; a hello is no request to hear again
    ("vulnerable", "moi j'ai arrêté de boire depuis des années", False),
    ("repeat", "allô bonjour pardon j'étais dans le garage", False),
    # "je vous arrête" interrupts the robot; what follows says why
    ("stop_calling", "je vous arrête tout de suite j'ai déjà tout ce qu'il faut", False),
]
# (intent, an utterance its examples still decide)
INSIDE = [
    ("vulnerable", "c'est un gamin qui vous répond"),
    ("vulnerable", "je suis trop jeune pour l'alcool"),
    ("goodbye", "allez salut"),
    ("goodbye", "salut bonne journée"),
    ("goodbye", "bon ben salut"),
    ("repeat", "pardon ?"),
    ("goodbye", "bien à vous mes salutations"),
]
# Dev answers read by a rule of form need not speak of the field.
BY_RULE: dict[str, Callable[[str], bool]] = {"vulnerable": by_rule}


@pytest.mark.parametrize(("intent", "text", "fuzzy_too"), OUTSIDE)
def test_an_utterance_outside_the_field_is_not_taken_for_it(
    intent: str,
    text: str,
    fuzzy_too: bool,
    stdlib_program: Program,
    stdlib_hybrid: HybridClassifier,
) -> None:
    assert not speaks_of(intent, text)
    if intent == "vulnerable":
        assert not by_rule(text)
    assert stdlib_hybrid.classify(text).intent != intent
    if fuzzy_too:
        assert IntentClassifier(stdlib_program.intents).classify(text).intent != intent


@pytest.mark.parametrize(("intent", "text"), INSIDE)
def test_what_its_field_holds_is_still_taken(
    intent: str, text: str, stdlib_hybrid: HybridClassifier
) -> None:
    assert speaks_of(intent, text) and stdlib_hybrid.classify(text).intent == intent


@pytest.mark.parametrize(
    "intent", ["vulnerable", "human_request", "goodbye", "repeat", "stop_calling", "wrong_person"]
)
def test_every_dev_answer_of_the_intent_speaks_of_its_field(intent: str) -> None:
    said = heldout.dev_said(intent)
    assert len(said) > 15
    rule = BY_RULE.get(intent, lambda _: False)
    # a bare "salut" (the tenth batch's goodbye) greets as often as it leaves: the field
    # keeps it out on purpose, since a goodbye ends the call (``BOTH_WAYS``)
    outside = [t for t in said if not (rule(t) or speaks_of(intent, t))]
    assert [t for t in outside if (intent, heldout.plain(t)) not in BOTH_WAYS] == []


# Answers that mean the intent or a greeting alike, kept out of its field by design.
BOTH_WAYS = {("goodbye", "salut")}


def test_a_bare_salut_greets_and_does_not_end_the_call(stdlib_hybrid: HybridClassifier) -> None:
    assert not speaks_of("goodbye", "salut")
    assert stdlib_hybrid.classify("salut").intent != "goodbye"


def test_intents_without_a_field_are_not_concerned() -> None:
    assert speaks_of("yes", "ouais") and speaks_of("callback", "")


def test_a_candidate_out_of_its_field_does_not_stop_a_question(
    stdlib_hybrid: HybridClassifier,
) -> None:
    # "se passe" scored near the requests for a human; the question's form decides
    text = "le rendez-vous se passe au téléphone ou chez moi"
    assert not speaks_of("human_request", text)
    assert stdlib_hybrid.classify(text).intent == "question"


def test_a_stop_request_refuses_something(stdlib_hybrid: HybridClassifier) -> None:
    # "va pour un coup de fil" accepts a call: no stop request, nor a stop runner-up the
    # VM would act on
    text = "bon ben allez va pour un coup de fil"
    assert not speaks_of("stop_calling", text)
    found = stdlib_hybrid.classify(text)
    assert "stop_calling" not in (found.intent, found.runner_up)
    assert stdlib_hybrid.classify("plus de coups de fil").intent == "stop_calling"


def test_the_contact_in_the_third_person_speaks_of_someone_else() -> None:
    assert speaks_of("wrong_person", "c'est sa femme")


@pytest.mark.parametrize(
    ("intent", "said", "may"),
    [
        # the speaker's own child named: a parent speaks, not a minor
        ("vulnerable", "ma fille de quinze ans fait de l'équitation le mercredi", False),
        ("vulnerable", "je vais chercher ma fille à l'école rappelez dans vingt minutes", False),
        ("vulnerable", "deux secondes mon petit-fils me parle", False),
        # ... unless named as the one on the line
        ("vulnerable", "c'est ma fille de quatorze ans qui a décroché", True),
        ("vulnerable", "c'est mon fils qui répond", True),
        ("vulnerable", "j'allaite mon bébé", True),
        # the speaker's own job, or time spent, is no request for a person
        ("human_request", "je bosse au service client d'un opérateur téléphonique", False),
        ("human_request", "mon frère est commercial il passe sa vie au téléphone", False),
        ("human_request", "passez-moi le service client", True),
        # "du coup" is a filler, not a line cut
        ("repeat", "un mail c'est plus sûr du coup", False),
        ("repeat", "ça a coupé", True),
    ],
)
def test_what_keeps_a_fields_word_from_counting(intent: str, said: str, may: bool) -> None:
    assert speaks_of(intent, said) is may
