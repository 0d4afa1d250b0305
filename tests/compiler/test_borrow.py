"""A user's objection with few phrasings borrows the library's phrasings of the same
objection (mbs.compiler.borrow), and the matchers take them as its own."""

from __future__ import annotations

from mbs.compiler import compile_source
from mbs.nlu.calibration import calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.fuzzy import ObjectionMatcher
from mbs.nlu.hybrid import HybridMatcher
from mbs.program import Objection, Program
from mbs.runtime.builtins.hybrid import HybridNlu

STEP = """
scenario t "t" {
    objective lead
    agent "Léa" from "Maison"
    record no; disclosure no "a test"
}

step intro {
    ask "Bonjour, avez-vous deux minutes ?"
    on yes -> end QUALIFIED
    on objection -> answer objection then intro
    otherwise -> end NOT_QUALIFIED
}
"""


def program(pack: str, uses: str = "use intents.common") -> Program:
    result = compile_source(f"{uses}\n\nobjections maison {{\n{pack}\n}}\n{STEP}", "t.mbs")
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


def objections(p: Program, pack: str = "maison") -> dict[str, Objection]:
    (found,) = [k for k in p.objection_packs if k.name == pack]
    return {o.text: o for o in found.objections}


def test_a_one_phrasing_objection_borrows_the_library_objection_it_says() -> None:
    o = objections(program('"Je suis locataire" => "Le matériel se retire sans trace."'))
    lent = o["Je suis locataire"]
    assert lent.borrowed_from == "objections.energie: Je suis locataire"
    assert len(lent.borrowed) >= 8
    assert "Je suis locataire" not in lent.borrowed  # its own phrasing is not repeated


def test_an_objection_nothing_in_the_library_says_borrows_nothing() -> None:
    o = objections(program('"Ma porte est blindée" => "Les fenêtres restent à protéger."'))
    assert o["Ma porte est blindée"].borrowed == ()
    assert o["Ma porte est blindée"].borrowed_from is None


def test_three_phrasings_decide_alone() -> None:
    pack = """
    "Je suis locataire"
        | "je loue mon logement" | "je ne suis pas chez moi, je loue"
        => "Le matériel se retire sans trace."
    """
    assert objections(program(pack))["Je suis locataire"].borrowed == ()


def test_the_librarys_own_packs_never_borrow() -> None:
    p = program(
        '"Ma porte est blindée" => "Bien."', uses="use intents.common\nuse objections.energie"
    )
    for pack in p.objection_packs:
        if pack.name.startswith("objections."):
            assert all(not o.borrowed for o in pack.objections), pack.name


def test_a_library_objection_lends_to_one_user_objection_only() -> None:
    pack = """
    "Je suis locataire" => "Le matériel se retire sans trace."
    "Je suis locataire de mon appartement" => "Nous en parlons avec votre propriétaire."
    """
    o = objections(program(pack))
    borrowers = [text for text, obj in o.items() if obj.borrowed]
    assert borrowers == ["Je suis locataire"]  # the surer pairing (the very same words)


def test_a_borrowed_phrasing_is_answered_with_the_users_response() -> None:
    p = program('"Je suis locataire" => "Le matériel se retire sans trace."')
    phrasing = objections(p)["Je suis locataire"].borrowed[0]
    fuzzy = ObjectionMatcher(p.objection_packs).match(phrasing)
    assert (fuzzy.objection, fuzzy.pack) == ("Je suis locataire", "maison")
    hybrid = HybridNlu(p).objections.match(phrasing)
    assert hybrid.objection == "Je suis locataire"
    assert hybrid.response == "Le matériel se retire sans trace."


def test_sparse_objections_have_their_calibrated_threshold_unless_one_is_set() -> None:
    p = program(
        '"Ma porte est blindée" => "Bien."\n'
        '"Je suis locataire" => "Le matériel se retire sans trace."'
    )
    cal = calibration()
    assert cal.sparse_objection_threshold is not None
    m = HybridMatcher(p.objection_packs, default_encoder(), cal)
    labels = {o.text: i for i, (_, o) in enumerate(m.entries)}
    assert m.threshold_for(labels["Ma porte est blindée"]) == cal.sparse_objection_threshold
    # borrowing made it dense: the global threshold
    assert m.threshold_for(labels["Je suis locataire"]) == cal.objection_threshold
    fixed = HybridMatcher(p.objection_packs, default_encoder(), cal, threshold=0.6)
    assert fixed.threshold_for(labels["Ma porte est blindée"]) == 0.6


def test_inspect_says_what_was_borrowed() -> None:
    from mbs.compiler.disasm import header

    p = program('"Je suis locataire" => "Le matériel se retire sans trace."')
    rows = dict(header(p))
    assert rows["borrows"].startswith(
        '"Je suis locataire" <- objections.energie: Je suis locataire'
    )


def test_nothing_is_borrowed_from_a_library_pack_in_scope() -> None:
    # objections.energie answers "Je suis locataire" itself: the same phrasings in two
    # objections would make the winner a matter of declaration order
    p = program(
        '"Je suis locataire" => "Le matériel se retire sans trace."',
        uses="use intents.common\nuse objections.energie",
    )
    assert objections(p)["Je suis locataire"].borrowed == ()


def test_the_assignment_gives_each_library_objection_to_one_borrower_and_raises_the_sum() -> None:
    from mbs.compiler.borrow import _assign

    # 0 says library objection 10 most surely, but 1 has only 10 while 0 can turn to 11
    assert _assign([{10: 0.80, 11: 0.71}, {10: 0.74}]) == [11, 10]
    # nobody else to turn to: the surer pairing keeps it
    assert _assign([{10: 0.80}, {10: 0.74}]) == [10, None]
    assert _assign([{}, {10: 0.9}, {}]) == [None, 10, None]


def test_two_ways_of_saying_the_price_borrow_two_library_objections() -> None:
    o = objections(
        program(
            '"Votre offre est trop chère" => "a"\n"Je n\'ai pas les moyens en ce moment" => "b"'
        )
    )
    sources = {o["Votre offre est trop chère"].borrowed_from}
    sources.add(o["Je n'ai pas les moyens en ce moment"].borrowed_from)
    assert None not in sources and len(sources) == 2


def sparse_warnings(pack: str, uses: str = "use intents.common") -> list[str]:
    """The W012 messages of a scenario with this user pack."""
    source = f"{uses}\n\nobjections maison {{\n{pack}\n}}\n{STEP}"
    result = compile_source(source, "t.mbs")
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return [d.message for d in result.diagnostics if d.code == "W012"]


def test_a_sparse_objection_that_borrows_nothing_is_flagged_where_it_is_written() -> None:
    source = f'use intents.common\n\nobjections maison {{\n    "Ma porte est blindée" => "Bien."\n}}\n{STEP}'
    (found,) = [d for d in compile_source(source, "t.mbs").diagnostics if d.code == "W012"]
    assert found.severity == "warning" and (found.span.line, found.span.col) == (4, 5)
    assert '"Ma porte est blindée" has 1 phrasing(s) and borrows none' in found.message
    assert found.hint is not None and "3 at least" in found.hint
    two = '"Ma porte est blindée" | "on a une porte blindée" => "Bien."'
    assert len(sparse_warnings(two)) == 1  # two phrasings are still too few


def test_objections_with_enough_phrasings_or_borrowed_ones_are_not_flagged() -> None:
    three = '"Ma porte est blindée" | "on a une porte blindée" | "porte renforcée" => "Bien."'
    assert sparse_warnings(three) == []
    assert sparse_warnings('"Je suis locataire" => "Le matériel se retire sans trace."') == []
    # the library's packs are never flagged, whatever they hold
    assert sparse_warnings(three, uses="use intents.common\nuse objections.energie") == []
