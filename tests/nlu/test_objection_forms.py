"""Objections read by their form (``mbs.nlu.objection_forms``): where the caller got the
prospect's number takes the objection of the scope whose phrasings have that form,
whatever the scores prefer."""

from __future__ import annotations

import pytest

from mbs.nlu.calibration import calibration
from mbs.nlu.caller import asks_number_source
from mbs.nlu.encoder import default_encoder
from mbs.nlu.form_rule import FORM_SCORE
from mbs.nlu.fuzzy import ObjectionMatcher
from mbs.nlu.hybrid import HybridMatcher
from mbs.nlu.objection_forms import objections_by_form, read_by_form
from mbs.program import Objection, Program
from tests.nlu import heldout

SOURCE = "Comment avez-vous eu mon numéro ?"
# "qui vous a donné mes coordonnées" scored 0.88 for the call-back number and 0.64 for
# its own objection before the rule
ASKED = [
    "attendez qui vous a donné mes coordonnées à vous",
    "d'où sortez-vous mon 06",
    "et mes coordonnées vous les tenez d'où",
    "on vous a transmis mon numéro de quelle façon",
]
NOT_ASKED = [
    "donnez-moi vos coordonnées je vous rappellerai",
    "je vous ai donné mon numéro hier",
    "vous avez mon numéro ?",
    "où est mon téléphone",
]


def _entries(program: Program) -> list[tuple[str, Objection]]:
    return [(p.name, o) for p in program.objection_packs for o in p.objections]


def test_the_library_scope_answers_the_form_with_its_data_source_objection(
    stdlib_program: Program,
) -> None:
    entries = _entries(stdlib_program)
    ((form, label),) = objections_by_form(entries)
    assert form is asks_number_source and entries[label][1].text == SOURCE


def test_a_customer_pack_in_that_form_answers_it_and_a_pack_without_reads_nothing() -> None:
    own = Objection(text="D'où vient mon numéro ?", response="...")
    other = Objection(text="C'est trop cher", response="...")
    assert objections_by_form([("client", other), ("client", own)]) == ((asks_number_source, 1),)
    assert objections_by_form([("client", other)]) == ()
    assert read_by_form("qui vous a donné mes coordonnées", ()) is None


@pytest.mark.parametrize("text", ASKED)
def test_both_matchers_take_the_data_source_objection(text: str, stdlib_program: Program) -> None:
    packs = stdlib_program.objection_packs
    for matcher in (
        ObjectionMatcher(packs),
        HybridMatcher(packs, default_encoder(), calibration()),
    ):
        found = matcher.match(text)
        assert found.objection == SOURCE and found.score >= FORM_SCORE
        assert found.runner_up != SOURCE


@pytest.mark.parametrize("text", NOT_ASKED)
def test_other_words_of_numbers_are_not_the_form(text: str) -> None:
    assert not asks_number_source(text)


def test_no_dev_answer_of_another_label_has_the_form() -> None:
    others = [t for t in heldout.dev_said(SOURCE, other_than=True) if asks_number_source(t)]
    assert others == []
    said = heldout.dev_said(SOURCE)
    assert said and all(asks_number_source(t) for t in said)
