"""Wall latency of the robot during a campaign: what a simulated prospect waits for.

One command: ``.venv/bin/python bench/bench_campaign_latency.py [--cold] [CAMPAIGN]``.

Runs a campaign file (default ``examples/campagne-or.toml``: 64 contacts, 10 at once,
time scale 60, espeak-ng) in-process on a fresh SQLite database and reports, per robot
operation, the wall time from its start to its end (``speak`` includes the prompt itself:
about 83 ms of wall time at 60x for a 5 s line), the speech syntheses, the event loop's
lag (a 10 ms ticker), the results and the wall time of the run. At time scale S, every
100 ms of wall latency is S/10 simulated seconds of silence on the line.

``--cold`` runs with an empty TTS cache (as on a new machine), else ``var/tts-cache``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mbs.campaign.compose import CampaignRun, enrol_contacts  # noqa: E402
from mbs.campaign.config import load_campaign  # noqa: E402
from mbs.campaign.store import Store  # noqa: E402
from mbs.cli.programs import load_program  # noqa: E402
from mbs.runtime import vm as vm_module  # noqa: E402

TIMES: dict[str, list[float]] = defaultdict(list)


def timed(name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.monotonic()
        try:
            return await fn(*args, **kwargs)
        finally:
            TIMES[name].append(time.monotonic() - t0)

    return wrapper


def instrument() -> None:
    perform = vm_module.Vm.perform

    async def timed_perform(self: Any, op: Any, call: Any) -> Any:
        t0 = time.monotonic()
        try:
            return await perform(self, op, call)
        finally:
            TIMES[type(op).__name__.removesuffix("Op").lower()].append(time.monotonic() - t0)

    vm_module.Vm.perform = timed_perform  # type: ignore[method-assign]


def line(name: str, values: list[float]) -> str:
    v = sorted(values)
    p = lambda q: v[min(len(v) - 1, int(len(v) * q))] * 1000  # noqa: E731
    return (
        f"| {name} | {len(v)} | {statistics.mean(v) * 1000:.0f} | {p(0.5):.0f} | {p(0.9):.0f} "
        f"| {p(0.99):.0f} | {v[-1] * 1000:.0f} |"
    )


async def run(campaign_path: Path, workdir: Path) -> None:
    campaign = load_campaign(campaign_path)
    program = load_program(campaign.scenario_path)
    store = Store.open(f"sqlite:///{workdir / 'mbs.sqlite'}")
    now = datetime.now(UTC)
    name = campaign.settings.name
    store.create_campaign(
        name,
        now=now,
        scenario=str(campaign.scenario_path),
        program_hash=program.program_hash,
        exist_ok=True,
    )
    enrol_contacts(store, campaign, now)
    runner = CampaignRun(campaign, program, store, output_dir=workdir / "out")
    tts = runner.vm.tts
    if tts is not None:
        tts.synthesize = timed("tts", tts.synthesize)  # type: ignore[method-assign]
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            t0 = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(max(0.0, time.monotonic() - t0 - 0.01))

    tick = asyncio.create_task(ticker())
    t0 = time.monotonic()
    result = await runner.run()
    wall = time.monotonic() - t0
    tick.cancel()
    store.close()
    p = result.progress
    print(
        f"{name}: {p.started} calls, {p.answered} answered, time scale "
        f"{campaign.settings.sim.time_scale:g}, {wall:.1f} s wall"
    )
    print("results: " + ", ".join(f"{k} {v}" for k, v in p.results.most_common()))
    print()
    print("| wall ms | n | mean | p50 | p90 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    for key in ("speak", "listen", "classify", "matchobjection", "tts"):
        if TIMES.get(key):
            print(line(key, TIMES[key]))
    print(line("event-loop lag", lags))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("campaign", nargs="?", default=str(ROOT / "examples" / "campagne-or.toml"))
    parser.add_argument("--cold", action="store_true", help="start with an empty TTS cache")
    args = parser.parse_args()
    campaign = Path(args.campaign).resolve()
    instrument()
    with tempfile.TemporaryDirectory(prefix="mbs-latency-") as tmp:
        workdir = Path(tmp)
        # the TTS cache is var/tts-cache under the working directory
        os.chdir(workdir if args.cold else ROOT)
        asyncio.run(run(campaign, workdir))


if __name__ == "__main__":
    main()
