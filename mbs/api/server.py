"""Serving the API with uvicorn: on its own (``mbs api``) or inside another event loop.

Inside ``mbs run`` the server shares the executor's loop, so it must not take over the
process: no signal handlers (Ctrl-C stays the campaign's), no logging configuration.
The socket is bound here rather than by uvicorn, so a port already taken is a plain
``OSError`` with a sentence, not uvicorn's ``sys.exit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI

from mbs.errors import MbsError


class ApiBindError(MbsError, OSError):
    """The API cannot listen where it was asked to."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ApiBindError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ApiBindError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the host process's signals alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class StandaloneServer(uvicorn.Server):
    """``mbs api``: SIGINT/SIGTERM stop the server gracefully and the command exits 0.

    (uvicorn's own handling raises the signal again once it has stopped, which turns
    an ordinary Ctrl-C into a KeyboardInterrupt or a death by SIGTERM.)
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        handled = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def server_port(server: uvicorn.Server) -> int:
    """The port a started server listens on (useful after binding port 0)."""
    for listener in server.servers:
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    raise RuntimeError("the server is not listening")


async def serve_in_background(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0
) -> tuple[asyncio.Task[None], uvicorn.Server]:
    """Start ``app`` in the running loop; returns once it accepts connections.

    Stop it with :func:`stop_background` (or ``server.should_exit = True`` and await the
    task). Raises :class:`ApiBindError` when the address cannot be used.
    """
    sock = bind(host, port)
    # X-Forwarded-For is not believed, even from loopback: any local process could
    # then choose the address the log-in limiter counts failures against
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", proxy_headers=False
    )
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"mbs-api-{host}:{port}")
    try:
        while not server.started:
            if task.done():
                break
            await asyncio.sleep(0.01)
    except BaseException:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)
        sock.close()
        raise
    if task.done():
        sock.close()
        task.result()  # the server's own exception, if it raised one
        raise RuntimeError("the API server did not start (its startup failed)")
    return task, server


async def stop_background(
    task: asyncio.Task[None], server: uvicorn.Server, *, timeout: float = 10.0
) -> None:
    """Ask the server to finish, wait for it; past ``timeout``, close connections hard."""
    server.should_exit = True
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        server.force_exit = True
        await task
