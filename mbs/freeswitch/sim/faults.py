"""Fault injection: the network and timing troubles a real ESL client has to survive.

All faults are server options and apply to every connection unless narrowed:

- ``drop_at_byte``: close a connection, without a notice, once it has sent that many
  bytes (mid-message if the offset falls inside one). Calls survive the drop, as on a
  real switch, and a new connection can find them with ``show channels``.
- ``drop_schedule``: the same with one offset per inbound connection, in the order they
  are accepted (a client reconnecting N times meets N different cuts); connections
  beyond the schedule fall back to ``drop_at_byte``.
- ``chunk_size``: write every message in pieces of this many bytes (1 = byte by byte),
  each flushed separately, so the client sees arbitrary TCP splits.
- ``event_delay_s``: hold every event this many wall seconds before writing it (a slow
  switch or a congested link; replies are not delayed).
- ``bgjob_order``: where a failed originate's BACKGROUND_JOB falls relative to the
  channel's hang-up events: ``after_hangup`` (what FreeSWITCH usually does),
  ``before_hangup``, ``after_destroy``, or ``random`` (drawn per call from the
  simulator's seed and the number, so a run replays).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

BgJobOrder = Literal["after_hangup", "before_hangup", "after_destroy", "random"]
BGJOB_ORDERS: tuple[str, ...] = ("after_hangup", "before_hangup", "after_destroy", "random")


@dataclass(frozen=True)
class Faults:
    drop_at_byte: int | None = None
    drop_schedule: tuple[int, ...] = ()
    chunk_size: int | None = None
    event_delay_s: float = 0.0
    bgjob_order: BgJobOrder = "after_hangup"

    def __post_init__(self) -> None:
        if self.drop_at_byte is not None and self.drop_at_byte < 0:
            raise ValueError("drop_at_byte must be >= 0")
        if any(n < 0 for n in self.drop_schedule):
            raise ValueError("drop_schedule offsets must be >= 0")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        if self.event_delay_s < 0:
            raise ValueError("event_delay_s must be >= 0")
        if self.bgjob_order not in BGJOB_ORDERS:
            raise ValueError(f"bgjob_order must be one of {', '.join(BGJOB_ORDERS)}")

    def drop_limit(self, connection: int) -> int | None:
        """Where the ``connection``-th inbound connection (0-based) is cut, if anywhere."""
        if connection < len(self.drop_schedule):
            return self.drop_schedule[connection]
        return self.drop_at_byte

    def bgjob_position(self, rng: random.Random) -> str:
        if self.bgjob_order == "random":
            return rng.choice(("after_hangup", "before_hangup", "after_destroy"))
        return self.bgjob_order


_HIGH_WATER = 1 << 20


class ConnectionDropped(Exception):
    """The ``drop_at_byte`` fault fired: the connection is gone."""


@dataclass
class FaultyWriter:
    """Writes a connection's bytes through the configured faults."""

    writer: asyncio.StreamWriter
    faults: Faults
    limit: int | None = None  # cut after this many bytes (None: never)
    on_cut: Callable[[], None] | None = None
    sent: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _pending: list[bytes] = field(default_factory=list)

    def _flush(self) -> None:
        if not self.writer.is_closing():
            self.writer.write(b"".join(self._pending))
        self._pending.clear()

    async def write(self, data: bytes) -> None:
        if self.limit is None and self.faults.chunk_size is None:
            # no fault to apply: what the loop turn writes goes out in one send
            if self.writer.is_closing():
                raise ConnectionDropped("connection closed")
            if not self._pending:
                asyncio.get_running_loop().call_soon(self._flush)
            self._pending.append(data)
            self.sent += len(data)
            if self.writer.transport.get_write_buffer_size() > _HIGH_WATER:
                await self.writer.drain()  # the reader is slow: wait, as drain() would
            return
        async with self._lock:
            if self._pending:  # faults switched on meanwhile: keep the order
                self._flush()
            if self.writer.is_closing():
                raise ConnectionDropped("connection closed")
            limit = self.limit
            cut = False
            if limit is not None and self.sent + len(data) >= limit:
                data = data[: max(0, limit - self.sent)]
                cut = True
            size = self.faults.chunk_size
            if size is None:
                pieces = [data] if data else []
            else:
                pieces = [data[i : i + size] for i in range(0, len(data), size)]
            for piece in pieces:
                self.writer.write(piece)
                await self.writer.drain()
                self.sent += len(piece)
            if cut:
                self.writer.close()
                if self.on_cut is not None:
                    self.on_cut()
                raise ConnectionDropped(f"dropped at byte {limit}")
