"""Clocks for the campaign executor: the wall clock, or a simulated one sped up.

Against a real switch the law is judged on the wall clock. Against the simulator a
campaign runs on a simulated clock that starts where the caller says (by default the
next allowed calling window) and runs ``scale`` times faster than the wall, so retry
delays, lunch breaks and evenings pass in seconds and the law engine is exercised.

The simulated clock reads the time of the event loop it was made on: the monotonic
clock in production, virtual time under a fast-forwarding test loop (``looptime``),
where it stays in step with the simulator's clock (which reads the same loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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


def _loop_clock() -> Callable[[], float]:
    """The running loop's ``time`` (readable from any thread), or the monotonic clock."""
    try:
        return asyncio.get_running_loop().time
    except RuntimeError:
        return time.monotonic


class ScaledClock:
    """Simulated time: ``start`` plus the loop time elapsed since creation × ``scale``."""

    def __init__(self, start: datetime, scale: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start")
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = float(scale)
        self._start = start.astimezone(UTC)
        self._source = _loop_clock()
        self._t0 = self._source()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        elapsed = (self._source() - self._t0) * self.scale
        return self._start + self._offset + timedelta(seconds=elapsed)

    def jump_to(self, when: datetime) -> None:
        """Skip idle simulated time (nothing is running) straight to ``when``."""
        gap = when.astimezone(UTC) - self.now()
        if gap > timedelta(0):
            self._offset += gap

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)
