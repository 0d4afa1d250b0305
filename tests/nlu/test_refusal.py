"""The offer declined as not for the speaker is ``not_interested`` by rule
(``mbs.nlu.refusal``): "pas pour moi", "très peu pour moi"."""

from __future__ import annotations

import pytest

from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.refusal import declines
from tests.nlu import heldout

DECLINING = [
    "c'est pas pour moi ce genre de chose",
    "euh ouais non c est pas pour moi ce genre de truc",
    "ouh là très peu pour moi votre machin",
    "l'or c'est pas pour moi laissez tomber",
    "votre machin là je n'en veux pas point final",
    "ah non ces bidules-là on en veut pas",
    "ça ne me concerne pas tout ça merci",
    "bof c'est pas mon délire",
    "votre formule là c'est vraiment pas mon truc",
]
NOT_DECLINING = [
    "c'est pas pour moi c'est pour ma femme",  # someone else's
    "pas pour moi mais pour mon fils",
    "le matin c'est pas pour moi",  # a moment declined
    "c'est pour moi",
    "le raisin c'est pas mon truc moi c'est la bière",  # a preference: an objection
    "les mails et tout ça c'est pas mon truc j'y comprends rien",
    "la défiscalisation ça me concerne pas je suis pas imposable",  # a reason
    "j'en veux bien un peu",
]


@pytest.mark.parametrize("text", DECLINING)
def test_not_for_me_declines_the_offer(text: str, stdlib_hybrid: HybridClassifier) -> None:
    assert declines(text)
    assert stdlib_hybrid.classify(text).intent == "not_interested"


@pytest.mark.parametrize("text", NOT_DECLINING)
def test_someone_else_or_a_moment_is_not(text: str) -> None:
    assert not declines(text)


def test_no_dev_answer_of_another_label_declines() -> None:
    # an objection closed by "très peu pour moi" says more, and is left to compete
    # labelled the step's "no" at energie_transfer's intro_qa, where "no" and a refusal
    # both end the call politely (soft_no): the same decision
    same_end = {"non ça ne me concerne pas merci"}
    others = heldout.dev_said("not_interested", other_than=True)
    assert [t for t in others if declines(t) and t not in same_end] == []
    assert not declines("des ouvriers chez moi pendant des semaines très peu pour moi")
