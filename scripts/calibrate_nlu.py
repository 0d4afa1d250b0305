"""Fit the hybrid NLU's fusion weights and thresholds; write mbs/nlu/calibration.json.

    .venv/bin/python scripts/calibrate_nlu.py [--encoder use|wordllama] [--dry-run]
                                              [--decision-only] [--objections-only]
                                              [--sparse-only] [--acceptance-only]
                                              [--customer-only [--sparse-encoder use|use-words]]

Each encoder has its own section of calibration.json; only ``--encoder``'s (default: the
default encoder) is refitted.

Development data only: tests/nlu/eval_set.jsonl (written for the fuzzy NLU) and the
``dev`` split of the held-out sets (tests/nlu/heldout/); the ``test`` split is never
read here. ``--objections-only`` keeps the committed intents' fusion and thresholds
(see docs/nlu.md: refitting them moved runner-up scores the VM's stop rules read).
Objections are fitted on the stdlib packs as written and cut to one phrasing
per objection, plus the user's own pack of the held-out set when it exists
(``mbs.nlu.calibrate``). Then the threshold of sparse objections, on the customer packs
of ``own_pack_natural`` (each in its own program, borrowed phrasings included) and the
ordinary answers; ``--sparse-only`` fits only that. Last, the learned acceptance of
intents and of objections (``mbs.nlu.acceptance``), each kept only where it beats the
threshold rule; ``--acceptance-only`` fits only that. Last, the ranking of customers'
one-phrasing objections in USE's space (``mbs.nlu.sparse``): its lexical weight and
acceptance model, on every own pack's dev paraphrases against the dev ordinary and
intent answers; ``--customer-only`` fits only that.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import itertools  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import replace  # noqa: E402

from mbs.compiler import compile_file  # noqa: E402
from mbs.nlu.acceptance import Acceptance  # noqa: E402
from mbs.nlu.calibrate import (  # noqa: E402
    AcceptanceCase,
    ObjectionSet,
    acceptance_cases,
    fit,
    fit_acceptance,
    fit_sparse,
    fit_sparse_threshold,
    one_phrasing,
    rule_figures,
)
from mbs.nlu.calibration import (  # noqa: E402
    CALIBRATION_FILE,
    DEFAULT_ENCODER,
    Calibration,
    DecisionSettings,
    calibration,
    committed,
    override,
    write_all,
)
from mbs.nlu.encoder import default_encoder  # noqa: E402
from mbs.nlu.evaluation import Item, load_items  # noqa: E402
from mbs.nlu.hybrid import HybridClassifier, HybridMatcher  # noqa: E402
from mbs.program import Program  # noqa: E402
from mbs.runtime.builtins.hybrid import HybridNlu  # noqa: E402
from mbs.runtime.nlu_eval import Labelled, evaluate  # noqa: E402
from tests.nlu import heldout  # noqa: E402

STDLIB = REPO / "tests" / "nlu" / "stdlib_all.mbs"
ENCODER = sys.argv[sys.argv.index("--encoder") + 1] if "--encoder" in sys.argv else DEFAULT_ENCODER


def _heldout(name: str) -> list[Item]:
    if not heldout.path_of(name).exists():
        return []
    return [
        Item(
            kind="ordinary" if u.kind == "none" else u.kind, text=u.text, label=u.label, pack=u.pack
        )
        for u in heldout.load(name, "dev")
    ]


def _program(path: Path) -> Program:
    result = compile_file(path)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


def _context_runs(cal: Calibration) -> list[tuple[HybridNlu, Program, list[Labelled]]]:
    """The in-context dev answers per shipped scenario, with engines built on ``cal``."""
    override(ENCODER, cal)  # the engines below use this fit
    by_scenario: dict[str, list[Labelled]] = defaultdict(list)
    for u in heldout.load("context", "dev"):
        by_scenario[u.scenario or ""].append(Labelled(u.kind, u.label, u.text, u.step))
    runs = []
    for name, items in sorted(by_scenario.items()):
        program = _program(heldout.SCENARIOS / f"{name}.mbs")
        runs.append((HybridNlu(program, {"encoder": ENCODER}), program, items))
    return runs


def context_right(cal: Calibration) -> float:
    """Right decisions on the in-context dev set (intents and objections competing at
    the steps of the shipped scenarios), with ``cal``'s rules."""
    return float(
        sum(evaluate(e, p, items, None, cal.decision).correct for e, p, items in _context_runs(cal))
    )


def keep_unless_better(committed: Calibration, fitted: Calibration) -> Calibration:
    """The fitted objection settings replace the committed ones only when they get at
    least MIN_GAIN more in-context dev decisions right: better accuracy on the objection
    sets alone has not carried over to the steps of real calls, where an objection can
    take an intent's or an ordinary answer."""
    before, after = context_right(committed), context_right(fitted)
    print(f"context (dev), objection settings: committed {before:.0f}, fitted {after:.0f}")
    if after >= before + MIN_GAIN:
        return fitted
    return replace(
        fitted,
        objection_fusion=committed.objection_fusion,
        objection_threshold=committed.objection_threshold,
        threshold_range=committed.threshold_range,
    )


def decision_settings(cal: Calibration) -> DecisionSettings:
    """The step-context rules swept on the in-context dev set, with the fitted NLU."""
    runs = _context_runs(cal)
    # The committed rules stay unless another setting gets at least MIN_GAIN more answers
    # right: the VM's tests pin their behaviour, and one utterance of the dev set is noise.
    kept = cal.decision
    kept_right = sum(evaluate(e, p, items, None, kept).correct for e, p, items in runs)
    best = (kept_right, kept)
    grid = itertools.product(CONTEXT_MARGINS, EXPECTED_FLOORS, CAPTURE_FREES, NUMBER_OVERRIDES)
    for margin, floor, free, number in grid:
        rules = replace(
            cal.decision,
            context_margin=margin,
            expected_floor=floor,
            capture_free=free,
            number_override=number,
        )
        right = sum(evaluate(e, p, items, None, rules).correct for e, p, items in runs)
        if right >= kept_right + MIN_GAIN and right > best[0]:
            best = (right, rules)
    total = sum(len(items) for _, _, items in runs)
    print(f"context (dev): {best[0]}/{total} with {best[1]}")
    return best[1]


MIN_GAIN = 2
CONTEXT_MARGINS = (0.0, 0.1, 0.2)
EXPECTED_FLOORS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45)
CAPTURE_FREES = (0.6, 0.7, 0.8)
NUMBER_OVERRIDES = (0.85, 0.95, 1.0)


def sparse_threshold(cal: Calibration, neutral: list[Item]) -> Calibration:
    """``cal`` with its sparse objections' threshold fitted (5 % false-match ceiling)."""
    by_pack: dict[str, list[Item]] = defaultdict(list)
    for item in _heldout("own_pack_natural"):
        by_pack[item.pack or ""].append(item)
    sets = [
        ObjectionSet(
            pack, _program(heldout.own_pack_scenario(pack)).objection_packs, items + neutral
        )
        for pack, items in sorted(by_pack.items())
    ]
    if not sets:
        return cal
    t, (accuracy, false) = fit_sparse_threshold(sets, default_encoder(ENCODER), cal, 0.05)
    print(f"sparse objections: threshold {t}  accuracy {accuracy:.3f}  false {false:.3f}")
    return replace(cal, sparse_objection_threshold=t)


SPARSE_ENCODER = (
    sys.argv[sys.argv.index("--sparse-encoder") + 1] if "--sparse-encoder" in sys.argv else "use"
)
MAX_FALSE_SPARSE = 0.07


def sparse_settings(cal: Calibration) -> Calibration:
    """``cal`` with the customer objections' ranking fitted (``mbs.nlu.sparse``): every
    own pack of the dev split in its own program, against the dev ordinary and intent
    answers (at most ``MAX_FALSE_SPARSE`` of either matched to an objection)."""
    neutral, intents = _neutral(), _heldout("intents")
    by_pack: dict[str, list[Item]] = defaultdict(list)
    for item in _heldout("own_pack") + _heldout("own_pack_natural"):
        by_pack[item.pack or ""].append(item)
    sets = []
    for pack, items in sorted(by_pack.items()):
        program = _program(heldout.own_pack_scenario(pack))
        sets.append((program.objection_packs, program.intents, items + neutral + intents))
    main = (default_encoder(ENCODER), replace(cal, sparse=None))
    found, (accuracy, false) = fit_sparse(
        sets, main, default_encoder(SPARSE_ENCODER), MAX_FALSE_SPARSE, SPARSE_ENCODER
    )
    assert found.acceptance is not None
    print(
        f"customer objections ({SPARSE_ENCODER}): lexical {found.lexical}, cutoff"
        f" {found.acceptance.cutoff}, accuracy {accuracy:.3f}, worst false {false:.3f}"
    )
    return replace(cal, sparse=found)


def acceptance(cal: Calibration) -> Calibration:
    """``cal`` with its learned acceptance models fitted on the stdlib (intents,
    objections) and the customer packs' dev paraphrases (``_better_than_rule``: each
    only where it beats the threshold rule); kept only if the in-context dev decisions
    do not get worse. The ordinary answers are grouped by where they come from:
    ``eval_set.jsonl``'s are about the products, so close to objections."""
    encoder = default_encoder(ENCODER)
    base = replace(cal, intent_acceptance=None, objection_acceptance=None)
    stdlib = _program(STDLIB)
    eval_set = load_items(REPO / "tests" / "nlu" / "eval_set.jsonl")
    intent_items = [i for i in eval_set if i.kind == "intent"] + _heldout("intents")
    clf = HybridClassifier(stdlib.intents, encoder, base)
    written = [i for i in eval_set if i.kind == "ordinary"]
    heard = _heldout("neutral")
    intents = acceptance_cases(clf, intent_items + written, "eval_set")
    intents += acceptance_cases(clf, heard, "neutral")
    objection_items = [i for i in eval_set if i.kind == "objection"] + _heldout("objections")
    stdlib_matcher = HybridMatcher(stdlib.objection_packs, encoder, base)
    objections: list[AcceptanceCase] = acceptance_cases(
        stdlib_matcher, objection_items + written, "eval_set"
    )
    objections += acceptance_cases(stdlib_matcher, heard, "neutral")
    by_pack: dict[str, list[Item]] = defaultdict(list)
    for item in _heldout("own_pack_natural"):
        by_pack[item.pack or ""].append(item)
    for pack, items in sorted(by_pack.items()):
        packs = _program(heldout.own_pack_scenario(pack)).objection_packs
        objections += acceptance_cases(HybridMatcher(packs, encoder, base), items + heard, "own")
    fitted = replace(
        base,
        intent_acceptance=_better_than_rule("intents", intents),
        objection_acceptance=_better_than_rule("objections", objections),
    )
    before, after = context_right(base), context_right(fitted)
    print(f"context (dev): threshold rule {before:.0f}, learned acceptance {after:.0f}")
    return fitted if after >= before else base


def _better_than_rule(name: str, cases: list[AcceptanceCase]) -> Acceptance | None:
    """The acceptance model of ``cases`` if, cross-validated, it accepts more labelled
    answers right than the threshold rule while taking, in every group, no more
    ordinary answers than the rule or than ``MAX_FALSE`` (the larger); else None (the
    rule stays)."""
    rule_accuracy, rates = rule_figures(cases)
    ceilings = {g: max(MAX_FALSE, r) for g, r in rates.items()}
    model, (accuracy, false) = fit_acceptance(cases, ceilings)
    shown = ", ".join(f"{g} {r:.3f}" for g, r in rates.items())
    print(f"acceptance, {name}: threshold rule {rule_accuracy:.3f} (false: {shown})")
    print(
        f"acceptance, {name}: model {accuracy:.3f} (cutoff {model.cutoff}, worst false {false:.3f})"
    )
    return model if accuracy > rule_accuracy else None


def _neutral() -> list[Item]:
    eval_set = load_items(REPO / "tests" / "nlu" / "eval_set.jsonl")
    return [i for i in eval_set if i.kind == "ordinary"] + _heldout("neutral")


MAX_FALSE = 0.05


def main() -> None:
    if "--decision-only" in sys.argv:  # keep the fit, sweep the step-context rules again
        cal = replace(calibration(ENCODER), decision=decision_settings(calibration(ENCODER)))
        _save(cal)
        return
    if "--sparse-only" in sys.argv:
        _save(sparse_threshold(calibration(ENCODER), _neutral()))
        return
    if "--customer-only" in sys.argv:
        _save(sparse_settings(calibration(ENCODER)))
        return
    if "--acceptance-only" in sys.argv:
        _save(acceptance(calibration(ENCODER)))
        return
    stdlib = _program(STDLIB)
    eval_set = load_items(REPO / "tests" / "nlu" / "eval_set.jsonl")
    neutral = _neutral()
    intent_items = [i for i in eval_set if i.kind == "intent"] + _heldout("intents") + neutral
    objection_items = [i for i in eval_set if i.kind == "objection"] + _heldout("objections")
    sets = [
        ObjectionSet("stdlib", stdlib.objection_packs, objection_items + neutral),
        ObjectionSet(
            "stdlib, one phrasing", one_phrasing(stdlib.objection_packs), objection_items + neutral
        ),
    ]
    own_items = _heldout("own_pack")
    if own_items:
        own = _program(heldout.OWN_PACK_SCENARIO)
        sets.append(ObjectionSet("own pack", own.objection_packs, own_items + neutral))
    total = len(intent_items) + len(objection_items) + len(own_items)
    before = {name: c for name, c in committed().items()}  # the judge swaps in trials
    kept = before[ENCODER] if ENCODER in before else calibration(ENCODER)
    found = fit(
        stdlib.intents,
        intent_items,
        sets,
        default_encoder(ENCODER),
        base=kept,
        max_false_objection=0.05,
        max_false_intent=0.05,
        fitted_on=f"eval_set.jsonl + held-out dev split ({total} utterances)",
        refit_intents="--objections-only" not in sys.argv,
        judge=context_right,
    )
    accuracies = "  ".join(
        f"{s.name} {a:.3f}" for s, a in zip(sets, found.objection_accuracy, strict=True)
    )
    print(
        f"intents {found.intent_accuracy:.3f}  {accuracies}  false objection "
        f"{found.false_objection:.3f}  false intent {found.false_intent:.3f}"
    )
    cal = keep_unless_better(kept, found.calibration) if ENCODER in before else found.calibration
    if ENCODER == DEFAULT_ENCODER:
        cal = replace(cal, decision=decision_settings(cal))
    else:  # the VM's step-context rules are the default encoder's (mbs.runtime.decision)
        cal = replace(cal, decision=calibration(DEFAULT_ENCODER).decision)
    committed().clear()
    committed().update(before)
    _save(sparse_settings(acceptance(sparse_threshold(cal, neutral))))


def _save(cal: Calibration) -> None:
    print(f"[{ENCODER}]\n{cal.to_json()}")
    if "--dry-run" not in sys.argv:
        every = dict(committed())
        every[ENCODER] = cal
        (REPO / "mbs" / "nlu" / CALIBRATION_FILE).write_text(write_all(every), encoding="utf-8")


if __name__ == "__main__":
    main()
