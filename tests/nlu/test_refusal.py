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
]
NOT_DECLINING = [
    "c'est pas pour moi c'est pour ma femme",  # someone else's
    "pas pour moi mais pour mon fils",
    "le matin c'est pas pour moi",  # a moment declined
    "c'est pour moi",
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
    assert [t for t in heldout.dev_said("not_interested", other_than=True) if declines(t)] == []
    assert not declines("des ouvriers chez moi pendant des semaines très peu pour moi")
