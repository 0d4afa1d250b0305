"""Events per second parsed: mbs's sans-I/O ESL core vs greenswitch vs python-ESL (libesl).

One command: ``.venv/bin/python bench/bench_esl.py [--events N] [--repeat R]``.

The same byte stream (the text/event-plain events of ESL-examples.txt, a realistic mix
of 0.6-1.6 KB channel events, repeated) goes through:

- ``mbs core``: ``EslConnection(Role.CLIENT)`` fed 64 KiB at a time from memory;
- ``mbs core + socket``: the same, reading a socketpair fed by a writer thread;
- ``greenswitch``: its own parsing path (``ESLProtocol.receive_events`` reading lines
  and bodies from a file object, building ``ESLEvent`` header dicts), over an in-memory
  file, no network and no greenlet switches;
- ``python-ESL``: FreeSWITCH's libesl (C, via SWIG) attached to a socketpair fed by a
  writer thread (``ESLconnection(fd)`` sends ``connect`` and reads a reply first), one
  ``recvEvent()`` per event.

Runs are interleaved (one of each parser per round, R rounds) and each figure is the
best round, in process CPU time (user + system, all threads, the socket writer
included), so a shared machine's load hits all parsers alike; ratios are against
``mbs core``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mbs.freeswitch.esl import NEED_DATA, EslConnection, PlainEvent, Role

EXAMPLES = Path("/work/shared/design/ESL-examples.txt")
CONNECT_REPLY = (
    b"Event-Name: CHANNEL_DATA\nUnique-ID: a1b2c3d4-0000-4000-8000-000000000001\n"
    b"Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"
)


def example_events() -> list[bytes]:
    data = EXAMPLES.read_bytes()
    out = []
    for m in re.finditer(rb"^===== (\S+) (\d+)\n", data, re.M):
        body = data[m.end() : m.end() + int(m.group(2))]
        if b"text/event-plain" in body:
            out.append(body)
    return out


def build_stream(n: int) -> bytes:
    events = example_events()
    return b"".join(events[i % len(events)] for i in range(n))


# ------------------------------------------------------------------ parsers


def mbs_core(stream: bytes, n: int) -> int:
    conn = EslConnection(Role.CLIENT)
    count = 0
    for i in range(0, len(stream), 65536):
        conn.receive_data(stream[i : i + 65536])
        while (event := conn.next_event()) is not NEED_DATA:
            assert isinstance(event, PlainEvent)
            count += 1
    return count


def _feed(sock: socket.socket, payload: bytes) -> threading.Thread:
    def run() -> None:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def mbs_core_socket(stream: bytes, n: int) -> int:
    a, b = socket.socketpair()
    writer = _feed(a, stream)
    conn = EslConnection(Role.CLIENT)
    count = 0
    while count < n:
        data = b.recv(65536)
        if not data:
            break
        conn.receive_data(data)
        while conn.next_event() is not NEED_DATA:
            count += 1
    writer.join()
    a.close()
    b.close()
    return count


def greenswitch_parser(stream: bytes, n: int) -> int:
    from greenswitch.esl import ESLProtocol

    class _NullSock:
        def close(self) -> None:
            pass

    proto = ESLProtocol()
    proto.sock_file = io.BytesIO(stream)
    proto.sock = _NullSock()
    proto.connected = True
    proto.receive_events()  # returns at end of input; events land in its queue
    return int(proto._esl_event_queue.qsize())


def python_esl(stream: bytes, n: int) -> int:
    import ESL

    a, b = socket.socketpair()
    writer = _feed(a, CONNECT_REPLY + stream)
    con = ESL.ESLconnection(b.fileno())
    count = 0
    while count < n:
        event = con.recvEvent()
        if event is None or not event.getHeader("Event-Name"):
            break
        count += 1
    writer.join()
    a.close()
    b.close()
    return count


PARSERS: dict[str, Callable[[bytes, int], int]] = {
    "mbs core": mbs_core,
    "mbs core + socket": mbs_core_socket,
    "greenswitch": greenswitch_parser,
    "python-ESL (libesl)": python_esl,
}


def machine() -> str:
    cpu = platform.processor() or "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    stream = build_stream(args.events)
    print(f"{machine()}")
    print(f"{args.events} events, {len(stream) / 1e6:.1f} MB, best of {args.repeat}\n")
    # interleaved rounds: each parser meets the same background load as the others
    best: dict[str, float] = {}
    failed: dict[str, str] = {}
    for _ in range(args.repeat):
        for name, fn in PARSERS.items():
            if name in failed:
                continue
            try:
                start = time.process_time()  # CPU time: steadier than wall on a shared box
                got = fn(stream, args.events)
                elapsed = time.process_time() - start
                if got != args.events:
                    raise RuntimeError(f"parsed {got} of {args.events} events")
            except Exception as exc:  # a missing or broken third-party parser
                failed[name] = str(exc)
                continue
            best[name] = min(best.get(name, float("inf")), elapsed)
    for name, why in failed.items():
        print(f"{name}: unavailable ({why})")
    results = {name: args.events / t for name, t in best.items()}
    base = results.get("mbs core")
    print("| parser | events/s | µs/event | vs mbs core |")
    print("|---|---:|---:|---:|")
    for name, rate in results.items():
        ratio = f"{rate / base:.2f}×" if base else "-"
        print(f"| {name} | {rate:,.0f} | {1e6 / rate:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
