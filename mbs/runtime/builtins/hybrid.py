"""``nlu.hybrid``: the default NLU, lexical and semantic evidence fused (``mbs.nlu.hybrid``).

The sentence encoder (setting ``encoder``: ``wordllama``, static word vectors, by
default; ``use``, the Universal Sentence Encoder multilingual, which ranks paraphrases
better; ``use-words``, USE distilled into word vectors; all shipped in their wheels) is
loaded once per process on the first program built, each with its own committed
calibration, and the index of a program's intents and objections once per content
(shared by every call of a campaign). Thresholds, highest priority first: the builtin's
config (``intent_threshold``, ``objection_threshold``, from the command line or the
campaign file), the scenario header (``threshold intent 0.5``), the calibrated values
committed in ``mbs/nlu/calibration.json``.

A third party plugs another encoder (an ONNX sentence encoder, an Ollama embedding
model) by subclassing this class with its own ``encoder()``, registered under its own
entry point: the index, fusion and decision stay the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from mbs.nlu.calibration import DEFAULT_ENCODER, Calibration, calibration
from mbs.nlu.encoder import ENCODERS, Encoder, EncoderUnavailable, default_encoder
from mbs.nlu.hybrid import shared_classifier, shared_matcher
from mbs.program import Program
from mbs.runtime.builtins.base import (
    BuiltinError,
    IntentResult,
    MissingDependency,
    ObjectionResult,
)
from mbs.runtime.builtins.fuzzy import FuzzyOptions
from mbs.runtime.builtins.settings import get_float, get_str

_SETTINGS = ("intent_threshold", "objection_threshold", "encoder")


class HybridOptions(FuzzyOptions):
    """The same thresholds as ``nlu.fuzzy`` (none: the scenario's, else the calibrated),
    and the sentence encoder."""

    encoder: Literal["wordllama", "use-words", "use"] = Field(
        default="wordllama",
        description=(
            "Sentence encoder: wordllama (static word vectors), use-words (USE distilled"
            " into word vectors) or use (multilingual USE)"
        ),
    )


class HybridNlu:
    """The ``Nlu`` protocol over the hybrid classifier and objection matcher."""

    owner = "nlu.hybrid"
    Options = HybridOptions

    def __init__(self, program: Program, config: Mapping[str, object] | None = None) -> None:
        config = config or {}
        unknown = sorted(set(config) - set(_SETTINGS))
        if unknown:
            raise BuiltinError(
                f"{self.owner}: unknown setting {unknown[0]!r} (known: {', '.join(_SETTINGS)})"
            )
        self.encoder_name = get_str(config, "encoder", DEFAULT_ENCODER, owner=self.owner)
        if self.encoder_name not in ENCODERS:
            raise BuiltinError(
                f"{self.owner}: setting 'encoder' must be one of {', '.join(sorted(ENCODERS))},"
                f" got {self.encoder_name!r}"
            )
        calibrated = self.calibration()
        wanted = program.scenario.thresholds
        intent = self._threshold(config, "intent_threshold", wanted.intent)
        objection = self._threshold(config, "objection_threshold", wanted.objection)
        try:
            encoder = self.encoder()
        except EncoderUnavailable as exc:
            raise MissingDependency(f"{self.owner}: {exc}") from exc
        self.intents = shared_classifier(program.intents, encoder, calibrated, intent)
        self.objections = shared_matcher(
            program.objection_packs, encoder, calibrated, objection, program.intents
        )
        self.intent_threshold = self.intents.threshold
        self.objection_threshold = self.objections.threshold

    def encoder(self) -> Encoder:
        """The sentence encoder (override to plug another one)."""
        return default_encoder(self.encoder_name)

    def calibration(self) -> Calibration:
        """Fusion weights and thresholds (override along with ``encoder``)."""
        return calibration(self.encoder_name)

    def _threshold(
        self, config: Mapping[str, object], key: str, scenario: float | None
    ) -> float | None:
        if config.get(key) is None:
            return scenario
        value = get_float(config, key, 0.0, owner=self.owner, minimum=0.0)
        if value > 1.0:
            raise BuiltinError(
                f"{self.owner}: setting {key!r} must be between 0 and 1, got {value}"
            )
        return value

    async def classify(self, utterance: str) -> IntentResult:
        m = self.intents.classify(utterance)
        return IntentResult(
            intent=m.intent,
            score=m.score,
            runner_up=m.runner_up,
            runner_up_score=m.runner_up_score,
            # per label when calibrated: the VM's stop rules read the same thresholds
            runner_up_threshold=(
                self.intents.threshold_for(m.runner_up) if m.runner_up is not None else None
            ),
        )

    async def match_objection(self, utterance: str) -> ObjectionResult:
        m = self.objections.match(utterance)
        if m.objection is None:
            return ObjectionResult(objection=None, score=m.score)
        return ObjectionResult(
            objection=m.objection, response=m.response, audio=m.audio, pack=m.pack, score=m.score
        )
