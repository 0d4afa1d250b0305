"""Phrasings a user's sparse objection borrows from the library's packs.

A customer's own pack often gives one sentence per objection ("L'abonnement coûte trop
cher"); a prospect says it in other words ("c'est hors de prix", "j'ai pas les
moyens"). The library's packs hold a dozen or more phrasings of the objections every
sales call meets. When a user's objection has fewer than ``SPARSE`` phrasings and says
the same thing as a library objection (its best lexical score against that objection's
phrasings is at least ``BORROW_MIN``), it borrows that objection's phrasings: the
matchers score them as its own, and the user's response answers them.

Lexical only, on purpose: it needs no sentence encoder at compile time, and a shared
rare word is good evidence. ``BORROW_MIN`` was read off two customers' packs (44
objections, tests/nlu/heldout) by judging each pairing: at 0.7 and over, 8 of the 12
kept say the same objection ("Je ne veux pas prendre de crédit", "Pas question de
m'endetter"), 3 a close neighbour ("Le contrat d'engagement est trop long", "Je ne peux
pas résilier") and 1 another ("J'ai déjà une pompe à chaleur", "On m'a déjà fait le coup
de l'isolation à un euro"); just under it, unrelated pairings begin ("J'ai un chien qui
garde la maison", "Ma maison n'est pas à vendre", 0.65). Objections of the library's own
packs never borrow; a user who gives ``SPARSE`` phrasings or more decides alone, and
``borrowed_from`` in the compiled program says what was borrowed.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from mbs.dsl import ast
from mbs.dsl.loader import load_path, stdlib_modules, stdlib_path
from mbs.nlu.calibration import SPARSE
from mbs.program import Objection, ObjectionPack

BORROW_MIN = 0.7  # lexical score of its phrasing against a library objection


@dataclass(frozen=True, slots=True)
class Borrowing:
    """What one objection borrows: the library objection and its phrasings."""

    source: str  # "objections.standard: C'est trop cher"
    phrasings: tuple[str, ...]
    score: float  # how surely the objection says the library's


@functools.cache
def _library() -> tuple[ObjectionPack, ...]:
    packs = []
    for dotted in stdlib_modules():
        path = stdlib_path(dotted)
        if not dotted.startswith("objections.") or path is None:
            continue
        module = load_path(path, implicit=False).entry.module
        for decl in module.decls if module else ():
            if isinstance(decl, ast.ObjectionsDecl):
                packs.append(
                    ObjectionPack(
                        name=f"{dotted.rsplit('.', 1)[0]}.{decl.name.name}",
                        objections=tuple(
                            Objection(
                                text=e.text.value, variants=tuple(v.value for v in e.variants)
                            )
                            for e in decl.entries
                        ),
                    )
                )
    return tuple(packs)


@functools.cache
def _matcher() -> object:
    from mbs.nlu.fuzzy import ObjectionMatcher
    from mbs.nlu.hybrid import LEXICAL

    return ObjectionMatcher(_library(), threshold=0.0, weights=LEXICAL)


def borrowing(
    text: str, variants: Sequence[str], in_scope: Collection[str] = ()
) -> Borrowing | None:
    """The library objection a user's objection says, if it is sparse and one does; not
    one of the packs ``in_scope`` (that objection matches its own phrasings there)."""
    if 1 + len(variants) >= SPARSE:
        return None
    try:
        from mbs.nlu.fuzzy import ObjectionMatcher

        matcher = _matcher()
    except ImportError:  # the NLU is optional to the compiler: nothing is borrowed
        return None
    assert isinstance(matcher, ObjectionMatcher)
    best: tuple[float, int] | None = None
    for phrasing in (text, *variants):
        for label, score in matcher.scores(phrasing).items():
            if matcher.entries[label][0] in in_scope:
                continue
            if score >= BORROW_MIN and (best is None or (score, -label) > (best[0], -best[1])):
                best = (score, label)
    if best is None:
        return None
    pack, source = matcher.entries[best[1]]
    own = {text, *variants}
    phrasings = tuple(p for p in (source.text, *source.variants) if p not in own)
    return Borrowing(f"{pack}: {source.text}", phrasings, best[0]) if phrasings else None


def borrowings(
    objections: Sequence[tuple[str, Sequence[str]]], in_scope: Collection[str] = ()
) -> list[Borrowing | None]:
    """``borrowing`` of each of a program's user objections (text, variants), a library
    objection lending to one of them only: the one that says it most surely (then the
    first declared), and none from a library pack in the program's scope (its objection
    matches those phrasings itself). Two objections that borrowed the same phrasings
    could no longer be told apart, and the library objection means at most one of them."""
    found = [borrowing(text, variants, in_scope) for text, variants in objections]
    best: dict[str, tuple[float, int]] = {}  # source -> (score, -index) of its keeper
    for i, b in enumerate(found):
        if b is not None and (b.score, -i) > best.get(b.source, (-1.0, 0)):
            best[b.source] = (b.score, -i)
    return [b if b is not None and best[b.source][1] == -i else None for i, b in enumerate(found)]
