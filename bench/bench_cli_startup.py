"""How long ``mbs --help`` and ``mbs version`` take, start to exit (goal: under 0.3 s).

    .venv/bin/python bench/bench_cli_startup.py [--repeat R]

Each command runs R times as a fresh process (the installed ``mbs`` entry point, as a
user types it); the median and the range of the wall times are printed side by side.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

MBS = Path(sys.executable).with_name("mbs")
COMMANDS = (["--help"], ["version"], ["--version"])


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(MBS), *argv], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    timed(["version"])  # warm the file cache and the bytecode once
    print(f"{'command':<16} {'median':>8} {'min':>8} {'max':>8}   ({args.repeat} runs)")
    for argv in COMMANDS:
        times = [timed(argv) for _ in range(args.repeat)]
        print(
            f"mbs {' '.join(argv):<12} {statistics.median(times):8.3f} "
            f"{min(times):8.3f} {max(times):8.3f}"
        )


if __name__ == "__main__":
    main()
