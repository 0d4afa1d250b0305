"""The hybrid NLU's fitted settings: fusion weights and thresholds (``calibration.json``).

Kept apart from the scorer (no numpy here) so that the compiler can read the calibrated
threshold range cheaply when it checks a scenario's ``threshold`` settings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from mbs.nlu.acceptance import SPARSE_FEATURES, Acceptance

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True, slots=True)
class Fusion:
    """How lexical and semantic evidence combine (fitted by ``mbs nlu calibrate``)."""

    lexical: float = 0.6
    semantic: float = 0.5
    floor: float = 0.45  # cosine at or below which the semantic evidence is 0
    centroid: float = 0.3  # share of the centroid similarity (the rest: nearest phrasing)
    negation_penalty: float = 0.6
    margin: float = 0.5  # confidence gain per unit of lead over the runner-up
    margin_cap: float = 0.15
    contrast_discount: float = 0.7  # an intent said before the last "mais"


@dataclass(frozen=True, slots=True)
class DecisionSettings:
    """The step-context rules of ``mbs.runtime.decision`` (swept on the in-context
    development set: they depend on the thresholds above)."""

    context_margin: float = 0.1  # an objection must lead a handled intent by more
    expected_floor: float = 0.25  # a step's own answer is taken from this score
    capture_override: float = 0.85  # an objection over a named captured value
    number_override: float = 1.0  # ... over a number answering an untyped capture
    capture_free: float = 0.7  # an objection at a step that captures the whole answer


@dataclass(frozen=True, slots=True)
class SparseSettings:
    """How a customer's one-phrasing objections are matched (``mbs.nlu.sparse``): the
    encoder that ranks their paraphrases, the weight of the lexical score beside its
    cosine, and the learned acceptance (``SPARSE_FEATURES``; None: no such matching)."""

    encoder: str = "use"
    lexical: float = 0.3
    acceptance: Acceptance | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder,
            "lexical": self.lexical,
            "acceptance": self.acceptance.to_dict() if self.acceptance else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SparseSettings:
        model = data.get("acceptance")
        return cls(
            encoder=str(data["encoder"]),
            lexical=float(data["lexical"]),
            acceptance=Acceptance.from_dict(model, SPARSE_FEATURES) if model else None,
        )


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fusion weights and thresholds, as fitted and committed in ``calibration.json``."""

    fusion: Fusion = field(default_factory=Fusion)
    # Objections' own fusion: their evidence is not the intents' (one sentence per label
    # against thirty examples), so the best weights differ. None: ``fusion``.
    objection_fusion: Fusion | None = None
    intent_threshold: float = 0.5
    objection_threshold: float = 0.55
    intent_thresholds: Mapping[str, float] = field(default_factory=dict)
    # an objection its pack gives fewer than ``SPARSE`` phrasings (a customer's pack of
    # one sentence per objection): its paraphrases score lower, and so do ordinary
    # answers against so few phrasings; fitted on such packs. None: the global one.
    sparse_objection_threshold: float | None = None
    # thresholds a scenario may set and stay in the range the calibration measured
    threshold_range: tuple[float, float] = (0.3, 0.65)
    encoder: str = "wordllama-l2_supercat-256"
    fitted_on: str = ""
    decision: DecisionSettings = field(default_factory=DecisionSettings)
    # learned acceptance of the best intent / objection (``mbs.nlu.acceptance``), used
    # instead of the thresholds above when present; None: the threshold rule
    intent_acceptance: Acceptance | None = None
    objection_acceptance: Acceptance | None = None
    # a customer's one-phrasing objections, ranked in a second encoder's space against
    # rivals (``mbs.nlu.sparse``); None: ranked with the others
    sparse: SparseSettings | None = None

    @property
    def objections(self) -> Fusion:
        """The fusion of the objection matcher."""
        return self.objection_fusion or self.fusion

    def to_json(self) -> str:
        data = asdict(self)
        data["intent_thresholds"] = dict(self.intent_thresholds)
        for name in ("intent_acceptance", "objection_acceptance"):
            model = getattr(self, name)
            data[name] = model.to_dict() if model is not None else None
        data["sparse"] = self.sparse.to_dict() if self.sparse is not None else None
        return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        data: dict[str, Any] = json.loads(text)
        return cls(
            fusion=Fusion(**data.get("fusion", {})),
            objection_fusion=(
                Fusion(**data["objection_fusion"]) if data.get("objection_fusion") else None
            ),
            intent_threshold=float(data["intent_threshold"]),
            objection_threshold=float(data["objection_threshold"]),
            intent_thresholds={str(k): float(v) for k, v in data["intent_thresholds"].items()},
            sparse_objection_threshold=(
                float(data["sparse_objection_threshold"])
                if data.get("sparse_objection_threshold") is not None
                else None
            ),
            threshold_range=(float(data["threshold_range"][0]), float(data["threshold_range"][1])),
            encoder=str(data.get("encoder", "")),
            fitted_on=str(data.get("fitted_on", "")),
            decision=DecisionSettings(**data.get("decision", {})),
            intent_acceptance=_acceptance(data.get("intent_acceptance")),
            objection_acceptance=_acceptance(data.get("objection_acceptance")),
            sparse=SparseSettings.from_dict(data["sparse"]) if data.get("sparse") else None,
        )


def _acceptance(data: Mapping[str, Any] | None) -> Acceptance | None:
    return Acceptance.from_dict(data) if data else None


# The encoder of ``nlu.hybrid`` when its ``encoder`` setting is not given (kept here, not
# in ``mbs.nlu.encoder``, so that reading it does not import numpy). USE ranks better but,
# at thresholds that keep false matches of ordinary answers under 5 %, accepts only a few
# points more, and its score spread changes decisions the shipped scenarios' tests pin
# (docs/nlu.md, "Encoders").
DEFAULT_ENCODER = "wordllama"

_calibrations: dict[str, Calibration] = {}


def read_all(text: str) -> dict[str, Calibration]:
    """``calibration.json``: one fitted calibration per encoder name."""
    data: dict[str, Any] = json.loads(text)
    return {name: Calibration.from_json(json.dumps(part)) for name, part in data.items()}


def write_all(calibrations: Mapping[str, Calibration]) -> str:
    parts = {name: json.loads(c.to_json()) for name, c in sorted(calibrations.items())}
    return json.dumps(parts, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def committed() -> dict[str, Calibration]:
    """Every committed calibration (``mbs/nlu/calibration.json``), read once."""
    if not _calibrations:
        text = resources.files("mbs.nlu").joinpath(CALIBRATION_FILE).read_text("utf-8")
        _calibrations.update(read_all(text))
    return _calibrations


def calibration(encoder: str = DEFAULT_ENCODER) -> Calibration:
    """The committed calibration of this encoder (``ENCODERS`` of ``mbs.nlu.encoder``);
    an encoder fitted by nobody gets the default encoder's, else the built-in defaults."""
    fitted = committed()
    return fitted.get(encoder) or fitted.get(DEFAULT_ENCODER) or Calibration(encoder=encoder)


def override(encoder: str, fitted: Calibration) -> None:
    """Use ``fitted`` for ``encoder`` in this process (calibration scripts' trials)."""
    committed()[encoder] = fitted
