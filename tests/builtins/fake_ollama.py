"""A stand-in Ollama server on loopback, speaking Ollama's HTTP API (non-streaming).

It serves ``/api/chat`` and ``/api/tags`` with uvicorn, records every chat request, and
misbehaves on demand: ``slow`` (answers only when the test ends), ``error`` (404
model not found), ``broken`` (a 200 that is not Ollama's JSON). The reply text is a
string or a function of the request.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import uvicorn

Reply = str | Callable[[dict[str, Any]], str]


class FakeOllama:
    def __init__(self, models: tuple[str, ...] = ("mistral:7b",)) -> None:
        self.mode = "normal"
        self.reply: Reply = "D'accord."
        self.models = models
        self.requests: list[dict[str, Any]] = []
        self.release = asyncio.Event()
        self.asked = asyncio.Event()  # set once a chat request has arrived
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        config = uvicorn.Config(self, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                break
            await asyncio.sleep(0.01)
        assert self._server.started, "the fake Ollama server did not start"
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.release.set()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    # -------------------------------------------------------------------- ASGI

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, method = scope["path"], scope["method"]
        if path == "/api/tags" and method == "GET":
            models = [
                {
                    "name": m,
                    "model": m,
                    "modified_at": "2026-01-01T00:00:00Z",
                    "size": 4_100_000_000,
                    "digest": "0" * 64,
                    "details": {"format": "gguf", "family": "llama"},
                }
                for m in self.models
            ]
            await self._send(send, 200, {"models": models})
        elif path == "/api/chat" and method == "POST":
            await self._chat(json.loads(body), send)
        else:
            await self._send(send, 404, {"error": "not found"})

    async def _chat(self, request: dict[str, Any], send: Any) -> None:
        self.requests.append(request)
        self.asked.set()
        if self.mode == "slow":
            # bounded: the test's teardown releases it, or it gives up by itself
            await asyncio.wait_for(self.release.wait(), 30)
        if self.mode == "error":
            await self._send(send, 404, {"error": f"model '{request.get('model')}' not found"})
            return
        if self.mode == "broken":
            await self._raw(send, 200, b"<html>upstream proxy error</html>", "text/html")
            return
        content = self.reply(request) if callable(self.reply) else self.reply
        await self._send(
            send,
            200,
            {
                "model": request.get("model", ""),
                "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "message": {"role": "assistant", "content": content},
                "done_reason": "stop",
                "done": True,
                "total_duration": 1_200_000,
                "load_duration": 100_000,
                "prompt_eval_count": 120,
                "prompt_eval_duration": 400_000,
                "eval_count": 30,
                "eval_duration": 700_000,
            },
        )

    async def _send(self, send: Any, status: int, payload: dict[str, Any]) -> None:
        await self._raw(send, status, json.dumps(payload).encode(), "application/json")

    @staticmethod
    async def _raw(send: Any, status: int, body: bytes, content_type: str) -> None:
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def closed_port() -> int:
    """A loopback port with nothing listening on it (for the "down" case)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
