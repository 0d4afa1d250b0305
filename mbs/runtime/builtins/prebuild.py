"""Synthesising a program's fixed lines ahead of the campaign (``mbs tts prebuild``).

Which lines those are is decided in :mod:`mbs.runtime.ahead` (the same lines a
campaign warms up before its first dial); this module hands them to the TTS, which
caches them, so the first call finds its audio ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mbs.runtime.ahead import Line, Skipped, classify, fixed_lines

__all__ = ["Built", "CachingTts", "Line", "Skipped", "build", "classify", "fixed_lines"]


@dataclass(frozen=True, slots=True)
class Built:
    line: Line
    path: Path | None
    cached: bool


class CachingTts(Protocol):
    hits: int

    async def synthesize(self, text: str) -> Path | None: ...


async def build(
    tts: CachingTts, lines: list[Line], progress: Callable[[Built], None] | None = None
) -> list[Built]:
    """Synthesise ``lines`` one after the other (the cache makes repeats free)."""
    built: list[Built] = []
    for line in lines:
        before = tts.hits
        path = await tts.synthesize(line.text)
        item = Built(line, path, cached=tts.hits > before)
        built.append(item)
        if progress is not None:
            progress(item)
    return built
