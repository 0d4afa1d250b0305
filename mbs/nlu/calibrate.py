"""Fitting the hybrid NLU's fusion weights and thresholds on a development set.

The evidence of every development utterance (lexical scores, nearest-phrasing and
centroid similarities, for the whole utterance and its contrast clause) is computed
once; the search then only re-fuses vectors, so a grid of a thousand settings takes
about a minute. Objections are fitted on several ``ObjectionSet``s at once (the caller
passes, e.g., the packs as written, the same packs cut to one phrasing per objection,
and a user's own one-phrasing pack), so the weights do not lean on variants.

Score of a setting (thresholds swept for each): mean accuracy over intents and the
objection sets, subject to at most ``max_false_objection`` of ordinary answers matched
to an objection and ``max_false_intent`` classified as an intent. Then a threshold per
intent where one pays (``WRONG_COST``), and the acceptable threshold range (``KEEP``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from mbs.nlu.acceptance import FEATURES, SPARSE_FEATURES, Acceptance, is_sparse
from mbs.nlu.calibration import Calibration, Fusion, SparseSettings
from mbs.nlu.encoder import Encoder
from mbs.nlu.evaluation import Item
from mbs.nlu.hybrid import (
    Evidence,
    HybridClassifier,
    HybridMatcher,
    combine,
    fuse,
    rank,
)
from mbs.nlu.sparse import SparseObjections
from mbs.program import Intent, ObjectionPack

Outcome = tuple[np.ndarray, np.ndarray, np.ndarray]  # confidence, right, ordinary per case

# Up to 0.99: with a low semantic floor, fused scores of ordinary answers can sit high.
THRESHOLDS = tuple(round(float(x), 2) for x in np.arange(0.20, 0.995, 0.01))

# ``floor`` reaches 0: WordLlama's cosine of a paraphrase to its objection is often far
# under 0.4 (a median of 0.09 on the own-pack dev split), and a floor above it threw the
# semantic evidence away for exactly the answers that need it. ``negation_penalty`` is
# applied when the evidence is computed, so each of its values recomputes the cases.
GRID: dict[str, tuple[float, ...]] = {
    "negation_penalty": (0.6, 1.0),
    "lexical": (0.6, 0.7, 0.8, 0.9),
    "semantic": (0.15, 0.3, 0.45, 0.6, 0.9),
    "floor": (0.0, 0.2, 0.3, 0.4, 0.5, 0.6),
    "centroid": (0.0, 0.3, 0.5),
    "margin": (0.0, 0.5),
}


def one_phrasing(packs: Sequence[ObjectionPack]) -> list[ObjectionPack]:
    """The packs with every objection cut to its text (no variants)."""
    return [
        p.model_copy(
            update={
                "objections": tuple(o.model_copy(update={"variants": ()}) for o in p.objections)
            }
        )
        for p in packs
    ]


@dataclass(frozen=True, slots=True)
class _Case:
    whole: Evidence
    tail: Evidence | None
    want: int | None  # label index, None: must match nothing


@dataclass(slots=True)
class Fit:
    calibration: Calibration
    intent_accuracy: float
    objection_accuracy: list[float]  # per objection set, in the order given
    false_objection: float
    false_intent: float


def _cases_intents(clf: HybridClassifier, items: Sequence[Item]) -> list[_Case]:
    index = {n: i for i, n in enumerate(clf.names)}
    out = []
    for item in items:
        if item.kind == "intent" and item.label in index:
            want: int | None = index[item.label]
        elif item.kind == "ordinary":
            want = None
        else:
            continue
        whole, tail = clf._scorer.evidence_pair(item.text)
        out.append(_Case(whole, tail, want))
    return out


def _cases_objections(m: HybridMatcher, items: Sequence[Item]) -> list[_Case]:
    index = {(pack, o.text): i for i, (pack, o) in enumerate(m.entries)}
    by_text = {o.text: i for i, (_, o) in enumerate(m.entries)}
    out = []
    for item in items:
        if item.kind == "objection":
            label = index.get((item.pack, item.label)) if item.pack else by_text.get(item.label)  # type: ignore[arg-type]
            if label is None:
                continue
            want: int | None = label
        elif item.kind == "ordinary":
            want = None
        else:
            continue
        whole, tail = m._scorer.evidence_pair(item.text)
        out.append(_Case(whole, tail, want))
    return out


def _outcomes(cases: Sequence[_Case], f: Fusion, *, intents: bool) -> Outcome:
    """Per case: confidence of the best label, whether it is the wanted one, is ordinary."""
    conf = np.zeros(len(cases))
    right = np.zeros(len(cases), dtype=bool)
    ordinary = np.zeros(len(cases), dtype=bool)
    for i, c in enumerate(cases):
        scores = combine(fuse(c.whole, f), fuse(c.tail, f) if c.tail else None, f, intents=intents)
        best, confidence, _, _ = rank(scores, f)
        conf[i] = confidence
        right[i] = c.want is not None and best == c.want
        ordinary[i] = c.want is None
    return conf, right, ordinary


def _rates(
    conf: np.ndarray, right: np.ndarray, ordinary: np.ndarray, t: float
) -> tuple[float, float]:
    accepted = conf >= t
    labelled = ~ordinary
    acc = float((accepted & right)[labelled].mean()) if labelled.any() else 0.0
    false = float(accepted[ordinary].mean()) if ordinary.any() else 0.0
    return acc, false


@dataclass(frozen=True, slots=True)
class ObjectionSet:
    """Objection packs and the labelled answers measured against them (objection
    paraphrases and ordinary answers)."""

    name: str
    packs: Sequence[ObjectionPack]
    items: Sequence[Item]


def fit(
    intents: Sequence[Intent],
    intent_items: Sequence[Item],
    objection_sets: Sequence[ObjectionSet],
    encoder: Encoder,
    *,
    base: Calibration | None = None,
    max_false_objection: float = 0.05,
    max_false_intent: float = 0.08,
    grid: dict[str, tuple[float, ...]] | None = None,
    fitted_on: str = "",
    refit_intents: bool = True,
    judge: Callable[[Calibration], float] | None = None,
    judged: int = 12,
) -> Fit:
    """The best setting of ``grid`` (see the module docstring). Every objection set is
    scored at one common threshold; the objective is the mean accuracy over intents and
    the objection sets, under the false-match ceilings. With ``refit_intents`` False the
    intents keep ``base``'s fusion and thresholds (only the objections are fitted).

    ``judge`` (e.g. right decisions at the steps of real scenarios, where intents and
    objections compete) re-ranks the ``judged`` best objection settings: the pick is the
    best by (judge, mean objection accuracy). The accuracy of the objection sets alone
    does not see an objection taking an intent's answer."""
    base = base or Calibration()
    grid = grid or GRID
    penalties = grid.get("negation_penalty", (base.fusion.negation_penalty,))
    keys = [k for k in grid if k != "negation_penalty"]
    # Intents and objections are scored by separate scorers: each gets its own fusion.
    best_i: tuple[float, Fusion, float, float] | None = None  # acc, fusion, t, false
    feasible: list[tuple[float, Fusion, float, list[float], float]] = []
    cached: dict[float, tuple[HybridClassifier, list[_Case], list[list[_Case]]]] = {}
    for penalty in penalties:
        start = replace(base, fusion=replace(base.fusion, negation_penalty=penalty))
        clf = HybridClassifier(intents, encoder, start)
        ci = _cases_intents(clf, intent_items)
        co = [
            _cases_objections(HybridMatcher(o.packs, encoder, start), o.items)
            for o in objection_sets
        ]
        cached[penalty] = (clf, ci, co)
        for values in itertools.product(*(grid[k] for k in keys)):
            f = replace(start.fusion, **dict(zip(keys, values, strict=True)))
            ti, (ai, fi) = _best_threshold(_outcomes(ci, f, intents=True), max_false_intent)
            if fi <= max_false_intent + 1e-9 and (best_i is None or ai > best_i[0] + 1e-9):
                best_i = (ai, f, ti, fi)
            outcomes = [_outcomes(c, f, intents=False) for c in co]
            to, rates = _best_objection_threshold(outcomes, max_false_objection)
            accs = [a for a, _ in rates]
            worst = max((r for _, r in rates), default=0.0)
            mean = sum(accs) / max(1, len(accs))
            if worst <= max_false_objection + 1e-9:
                feasible.append((mean, f, to, accs, worst))
    if not refit_intents:
        clf = HybridClassifier(intents, encoder, base)
        ci = _cases_intents(clf, intent_items)
        kept = _outcomes(ci, base.fusion, intents=True)
        ai, fi = _rates(*kept, base.intent_threshold)
        best_i = (ai, base.fusion, base.intent_threshold, fi)
        cached[-1.0] = (clf, ci, [])
    if best_i is None or not feasible:
        raise ValueError("no setting of the grid keeps false matches under the ceilings")
    ai, fi_fusion, ti, fi = best_i
    feasible.sort(key=lambda c: -c[0])  # stable: the grid's order among ties
    best_o = feasible[0]
    if judge is not None:
        verdicts: list[tuple[float, float, int]] = []
        for c in feasible[:judged]:
            trial = replace(
                base,
                fusion=fi_fusion,
                objection_fusion=c[1],
                intent_threshold=float(ti),
                objection_threshold=float(c[2]),
            )
            verdicts.append((judge(trial), c[0], -len(verdicts)))
        best_o = feasible[-max(verdicts)[2]]
    _, fo_fusion, to, accs, worst = best_o
    cal = replace(
        base,
        fusion=fi_fusion,
        objection_fusion=fo_fusion,
        intent_threshold=float(ti),
        objection_threshold=float(to),
        intent_thresholds={},
        fitted_on=fitted_on,
        encoder=encoder.name,
    )
    found = Fit(cal, ai, accs, worst, fi)
    clf, ci, _ = cached[fi_fusion.negation_penalty if refit_intents else -1.0]
    co = cached[fo_fusion.negation_penalty][2]
    oi = _outcomes(ci, fi_fusion, intents=True)
    outcomes = [_outcomes(c, fo_fusion, intents=False) for c in co]
    found.calibration = replace(
        found.calibration,
        threshold_range=_acceptable_range(oi, outcomes, found),
        intent_thresholds=(
            _per_intent(ci, clf.names, fi_fusion, ti)
            if refit_intents
            else dict(base.intent_thresholds)
        ),
    )
    return found


# A wrong acceptance (the wrong intent, or an ordinary answer taken for one) costs this
# many right ones: a wrong "insult" or "stop_calling" ends a call that was going well.
WRONG_COST = 2.0
PER_LABEL_SPAN = (-0.05, 0.25)  # how far a per-intent threshold may move from the global


def _per_intent(
    cases: Sequence[_Case], names: Sequence[str], f: Fusion, global_t: float
) -> dict[str, float]:
    """A threshold per intent where the development set says another one pays: for the
    answers whose best intent is L, the threshold maximising right - WRONG_COST x wrong
    acceptances (ties: the one nearest the global threshold)."""
    by_label: dict[int, list[tuple[float, bool]]] = {}
    for c in cases:
        scores = combine(fuse(c.whole, f), fuse(c.tail, f) if c.tail else None, f, intents=True)
        best, confidence, _, _ = rank(scores, f)
        by_label.setdefault(best, []).append((confidence, c.want == best))
    out: dict[str, float] = {}
    lo, hi = global_t + PER_LABEL_SPAN[0], global_t + PER_LABEL_SPAN[1]
    for label, rows in by_label.items():
        if label < 0:
            continue

        def gain(t: float, rows: list[tuple[float, bool]] = rows) -> float:
            return sum(1.0 if right else -WRONG_COST for c, right in rows if c >= t)

        candidates = [t for t in THRESHOLDS if lo - 1e-9 <= t <= hi + 1e-9]
        best_t = max(candidates, key=lambda t: (gain(t), -abs(t - global_t)))
        if abs(best_t - global_t) > 1e-9 and gain(best_t) > gain(global_t):
            out[names[label]] = float(best_t)
    return dict(sorted(out.items()))


# A scenario threshold keeps at least this share of what the calibrated one recognises.
KEEP = 0.9


def _acceptable_range(
    intents: Outcome, objections: Sequence[Outcome], found: Fit
) -> tuple[float, float]:
    """Thresholds that keep ``KEEP`` of the calibrated accuracy (intents and objections):
    below, false matches grow; above, right answers are lost."""
    target_i = KEEP * found.intent_accuracy
    target_o = KEEP * sum(found.objection_accuracy)
    high = low = min(found.calibration.intent_threshold, found.calibration.objection_threshold)
    for t in THRESHOLDS:
        ok_i = _rates(*intents, t)[0] >= target_i
        ok_o = sum(_rates(*o, t)[0] for o in objections) >= target_o
        if ok_i or ok_o:
            high = max(high, t)
    return (round(float(low), 2), round(float(high), 2))


def _best_threshold(outcome: Outcome, max_false: float) -> tuple[float, tuple[float, float]]:
    conf, right, ordinary = outcome
    chosen = (THRESHOLDS[-1], _rates(conf, right, ordinary, THRESHOLDS[-1]))
    best_acc = -1.0
    for t in THRESHOLDS:
        acc, false = _rates(conf, right, ordinary, t)
        if false <= max_false and acc > best_acc + 1e-9:
            best_acc, chosen = acc, (t, (acc, false))
    return chosen


def _best_objection_threshold(
    outcomes: Sequence[Outcome], max_false: float
) -> tuple[float, list[tuple[float, float]]]:
    chosen: tuple[float, list[tuple[float, float]]] | None = None
    best_acc = -1.0
    for t in THRESHOLDS:
        rates = [_rates(*o, t) for o in outcomes]
        total = sum(a for a, _ in rates)
        if max((f for _, f in rates), default=0.0) <= max_false and total > best_acc + 1e-9:
            best_acc, chosen = total, (t, rates)
    if chosen is None:
        t = THRESHOLDS[-1]
        chosen = (t, [_rates(*o, t) for o in outcomes])
    return chosen


def suggest_threshold(
    confidences: Sequence[float],
    right: Sequence[bool],
    ordinary: Sequence[bool],
    max_false: float,
) -> float:
    """The threshold with the best accuracy whose false-match rate stays under ``max_false``."""
    t, _ = _best_threshold(
        (np.array(confidences), np.array(right, dtype=bool), np.array(ordinary, dtype=bool)),
        max_false,
    )
    return t


def fit_sparse_threshold(
    sets: Sequence[ObjectionSet], encoder: Encoder, base: Calibration, max_false: float
) -> tuple[float, tuple[float, float]]:
    """The threshold of sparse objections (``Calibration.sparse_objection_threshold``):
    over customer packs of one phrasing per objection (borrowed phrasings already in the
    packs, as compiled), the best share of paraphrases matched to their objection with at
    most ``max_false`` of ordinary answers matched to any; the sets are pooled.
    Returns (threshold, (accuracy, false-match rate))."""
    confidences: list[float] = []
    right: list[bool] = []
    ordinary: list[bool] = []
    for s in sets:
        matcher = HybridMatcher(s.packs, encoder, base, threshold=0.0)
        for item in s.items:
            found = matcher.match(item.text)
            confidences.append(found.score)
            right.append(item.kind == "objection" and found.objection == item.label)
            ordinary.append(item.kind == "ordinary")
    return _best_threshold(
        (np.array(confidences), np.array(right, dtype=bool), np.array(ordinary, dtype=bool)),
        max_false,
    )


# ---------------------------------------------------------------- learned acceptance

# Cutoffs tried for the acceptance model's probability.
CUTOFFS = tuple(round(float(x), 2) for x in np.arange(0.05, 0.96, 0.01))
FOLDS = 5


@dataclass(frozen=True, slots=True)
class AcceptanceCase:
    """One development utterance ranked by the NLU: what the acceptance reads, whether
    its best label is its label, whether it is an ordinary answer, and its group (the
    false-match ceiling holds in every group: a pooled rate would let easy ordinary
    answers hide the ones that sound like the product)."""

    features: tuple[float, ...]
    right: bool
    ordinary: bool
    group: str = ""


def acceptance_cases(
    ranker: HybridClassifier | HybridMatcher, items: Sequence[Item], group: str = ""
) -> list[AcceptanceCase]:
    """The cases of ``items`` (intents for a classifier, objections for a matcher, and
    ordinary answers) as ``ranker`` ranks them with its calibrated thresholds."""
    cases = []
    for item in items:
        r = ranker.ranked(item.text, features=True)
        if not r.features:  # nothing scored: nothing to accept, whatever the model
            continue
        if isinstance(ranker, HybridClassifier):
            best = ranker.names[r.best]
        else:
            best = ranker.entries[r.best][1].text
        right = item.kind != "ordinary" and best == item.label
        cases.append(AcceptanceCase(r.features, right, item.kind == "ordinary", group))
    return cases


def _logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 3000
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean, scale, weights, bias) of an L2-regularised logistic regression on
    standardised features, by full-batch gradient descent (deterministic)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) / len(y)
        grad[:-1] += l2 * w[:-1]
        w -= 0.5 * grad
    return mean, scale, w[:-1], float(w[-1])


def _probabilities(
    x: np.ndarray, fitted: tuple[np.ndarray, np.ndarray, np.ndarray, float]
) -> np.ndarray:
    mean, scale, weights, bias = fitted
    out: np.ndarray = 1.0 / (1.0 + np.exp(-(((x - mean) / scale) @ weights + bias)))
    return out


def _rule_accepts(case: AcceptanceCase) -> bool:
    """The threshold rule: confidence at or above the label's threshold (both are
    among the features)."""
    confidence = case.features[FEATURES.index("confidence")]
    return round(confidence, 4) >= case.features[FEATURES.index("threshold")]


def rule_figures(cases: Sequence[AcceptanceCase]) -> tuple[float, dict[str, float]]:
    """What the threshold rule does on these cases: the share of labelled cases
    accepted right, and per group the share of ordinary answers accepted."""
    labelled = [c for c in cases if not c.ordinary]
    accuracy = sum(c.right and _rule_accepts(c) for c in labelled) / max(1, len(labelled))
    rates: dict[str, float] = {}
    for group in sorted({c.group for c in cases}):
        ordinary = [c for c in cases if c.group == group and c.ordinary]
        if ordinary:
            rates[group] = sum(_rule_accepts(c) for c in ordinary) / len(ordinary)
    return accuracy, rates


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """The acceptance's cutoffs and what they do on the cases they were chosen on."""

    cutoff: float
    sparse_cutoff: float | None  # None: ``cutoff`` for sparse labels too
    accuracy: float  # share of labelled cases accepted right
    false: float  # the worst group's share of ordinary answers accepted


def choose_cutoffs(
    probabilities: np.ndarray,
    right: np.ndarray,
    ordinary: np.ndarray,
    sparse: np.ndarray,
    groups: Sequence[str],
    ceiling: Mapping[str, float],
) -> Cutoffs:
    """The cutoff with the best share of labelled cases accepted right and at most
    ``ceiling[g]`` of the ordinary answers of every group ``g`` accepted; then, with it
    fixed for the other labels, the same for the cases whose best label is sparse (a
    customer's one-phrasing objection), counting a wrong label accepted against a right
    one: fewer labels in scope take fewer ordinary answers by chance, and their
    paraphrases score lower. At equal figures, the fewest ordinary answers taken, then
    the higher cutoff."""
    names = np.array(groups)
    rows_of = [(g, ordinary & (names == g)) for g in sorted(set(groups))]
    rows_of = [(g, rows) for g, rows in rows_of if rows.any()]
    n_labelled = max(1, int((~ordinary).sum()))
    wrong_label = ~ordinary & ~right

    def figures(accepted: np.ndarray) -> tuple[int, int, float] | None:
        """(labelled cases accepted right, accepted wrong, worst false-match rate), or
        None over a ceiling."""
        rates = {g: float((accepted & rows).sum() / rows.sum()) for g, rows in rows_of}
        if not all(rate <= ceiling[g] + 1e-9 for g, rate in rates.items()):
            return None
        worst = max(rates.values(), default=0.0)
        return int((accepted & right).sum()), int((accepted & wrong_label).sum()), worst

    cutoff, sparse_cutoff, chosen = CUTOFFS[-1], None, (-1, 0, 0.0)
    for c in CUTOFFS:
        got = figures(probabilities >= c)
        if got is not None and (got[0], -got[2]) > (chosen[0], -chosen[2]):
            cutoff, chosen = c, got
    if (sparse & ~ordinary).any() and chosen[0] >= 0:
        # a wrong objection answered costs what a right one gains: the customer's
        # objections are few and alike, and a lower cutoff takes wrong ones too
        for c in reversed(CUTOFFS):
            got = figures(np.where(sparse, probabilities >= c, probabilities >= cutoff))
            if got is not None and (got[0] - got[1], -got[2]) > (
                chosen[0] - chosen[1],
                -chosen[2],
            ):
                sparse_cutoff, chosen = c, got
    accuracy = chosen[0] / n_labelled if chosen[0] >= 0 else -1.0
    return Cutoffs(cutoff, sparse_cutoff, accuracy, chosen[2])


def fit_acceptance(
    cases: Sequence[AcceptanceCase],
    max_false: float | Mapping[str, float],
    names: tuple[str, ...] = FEATURES,
) -> tuple[Acceptance, tuple[float, float]]:
    """The acceptance model of these cases and its cutoffs (``choose_cutoffs``, on
    cross-validated probabilities: ``FOLDS`` folds, by position, deterministic), with at
    most ``max_false`` of the ordinary answers of every group accepted (one ceiling, or
    one per group). The model is then fitted on every case.
    Returns (model, (cross-validated accuracy, worst group's false-match rate))."""
    x = np.array([c.features for c in cases], dtype=np.float64)
    y = np.array([c.right for c in cases], dtype=np.float64)
    ordinary = np.array([c.ordinary for c in cases], dtype=bool)
    if len(cases) < 2 * FOLDS or not y.any() or not ordinary.any():
        raise ValueError("too few cases to fit an acceptance model")
    held = np.zeros(len(cases))
    fold = np.arange(len(cases)) % FOLDS
    for k in range(FOLDS):
        train = fold != k
        held[~train] = _probabilities(x[~train], _logistic(x[train], y[train]))
    groups = [c.group for c in cases]
    ceiling = {
        g: max_false if isinstance(max_false, float) else max_false[g]
        for g in {c.group for c in cases if c.ordinary}
    }
    # another ranker's model (``names``: the customer objections') has one cutoff, the
    # one that accepts the most answers right
    apart = names != FEATURES
    sparse = np.array([apart or is_sparse(c.features) for c in cases], dtype=bool)
    chosen = choose_cutoffs(held, y > 0, ordinary, sparse, groups, ceiling)
    mean, scale, weights, bias = _logistic(x, y)
    model = Acceptance(
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in weights),
        bias=bias,
        cutoff=chosen.sparse_cutoff
        if apart and chosen.sparse_cutoff is not None
        else chosen.cutoff,
        sparse_cutoff=None if apart else chosen.sparse_cutoff,
        names=names,
    )
    return model, (chosen.accuracy, chosen.false)


def sparse_cases(
    main: HybridMatcher, sparse: SparseObjections, items: Sequence[Item], group: str
) -> list[AcceptanceCase]:
    """The cases of ``items`` as the customer objections' ranking sees them (``main``:
    the matcher of the same packs, for the lexical and main-encoder evidence): an
    objection answer is right when its best sparse objection is its label; anything
    else (an intent's answer, an ordinary one) must be matched to none."""
    cases = []
    for item in items:
        r = main.ranked(item.text)
        assert r.lexical is not None and r.nearest is not None
        s = sparse.ranked(item.text, r.lexical, r.nearest)
        if s.best < 0:
            continue
        right = item.kind == "objection" and main.entries[s.best][1].text == item.label
        cases.append(AcceptanceCase(s.features, right, item.kind != "objection", group))
    return cases


SPARSE_LEXICAL = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)


def fit_sparse(
    sets: Sequence[tuple[Sequence[ObjectionPack], Sequence[Intent], Sequence[Item]]],
    main: tuple[Encoder, Calibration],
    encoder: Encoder,
    max_false: float,
    encoder_name: str,
) -> tuple[SparseSettings, tuple[float, float]]:
    """The customer objections' settings (``mbs.nlu.sparse``): for each lexical weight
    of ``SPARSE_LEXICAL``, the acceptance model of every set's cases (its packs, its
    intents as rivals, its items: objection answers, and ordinary and intent answers
    grouped apart, each at most ``max_false`` matched); the weight whose
    cross-validated model accepts the most answers right wins. ``main``: the main
    encoder and calibration (their evidence is a feature).
    Returns (settings, (cross-validated accuracy, worst false-match rate))."""
    best: tuple[float, SparseSettings, tuple[float, float]] | None = None
    matchers = [
        (HybridMatcher(packs, *main, intents=intents), intents, items)
        for packs, intents, items in sets
    ]
    for weight in SPARSE_LEXICAL:
        settings = SparseSettings(encoder=encoder_name, lexical=weight)
        cases: list[AcceptanceCase] = []
        for matcher, intents, items in matchers:
            sparse = SparseObjections.of(matcher.entries, intents, encoder, settings)
            if sparse is None:
                continue
            for group in ("objection", "intent", "ordinary"):
                chosen = [i for i in items if i.kind == group]
                cases += sparse_cases(matcher, sparse, chosen, group)
        model, figures = fit_acceptance(cases, max_false, SPARSE_FEATURES)
        if best is None or figures[0] > best[0]:
            best = (figures[0], replace(settings, acceptance=model), figures)
    if best is None:
        raise ValueError("no customer objections to fit")
    return best[1], best[2]
