"""Simulated time: one clock, scaled against the event loop's clock, for every channel and timer.

With ``time_scale=50`` a 20 s ring lasts 0.4 loop seconds, so hundreds of scripted
calls run in seconds. Event timestamps (``Event-Date-*``, ``Caller-Channel-*-Time``)
are taken from the simulated clock, so they stay consistent with call durations.

The clock reads the time of the event loop it was made on, not the wall: in production
the two are the same (asyncio's loop time is the monotonic clock), and under a virtual
loop in tests (``looptime``, which jumps ahead whenever every task waits) the simulated
call advances exactly as far as its timers, however slow the machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def loop_clock() -> Callable[[], float]:
    """The running loop's ``time`` (callable from any thread), or the monotonic clock."""
    try:
        return asyncio.get_running_loop().time
    except RuntimeError:
        return time.monotonic


@dataclass
class SimClock:
    """Simulated seconds = loop seconds x ``time_scale``, starting at ``epoch``."""

    time_scale: float = 1.0
    epoch: float = field(default_factory=time.time)
    _source: Callable[[], float] = field(default_factory=loop_clock, repr=False)
    _mono0: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self.time_scale > 0:
            raise ValueError(f"time scale must be positive, not {self.time_scale!r}")
        self._mono0 = self._source()

    def now(self) -> float:
        """Simulated POSIX time, in seconds."""
        return self.epoch + (self._source() - self._mono0) * self.time_scale

    def now_us(self) -> int:
        """Simulated POSIX time in microseconds (FreeSWITCH's ``switch_time_t``)."""
        return int(self.now() * 1_000_000)

    def uptime_us(self) -> int:
        return int((self._source() - self._mono0) * self.time_scale * 1_000_000)

    def wall(self, sim_seconds: float) -> float:
        """How many loop seconds ``sim_seconds`` of simulated time take."""
        return max(0.0, sim_seconds) / self.time_scale

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(self.wall(sim_seconds))
