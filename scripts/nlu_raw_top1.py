"""Raw top-1 of each half of the hybrid NLU, thresholds ignored, on the held-out sets.

    .venv/bin/python scripts/nlu_raw_top1.py [--split dev|test] [--encoder use|wordllama]

For every labelled answer: is the right label ranked first by the lexical score alone,
by the semantic similarity alone (nearest phrasing, centroid, and the two blended as
the calibration says), and by the fused score? It tells a ranking problem (the right
label is not first) from an acceptance problem (it is first but under the threshold),
which the accepted figures of ``nlu_decisions_report.py`` mix up. Also the median
cosine of the right label and of the best label, and the share of answers whose every
fused score is 0 (nothing for the threshold to accept).

Sets: ``own_pack`` and ``own_pack_natural`` (customers' packs, one phrasing per
objection: each utterance against its own pack alone; per pack, then the set overall),
``objections`` against the stdlib packs as written and cut to one phrasing, ``intents``
over the stdlib.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mbs.compiler import compile_file  # noqa: E402
from mbs.nlu.calibrate import one_phrasing  # noqa: E402
from mbs.nlu.calibration import calibration  # noqa: E402
from mbs.nlu.encoder import default_encoder  # noqa: E402
from mbs.nlu.hybrid import HybridClassifier, HybridMatcher, combine, fuse  # noqa: E402
from mbs.program import Program  # noqa: E402
from tests.nlu import heldout  # noqa: E402

STDLIB = REPO / "tests" / "nlu" / "stdlib_all.mbs"


def _program(path: Path) -> Program:
    result = compile_file(path)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


ENCODER = sys.argv[sys.argv.index("--encoder") + 1] if "--encoder" in sys.argv else "use"


@dataclass
class Stats:
    """What ``_measure`` counts; several add up (an own-pack set over its packs)."""

    hits: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("lexical", "nearest", "centroid", "semantic", "fused"), 0
        )
    )
    right_cos: list[float] = field(default_factory=list)
    best_cos: list[float] = field(default_factory=list)
    all_zero: int = 0
    n: int = 0

    def __add__(self, other: Stats) -> Stats:
        return Stats(
            {k: v + other.hits[k] for k, v in self.hits.items()},
            self.right_cos + other.right_cos,
            self.best_cos + other.best_cos,
            self.all_zero + other.all_zero,
            self.n + other.n,
        )

    def show(self, name: str) -> None:
        n = self.n
        shares = "  ".join(f"{k} {v / n:.3f}" for k, v in self.hits.items())
        print(
            f"{name:36} n={n:3}  {shares}  cos(right) {np.median(self.right_cos):.2f}"
            f"  cos(best) {np.median(self.best_cos):.2f}  all-zero {self.all_zero / n:.3f}"
        )


def _measure(
    name: str, scorer: object, labels: dict[str, int], items: list, intents: bool
) -> Stats:
    f = calibration(ENCODER).objections if not intents else calibration(ENCODER).fusion
    stats = Stats(n=len(items))
    hits, right_cos, best_cos = stats.hits, stats.right_cos, stats.best_cos
    for u in items:
        want = labels[u.label]
        whole, tail = scorer.evidence_pair(u.text)  # type: ignore[attr-defined]
        blend = (1 - f.centroid) * whole.nearest + f.centroid * whole.centre
        fused = combine(fuse(whole, f), fuse(tail, f) if tail else None, f, intents=intents)
        for key, scores in (
            ("lexical", whole.lexical),
            ("nearest", whole.nearest),
            ("centroid", whole.centre),
            ("semantic", blend),
            ("fused", fused),
        ):
            hits[key] += int(np.argmax(scores)) == want and float(np.max(scores)) > 0.0
        right_cos.append(float(whole.nearest[want]))
        best_cos.append(float(whole.nearest.max()))
        stats.all_zero += float(fused.max()) <= 0.0
    stats.show(name)
    return stats


def _labels(m: HybridMatcher) -> dict[str, int]:
    return {o.text: i for i, (_, o) in enumerate(m.entries)}


def main() -> None:
    args = sys.argv[1:]
    split = args[args.index("--split") + 1] if "--split" in args else "dev"
    encoder, cal = default_encoder(ENCODER), calibration(ENCODER)
    stdlib = _program(STDLIB)
    print(f"split {split}\nintents' fusion {cal.fusion}\nobjections' fusion {cal.objections}")
    own_packs = {pack: _program(path).objection_packs for pack, path in heldout.OWN_PACKS.items()}
    for set_name in heldout.OWN_SETS:
        own_items = heldout.load(set_name, split)
        per_pack = []
        for pack, declared in own_packs.items():
            mine = [u for u in own_items if u.pack == pack]
            if mine:
                m = HybridMatcher(declared, encoder, cal)
                title = f"{set_name} [{pack}]"
                per_pack.append(_measure(title, m._scorer, _labels(m), mine, intents=False))
        if len(per_pack) > 1:
            sum(per_pack[1:], per_pack[0]).show(f"{set_name} (all packs)")
    objection_sets = (
        ("stdlib", stdlib.objection_packs, heldout.load("objections", split)),
        (
            "stdlib, one phrasing",
            one_phrasing(stdlib.objection_packs),
            heldout.load("objections", split),
        ),
    )
    for name, packs, items in objection_sets:
        m = HybridMatcher(packs, encoder, cal)
        _measure(name, m._scorer, _labels(m), items, intents=False)
    clf = HybridClassifier(stdlib.intents, encoder, cal)
    labels = {n: i for i, n in enumerate(clf.names)}
    items = [u for u in heldout.load("intents", split) if u.kind == "intent"]
    _measure("intents", clf._scorer, labels, items, intents=True)


if __name__ == "__main__":
    main()
