"""The offer declined as not for the speaker is ``not_interested`` by rule
(``mbs.nlu.refusal``): "pas pour moi", "très peu pour moi"."""

from __future__ import annotations

import pytest

from mbs.nlu.calibration import calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.hybrid import HybridClassifier
from mbs.nlu.refusal import declines
from mbs.program import Program
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
def test_not_for_me_declines_the_offer(text: str, stdlib_program: Program) -> None:
    assert declines(text)
    hybrid = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    assert hybrid.classify(text).intent == "not_interested"


@pytest.mark.parametrize("text", NOT_DECLINING)
def test_someone_else_or_a_moment_is_not(text: str) -> None:
    assert not declines(text)


def test_the_dev_answers_it_reads_otherwise_are_objections_or_a_minor() -> None:
    # an objection said with "très peu pour moi" still competes at the step (decide)
    dev = [u for name in ("intents", "context", "neutral") for u in heldout.load(name, "dev")]
    tripped = [u for u in dev if u.label != "not_interested" and declines(u.text)]
    assert all(u.kind == "objection" or u.label == "vulnerable" for u in tripped)
    assert [u.text for u in heldout.load("neutral", "dev") if declines(u.text)] == []
