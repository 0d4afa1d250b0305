"""``nlu.ollama``: intent classification by a local model, the fuzzy NLU as safety net.

The model sees every intent of the program (its name and a few examples) and the
utterance, and must answer ``{"intent": NAME or null, "confidence": 0..1}``. When it
is slow (``timeout``, 2 s), down, in error, or answers anything else (not JSON, an
intent that does not exist, no confidence), the fallback NLU's result is returned, so a
call never waits on the model nor acts on its inventions. Objection matching is the
fallback's job: objection responses are scripted, and the fallback already indexes
every phrasing.

The fallback is itself a builtin, built through the registry (``fallback``, default
``hybrid``, the NLU campaigns use without a model: losing the model must not make the
robot understand less than it would have without it); settings prefixed ``fallback.``
are passed to it without the prefix.

Settings: ``host``, ``model`` (mistral:7b), ``timeout`` (s, 2.0), ``examples`` (per
intent in the prompt, 4), ``threshold`` (default: the scenario's ``threshold intent``,
else 0.6), ``fallback``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, cast

from pydantic import Field, model_validator

from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import IntentResult, Nlu, ObjectionResult
from mbs.runtime.builtins.ollama_chat import DEFAULT_HOST, DEFAULT_MODEL, OllamaChat, OllamaFailure
from mbs.runtime.builtins.options import BuiltinOptions
from mbs.runtime.builtins.settings import get_float, get_int, get_str

_OWNER = "nlu.ollama"

_SYSTEM = (
    "Tu analyses ce qu'un particulier répond au téléphone à un conseiller. "
    "Tu choisis, dans la liste fournie, l'intention qui correspond à sa phrase, ou null "
    "si aucune ne correspond vraiment. Réponds uniquement par un objet JSON de la forme "
    '{"intent": "nom_de_l_intention" ou null, "confidence": nombre entre 0 et 1}.'
)


class OllamaNluOptions(BuiltinOptions):
    host: str = Field(default=DEFAULT_HOST, description="Ollama server")
    model: str = Field(default=DEFAULT_MODEL, description="Model name on that server")
    timeout: float = Field(
        default=2.0, ge=0.01, description="Seconds a classification may take before the fallback"
    )
    examples: int = Field(default=4, ge=0, description="Examples per intent in the prompt")
    threshold: float | None = Field(
        default=None, ge=0.0, description="Lowest confidence; none: the scenario's, else 0.6"
    )
    fallback: str = Field(
        default="hybrid",
        description="NLU used when the model fails; `fallback.<option>` keys go to it",
    )
    fallback_options: dict[str, Any] = Field(
        default_factory=dict, description="Options of the fallback (written `fallback.<option>`)"
    )

    @model_validator(mode="before")
    @classmethod
    def _fallback_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            inner = {
                k.removeprefix("fallback."): v for k, v in data.items() if k.startswith("fallback.")
            }
            data = {k: v for k, v in data.items() if not k.startswith("fallback.")}
            if inner:
                data["fallback_options"] = {**data.get("fallback_options", {}), **inner}
        return data


class OllamaNlu:
    Options = OllamaNluOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        self.program = program
        self.chat = OllamaChat(config, owner=_OWNER, default_timeout=2.0)
        self.examples = get_int(config, "examples", 4, owner=_OWNER)
        scenario_threshold = program.scenario.thresholds.intent
        self.threshold = get_float(
            config,
            "threshold",
            scenario_threshold if scenario_threshold is not None else 0.6,
            owner=_OWNER,
            minimum=0.0,
        )
        fallback_name = get_str(config, "fallback", "hybrid", owner=_OWNER)
        if fallback_name == "ollama":
            raise ValueError("the fallback of nlu.ollama cannot be nlu.ollama")
        written = config.get("fallback_options", {})
        if not isinstance(written, Mapping):
            raise ValueError(
                f"{_OWNER}: fallback_options must be a table of the fallback's options"
            )
        fallback_config = {str(key): value for key, value in written.items()}
        fallback_config.update(
            (key.removeprefix("fallback."), value)
            for key, value in config.items()
            if key.startswith("fallback.")
        )
        self.fallback = cast(Nlu, registry.create("nlu", fallback_name, program, fallback_config))
        self.names = [intent.name for intent in program.intents]
        # the intents listed in every prompt: built once, they are the program's
        lines = ["Intentions possibles :"]
        for intent in program.intents:
            shown = "; ".join(f"« {e} »" for e in intent.examples[: self.examples])
            lines.append(f"- {intent.name} : par exemple {shown}" if shown else f"- {intent.name}")
        self._catalogue = "\n".join(lines)
        self.fallbacks: dict[str, int] = {}  # reason -> count, for the run summary
        self.last_reason = ""  # why the last classification fell back ("" if it did not)

    async def check(self) -> str | None:
        """A warning when the server or the model is missing (the fallback would decide)."""
        return await self.chat.check()

    def messages(self, utterance: str) -> list[dict[str, str]]:
        user = f"{self._catalogue}\n\nPhrase du particulier : « {utterance} »"
        return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]

    def parse(self, reply: str) -> IntentResult:
        """The model's JSON as a result, or :class:`OllamaFailure` ("garbage")."""
        try:
            data: Any = json.loads(reply)
        except ValueError:
            raise OllamaFailure("garbage", f"not JSON: {reply[:80]!r}") from None
        if not isinstance(data, dict) or "intent" not in data:
            raise OllamaFailure("garbage", f"no intent field: {reply[:80]!r}")
        intent, confidence = data.get("intent"), data.get("confidence")
        if isinstance(intent, str) and intent.strip().lower() in ("", "null", "none"):
            intent = None
        if intent is not None and intent not in self.names:
            raise OllamaFailure("garbage", f"unknown intent {intent!r}")
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not math.isfinite(confidence)
        ):
            raise OllamaFailure("garbage", f"no numeric confidence: {reply[:80]!r}")
        score = min(1.0, max(0.0, float(confidence)))
        if intent is None:
            return IntentResult(intent=None, score=0.0)
        if score < self.threshold:
            return IntentResult(intent=None, score=score, runner_up=intent, runner_up_score=score)
        return IntentResult(intent=intent, score=score)

    async def classify(self, utterance: str) -> IntentResult:
        if not utterance.strip() or not self.names:
            self.last_reason = ""
            return await self.fallback.classify(utterance)
        try:
            reply = await self.chat.ask(
                self.messages(utterance), json_answer=True, options={"temperature": 0.0}
            )
            result = self.parse(reply)
        except OllamaFailure as exc:
            self.last_reason = str(exc)
            self.fallbacks[exc.reason] = self.fallbacks.get(exc.reason, 0) + 1
            return await self.fallback.classify(utterance)
        self.last_reason = ""
        return result

    async def match_objection(self, utterance: str) -> ObjectionResult:
        return await self.fallback.match_objection(utterance)
