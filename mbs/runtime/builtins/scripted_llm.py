"""``llm.none``: no language model; every freestyle turn says the scripted fallback."""

from __future__ import annotations

from collections.abc import Mapping

from mbs.program import Program
from mbs.runtime.builtins.base import FreestyleAnswer, FreestyleRequest
from mbs.runtime.builtins.options import NoOptions


class ScriptedLlm:
    Options = NoOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        self.program = program

    async def freestyle(self, request: FreestyleRequest, fallback: str) -> FreestyleAnswer:
        return FreestyleAnswer(text=fallback, fallback=True, reason="no llm")
