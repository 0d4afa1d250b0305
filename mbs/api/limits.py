"""A bound on every request body, whatever its transfer encoding.

A ``Content-Length`` past the bound is refused before anything is read; a body sent in
chunks (no length) is counted as it arrives and refused as soon as it passes the bound.
FastAPI reads a form before the route's dependencies run, so this bound is also what a
request without credentials can make the server read.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A declared body this many times past the bound is not read at all: the connection closes.
CLOSE_PAST = 4
_CLOSE = (b"connection", b"close")


class BodyTooLarge(HTTPException):
    """Raised while the body is read, past the bound (the app's handler answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request is over {limit} bytes")


class BodyLimit:
    """ASGI middleware: at most ``limit`` bytes of request body."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                # a little over: answered, the rest read and dropped so the client gets
                # the answer; far over: answered and the connection closed, not read
                far = not value.isdigit() or int(value) > CLOSE_PAST * self.limit
                await _too_large(send, self.limit, close=far)
                return
        received = 0
        cut = False

        async def bounded() -> Message:
            nonlocal received, cut
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    cut = True  # a chunked body has no end in sight: close after answering
                    raise BodyTooLarge(self.limit)
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and cut:
                message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        await self.app(scope, bounded, sending)


async def _too_large(send: Send, limit: int, *, close: bool) -> None:
    body = json.dumps({"error": "too_large", "detail": f"the request is over {limit} bytes"})
    headers = [(b"content-type", b"application/json")] + ([_CLOSE] if close else [])
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})
