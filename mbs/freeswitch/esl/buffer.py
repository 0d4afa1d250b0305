"""The receive buffer: splits a byte stream into ESL frames (a header block + body).

A frame is header lines ended by an empty line (LF, a CR before it tolerated), then
``Content-Length`` bytes of body when that header is present. Searching resumes where
the last search stopped, so feeding one byte at a time stays linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mbs.freeswitch.esl.errors import RemoteProtocolError

_BLANK_LINE = re.compile(rb"\n\r?\n")
_DIGITS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True, slots=True)
class Frame:
    """One message before interpretation: its first lines and its body bytes."""

    lines: list[str]  # the header block, one entry per line, LF and CR stripped
    body: bytes


class ReceiveBuffer:
    def __init__(self, max_message_size: int) -> None:
        self._data = bytearray()
        self._scan_from = 0
        self._max = max_message_size
        # a parsed header block waiting for its body
        self._pending_lines: list[str] | None = None
        self._pending_length = 0

    def __len__(self) -> int:
        return len(self._data)

    def feed(self, data: bytes) -> None:
        self._data += data

    def extract_frame(self) -> Frame | None:
        """The next complete frame, or None when more bytes are needed."""
        if self._pending_lines is None:
            if not self._skip_blank_lines():
                return None
            match = _BLANK_LINE.search(self._data, self._scan_from)
            if match is None:
                if len(self._data) > self._max:
                    raise RemoteProtocolError(
                        f"header block exceeds the {self._max}-byte message cap"
                    )
                self._scan_from = max(0, len(self._data) - 2)
                return None
            end = match.end()
            if end > self._max:
                raise RemoteProtocolError(f"header block exceeds the {self._max}-byte message cap")
            block = bytes(self._data[: match.start()])
            del self._data[:end]
            self._scan_from = 0
            lines = [
                line[:-1] if line.endswith("\r") else line
                for line in block.decode("utf-8", "surrogateescape").split("\n")
            ]
            length = _content_length(lines)
            if length > self._max - end:
                raise RemoteProtocolError(
                    f"Content-Length {length} exceeds the {self._max}-byte message cap"
                )
            self._pending_lines, self._pending_length = lines, length
        if len(self._data) < self._pending_length:
            return None
        body = bytes(self._data[: self._pending_length])
        del self._data[: self._pending_length]
        frame = Frame(self._pending_lines, body)
        self._pending_lines, self._pending_length = None, 0
        return frame

    def _skip_blank_lines(self) -> bool:
        """Drop stray line ends between messages; False when nothing else is buffered."""
        data, i, n = self._data, 0, len(self._data)
        while i < n:
            if data[i] == 0x0A:
                i += 1
            elif data[i] == 0x0D and i + 1 < n and data[i + 1] == 0x0A:
                i += 2
            else:
                break
        if i:
            del data[:i]
            self._scan_from = 0
        return bool(data) and data != b"\r"

    @property
    def in_message(self) -> bool:
        """True when a partly received message is buffered."""
        return self._pending_lines is not None or any(b not in (0x0A, 0x0D) for b in self._data)


def _content_length(lines: list[str]) -> int:
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name.lower() == "content-length":
            value = value.strip(" ")
            if not _DIGITS.fullmatch(value):
                raise RemoteProtocolError(f"invalid Content-Length {value!r}")
            return int(value)
    return 0
