"""``nlu.fuzzy``: the embedded NLU, French fuzzy matching without an LLM (``mbs.nlu``).

Built once per program: every intent example and objection phrasing is normalised and
indexed at construction, so a call only pays for its own utterances (well under a
millisecond each). Thresholds, highest priority first: the builtin's config
(``intent_threshold``, ``objection_threshold``, from the command line or the campaign
file), the scenario header (``threshold intent 0.6``), the defaults of ``mbs.nlu``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from mbs.nlu import (
    DEFAULT_INTENT_THRESHOLD,
    DEFAULT_OBJECTION_THRESHOLD,
    IntentClassifier,
    ObjectionMatcher,
)
from mbs.program import Program
from mbs.runtime.builtins.base import BuiltinError, IntentResult, ObjectionResult
from mbs.runtime.builtins.options import BuiltinOptions
from mbs.runtime.builtins.settings import get_float

_OWNER = "nlu.fuzzy"


def _threshold(
    config: Mapping[str, object], key: str, scenario: float | None, default: float
) -> float:
    if config.get(key) is None:
        return scenario if scenario is not None else default
    value = get_float(config, key, default, owner=_OWNER, minimum=0.0)
    if value > 1.0:
        raise BuiltinError(f"{_OWNER}: setting {key!r} must be between 0 and 1, got {value}")
    return value


class FuzzyOptions(BuiltinOptions):
    intent_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Lowest score an intent needs; none: the scenario's, else the default",
    )
    objection_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Lowest score an objection needs; none: the scenario's, else the default",
    )


class FuzzyNlu:
    """The ``Nlu`` protocol over the program's intents and objection packs."""

    Options = FuzzyOptions

    def __init__(self, program: Program, config: Mapping[str, object] | None = None) -> None:
        config = config or {}
        unknown = sorted(set(config) - {"intent_threshold", "objection_threshold"})
        if unknown:
            raise BuiltinError(
                f"{_OWNER}: unknown setting {unknown[0]!r} "
                "(known: intent_threshold, objection_threshold)"
            )
        wanted = program.scenario.thresholds
        self.intent_threshold = _threshold(
            config, "intent_threshold", wanted.intent, DEFAULT_INTENT_THRESHOLD
        )
        self.objection_threshold = _threshold(
            config, "objection_threshold", wanted.objection, DEFAULT_OBJECTION_THRESHOLD
        )
        self.intents = IntentClassifier(program.intents, threshold=self.intent_threshold)
        self.objections = ObjectionMatcher(
            program.objection_packs, threshold=self.objection_threshold
        )

    async def classify(self, utterance: str) -> IntentResult:
        m = self.intents.classify(utterance)
        return IntentResult(
            intent=m.intent,
            score=m.score,
            runner_up=m.runner_up,
            runner_up_score=m.runner_up_score,
            runner_up_threshold=self.intent_threshold if m.runner_up is not None else None,
        )

    async def match_objection(self, utterance: str) -> ObjectionResult:
        m = self.objections.match(utterance)
        if m.objection is None:
            return ObjectionResult(objection=None, score=m.score)
        return ObjectionResult(
            objection=m.objection,
            response=m.response,
            audio=m.audio,
            pack=m.pack,
            score=m.score,
        )
