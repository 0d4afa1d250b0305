"""Simultaneous simulated calls through ONE ESL client connection: turn latency, rates.

One command: ``.venv/bin/python bench/bench_calls.py [--calls 100,1000] [--time-scale 10]``.

For each size N (in one run, side by side): the simulator runs in its own process
(``mbs.freeswitch.sim``, as a switch would be another machine), and this process dials N
calls at once through one ``EslTelephony`` (one ``EslClient``, one TCP connection), each
running ``scenarios/or_rdv.mbs`` in the VM with the real fuzzy NLU. Every callee is a
scripted human who accepts the appointment (five sentences, one after each question).

Turn latency is measured on the simulator's side, on one clock: from the moment the
caller stops talking (DETECTED_SPEECH ``detected-speech`` fired) to the moment the
robot's next prompt starts playing (PLAYBACK_START fired for that channel), so it covers
the event's trip to the robot, parsing, routing, the VM, the NLU, the ``uuid_broadcast``
back and the switch starting it. A sentence that ends while a prompt is still playing
(the caller talked over the robot) is not a turn and is not counted, nor is the "Allô ?"
said at answer (the AMD listens to it; the first prompt follows the AMD's decision).

Reported: p50/p99/max turn latency, calls/s (answered conversations finished per wall
second), events/s parsed by the client, and events lost anywhere (the client's per-call
queues, the simulator's listener queue, unrouted events).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "or_rdv.mbs"
TURNS = ("oui allez-y", "oui, j'en ai", "oui bien sûr", "le matin", "jeudi")


def number(i: int) -> str:
    return f"06{i:08d}"


# ------------------------------------------------------------------ the switch's process


def serve_simulator(conn: Any, calls: int, time_scale: float) -> None:
    """Child process: a Simulator whose events are timestamped as they fire."""
    profile = os.environ.get("MBS_BENCH_PROFILE_SIM")
    if profile:
        import cProfile

        with cProfile.Profile() as prof:
            asyncio.run(_serve(conn, calls, time_scale))
        prof.dump_stats(profile)
    else:
        asyncio.run(_serve(conn, calls, time_scale))


async def _serve(conn: Any, calls: int, time_scale: float) -> None:
    from mbs.freeswitch.sim import Persona, PersonaKind, Simulator, Turn
    from mbs.freeswitch.sim.fsevents import FsEvent

    persona = Persona(
        PersonaKind.HUMAN,
        rings=1,
        opener="Allô ?",
        turns=tuple(Turn(text, pause_s=0.8) for text in TURNS),
        hangup_after_silence_s=None,  # a slow robot is measured, not hung up on
    )
    pinned = {number(i): persona for i in range(calls)}
    sim = Simulator(time_scale=time_scale, pinned=pinned, seed=1, heartbeat_s=20.0)
    sim.keep_history = False
    ended: dict[str, float] = {}  # uuid -> when the caller stopped talking (a turn)
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    publish = sim.publish

    def timed(event: FsEvent) -> None:
        name = event.name
        if name == "DETECTED_SPEECH" and event.get("Speech-Type") == "detected-speech":
            uuid = event.get("Unique-ID") or ""
            call = sim.calls.get(uuid)
            if call is None or call.prompts == 0:
                counts["greetings"] += 1  # "Allô ?" at answer: the AMD's, not a turn
            elif call.playing is None and call.queue_empty:
                ended[uuid] = time.monotonic()
                counts["turns"] += 1
            else:
                counts["talked_over"] += 1
        elif name == "PLAYBACK_START":
            began = ended.pop(event.get("Unique-ID") or "", None)
            if began is not None:
                latencies.append(time.monotonic() - began)
        publish(event)

    sim.publish = timed  # type: ignore[method-assign]
    await sim.start()
    conn.send(sim.port)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # the robot is done
    counts["unanswered_turns"] = len(ended)
    lost = sum(listener.lost for listener in sim.listeners)
    conn.send(
        {
            "latencies": latencies,
            "counts": dict(counts),
            "listener_lost": lost,
            "summary": sim.summary(),
            "cpu_s": time.process_time(),
        }
    )
    await sim.stop()


# ------------------------------------------------------------------ the robot's process


class ScaledListen:
    """Listen timeouts in simulated seconds, as the ``sim`` backend does."""

    def __init__(self, call: Any, scale: float) -> None:
        self.inner = call
        self.scale = scale

    @property
    def call_id(self) -> str:
        return str(self.inner.call_id)

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> Any:
        return await self.inner.say(text, audio, barge_in=barge_in)

    async def play(self, path: str, *, barge_in: bool) -> Any:
        return await self.inner.play(path, barge_in=barge_in)

    async def listen(self, timeout_s: float) -> Any:
        return await self.inner.listen(timeout_s / self.scale)

    async def transfer(self, destination: str) -> bool:
        return bool(await self.inner.transfer(destination))

    async def hangup(self) -> None:
        await self.inner.hangup()


async def robot(port: int, calls: int, scale: float) -> dict[str, Any]:
    from mbs.compiler import compile_file
    from mbs.freeswitch.backend import EslBackendConfig, EslTelephony
    from mbs.freeswitch.client import ClientConfig
    from mbs.runtime.builtins import registry
    from mbs.runtime.builtins.base import Nlu
    from mbs.runtime.vm import Vm

    compiled = compile_file(SCENARIO)
    assert compiled.program is not None and compiled.ok
    program = compiled.program
    vm = Vm(program, nlu=cast(Nlu, registry.create("nlu", "fuzzy", program, {})))
    config = EslBackendConfig(
        client=ClientConfig(port=port, command_timeout_s=120.0),
        gateway="sim",
        originate_timeout_s=60,
        dial_margin_s=300.0,
        amd_timeout_s=8.0 / scale * 4,
        greeting_wait_s=6.0 / scale * 4,
        utterance_grace_s=8.0 / scale * 4,
        break_timeout_s=2.0 / scale * 4,
        media_time_scale=scale,
    )
    tel = EslTelephony(config)
    await tel.start()
    results: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    tel.client.add_handler(lambda event: seen.update((event.name,)))

    async def one(i: int) -> None:
        dialled = await tel.dial(number(i), call_id=f"c{i}", variables={"mbs_campaign": "bench"})
        if dialled.call is None:
            results[f"dial:{dialled.status.value}"] += 1
            return
        state = await vm.run_call(
            ScaledListen(dialled.call, scale), contact={"first_name": "Marie"}, call_id=f"c{i}"
        )
        results[str(state.result.value if state.result else None)] += 1

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(calls)))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    stats = tel.client.stats
    out = {
        "wall_s": wall,
        "robot_cpu_s": cpu,
        "results": dict(results),
        "events": stats.events,
        "dropped_events": stats.dropped_events,
        "unrouted_events": stats.unrouted_events,
        "connects": stats.connects,
        "events_by_name": dict(seen.most_common()),
    }
    await tel.stop()
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def run_size(calls: int, scale: float, profile: str | None = None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve_simulator, args=(child, calls, scale), daemon=True)
    proc.start()
    port = parent.recv()
    try:
        if profile:
            import cProfile

            with cProfile.Profile() as prof:
                robot_side = asyncio.run(robot(port, calls, scale))
            prof.dump_stats(profile)
        else:
            robot_side = asyncio.run(robot(port, calls, scale))
    finally:
        parent.send("done")
    sim_side = parent.recv()
    proc.join(30)
    lat = sim_side["latencies"]
    answered = sum(v for k, v in robot_side["results"].items() if not k.startswith("dial:"))
    return {
        "calls": calls,
        "time_scale": scale,
        "turns": len(lat),
        "p50_ms": percentile(lat, 0.50) * 1000,
        "p99_ms": percentile(lat, 0.99) * 1000,
        "max_ms": max(lat) * 1000 if lat else float("nan"),
        "wall_s": robot_side["wall_s"],
        "calls_per_s": answered / robot_side["wall_s"],
        "events_per_s": robot_side["events"] / robot_side["wall_s"],
        "events": robot_side["events"],
        "dropped": robot_side["dropped_events"]
        + robot_side["unrouted_events"]
        + sim_side["listener_lost"],
        "robot_cpu_s": robot_side["robot_cpu_s"],
        "sim_cpu_s": sim_side["cpu_s"],
        "connects": robot_side["connects"],
        "results": robot_side["results"],
        "events_by_name": robot_side["events_by_name"],
        "sim_counts": sim_side["counts"],
    }


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in out.splitlines() if "Model name" in line),
            platform.processor(),
        )
    except OSError:
        model = platform.processor()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {load:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", default="100,1000", help="comma-separated call counts")
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    parser.add_argument("--profile", help="cProfile the robot's process into this file")
    args = parser.parse_args()
    sizes = [int(n) for n in args.calls.split(",") if n.strip()]
    print(f"machine: {machine()}")
    rows = [run_size(n, args.time_scale, args.profile) for n in sizes]
    base = rows[0]
    header = (
        f"{'calls':>6} {'turns':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'wall s':>7} "
        f"{'calls/s':>8} {'events/s':>9} {'dropped':>7} {'p99 vs first':>12}"
    )
    print(f"time scale x{args.time_scale:g}, one ESL connection, or_rdv, fuzzy NLU")
    print(header)
    for r in rows:
        print(
            f"{r['calls']:>6} {r['turns']:>6} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['max_ms']:>8.1f} {r['wall_s']:>7.2f} {r['calls_per_s']:>8.1f} "
            f"{r['events_per_s']:>9.0f} {r['dropped']:>7} {r['p99_ms'] / base['p99_ms']:>11.2f}x"
        )
    for r in rows:
        detail = {
            k: r[k]
            for k in (
                "calls",
                "results",
                "sim_counts",
                "robot_cpu_s",
                "sim_cpu_s",
                "events_by_name",
            )
        }
        print(json.dumps(detail) if args.json else detail)


if __name__ == "__main__":
    main()
