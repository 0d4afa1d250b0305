"""Scoring a matcher on a labelled set (tests/nlu/eval_set.jsonl): used by tests and bench.

A labelled utterance is one JSON object per line:

- ``{"kind": "intent", "text": ..., "label": "callback"}``: must classify as that intent;
- ``{"kind": "objection", "text": ..., "label": "<objection text as written>",
  "pack": "objections.finance"}``: must match that objection;
- ``{"kind": "ordinary", "text": ...}``: an ordinary answer that must match no objection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("intent", "objection", "ordinary")


@dataclass(frozen=True, slots=True)
class Item:
    kind: str
    text: str
    label: str | None = None
    pack: str | None = None


def load_items(path: str | Path) -> list[Item]:
    """Read a JSONL evaluation set; a malformed line raises ValueError naming the line."""
    items: list[Item] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = Item(
                kind=raw["kind"], text=raw["text"], label=raw.get("label"), pack=raw.get("pack")
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not an evaluation item ({exc})") from None
        if item.kind not in KINDS or (item.kind != "ordinary" and not item.label):
            raise ValueError(f"{path}:{number}: bad kind or missing label")
        items.append(item)
    return items


@dataclass(slots=True)
class Report:
    """Counts and the misses, for printing and for floors in tests."""

    intent_total: int = 0
    intent_correct: int = 0
    objection_total: int = 0
    objection_correct: int = 0
    ordinary_total: int = 0
    ordinary_false: int = 0
    misses: list[tuple[Item, str | None]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.intent_total if self.intent_total else 0.0

    @property
    def objection_accuracy(self) -> float:
        return self.objection_correct / self.objection_total if self.objection_total else 0.0

    @property
    def false_match_rate(self) -> float:
        return self.ordinary_false / self.ordinary_total if self.ordinary_total else 0.0


def evaluate(
    items: Iterable[Item],
    match_objection: Callable[[str], str | None],
    classify: Callable[[str], str | None] | None = None,
) -> Report:
    """Run ``match_objection`` (utterance -> objection text or None) on objection and
    ordinary items, and ``classify`` (utterance -> intent or None) on intent items."""
    report = Report()
    for item in items:
        if item.kind == "intent":
            if classify is None:
                continue
            got = classify(item.text)
            report.intent_total += 1
            if got == item.label:
                report.intent_correct += 1
            else:
                report.misses.append((item, got))
        elif item.kind == "objection":
            got = match_objection(item.text)
            report.objection_total += 1
            if got == item.label:
                report.objection_correct += 1
            else:
                report.misses.append((item, got))
        else:
            got = match_objection(item.text)
            report.ordinary_total += 1
            if got is not None:
                report.ordinary_false += 1
                report.misses.append((item, got))
    return report


def by_kind(items: Sequence[Item], kind: str) -> list[Item]:
    return [i for i in items if i.kind == kind]


def routing_accuracy(
    items: Iterable[Item],
    classify: Callable[[str], tuple[str | None, float]],
    match_objection: Callable[[str], tuple[str | None, float]],
) -> tuple[int, int]:
    """Route every utterance as the VM's dispatch does (a recognised intent and a matched
    objection: the higher score wins, ties to the intent) and count the right routes:
    intent items to their intent, objection items to their objection, ordinary answers
    anywhere but an objection. Returns (right, total)."""
    right = total = 0
    for item in items:
        intent, intent_score = classify(item.text)
        objection, objection_score = match_objection(item.text)
        route: tuple[str, str] | None = None
        if intent is not None and (objection is None or intent_score >= objection_score):
            route = ("intent", intent)
        elif objection is not None:
            route = ("objection", objection)
        total += 1
        if item.kind == "ordinary":
            right += route is None or route[0] == "intent"
        else:
            right += route == (item.kind, item.label)
    return right, total
