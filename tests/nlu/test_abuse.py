"""A slur thrown at the caller is an insult by its form (``mbs.nlu.abuse``)."""

from __future__ import annotations

import pytest

from mbs.nlu.abuse import insults
from mbs.nlu.fuzzy import IntentClassifier
from mbs.nlu.hybrid import HybridClassifier
from mbs.program import Program
from tests.nlu import heldout


@pytest.mark.parametrize(
    "said",
    [
        "fils de pute",
        "toi idiot laisse-moi tranquille",
        "bouffon va trouver un vrai travail",
        "espèce de casse-pieds vous avez rien de mieux à faire",
        "vous êtes vraiment des nuls",
        "t'es vraiment débile toi",
        "oh lâchez-moi la grappe avec vos questions à la con",
        "mais quel abruti celui-là",
        "encore vous allez vous faire voir",
        "sale robot de merde",
        "vous me cassez les pieds avec vos histoires de placement",
        "non mais ta gueule",
        "pauvre tâche va",
        "mange tes morts",
    ],
)
def test_a_slur_or_an_abusive_formula_is_an_insult(said: str) -> None:
    assert insults(said)


@pytest.mark.parametrize(
    "said",
    [
        "c'est idiot ce que je dis",  # an everyday word, thrown at no one
        "je suis nul en informatique",
        "ah c'est con j'ai raté le bus",
        "les ordures passent le mardi",
        "je mets du fumier dans le potager",
        "je suis malade en ce moment",
        "je suis pas idiot vous savez",  # the speaker of themselves
        "je ne suis pas un imbécile",
        "vous me prenez pour une conne",
        "il m'a traité de connard",  # a word said of them
        "mon voisin est un vrai connard",  # a fact about someone of theirs, to no one
        "vous êtes des escrocs",  # the library's scam objection, left to the scores
        "c'est un attrape-couillon votre truc",
        "les voleurs savent couper les alarmes",
        "quelle tâche ingrate",  # a task
        "vous êtes incapables de me dire le prix",  # a complaint, no name called
        "il faut aller vous faire voir chez le docteur",
        "",
    ],
)
def test_an_everyday_word_or_a_word_said_of_oneself_is_not(said: str) -> None:
    assert not insults(said)


def test_no_dev_answer_of_another_label_is_read_as_an_insult() -> None:
    said = heldout.dev_said("insult", other_than=True)
    assert [t for t in said if insults(t)] == []


def test_no_example_of_another_intent_nor_objection_phrasing_is_one(
    stdlib_program: Program,
) -> None:
    wrong = [
        e for i in stdlib_program.intents if i.name != "insult" for e in i.examples if insults(e)
    ]
    wrong += [
        t
        for pack in stdlib_program.objection_packs
        for o in pack.objections
        for t in (o.text, *o.variants)
        if insults(t)
    ]
    assert wrong == []


def test_both_classifiers_take_the_insult_by_form(
    stdlib_program: Program, stdlib_hybrid: HybridClassifier
) -> None:
    for clf in (IntentClassifier(stdlib_program.intents), stdlib_hybrid):
        assert clf.classify("toi idiot laisse-moi tranquille").intent == "insult"
        assert clf.classify("fils de pute").intent == "insult"
        # a stop request keeps its own reaction (the number goes off the lists)
        assert clf.classify("bande de guignols ne m'appelez plus jamais").intent == "stop_calling"
