"""The evaluation set: its integrity, and the accuracy floors of the fuzzy NLU on it.

The floors sit just under what the matcher achieves (see docs/nlu.md); a change that
lowers accuracy on real French paraphrases fails here.
"""

from __future__ import annotations

from collections import Counter

import pytest

from mbs.nlu import IntentClassifier, ObjectionMatcher, normal_form
from mbs.nlu.evaluation import Item, evaluate, load_items, routing_accuracy
from mbs.program import Program
from tests.nlu.fixtures import written_wordings

INTENT_ACCURACY_FLOOR = 0.92  # achieved: 0.958 (113/118)
OBJECTION_ACCURACY_FLOOR = 0.88  # achieved: 0.925 (136/147), top-1 at the default threshold
FALSE_MATCH_CEILING = 0.03  # achieved: 0.0125 (1 ordinary answer in 80)
ROUTING_FLOOR = 0.90  # achieved: 0.928 (320/345)


def test_the_set_is_large_and_covers_every_pack(
    eval_items: list[Item], stdlib_program: Program
) -> None:
    kinds = Counter(i.kind for i in eval_items)
    assert len(eval_items) >= 200
    assert kinds["ordinary"] >= 40
    assert kinds["intent"] >= 60
    packs = {i.pack for i in eval_items if i.kind == "objection"}
    assert packs == {p.name for p in stdlib_program.objection_packs}
    for pack in stdlib_program.objection_packs:
        assert sum(i.pack == pack.name for i in eval_items) >= 8, pack.name
    # Every label is a stdlib intent, and the ten original intents are all covered; the
    # four added later (goodbye, robot_question, human_request, vulnerable) are measured
    # on the held-out sets, not on this one.
    labels = {i.label for i in eval_items if i.kind == "intent"}
    assert labels <= {i.name for i in stdlib_program.intents}
    assert len(labels) >= 10


def test_labels_are_objections_as_written_in_their_pack(
    eval_items: list[Item], stdlib_program: Program
) -> None:
    texts = {(p.name, o.text) for p in stdlib_program.objection_packs for o in p.objections}
    for item in eval_items:
        if item.kind == "objection":
            assert (item.pack, item.label) in texts, item


def test_utterances_are_paraphrases_not_copies(
    eval_items: list[Item], stdlib_program: Program
) -> None:
    written = written_wordings(stdlib_program, normal_form)
    copies = [i.text for i in eval_items if normal_form(i.text) in written]
    assert copies == []


def test_accuracy_floors(eval_items: list[Item], stdlib_program: Program) -> None:
    classifier = IntentClassifier(stdlib_program.intents)
    matcher = ObjectionMatcher(stdlib_program.objection_packs)
    report = evaluate(
        eval_items,
        lambda text: matcher.match(text).objection,
        lambda text: classifier.classify(text).intent,
    )
    misses = "\n".join(
        f"{i.kind}: {i.text!r} -> {got!r} (want {i.label!r})" for i, got in report.misses
    )
    assert report.intent_accuracy >= INTENT_ACCURACY_FLOOR, misses
    assert report.objection_accuracy >= OBJECTION_ACCURACY_FLOOR, misses
    assert report.false_match_rate <= FALSE_MATCH_CEILING, misses


def test_load_items_rejects_bad_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "intent", "text": "oui"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        load_items(bad)
    bad.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        load_items(bad)


def test_routing_counts_intent_objection_precedence() -> None:
    items = [
        Item(kind="intent", text="a", label="yes"),
        Item(kind="objection", text="b", label="Trop cher"),
        Item(kind="ordinary", text="c"),
        Item(kind="ordinary", text="d"),
    ]
    intents = {"a": ("yes", 0.7), "b": ("no", 0.6), "c": ("yes", 0.9), "d": (None, 0.2)}
    objections = {
        "a": ("Trop cher", 0.7),
        "b": ("Trop cher", 0.8),
        "c": (None, 0.3),
        "d": ("X", 0.6),
    }
    right, total = routing_accuracy(items, intents.__getitem__, objections.__getitem__)
    # a: tie goes to the intent (right); b: objection wins (right); c: intent (right);
    # d: an ordinary answer routed to an objection (wrong)
    assert (right, total) == (3, 4)


def test_routing_floor(eval_items: list[Item], stdlib_program: Program) -> None:
    classifier = IntentClassifier(stdlib_program.intents)
    matcher = ObjectionMatcher(stdlib_program.objection_packs)

    def classify(text: str) -> tuple[str | None, float]:
        r = classifier.classify(text)
        return r.intent, r.score

    def match(text: str) -> tuple[str | None, float]:
        r = matcher.match(text)
        return r.objection, r.score

    right, total = routing_accuracy(eval_items, classify, match)
    assert right / total >= ROUTING_FLOOR


# The hybrid NLU on the same set. This set is part of the hybrid's calibration data
# (with the held-out dev split), so these are in-sample floors against regressions; the
# held-out test-split figures are in docs/nlu.md.
HYBRID_OBJECTION_FLOOR = 0.92  # achieved: 0.946 (139/147)
HYBRID_FALSE_MATCH_CEILING = 0.05  # achieved: 0.0375 (3/80)
HYBRID_INTENT_FLOOR = 0.90  # achieved: 0.958 (113/118)


def test_hybrid_accuracy_floors(eval_items: list[Item], stdlib_program: Program) -> None:
    from mbs.runtime.builtins.hybrid import HybridNlu

    nlu = HybridNlu(stdlib_program, {})
    report = evaluate(
        eval_items,
        lambda t: nlu.objections.match(t).objection,
        lambda t: nlu.intents.classify(t).intent,
    )
    assert report.objection_accuracy >= HYBRID_OBJECTION_FLOOR, report.misses
    assert report.false_match_rate <= HYBRID_FALSE_MATCH_CEILING, report.misses
    assert report.intent_accuracy >= HYBRID_INTENT_FLOOR, report.misses
