"""Test helpers for the simulator: a loopback client that keeps the raw bytes it reads.

Messages are framed by the core in CLIENT role (the same parser the real client uses);
``raw`` keeps every byte so tests can compare exact wire forms.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

from mbs.freeswitch.esl import (
    NEED_DATA,
    ClientCommand,
    EslConnection,
    Role,
    ServerMessage,
    SwitchEvent,
)

EXAMPLES = Path(__file__).parent / "data" / "esl-examples.txt"


class WireClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.conn = EslConnection(Role.CLIENT)
        self.raw = bytearray()
        self.eof = False

    @classmethod
    async def connect(cls, port: int) -> WireClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, command: ClientCommand) -> None:
        self.writer.write(self.conn.send(command))
        await self.writer.drain()

    async def send_raw(self, data: bytes) -> None:
        """Bytes as given (unusual spellings); the core still learns a reply is due."""
        parser = EslConnection(Role.SERVER)
        parser.receive_data(data)
        while (cmd := parser.next_event()) is not NEED_DATA:
            assert isinstance(cmd, ClientCommand)
            self.conn.send(cmd)  # bookkeeping only: the raw bytes go out instead
        self.writer.write(data)
        await self.writer.drain()

    async def next(self, timeout: float = 5.0) -> ServerMessage | None:
        """The next message, or None at end of stream."""
        while True:
            msg = self.conn.next_event()
            if msg is not NEED_DATA:
                return None if type(msg).__name__ == "ConnectionClosed" else msg  # type: ignore[return-value]
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            self.raw += data
            self.conn.receive_data(data)
            if not data:
                self.eof = True

    async def until(
        self, predicate, timeout: float = 10.0, events: list[SwitchEvent] | None = None
    ) -> ServerMessage:
        """Read messages until ``predicate(msg)``; the events seen go to ``events``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            msg = await self.next(max(0.01, end - loop.time()))
            if msg is None:
                raise AssertionError("connection closed before the expected message")
            if events is not None and isinstance(msg, SwitchEvent):
                events.append(msg)
            if predicate(msg):
                return msg

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


def is_event(name: str, uuid: str | None = None):
    def check(msg: object) -> bool:
        return (
            isinstance(msg, SwitchEvent)
            and msg.name == name
            and (uuid is None or msg.headers.get("Unique-ID") == uuid)
        )

    return check


def examples() -> dict[str, bytes]:
    """data/esl-examples.txt sections that are whole messages, by name."""
    text = EXAMPLES.read_text()
    out: dict[str, bytes] = {}
    for m in re.finditer(r"^===== (\w+) (\d+)\n", text, re.M):
        start = m.end()
        out[m.group(1)] = text[start : start + int(m.group(2))].encode()
    return out


def header_names(event_bytes: bytes) -> list[str]:
    """Header names of a framed text/event-plain message, envelope excluded."""
    _, _, payload = event_bytes.partition(b"\n\n")
    head = payload.split(b"\n\n", 1)[0].decode()
    return [line.split(":", 1)[0] for line in head.split("\n") if line]


def frames(raw: bytes) -> list[bytes]:
    """Split a byte stream of server messages into whole messages (envelope included)."""
    out = []
    i = 0
    while i < len(raw):
        end = raw.find(b"\n\n", i)
        if end < 0:
            break
        head = raw[i:end].decode("utf-8", "replace")
        m = re.search(r"^Content-Length: (\d+)$", head, re.M)
        stop = end + 2 + (int(m.group(1)) if m else 0)
        out.append(raw[i:stop])
        i = stop
    return out


def frame_of(raw: bytes, event_name: str) -> bytes:
    """The last whole message in ``raw`` carrying ``Event-Name: event_name``."""
    marker = f"\n\nEvent-Name: {event_name}\n".encode()
    found = [f for f in frames(raw) if marker in f]
    assert found, f"no {event_name} in the stream"
    return found[-1]
