"""The child processes of the audio tools (espeak-ng, sox): never left behind.

A synthesis is awaited by a call; when the call ends first (its task cancelled) or the
tool is too slow, the process must be killed and waited for, or it keeps running and
its pipes are closed by the garbage collector after the event loop is gone.
"""

from __future__ import annotations

import asyncio
import contextlib


async def reap(proc: asyncio.subprocess.Process) -> None:
    """Kill ``proc`` if it still runs, and wait for it (also when the awaiting task is
    being cancelled: the wait is shielded, the cancellation goes on afterwards)."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    with contextlib.suppress(ProcessLookupError):
        await asyncio.shield(proc.wait())
