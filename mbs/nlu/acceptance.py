"""Learned acceptance: is the best label of an utterance what the prospect said?

A single threshold on the fused score cannot tell a paraphrase from an ordinary answer
that scores as high ("ma voiture a dix ans" against a call-back example about a car):
on the held-out dev split the right intent ranks first for 95 % of the intent answers
but only 85 % pass the threshold that keeps ordinary answers out. Other evidence tells
them apart: how much of the utterance the label's vocabulary knows, how close the
utterance is to small talk (``mbs/nlu/ordinary.txt``), how much of the best score is
lexical, how far the runner-up is. A logistic model over these ``FEATURES`` gives the
probability that the best label is right; it is accepted from ``cutoff`` on.

An objection with fewer than ``SPARSE`` phrasings (a customer's own pack, one phrasing
each) has a cutoff of its own, ``sparse_cutoff``: fewer labels in scope take fewer
ordinary answers by chance, and a paraphrase of a one-phrasing objection scores lower
than one of a library objection with thirty, so the stdlib's cutoff would refuse most of
them while the ordinary answers stay far under the false-match ceiling.

The model is calibration data (``calibration.json``, ``intent_acceptance`` and
``objection_acceptance``), fitted on the development set by ``mbs.nlu.calibrate``
(``fit_acceptance``). It applies only with the calibrated thresholds: a threshold set
by a scenario or a campaign means the plain threshold rule. No numpy here: the
compiler reads the calibration without the scorer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# An objection with fewer phrasings (its text and variants, borrowed ones included) is
# sparse: it borrows from the library (``mbs.compiler.borrow``), has its own threshold
# and its own cutoff.
SPARSE = 3

# What the model reads of one utterance and its best label, in this order.
FEATURES = (
    "top",  # the best label's fused score
    "confidence",  # the same with the lead over the runner-up (``rank``)
    "runner_up",  # the runner-up's fused score
    "lexical",  # the best label's lexical score (whole utterance)
    "nearest",  # cosine to the best label's nearest phrasing
    "centroid",  # cosine to the best label's centroid
    "ordinary_words",  # share of content words the ordinary answers use
    "ordinary_nearest",  # mean cosine to the three nearest ordinary answers
    "length",  # log(1 + content words)
    "unknown",  # share of content words no label's phrasing uses
    "threshold",  # the best label's calibrated threshold (a per-label prior)
    "phrasings",  # log(the best label's phrasings)
)
_PHRASINGS = FEATURES.index("phrasings")

# What the model of a customer's one-phrasing objections reads (``mbs.nlu.sparse``): its
# best objection against the utterance's nearest rivals (the examples of the intents in
# scope, the ordinary answers), all in the sparse encoder's space.
SPARSE_FEATURES = (
    "top",  # the best objection's score (``mbs.nlu.sparse``)
    "lead",  # its lead over the runner-up
    "nearest",  # cosine to its nearest phrasing
    "lexical",  # its lexical score
    "rival",  # cosine to the nearest rival: an intent's example, an ordinary answer
    "ordinary_nearest",  # mean cosine to the three nearest ordinary answers
    "length",  # log(1 + content words)
    "agreement",  # 0 when the main encoder ranks it first too, else how far behind
)


def is_sparse(features: Sequence[float]) -> bool:
    """Whether the best label of these features has fewer than ``SPARSE`` phrasings."""
    return features[_PHRASINGS] < math.log(SPARSE) - 1e-9


# How far from its mean (in standard deviations) a feature of ``BOUNDED`` counts: the model
# extrapolates no further than the data it was fitted on reached. Only the phrasings'
# count is bounded: the library's labels it was fitted on all have many, a scenario's own
# label may have a handful; the other features range alike in any scenario (bounding them
# too lost customer-pack answers whose long utterances sat far out, 0.475 -> 0.456 on the
# first independent set).
EXTENT = 3.0
BOUNDED = frozenset(("phrasings",))


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A fitted logistic model over ``FEATURES`` (standardised) and its cutoff."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    cutoff: float
    sparse_cutoff: float | None = None  # None: ``cutoff`` for every label
    # what the model reads, in order: ``FEATURES``, or another ranker's (the customer
    # objections' of ``mbs.nlu.sparse``)
    names: tuple[str, ...] = FEATURES

    def __post_init__(self) -> None:
        n = len(self.names)
        if not (len(self.mean) == len(self.scale) == len(self.weights) == n):
            raise ValueError(f"an acceptance model has {n} features")
        if self.sparse_cutoff is not None and self.names != FEATURES:
            raise ValueError("a sparse cutoff reads the phrasings feature of FEATURES")
        if any(s <= 0.0 for s in self.scale):
            raise ValueError("an acceptance model's scales are positive")

    def probability(self, features: Sequence[float]) -> float:
        """The probability that the best label is right. The phrasings' count far outside
        what the model was fitted on counts as at the edge of it (``EXTENT`` deviations):
        a scenario's own intent of seven examples, where the library's have fifty to
        a hundred, had made the phrasings' weight accept "un chien il a neuf ans" as a
        pet's death at a fused score of 0.32."""
        z = self.bias + sum(
            w * (min(EXTENT, max(-EXTENT, (x - m) / s)) if name in BOUNDED else (x - m) / s)
            for w, x, m, s, name in zip(
                self.weights, features, self.mean, self.scale, self.names, strict=True
            )
        )
        if z < -60.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def cutoff_for(self, features: Sequence[float]) -> float:
        """The cutoff that applies to these features' best label."""
        if self.sparse_cutoff is not None and is_sparse(features):
            return self.sparse_cutoff
        return self.cutoff

    def accepts(self, features: Sequence[float]) -> bool:
        return self.probability(features) >= self.cutoff_for(features)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "features": list(self.names),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "weights": [round(v, 6) for v in self.weights],
            "bias": round(self.bias, 6),
            "cutoff": round(self.cutoff, 4),
        }
        if self.sparse_cutoff is not None:
            data["sparse_cutoff"] = round(self.sparse_cutoff, 4)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], names: tuple[str, ...] = FEATURES) -> Acceptance:
        """The model written by ``to_dict``, which must read ``names``."""
        if list(data.get("features", ())) != list(names):
            raise ValueError("the acceptance model was fitted on other features: refit it")
        return cls(
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            weights=tuple(float(v) for v in data["weights"]),
            bias=float(data["bias"]),
            cutoff=float(data["cutoff"]),
            sparse_cutoff=(
                float(data["sparse_cutoff"]) if data.get("sparse_cutoff") is not None else None
            ),
            names=names,
        )
