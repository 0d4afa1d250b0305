"""Client CPU per event over TCP: mbs's ESL client vs greenswitch vs python-ESL (libesl).

One command: ``.venv/bin/python bench/bench_esl.py [--events N] [--rounds R]``
(``--instructions`` adds instruction counts per event under ``valgrind --tool=callgrind``).

Like with like: this process plays the switch on loopback and replays the same recorded
byte stream (the text/event-plain events of tests/freeswitch/data/esl-examples.txt,
0.6-1.6 KB each, repeated) to every peer, each in its own fresh interpreter, over a real TCP connection, after the
same inbound handshake (``auth/request``, ``auth``, ``event plain ALL``). Each peer reads
every event and looks up its Event-Name and Unique-ID, as a client routing calls does:

- ``mbs core, blocking socket``: ``EslConnection(Role.CLIENT)`` fed by ``socket.recv``;
- ``mbs EslClient (asyncio)``: the real client (``mbs.freeswitch.client``) with its
  reader, routing and handler hooks, counting in a handler;
- ``greenswitch``: its ``InboundESL`` (gevent), counting in a ``*`` handler;
- ``python-ESL``: FreeSWITCH's libesl (C, via SWIG): ``ESLconnection(host, port,
  password)``, ``events("plain", "ALL")``, one ``recvEvent()`` per event.

A peer measures its own process CPU time (user + system) from just before it sends
``event plain ALL`` to its N-th event, so start-up, imports and connecting are not
counted, nor is the server's work. Rounds are interleaved (each round runs every peer once), so background load
meets all peers alike; reported: the median over rounds with its range, and the median
of the per-round ratios against libesl. The load average is printed before and after.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--peer=greenswitch" in sys.argv:  # gevent must patch first
    from gevent import monkey

    monkey.patch_all()

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLES = (
    Path(__file__).resolve().parents[1] / "tests" / "freeswitch" / "data" / "esl-examples.txt"
)
PASSWORD = "ClueCon"
AUTH_REQUEST = b"Content-Type: auth/request\n\n"
AUTH_OK = b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
EVENTS_OK = b"Content-Type: command/reply\nReply-Text: +OK event listener enabled plain\n\n"


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


# ------------------------------------------------------------------ the switch's side


def _read_command(sock: socket.socket) -> bytes:
    data = b""
    while b"\n\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("peer closed during the handshake")
        data += chunk
    return data


def serve_one(listener: socket.socket, stream: bytes) -> None:
    """Handshake with one peer, send it the stream, wait until it hangs up."""
    sock, _ = listener.accept()
    with sock:
        sock.sendall(AUTH_REQUEST)
        if not _read_command(sock).startswith(f"auth {PASSWORD}".encode()):
            raise ConnectionError("expected auth")
        sock.sendall(AUTH_OK)
        if not _read_command(sock).startswith(b"event plain"):
            raise ConnectionError("expected event plain ...")
        sock.sendall(EVENTS_OK)
        sock.settimeout(300.0)
        try:
            sock.sendall(stream)
            while sock.recv(65536):  # anything it sends (exit, ...) until it closes
                pass
        except (BrokenPipeError, ConnectionResetError):
            pass  # it read what it wanted and hung up


# ------------------------------------------------------------------ the peers


def peer_core(port: int, n: int) -> tuple[int, float]:
    from mbs.freeswitch.esl import (
        NEED_DATA,
        Auth,
        AuthRequest,
        CommandReply,
        EslConnection,
        PlainEvent,
        Role,
        Subscribe,
    )

    sock = socket.create_connection(("127.0.0.1", port))
    conn = EslConnection(Role.CLIENT)

    def next_message() -> object:
        while (message := conn.next_event()) is NEED_DATA:
            conn.receive_data(sock.recv(65536))
        return message

    assert isinstance(next_message(), AuthRequest)
    sock.sendall(conn.send(Auth(PASSWORD)))
    assert isinstance(next_message(), CommandReply)
    start = time.process_time()
    sock.sendall(conn.send(Subscribe(("ALL",), "plain")))
    assert isinstance(next_message(), CommandReply)
    count = routed = 0
    while count < n:
        data = sock.recv(65536)
        if not data:
            break
        conn.receive_data(data)
        while (event := conn.next_event()) is not NEED_DATA:
            assert isinstance(event, PlainEvent)
            count += 1
            routed += bool(event.name) and event.unique_id is not None
    cpu = time.process_time() - start
    sock.close()
    return (count if routed else -1), cpu


def peer_asyncio(port: int, n: int) -> tuple[int, float]:
    import asyncio

    from mbs.freeswitch.client import ClientConfig, EslClient
    from mbs.freeswitch.esl import SwitchEvent

    async def run() -> tuple[int, float]:
        client = EslClient(ClientConfig(port=port, password=PASSWORD))
        done = asyncio.get_running_loop().create_future()
        count = routed = 0

        def on_event(event: SwitchEvent) -> None:
            nonlocal count, routed
            count += 1
            routed += bool(event.name) and event.unique_id is not None
            if count == n and not done.done():
                done.set_result(time.process_time())

        client.add_handler(on_event)
        await client.connect()
        start = time.process_time()
        await client.subscribe("ALL")
        end = await done
        await client.close()
        return (count if routed else -1), end - start

    return asyncio.run(run())


def peer_greenswitch(port: int, n: int) -> tuple[int, float]:
    import gevent.event
    import greenswitch

    done = gevent.event.AsyncResult()
    count = routed = 0

    def on_event(event: object) -> None:
        nonlocal count, routed
        headers = event.headers  # type: ignore[attr-defined]
        count += 1
        routed += bool(headers.get("Event-Name")) and headers.get("Unique-ID") is not None
        if count == n:
            done.set(time.process_time())

    fs = greenswitch.InboundESL(host="127.0.0.1", port=port, password=PASSWORD)
    fs.connect()
    fs.register_handle("*", on_event)
    start = time.process_time()
    fs.send("event plain ALL")
    end = done.get()
    fs._run = False  # its stop() waits for a reply to `exit`: just hang up
    fs.sock.close()
    return (count if routed else -1), end - start


def peer_libesl(port: int, n: int) -> tuple[int, float]:
    import ESL

    con = ESL.ESLconnection("127.0.0.1", str(port), PASSWORD)
    if not con.connected():
        raise ConnectionError("libesl could not connect")
    start = time.process_time()
    con.events("plain", "ALL")
    count = routed = 0
    while count < n:
        event = con.recvEvent()
        if event is None:
            break
        count += 1
        routed += bool(event.getHeader("Event-Name")) and event.getHeader("Unique-ID") is not None
    cpu = time.process_time() - start
    con.disconnect()
    return (count if routed else -1), cpu


PEERS: dict[str, Callable[[int, int], tuple[int, float]]] = {
    "python-ESL (libesl, C)": peer_libesl,
    "mbs core, blocking socket": peer_core,
    "mbs EslClient (asyncio)": peer_asyncio,
    "greenswitch (gevent)": peer_greenswitch,
}
SLUGS = {
    "python-ESL (libesl, C)": "libesl",
    "mbs core, blocking socket": "core",
    "mbs EslClient (asyncio)": "asyncio",
    "greenswitch (gevent)": "greenswitch",
}


def peer_main(slug: str, port: int, n: int) -> None:
    fn = next(PEERS[name] for name, s in SLUGS.items() if s == slug)
    got, cpu = fn(port, n)
    print(json.dumps({"events": got, "cpu_s": cpu}))


# ------------------------------------------------------------------ the conductor


def run_peer(
    slug: str, stream: bytes, n: int, wrapper: list[str] | None = None
) -> tuple[dict[str, float], str]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            serve_one(listener, stream)
        except BaseException as exc:  # reported with the peer's outcome
            failure.append(exc)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    argv = [sys.executable, __file__, f"--peer={slug}", f"--port={port}", f"--events={n}"]
    proc = subprocess.run(
        (wrapper or []) + argv, capture_output=True, text=True, timeout=1800, check=False
    )
    listener.close()
    server.join(5)
    if proc.returncode != 0 or failure:
        why = failure[0] if failure else proc.stderr.strip().splitlines()[-1:]
        raise RuntimeError(f"{slug}: {why}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def instructions(slug: str, stream: bytes, n: int) -> int:
    """Instructions executed by the peer process (callgrind's total)."""
    _, err = run_peer(
        slug, stream, n, ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    )
    found = re.findall(r"Collected : (\d+)", err)
    if not found:
        raise RuntimeError(f"{slug}: no callgrind total in its output")
    return int(found[-1])


def machine() -> str:
    cpu = platform.processor() or "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        peer_main(args.peer, args.port, args.events)
        return
    stream = build_stream(args.events)
    print(machine())
    print(
        f"{args.events} events, {len(stream) / 1e6:.1f} MB over loopback TCP, {args.rounds} rounds"
    )
    print(f"load average before: {load()}\n")
    cpu: dict[str, list[float]] = {name: [] for name in PEERS}
    failed: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, slug in SLUGS.items():
            if name in failed:
                continue
            try:
                result, _ = run_peer(slug, stream, args.events)
                if result["events"] != args.events:
                    raise RuntimeError(f"read {result['events']} of {args.events} events")
            except Exception as exc:  # a missing or broken third-party peer
                failed[name] = str(exc)
                continue
            cpu[name].append(result["cpu_s"])
    for name, why in failed.items():
        print(f"{name}: unavailable ({why})")
    ref = cpu.get("python-ESL (libesl, C)") or []
    print(
        "| client | events/s (median) | µs/event median (range) | speed vs libesl median (range) |"
    )
    print("|---|---:|---:|---:|")
    for name, times in cpu.items():
        if not times:
            continue
        us = [t / args.events * 1e6 for t in times]
        med = statistics.median(us)
        if ref and len(ref) == len(times):
            ratios = [r / t for r, t in zip(ref, times, strict=True)]
            vs = f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"
        else:
            vs = "-"
        print(f"| {name} | {1e6 / med:,.0f} | {med:.1f} ({min(us):.1f}–{max(us):.1f}) | {vs} |")
    print(f"\nload average after: {load()}")
    if args.instructions:
        small, big = max(1, args.events // 4), args.events
        print(f"\ninstructions per event (callgrind, ({big} - {small} events) difference):")
        for name, slug in SLUGS.items():
            if name in failed:
                continue
            counts = [instructions(slug, build_stream(k), k) for k in (small, big)]
            per = (counts[1] - counts[0]) / (big - small)
            print(f"| {name} | {per:,.0f} |")


if __name__ == "__main__":
    main()
