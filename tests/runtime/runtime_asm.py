"""A tiny assembler for hand-built programs, and a deterministic keyword NLU.

VM tests must not depend on the compiler: they write the instructions themselves, with
labels instead of addresses. ``("enter", "intro")`` defines the label ``intro``;
``("label", "x")`` defines ``x`` at the next instruction; any target may be a label.
Texts are given inline and pooled into ``consts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mbs.program import (
    Agent,
    AnswerObjection,
    Capture,
    Count,
    Dispatch,
    End,
    Enter,
    Freestyle,
    Handlers,
    Instruction,
    Intent,
    Jump,
    Listen,
    Objection,
    ObjectionPack,
    OptOut,
    Play,
    Program,
    Result,
    Say,
    Scenario,
    Set,
    SourceLocation,
    Transfer,
)
from mbs.runtime.builtins.base import IntentResult, ObjectionResult


def assemble(
    source: Sequence[tuple[Any, ...]],
    *,
    handlers: Mapping[str, str] | None = None,
    objections: Mapping[str, str] | None = None,
    intents: Sequence[str] | Mapping[str, Sequence[str]] = (
        "yes",
        "no",
        "question",
        "stop_calling",
    ),
    file: str = "test.mbs",
    **scenario: Any,
) -> Program:
    consts: list[str] = []
    labels: dict[str, int] = {}
    address = 0
    for item in source:
        if item[0] == "label":
            labels[item[1]] = address
            continue
        if item[0] == "enter":
            labels[item[1]] = address
        address += 1

    def c(text: str) -> int:
        if text not in consts:
            consts.append(text)
        return consts.index(text)

    def a(target: str | int | None) -> int | None:
        if target is None or isinstance(target, int):
            return target
        return labels[target]

    code: list[Instruction] = []
    for item in source:
        op, *args = item
        ins: Instruction
        match op:
            case "label":
                continue
            case "enter":
                ins = Enter(step=args[0])
            case "say":
                ins = Say(text=c(args[0]), barge_in=args[1] if len(args) > 1 else True)
            case "play":
                ins = Play(path=args[0])
            case "listen":
                ins = Listen(timeout_ms=args[0] if args else 6000)
            case "capture":
                ins = Capture(var=args[0], choices=args[1] if len(args) > 1 else None)
            case "set":
                ins = Set(var=args[0], value=c(args[1]))
            case "freestyle":
                ins = Freestyle(context=c(args[0]), goal=c(args[1]), fallback=c(args[2]))
            case "dispatch":
                spec = dict(args[0])
                ins = Dispatch(
                    intents={k: a(v) for k, v in spec.pop("intents", {}).items()},  # type: ignore[misc]
                    dtmf={k: a(v) for k, v in spec.pop("dtmf", {}).items()},  # type: ignore[misc]
                    **{k: a(v) for k, v in spec.items()},
                )
            case "count":
                ins = Count(counter=args[0], limit=args[1], below=a(args[2]), exhausted=a(args[3]))  # type: ignore[arg-type]
            case "jump":
                ins = Jump(target=a(args[0]))  # type: ignore[arg-type]
            case "answer_objection":
                ins = AnswerObjection(then=a(args[0]))  # type: ignore[arg-type]
            case "transfer":
                ins = Transfer(destination=c(args[0]))
            case "opt_out":
                ins = OptOut()
            case "end":
                ins = End(result=Result(args[0]))
            case _:
                raise ValueError(op)
        code.append(ins)
    steps = {k: v for k, v in labels.items() if isinstance(code[v], Enter)}
    steps = {k: v for k, v in steps.items() if code[v].step == k}  # type: ignore[union-attr]
    pack = ObjectionPack(
        name="test",
        objections=tuple(Objection(text=k, response=v) for k, v in (objections or {}).items()),
    )
    scen: dict[str, Any] = {
        "name": "test",
        "title": "Test",
        "agent": Agent(name="Julie", company="Aurum"),
    }
    scen.update(scenario)
    return Program(
        compiler_version="test",
        source_hash="0" * 64,
        scenario=Scenario(**scen),
        consts=tuple(consts),
        intents=tuple(
            Intent(name=n, examples=tuple(intents[n]) if isinstance(intents, Mapping) else (n,))
            for n in intents
        ),
        objection_packs=(pack,),
        personalities=(),
        code=tuple(code),
        steps=steps,
        entry=0,
        handlers=Handlers(**{k: labels[v] for k, v in (handlers or {}).items()}),
        debug={
            i: SourceLocation(file=file, line=i + 1, column=5, end_line=i + 1, end_column=20)
            for i in range(len(code))
        },
    )


class KeywordNlu:
    """Deterministic NLU for tests: an intent or objection is recognised when one of its
    keywords is a word of the utterance. Scores are fixed per entry."""

    def __init__(
        self,
        intents: Mapping[str, Sequence[str]] | None = None,
        objections: Mapping[str, tuple[Sequence[str], str, float]] | None = None,
        intent_score: float = 0.9,
    ) -> None:
        self.intents = intents or {
            "yes": ["oui", "ouais", "d'accord"],
            "no": ["non"],
            "question": ["pourquoi", "comment"],
            "stop_calling": ["rappelez"],
        }
        self.objections = objections or {}
        self.intent_score = intent_score
        self.calls = 0

    async def classify(self, utterance: str) -> IntentResult:
        self.calls += 1
        words = utterance.lower().replace(",", " ").split()
        found = [n for n, kws in self.intents.items() if any(k in words for k in kws)]
        if not found:
            return IntentResult(intent=None, score=0.1)
        return IntentResult(
            intent=found[0],
            score=self.intent_score,
            runner_up=found[1] if len(found) > 1 else None,
            runner_up_score=0.5 if len(found) > 1 else 0.0,
        )

    async def match_objection(self, utterance: str) -> ObjectionResult:
        words = utterance.lower().split()
        for text, (kws, response, score) in self.objections.items():
            if any(k in words for k in kws):
                return ObjectionResult(objection=text, response=response, pack="test", score=score)
        return ObjectionResult(objection=None)
