"""``llm.ollama``: freestyle answers from a local model, always with a way out.

The prompt (``prompts/freestyle.j2``, in French) gives the model who it is (an
automated assistant speaking for the agent and company, personality), why it calls (the
objective's guidance), where the step stands (context, goal) and the last turns; the
prospect's words are quoted as data, never as instructions. The answer must be
speakable: at most ``max_words`` words (40: a phone answer, not a speech) cut at a
sentence end, no role markers or chat tokens, not a stub. It must also be safe to say
unchecked: an answer with a figure, a currency, a percentage or a guarantee is refused
(the model is told never to invent them, and we do not trust that it obeys). When the
model is slow (``timeout``, 2.5 s), down, in error, or its answer is refused, the
scripted fallback line is said instead and the reason recorded.

Settings: ``host`` (http://127.0.0.1:11434), ``model`` (mistral:7b), ``timeout`` (s,
2.5), ``max_words`` (40), ``min_words`` (3), ``temperature`` (0.4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import jinja2
from pydantic import Field

from mbs.program import Program
from mbs.runtime.builtins.base import FreestyleAnswer, FreestyleRequest
from mbs.runtime.builtins.ollama_chat import DEFAULT_HOST, DEFAULT_MODEL, OllamaChat, OllamaFailure
from mbs.runtime.builtins.options import BuiltinOptions
from mbs.runtime.builtins.settings import get_float, get_int
from mbs.runtime.errors import VmError

_OWNER = "llm.ollama"
PROMPTS = Path(__file__).parent / "prompts"

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PROMPTS),
    undefined=jinja2.ChainableUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)

# A speaker label at the start of a line, or the control tokens of chat templates: the
# model is writing a dialogue or leaking its prompt instead of answering.
_ROLE_MARKERS = re.compile(
    r"(?im)^\s*(system|user|assistant|prospect|robot|toi|vous|ton interlocuteur|"
    r"interlocuteur|agent|conseill[eè]re?|ta r[ée]plique)\s*:"
    r"|<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>|</?s>|^\s*#{2,}\s"
)
# What an unchecked answer must never assert: figures, amounts, rates, guarantees.
_UNSAFE = re.compile(
    r"(?P<figure>\d)|(?P<currency>[€$£]|\beuros?\b|\bdollars?\b|\bEUR\b)"
    r"|(?P<rate>%|\bpour ?cent\b)|(?P<guarantee>garanti|sans (aucun )?risque|assur[ée] de gagner)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…](?:[»\"”')\]]*)(?=\s|$)")
_QUOTES = "«»\"“”'"


class UnspeakableAnswer(VmError):
    """The model's text cannot be said as it is; the message is the reason."""


def shape_answer(text: str, *, max_words: int, min_words: int) -> str:
    """The model's reply as it will be spoken, or :class:`UnspeakableAnswer`."""
    text = text.strip()
    if not text:
        raise UnspeakableAnswer("empty answer")
    if _ROLE_MARKERS.search(text):
        raise UnspeakableAnswer("role markers in the answer")
    unsafe = _UNSAFE.search(text)
    if unsafe is not None:
        raise UnspeakableAnswer(f"{unsafe.lastgroup} in the answer ({unsafe.group()!r})")
    text = " ".join(text.split())
    if len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    words = text.split()
    truncated = len(words) > max_words
    if truncated:
        text = " ".join(words[:max_words])
    ends = list(_SENTENCE_END.finditer(text))
    if ends and ends[-1].end() < len(text):
        text = text[: ends[-1].end()]  # drop the unfinished last sentence
    elif not ends and truncated:
        raise UnspeakableAnswer(f"over {max_words} words with no sentence end")
    if len(text.split()) < min_words:
        raise UnspeakableAnswer("answer too short")
    return text


class OllamaLlmOptions(BuiltinOptions):
    host: str = Field(default=DEFAULT_HOST, description="Ollama server")
    model: str = Field(default=DEFAULT_MODEL, description="Model name on that server")
    timeout: float = Field(
        default=2.5, ge=0.01, description="Seconds an answer may take before the scripted fallback"
    )
    max_words: int = Field(default=40, ge=1, description="Longer answers are refused")
    min_words: int = Field(default=3, ge=0, description="Shorter answers are refused")
    temperature: float = Field(default=0.4, ge=0.0, description="Sampling temperature")


class OllamaLlm:
    Options = OllamaLlmOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        self.program = program
        self.chat = OllamaChat(config, owner=_OWNER, default_timeout=2.5)
        self.max_words = get_int(config, "max_words", 40, owner=_OWNER)
        self.min_words = get_int(config, "min_words", 3, owner=_OWNER)
        self.temperature = get_float(config, "temperature", 0.4, owner=_OWNER, minimum=0.0)
        self.template = _ENV.get_template("freestyle.j2")

    async def check(self) -> str | None:
        """A warning when the server or the model is missing (answers would fall back)."""
        return await self.chat.check()

    def render(self, request: FreestyleRequest) -> tuple[str, str]:
        """The system and user messages for ``request``."""
        program = self.program
        agent = program.scenario.agent
        given_agent = request.variables.get("agent")
        agent_vars: dict[str, object] = (
            dict(given_agent) if isinstance(given_agent, Mapping) else {}
        )
        if agent is not None:
            agent_vars = {"name": agent.name, "company": agent.company, **agent_vars}
        contact = request.variables.get("contact")
        known = {
            name: value
            for name, value in request.variables.items()
            if name not in ("contact", "agent", "company")
            and isinstance(value, str | int | float)
            and value != ""
        }
        history = list(request.history)
        if history and history[-1].speaker == "prospect" and history[-1].text == request.utterance:
            history.pop()  # the VM may have logged the utterance already; it is quoted below
        values = {
            "agent": agent_vars,
            "personality": program.personality(),
            "guidance": program.objective.guidance if program.objective else "",
            "context": request.context,
            "goal": request.goal,
            "contact": dict(contact) if isinstance(contact, Mapping) else {},
            "known": known,
            "history": history[-5:],
            "utterance": request.utterance,
            "max_words": self.max_words,
        }
        context = self.template.new_context(values)
        system = "".join(self.template.blocks["system"](context)).strip()
        user = "".join(self.template.blocks["user"](context)).strip()
        return system, user

    async def freestyle(self, request: FreestyleRequest, fallback: str) -> FreestyleAnswer:
        system, user = self.render(request)
        prompt = f"{system}\n\n{user}"
        try:
            reply = await self.chat.ask(
                [{"role": "system", "content": system}, {"role": "user", "content": user}],
                options={"temperature": self.temperature, "num_predict": self.max_words * 3},
            )
            text = shape_answer(reply, max_words=self.max_words, min_words=self.min_words)
        except OllamaFailure as exc:
            return FreestyleAnswer(text=fallback, fallback=True, prompt=prompt, reason=str(exc))
        except UnspeakableAnswer as exc:
            return FreestyleAnswer(
                text=fallback, fallback=True, prompt=prompt, reason=f"garbage: {exc}"
            )
        return FreestyleAnswer(text=text, fallback=False, prompt=prompt)
