"""``tts.none``: no synthesis. The channel gets the text alone (chat, text tests, or a
switch that speaks with its own engine)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mbs.program import Program
from mbs.runtime.builtins.options import NoOptions


class SilentTts:
    Options = NoOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        self.program = program

    async def synthesize(self, text: str) -> Path | None:
        return None
