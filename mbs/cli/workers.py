"""``mbs run --workers N``: several worker processes on one campaign, one per core.

One Python process uses one core. This starts N ordinary ``mbs run --worker ID``
processes with the same arguments: each has its own event loop, its own switch
connection (or simulator) and its own store connections; they share only the store's
queue, whose claim (``SELECT … FOR UPDATE SKIP LOCKED``) never hands one contact to two
workers. It is the same mechanism as starting workers by hand on several hosts against
one PostgreSQL: worker ids must differ, nothing else is shared.

SQLite is refused: it takes one writer at a time, so a second process only waits for
the lock (measured: no gain), while each claim must read and write.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

_MBS = [sys.executable, "-c", "from mbs.cli import main; main()"]


class WorkersError(ValueError):
    """A ``--workers`` value or setting that cannot work; the message says why."""


def worker_count(value: str) -> int:
    """``auto`` (one per core this process may run on) or a positive number."""
    if value == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise WorkersError(f"--workers takes a number of processes or 'auto', not {value!r}")


def check_database(dialect: str) -> None:
    if dialect == "sqlite":
        raise WorkersError(
            "--workers needs PostgreSQL: SQLite lets one process write at a time, so more "
            "worker processes only queue for its lock; use --database postgresql+psycopg://… "
            "(or DATABASE_URL), or run one worker"
        )


def child_arguments(argv: Sequence[str], worker_id: str) -> list[str]:
    """This command's arguments without ``--workers``/``--worker``/``--api-port`` (the
    first worker alone serves the API), with ``--worker worker_id`` and JSON output."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--workers", "--worker", "--format", "--api-port"):
            skip = "=" not in arg
            continue
        out.append(arg)
    return [*out, "--worker", worker_id, "--format", "json", "--quiet"]


@dataclass
class WorkerExit:
    worker_id: str
    code: int
    summary: dict[str, object] | None


def run_workers(
    argv: Sequence[str], count: int, base_id: str, api_port: int | None
) -> list[WorkerExit]:
    """Start ``count`` workers, forward SIGINT/SIGTERM to them, wait for them all."""
    procs: list[tuple[str, subprocess.Popen[str]]] = []
    for i in range(1, count + 1):
        wid = f"{base_id}-{i}"
        args = child_arguments(argv, wid)
        if i == 1 and api_port is not None:
            args += ["--api-port", str(api_port)]
        procs.append(
            (
                wid,
                # stderr shared with ours (errors show as they happen); stdout carries
                # only the worker's one-line JSON summary
                subprocess.Popen([*_MBS, *args], stdout=subprocess.PIPE, text=True),
            )
        )

    def forward(signum: int, frame: FrameType | None) -> None:
        for _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        exits = []
        for wid, proc in procs:
            stdout, _ = proc.communicate()
            summary = None
            for line in reversed(stdout.strip().splitlines()):
                try:
                    summary = json.loads(line)
                    break
                except ValueError:
                    continue
            exits.append(WorkerExit(wid, proc.returncode, summary))
        return exits
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
