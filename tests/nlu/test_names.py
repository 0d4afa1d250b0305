"""The first names the wrong-person rule reads (``mbs.nlu.names``)."""

from __future__ import annotations

import re

from mbs.nlu.lexicon import STOP_WORDS
from mbs.nlu.names import FIRST_NAME, FIRST_NAMES
from mbs.nlu.normalize import fold
from mbs.program import Program


def test_names_are_folded_words() -> None:
    assert all(re.fullmatch(r"[a-z]+", n) for n in FIRST_NAMES)
    assert len(FIRST_NAMES) > 250


def test_no_name_is_an_everyday_word(stdlib_program: Program) -> None:
    """A name that is also a word of the calls ("rose", "pierre", "claire", "louis" of
    a louis d'or) would read a thing as a person: none is a stop word or a content word of the library's examples
    and phrasings."""
    said = [e for i in stdlib_program.intents for e in i.examples]
    said += [
        t
        for p in stdlib_program.objection_packs
        for o in p.objections
        for t in (o.text, *o.variants)
    ]
    words = {w for text in said for w in re.findall(r"[a-z]+", fold(text))}
    assert sorted(FIRST_NAMES & (words | STOP_WORDS)) == []


def test_a_compound_name_is_two_in_a_row() -> None:
    assert re.fullmatch(FIRST_NAME, "jean pierre")
    assert re.fullmatch(FIRST_NAME, "marie")
