"""Clocks for the campaign executor: the wall clock, or a simulated one sped up.

Against a real switch the law is judged on the wall clock. Against the simulator a
campaign runs on a simulated clock that starts where the caller says (by default the
next allowed calling window) and runs ``scale`` times faster than the wall, so retry
delays, lunch breaks and evenings pass in seconds and the law engine is exercised.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    scale: float

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of this clock's time."""
        ...


class WallClock:
    scale = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Simulated time: ``start`` plus the wall time elapsed since creation × ``scale``."""

    def __init__(self, start: datetime, scale: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start")
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = float(scale)
        self._start = start.astimezone(UTC)
        self._t0 = time.monotonic()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._t0) * self.scale
        return self._start + self._offset + timedelta(seconds=elapsed)

    def jump_to(self, when: datetime) -> None:
        """Skip idle simulated time (nothing is running) straight to ``when``."""
        gap = when.astimezone(UTC) - self.now()
        if gap > timedelta(0):
            self._offset += gap

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)
