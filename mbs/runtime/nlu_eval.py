"""``mbs nlu eval``: an NLU builtin measured on a labelled set, decision by decision.

A labelled answer is ``(kind, label, text)``: ``intent`` with the intent's name,
``objection`` with the objection's text as written in its pack, or ``none`` (an answer
that is neither). Each is decided exactly as the VM would at the step (its own
``step`` when the item names one, else the one asked for, else a step that handles
every intent and objections), with the shared decision function.

Files: TSV (``kind<TAB>label<TAB>text``, a header line starting with ``kind`` allowed,
empty label for ``none``) or JSON lines (``kind``, ``label``, ``text``, optional
``step``; ``ordinary`` is read as ``none``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mbs.files import DATA_LIMIT, UnreadableFile, read_text
from mbs.nlu.acceptance import Acceptance
from mbs.nlu.calibrate import suggest_threshold
from mbs.nlu.calibration import DecisionSettings
from mbs.nlu.fuzzy import IntentMatch, ObjectionMatch
from mbs.program import Program
from mbs.runtime.builtins.base import IntentResult, ObjectionResult
from mbs.runtime.decision import Decision, StepContext, decide_at, step_context

KINDS = ("intent", "objection", "none")
# False matches tolerated when suggesting a threshold (share of the "none" answers).
MAX_FALSE_MATCH = 0.05


class _Classifier(Protocol):
    threshold: float

    def classify(self, text: str) -> IntentMatch: ...


class _Matcher(Protocol):
    threshold: float

    def match(self, text: str) -> ObjectionMatch: ...


class Engine(Protocol):
    """What the command needs of an NLU builtin: its classifier and matcher."""

    @property
    def intents(self) -> _Classifier: ...

    @property
    def objections(self) -> _Matcher: ...


@dataclass(frozen=True, slots=True)
class Labelled:
    kind: str
    label: str | None
    text: str
    step: str | None = None


class SetError(ValueError):
    """The labelled set cannot be read (the message names the file and line)."""


def load_set(path: Path) -> list[Labelled]:
    try:
        text = read_text(path, limit=DATA_LIMIT, what="the labelled set")
    except UnreadableFile as exc:
        raise SetError(str(exc)) from None
    items: list[Labelled] = []
    jsonl = path.suffix == ".jsonl"
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        if jsonl:
            try:
                raw = json.loads(line)
                kind, label, utterance = raw["kind"], raw.get("label"), raw["text"]
                step = raw.get("step")
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                raise SetError(f"{where}: not a labelled answer (kind, label, text)") from None
        else:
            cells = line.split("\t")
            if number == 1 and cells[0].strip().lower() == "kind":
                continue
            if len(cells) != 3:
                raise SetError(f"{where}: expected kind<TAB>label<TAB>text")
            kind, label, utterance, step = (
                cells[0].strip(),
                cells[1].strip() or None,
                cells[2],
                None,
            )
        kind = "none" if kind == "ordinary" else kind
        if kind not in KINDS or not isinstance(utterance, str):
            raise SetError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if (kind == "none") != (label is None):
            raise SetError(f"{where}: a label is required for intents and objections only")
        items.append(Labelled(kind, label, utterance, step if isinstance(step, str) else None))
    return items


@dataclass(slots=True)
class EvalReport:
    total: int = 0
    correct: int = 0
    per_label: dict[str, list[int]] = field(default_factory=dict)  # label -> [right, total]
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    none_total: int = 0
    none_routed: int = 0
    thresholds: dict[str, float] = field(default_factory=dict)
    suggested: dict[str, float] = field(default_factory=dict)
    misses: list[tuple[Labelled, Decision]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.total,
            "accuracy": round(self.correct / self.total, 4) if self.total else 0.0,
            "labels": {
                k: {"right": r, "total": t, "accuracy": round(r / t, 4)}
                for k, (r, t) in sorted(self.per_label.items())
            },
            "confusion": {k: dict(v) for k, v in sorted(self.confusion.items())},
            "false_match_rate": round(self.none_routed / self.none_total, 4)
            if self.none_total
            else 0.0,
            "thresholds": self.thresholds,
            "suggested": self.suggested,
        }


def _name(kind: str, label: str | None) -> str:
    return f"{kind}:{label}" if label is not None else "none"


def _intent_result(m: IntentMatch) -> IntentResult:
    return IntentResult(m.intent, m.score, m.runner_up, m.runner_up_score)


def _objection_result(m: ObjectionMatch) -> ObjectionResult:
    return ObjectionResult(m.objection, m.response, m.audio, m.pack, m.score)


def evaluate(
    engine: Engine,
    program: Program,
    items: Sequence[Labelled],
    step: str | None,
    settings: DecisionSettings | None = None,
) -> EvalReport:
    """Decide every item at its step and count (``step``: KeyError when unknown)."""
    everything = StepContext("", frozenset(i.name for i in program.intents), True, ())
    default = step_context(program, step) if step is not None else everything
    contexts: dict[str, StepContext] = {}
    thresholds = {
        "intent": engine.intents.threshold,
        "objection": engine.objections.threshold,
    }
    # the hybrid's own threshold for objections written with one or two phrasings
    sparse = getattr(engine.objections, "sparse_threshold", None)
    if isinstance(sparse, float):
        thresholds["sparse objection"] = sparse
    # the hybrid's learned acceptance decides instead of the thresholds: its cutoff
    for kind, matcher in (("intent", engine.intents), ("objection", engine.objections)):
        model = getattr(matcher, "acceptance", None)
        if isinstance(model, Acceptance):
            thresholds[f"{kind} acceptance"] = model.cutoff
            # the cutoff of one-phrasing objections, when the program has some
            if model.sparse_cutoff is not None and "sparse objection" in thresholds:
                thresholds[f"sparse {kind} acceptance"] = model.sparse_cutoff
    report = EvalReport(thresholds=thresholds)
    intent_conf: list[tuple[float, bool, bool]] = []
    objection_conf: list[tuple[float, bool, bool]] = []
    for item in items:
        ctx = default
        if item.step is not None and item.step in program.steps:
            ctx = contexts.setdefault(item.step, step_context(program, item.step))
        im = engine.intents.classify(item.text)
        om = engine.objections.match(item.text)
        decision = decide_at(ctx, item.text, _intent_result(im), _objection_result(om), settings)
        want, got = _name(item.kind, item.label), _name(decision.kind, decision.name)
        right = want == got
        report.total += 1
        report.correct += right
        tally = report.per_label.setdefault(want, [0, 0])
        tally[0] += right
        tally[1] += 1
        report.confusion[want][got] += 1
        if item.kind == "none":
            report.none_total += 1
            report.none_routed += decision.kind != "none"
        if not right:
            report.misses.append((item, decision))
        # the best candidate, accepted or not, for the threshold suggestion
        if item.kind in ("intent", "none"):
            best = im.intent or im.runner_up
            intent_conf.append((im.score, best == item.label, item.kind == "none"))
        if item.kind in ("objection", "none"):
            best = om.objection or om.runner_up
            objection_conf.append((om.score, best == item.label, item.kind == "none"))
    for kind, rows in (("intent", intent_conf), ("objection", objection_conf)):
        if any(not o for _, _, o in rows):
            report.suggested[kind] = suggest_threshold(
                [c for c, _, _ in rows],
                [r for _, r, _ in rows],
                [o for _, _, o in rows],
                MAX_FALSE_MATCH,
            )
    return report
