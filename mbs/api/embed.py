"""The API inside a running campaign (``mbs run --api-port``): one object to wire in.

``mbs run`` builds a :class:`LiveApi` before its executor, hands the executor
``api.feed(campaign, then=its_own_callback)`` as ``on_progress``, and runs the campaign
inside ``async with api.serving(now=runner.clock.now)``: the server shares the
executor's event loop and stops when the campaign does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from mbs.api.app import create_app
from mbs.api.live import LiveRegistry, ProgressFeed, ProgressLike
from mbs.api.server import serve_in_background, server_port, stop_background
from mbs.campaign.store import Store


class LiveApi:
    def __init__(
        self,
        store: Store,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        base_dir: Path | None = None,
    ) -> None:
        self.live = LiveRegistry()
        self.host = host
        self.port = port
        self._now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.app = create_app(store, live=self.live, now=lambda: self._now(), base_dir=base_dir)
        self._running: tuple[asyncio.Task[None], uvicorn.Server] | None = None

    def feed(
        self, campaign: str, *, then: Callable[[ProgressLike], None] | None = None
    ) -> ProgressFeed:
        """An ``on_progress`` callback for the executor of ``campaign``."""
        return self.live.feed(campaign, then=then)

    @property
    def url(self) -> str:
        """Where the API answers (the real port once started, even after port 0)."""
        port = server_port(self._running[1]) if self._running else self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    @asynccontextmanager
    async def serving(self, *, now: Callable[[], datetime] | None = None) -> AsyncIterator[LiveApi]:
        """Serve while the block runs; ``now`` is the campaign's clock (simulated or not)."""
        if now is not None:
            self._now = now
        task, server = await serve_in_background(self.app, self.host, self.port)
        self._running = (task, server)
        try:
            yield self
        finally:
            self._running = None
            await stop_background(task, server)
