"""Group commit for the executor's store writes.

Every call writes its status changes (CALLING, RINGING, IN_PROGRESS) and its end; one
transaction and one thread hop each made those writes most of a worker's CPU per
contact. Here a write waits for the batch under way: whatever the calls issue while a
transaction commits goes into the next one (``Store.apply_writes``), so under load a
commit carries dozens of calls and at rest a write still goes out at once. Each caller
awaits its own write's result, so "CALLING is committed before the originate" holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol

from mbs.campaign.store.records import Finished, FinishWrite, StatusWrite

Write = StatusWrite | FinishWrite


class WritesPort(Protocol):
    def apply_writes(self, writes: Sequence[StatusWrite | FinishWrite]) -> list[object]: ...


class GroupCommit:
    def __init__(self, store: WritesPort) -> None:
        self._store = store
        self._queue: list[tuple[Write, asyncio.Future[object]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.writes = 0

    async def status(self, write: StatusWrite) -> None:
        await self._submit(write)

    async def finish(self, write: FinishWrite) -> Finished:
        result = await self._submit(write)
        assert isinstance(result, Finished)
        return result

    def _submit(self, write: Write) -> asyncio.Future[object]:
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._queue.append((write, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="store-writes")
        return future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await asyncio.to_thread(self._store.apply_writes, [w for w, _ in batch])
            except Exception as exc:  # the store itself failed (connection lost, ...)
                results = [exc] * len(batch)
            self.batches += 1
            self.writes += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def close(self) -> None:
        """Wait for the writes already submitted."""
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
