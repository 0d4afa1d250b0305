"""``stt.text``: for channels whose utterances are already text (chat, tests, the
switch's own recogniser). There is no audio to transcribe."""

from __future__ import annotations

from collections.abc import Mapping

from mbs.program import Program
from mbs.runtime.builtins.base import BuiltinError
from mbs.runtime.builtins.options import NoOptions


class TextStt:
    """Identity on text; refuses audio with a message that says what to use instead."""

    Options = NoOptions

    def __init__(self, program: Program, config: Mapping[str, object]) -> None:
        self.program = program

    async def from_text(self, text: str) -> str:
        """The utterance as the prospect said it (whitespace tidied)."""
        return " ".join(text.split())

    async def transcribe(self, pcm: bytes, sample_rate: int) -> str:
        raise BuiltinError(
            "the text STT cannot transcribe audio: use an audio STT "
            "(e.g. `--stt vosk`) on a channel that carries sound"
        )
