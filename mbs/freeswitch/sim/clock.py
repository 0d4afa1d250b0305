"""Simulated time: one clock, scaled against the wall clock, for every channel and timer.

With ``time_scale=50`` a 20 s ring lasts 0.4 wall seconds, so hundreds of scripted
calls run in seconds. Event timestamps (``Event-Date-*``, ``Caller-Channel-*-Time``)
are taken from the simulated clock, so they stay consistent with call durations.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class SimClock:
    """Simulated seconds = wall seconds x ``time_scale``, starting at ``epoch``."""

    time_scale: float = 1.0
    epoch: float = field(default_factory=time.time)
    _mono0: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if not self.time_scale > 0:
            raise ValueError(f"time scale must be positive, not {self.time_scale!r}")

    def now(self) -> float:
        """Simulated POSIX time, in seconds."""
        return self.epoch + (time.monotonic() - self._mono0) * self.time_scale

    def now_us(self) -> int:
        """Simulated POSIX time in microseconds (FreeSWITCH's ``switch_time_t``)."""
        return int(self.now() * 1_000_000)

    def uptime_us(self) -> int:
        return int((time.monotonic() - self._mono0) * self.time_scale * 1_000_000)

    def wall(self, sim_seconds: float) -> float:
        """How many wall seconds ``sim_seconds`` of simulated time take."""
        return max(0.0, sim_seconds) / self.time_scale

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(self.wall(sim_seconds))
