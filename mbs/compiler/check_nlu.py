"""NLU lints: objections too close to tell apart, examples shared between intents,
objections that read like an intent's example, a user's objections with too few
phrasings to be recognised. The similarity measures belong to the NLU
(``mbs.nlu.lints``, ``mbs.compiler.borrow``); this pass only turns their findings into
diagnostics."""

from __future__ import annotations

from typing import Any

from mbs.compiler.borrow import lend
from mbs.compiler.scope import Context
from mbs.dsl import ast
from mbs.nlu.acceptance import SPARSE
from mbs.program import Intent, Objection, ObjectionPack


def _lints() -> Any:
    try:
        from mbs.nlu import lints
    except ImportError:  # the NLU lints are optional: without them these checks are off
        return None
    return lints


def check_nlu(ctx: Context) -> None:
    lints = _lints()
    if lints is None:
        return
    try:
        _run(ctx, lints)
    except Exception:  # advisory warnings: a fault in the NLU must not stop a compilation
        return


def _run(ctx: Context, lints: Any) -> None:

    scope = ctx.scope
    user_files = {m.file for m in scope.modules if not m.stdlib}
    entries: dict[str, ast.ObjectionEntry] = {}
    homes: dict[str, list[str]] = {}  # objection text -> packs holding it
    packs = []
    for name, declared in scope.packs.items():
        objs = []
        for e in declared.decl.entries:
            if e.span.file in user_files or e.text.value not in entries:
                entries[e.text.value] = e
            homes.setdefault(e.text.value, []).append(name)
            objs.append(
                Objection(
                    text=e.text.value,
                    variants=tuple(v.value for v in e.variants),
                    response=e.response.value if e.response else None,
                    audio=e.audio.value if e.audio else None,
                )
            )
        packs.append(ObjectionPack(name=name, objections=tuple(objs)))
    intents = [
        Intent(
            name=name,
            examples=tuple(s.value for s in d.decl.examples),
            keywords=tuple(s.value for s in d.decl.keywords),
            module=d.module.name,
        )
        for name, d in scope.intents.items()
    ]
    for a, b, score in _close_objections(lints, tuple(packs)):
        found = [e for e in (entries.get(a), entries.get(b)) if e is not None]
        entry = max(found, key=lambda e: (e.span.line, e.span.col), default=None)
        if entry is not None and entry.span.file in user_files:
            pack_a = homes.get(a, ["?"])[0]
            pack_b = homes.get(b, ["?"])[-1]
            ctx.report(
                "CloseObjections",
                entry.text.span,
                a=a,
                b=b,
                pack_a=pack_a,
                pack_b=pack_b,
                score=float(score),
            )
    for example, intent_a, intent_b in lints.shared_examples(intents):
        s = (
            _example_of(scope.intents[intent_b].decl, example)
            if intent_b in scope.intents
            else None
        )
        if s is not None and s.span.file in user_files:
            ctx.report("SharedExample", s.span, example=example, a=intent_a, b=intent_b)
    for objection, intent in lints.objection_equals_example(packs, intents):
        entry = entries.get(objection)
        if entry is not None and entry.span.file in user_files:
            ctx.report("ObjectionLikeExample", entry.text.span, objection=objection, intent=intent)
    _sparse_objections(ctx, user_files)


def _sparse_objections(ctx: Context, user_files: set[str]) -> None:
    """A user's objection with fewer than ``SPARSE`` phrasings that borrows nothing
    (``mbs.compiler.borrow``): paraphrases of it are rarely recognised."""
    packs = [(name, d.module.stdlib, d.decl.entries) for name, d in ctx.scope.packs.items()]
    for (_, library, entries), lent in zip(packs, lend(packs), strict=True):
        if library:
            continue
        for e, borrowing in zip(entries, lent, strict=True):
            count = 1 + len(e.variants)
            if borrowing is None and count < SPARSE and e.span.file in user_files:
                ctx.report(
                    "SparseObjection", e.text.span, text=e.text.value, count=count, needed=SPARSE
                )


_CLOSE_CACHE: dict[tuple[ObjectionPack, ...], list[tuple[str, str, float]]] = {}


def _close_objections(lints: Any, packs: tuple[ObjectionPack, ...]) -> list[tuple[str, str, float]]:
    """``lints.close_objections``, remembered for the last few sets of packs: it scores
    every pair of objections in scope, and the stdlib packs rarely change between two
    checks of the same scenario (an editor checks on every keystroke)."""
    found = _CLOSE_CACHE.get(packs)
    if found is None:
        found = list(lints.close_objections(packs))
        if len(_CLOSE_CACHE) >= 8:
            _CLOSE_CACHE.pop(next(iter(_CLOSE_CACHE)))
        _CLOSE_CACHE[packs] = found
    return found


def _example_of(decl: ast.IntentDecl, example: str) -> ast.Str | None:
    """The example of ``decl`` that reads as ``example`` once normalised."""
    from mbs.nlu.normalize import normal_form

    wanted = normal_form(example)
    return next((s for s in decl.examples if normal_form(s.value) == wanted), None)
