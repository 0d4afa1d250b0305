"""Phrasings a user's sparse objection borrows from the library's packs.

A customer's own pack often gives one sentence per objection ("L'abonnement coûte trop
cher"); a prospect says it in other words ("c'est hors de prix", "j'ai pas les
moyens"). The library's packs hold a dozen or more phrasings of the objections every
sales call meets. When a user's objection has fewer than ``SPARSE`` phrasings and says
the same thing as a library objection (its best lexical score against that objection's
phrasings is at least ``BORROW_MIN``), it borrows that objection's phrasings: the
matchers score them as its own, and the user's response answers them.

Lexical only, on purpose: it needs no sentence encoder at compile time, and a shared
rare word is good evidence. ``BORROW_MIN`` was read off three customers' packs (64
objections, tests/nlu/heldout) by judging each pairing: at 0.66 and over, 30 borrow, 25
from a library objection that says the same thing ("Je ne veux pas prendre de crédit",
"Pas question de m'endetter"), 4 from a close neighbour ("Le contrat d'engagement est
trop long", "Je ne peux pas résilier") and 1 from another ("J'ai déjà une pompe à
chaleur", "On m'a déjà fait le coup de l'isolation à un euro"); just under it unrelated
pairings begin ("J'ai un chien qui garde la maison", "Ma maison n'est pas à vendre",
0.65). Objections of the library's own packs never borrow; a user who gives ``SPARSE``
phrasings or more decides alone, and ``borrowed_from`` in the compiled program says
what was borrowed.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mbs.compiler.scope import pack_name
from mbs.dsl import ast
from mbs.dsl.loader import iter_decls, load_source, stdlib_modules
from mbs.nlu.acceptance import SPARSE
from mbs.program import Objection, ObjectionPack

if TYPE_CHECKING:
    from mbs.nlu.fuzzy import ObjectionMatcher

BORROW_MIN = 0.66  # lexical score of its phrasing against a library objection

# A pack as ``lend`` takes it: its name, whether it is the library's, its entries.
Pack = tuple[str, bool, Sequence[ast.ObjectionEntry]]


@dataclass(frozen=True, slots=True)
class Borrowing:
    """What one objection borrows: the library objection and its phrasings."""

    source: str  # "objections.standard: C'est trop cher"
    phrasings: tuple[str, ...]
    score: float  # how surely the objection says the library's


def _phrasings(e: ast.ObjectionEntry) -> tuple[str, tuple[str, ...]]:
    return e.text.value, tuple(v.value for v in e.variants)


@functools.cache
def _matcher() -> ObjectionMatcher:
    """The lexical matcher over every objection pack the library ships, built once per
    process (the loader's parse cache holds the library's sources)."""
    from mbs.nlu.fuzzy import ObjectionMatcher
    from mbs.nlu.hybrid import LEXICAL

    uses = "\n".join(f"use {m}" for m in stdlib_modules() if m.startswith("objections."))
    loaded = load_source(uses, "<library>", implicit=False)
    packs = [
        ObjectionPack(
            name=pack_name(decl, module),
            objections=tuple(
                Objection(text=text, variants=variants)
                for text, variants in map(_phrasings, decl.entries)
            ),
        )
        for module, decl in iter_decls(loaded.modules)
        if isinstance(decl, ast.ObjectionsDecl)
    ]
    return ObjectionMatcher(packs, threshold=0.0, weights=LEXICAL)


def _candidates(
    matcher: ObjectionMatcher, text: str, variants: Sequence[str], in_scope: Collection[str]
) -> dict[int, float]:
    """The library objections (by index in ``matcher.entries``) that a sparse user
    objection says, with how surely: its best phrasing's score, at least ``BORROW_MIN``."""
    if 1 + len(variants) >= SPARSE:
        return {}
    found: dict[int, float] = {}
    for phrasing in (text, *variants):
        for label, score in matcher.scores(phrasing).items():
            if score >= BORROW_MIN and matcher.entries[label][0] not in in_scope:
                found[label] = max(score, found.get(label, 0.0))
    return found


def _assign(candidates: Sequence[dict[int, float]]) -> list[int | None]:
    """A library objection per user objection, each lending to one at most, the sum of
    the scores as high as it gets: the surest pairings first, then swaps that raise the
    sum ("Je n'ai pas les moyens" gives "C'est trop cher" up to "Votre offre est trop
    chère" when it has "En ce moment c'est compliqué financièrement" to turn to)."""
    chosen: list[int | None] = [None] * len(candidates)
    owner: dict[int, int] = {}  # library objection -> the user objection it lends to
    pairs = sorted(
        ((score, -i, source) for i, c in enumerate(candidates) for source, score in c.items()),
        reverse=True,
    )
    for _, minus_i, source in pairs:
        if chosen[-minus_i] is None and source not in owner:
            chosen[-minus_i], owner[source] = source, -minus_i
    improved = True
    while improved:  # each swap raises the sum: it ends
        improved = False
        for i, wanted in enumerate(candidates):
            if chosen[i] is not None:
                continue
            for source, score in sorted(wanted.items(), key=lambda kv: (-kv[1], kv[0])):
                holder = owner[source]  # free ones went in the first pass
                free = [(s, a) for a, s in candidates[holder].items() if a not in owner]
                if free and score + max(free)[0] > candidates[holder][source] + 1e-9:
                    _, other = max(free)
                    chosen[holder], owner[other] = other, holder
                    chosen[i], owner[source] = source, i
                    improved = True
                    break
    return chosen


def lend(packs: Sequence[Pack]) -> list[tuple[Borrowing | None, ...]]:
    """What each objection of the packs in scope borrows, per pack and entry: only the
    user's objections borrow, a library objection lends to one of them at most
    (``_assign``: two objections with the same phrasings could no longer be told apart),
    and never when its pack is in scope (its objection matches those phrasings itself).

    Read by the lowering, the NLU lints and the editor's hover, each on the same packs:
    the answer is remembered by their content."""
    key = tuple(
        (name, library, tuple(_phrasings(e) for e in entries)) for name, library, entries in packs
    )
    return list(_lend(key))


# A pack by content: its name, whether it is the library's, each entry's phrasings.
_PackKey = tuple[str, bool, tuple[tuple[str, tuple[str, ...]], ...]]


@functools.lru_cache(maxsize=16)
def _lend(packs: tuple[_PackKey, ...]) -> tuple[tuple[Borrowing | None, ...], ...]:
    try:
        matcher = _matcher()
    except ImportError:  # the NLU is optional to the compiler: nothing is borrowed
        return tuple(tuple(None for _ in entries) for _, _, entries in packs)
    in_scope = {name for name, library, _ in packs if library}
    users = [
        (p, i)
        for p, (_, library, entries) in enumerate(packs)
        if not library
        for i in range(len(entries))
    ]
    candidates = [_candidates(matcher, *packs[p][2][i], in_scope) for p, i in users]
    lent: dict[tuple[int, int], Borrowing] = {}  # by (pack, entry)
    for (p, i), source, wanted in zip(users, _assign(candidates), candidates, strict=True):
        if source is None:
            continue
        pack, lender = matcher.entries[source]
        text, variants = packs[p][2][i]
        phrasings = tuple(q for q in (lender.text, *lender.variants) if q not in {text, *variants})
        if phrasings:
            lent[p, i] = Borrowing(f"{pack}: {lender.text}", phrasings, wanted[source])
    return tuple(
        tuple(lent.get((p, i)) for i in range(len(entries)))
        for p, (_, _, entries) in enumerate(packs)
    )
