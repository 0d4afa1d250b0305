"""The receive buffer: splits a byte stream into ESL frames (a header block + body).

A frame is header lines ended by an empty line (LF, a CR before it tolerated), then
``Content-Length`` bytes of body when that header is present. Searching resumes where
the last search stopped, so feeding one byte at a time stays linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mbs.freeswitch.esl.errors import RemoteProtocolError

_DIGITS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True, slots=True)
class Frame:
    """One message before interpretation: its first lines and its body bytes."""

    lines: list[str]  # the header block, one entry per line, LF and CR stripped
    body: bytes


class ReceiveBuffer:
    """Frames out of a growing bytearray, read through an offset.

    Consumed bytes are dropped once per ``feed`` (not once per frame), and the header
    block is found with ``bytearray.find`` from where the last search stopped.
    """

    def __init__(self, max_message_size: int) -> None:
        self._data = bytearray()
        self._pos = 0  # start of the bytes not yet framed
        self._scan_from = 0  # where the search for the blank line resumes
        self._max = max_message_size
        # a parsed header block waiting for its body
        self._pending_lines: list[str] | None = None
        self._pending_length = 0

    def __len__(self) -> int:
        return len(self._data) - self._pos

    def feed(self, data: bytes) -> None:
        if self._pos:
            del self._data[: self._pos]
            self._scan_from = max(0, self._scan_from - self._pos)
            self._pos = 0
        self._data += data

    def extract_frame(self) -> Frame | None:
        """The next complete frame, or None when more bytes are needed."""
        data = self._data
        if self._pending_lines is None:
            pos = self._pos
            if pos == len(data):
                return None
            if data[pos] in _LINE_ENDS:
                if not self._skip_blank_lines():
                    return None
                pos = self._pos
            start = max(pos, self._scan_from)
            end = data.find(b"\n\n", start)
            # a CR before the blank line is tolerated: whichever comes first ends the block
            cr = data.find(b"\n\r\n", start, len(data) if end < 0 else end + 2)
            if cr >= 0:
                block_end, after = cr, cr + 3
            elif end >= 0:
                block_end, after = end, end + 2
            else:
                if len(data) - pos > self._max:
                    raise RemoteProtocolError(
                        f"header block exceeds the {self._max}-byte message cap"
                    )
                self._scan_from = max(pos, len(data) - 2)
                return None
            if after - pos > self._max:
                raise RemoteProtocolError(f"header block exceeds the {self._max}-byte message cap")
            block = data[pos:block_end].decode("utf-8", "surrogateescape")
            self._pos = self._scan_from = after
            lines = block.split("\n")
            if "\r" in block:
                lines = [line[:-1] if line.endswith("\r") else line for line in lines]
            length = _content_length(lines)
            if length > self._max - (after - pos):
                raise RemoteProtocolError(
                    f"Content-Length {length} exceeds the {self._max}-byte message cap"
                )
            self._pending_lines, self._pending_length = lines, length
        pos, length = self._pos, self._pending_length
        if len(data) - pos < length:
            return None
        body = bytes(data[pos : pos + length]) if length else b""
        self._pos = self._scan_from = pos + length
        frame = Frame(self._pending_lines, body)
        self._pending_lines, self._pending_length = None, 0
        return frame

    def _skip_blank_lines(self) -> bool:
        """Drop stray line ends between messages; False when nothing else is buffered."""
        data, i, n = self._data, self._pos, len(self._data)
        while i < n:
            if data[i] == 0x0A:
                i += 1
            elif data[i] == 0x0D and i + 1 < n and data[i + 1] == 0x0A:
                i += 2
            else:
                break
        if i != self._pos:
            self._pos = i
            self._scan_from = max(self._scan_from, i)
        return i < n and not (i == n - 1 and data[i] == 0x0D)

    @property
    def in_message(self) -> bool:
        """True when a partly received message is buffered."""
        return self._pending_lines is not None or any(
            b not in (0x0A, 0x0D) for b in self._data[self._pos :]
        )


_LINE_ENDS = (0x0A, 0x0D)


def _content_length(lines: list[str]) -> int:
    first = lines[0]
    if first.startswith("Content-Length: "):  # how FreeSWITCH writes every framed message
        value = first[16:]
        if value.isdigit() and value.isascii() and len(value) <= 12:
            return int(value)
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name.lower() == "content-length":
            value = value.strip(" ")
            if not _DIGITS.fullmatch(value):
                raise RemoteProtocolError(f"invalid Content-Length {value!r}")
            return int(value)
    return 0
