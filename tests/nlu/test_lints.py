"""The NLU lints the compiler reports: shadowed objections, shared examples, overlaps."""

from __future__ import annotations

from mbs.nlu import close_objections, objection_equals_example, shared_examples
from mbs.program import Intent, Objection, ObjectionPack, Program


def pack(name: str, *objections: Objection) -> ObjectionPack:
    return ObjectionPack(name=name, objections=objections)


def test_close_objections_finds_one_that_can_never_win() -> None:
    packs = [
        pack(
            "a",
            Objection(text="C'est trop cher", variants=("c'est hors de prix",), response="x"),
            Objection(text="Je n'ai pas le temps", response="y"),
        ),
        pack("b", Objection(text="C'est beaucoup trop cher !", response="z")),
    ]
    found = close_objections(packs)
    assert len(found) == 1
    shadowed, other, score = found[0]
    assert {shadowed, other} == {"C'est trop cher", "C'est beaucoup trop cher !"}
    assert score >= 0.9


def test_close_objections_ignores_objections_that_differ() -> None:
    packs = [
        pack(
            "a",
            Objection(text="C'est trop cher", response="x"),
            Objection(text="Je ne suis pas propriétaire", response="y"),
            Objection(text="Je suis propriétaire", response="z"),
            Objection(text="Je n'ai pas le temps", variants=("pas maintenant",), response="t"),
        )
    ]
    assert close_objections(packs) == []


def test_close_objections_needs_every_phrasing_covered() -> None:
    # "Envoyez un mail" shares a variant with the other one, but its text still wins.
    packs = [
        pack(
            "a",
            Objection(text="Envoyez-moi un mail", variants=("écrivez-moi",), response="x"),
            Objection(text="Écrivez-moi plutôt", variants=("mettez ça par écrit",), response="y"),
        )
    ]
    assert close_objections(packs, threshold=0.95) == []


def test_close_objections_threshold_is_a_parameter() -> None:
    packs = [
        pack(
            "a",
            Objection(text="Les frais sont trop élevés", response="x"),
            Objection(text="Les frais de notaire sont trop élevés", response="y"),
        )
    ]
    assert close_objections(packs, threshold=0.99) == []
    assert close_objections(packs, threshold=0.5)


def test_shared_examples_compares_normalised_forms() -> None:
    intents = [
        Intent(name="yes", examples=("Oui, d'accord !", "volontiers")),
        Intent(name="callback", examples=("plus tard",)),
        Intent(name="agree", examples=("oui d'acc",)),
    ]
    assert shared_examples(intents) == [("Oui, d'accord !", "yes", "agree")]


def test_shared_examples_within_one_intent_are_fine() -> None:
    assert shared_examples([Intent(name="yes", examples=("oui", "Oui !"))]) == []


def test_objection_equals_example() -> None:
    packs = [
        pack(
            "p",
            Objection(text="Pas maintenant", response="x"),
            Objection(text="C'est trop cher", variants=("Non merci",), response="y"),
            Objection(text="Je dois réfléchir", response="z"),
        )
    ]
    intents = [
        Intent(name="callback", examples=("pas maintenant !",)),
        Intent(name="not_interested", examples=("non merci",)),
    ]
    assert objection_equals_example(packs, intents) == [
        ("Pas maintenant", "callback"),
        ("C'est trop cher", "not_interested"),
    ]


def test_the_stdlib_is_clean(stdlib_program: Program) -> None:
    intents, packs = stdlib_program.intents, stdlib_program.objection_packs
    assert shared_examples(intents) == []
    assert objection_equals_example(packs, intents) == []
    assert close_objections(packs) == []
