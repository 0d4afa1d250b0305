"""Reading a file a user names: a regular file, up to a size, or a clear refusal.

Every door that reads a user's file (a scenario, a compiled program, a campaign file,
a contact list, a conversation test, an evaluation set) goes through :func:`read_file`,
so a FIFO given by mistake cannot block a command, ``/dev/zero`` cannot fill the memory,
and a file far past what mbs ever writes is refused before it is parsed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mbs.errors import InputError

MIB = 1024 * 1024

# The largest file of each kind mbs reads. Each is far past any real one: a scenario of
# 20,000 steps is about 2 MiB, a million contacts about 100 MiB of CSV.
SCENARIO_LIMIT = 8 * MIB
PROGRAM_LIMIT = 128 * MIB
SETTINGS_LIMIT = 4 * MIB  # campaign files, switch profiles, conversation tests
CONTACTS_LIMIT = 512 * MIB
DATA_LIMIT = 64 * MIB  # evaluation sets, event logs read back


class UnreadableFile(InputError):
    """A file mbs will not read: missing, not a regular file, too large, not text.

    The message names the file; ``reason`` alone is for callers that name it themselves.
    """

    def __init__(self, what: str, name: str, reason: str) -> None:
        super().__init__(f"cannot read {what} {name}: {reason}")
        self.reason = reason


class FileTooLarge(UnreadableFile):
    """A regular file past the size mbs reads for its kind."""


def size_text(size: int) -> str:
    """``8 MiB``, ``512 KiB`` or ``37 bytes``."""
    for unit, scale in (("GiB", MIB * 1024), ("MiB", MIB), ("KiB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def read_file(path: str | Path, *, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``, or :class:`UnreadableFile`.

    The file is opened without blocking (a FIFO would otherwise wait for a writer) and
    checked on the open descriptor, so what is read is what was checked.
    """
    name = os.fspath(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UnreadableFile(what, name, exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise UnreadableFile(what, name, f"it is {kind}")
        if info.st_size > limit:
            raise FileTooLarge(what, name, _too_large(limit))
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, MIB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise UnreadableFile(what, name, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew while being read
        raise FileTooLarge(what, name, _too_large(limit))
    return data


def read_head(path: str | Path, size: int) -> bytes:
    """The first ``size`` bytes of the regular file at ``path``; ``b""`` for anything
    else (missing, a folder, a FIFO: opened without blocking, never waited on)."""
    try:
        fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return b""
    try:
        return os.read(fd, size) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        return b""
    finally:
        os.close(fd)


def read_text(path: str | Path, *, limit: int, what: str = "file") -> str:
    """:func:`read_file` decoded as UTF-8 (a byte-order mark is dropped)."""
    data = read_file(path, limit=limit, what=what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableFile(what, os.fspath(path), f"not UTF-8 text (line {line})") from None


def _too_large(limit: int) -> str:
    return f"it is larger than {size_text(limit)}, the most mbs reads for such a file"
