#!/usr/bin/env python3
"""Fuzz the compiler: mutated scenarios must give diagnostics, never a crash or a hang.

Seeds are the shipped scenarios, the stdlib modules and the compiler's test data.
Each input is a seed mutated at one of three levels, a few times over:

- line: delete, duplicate, swap two lines, or insert a line from another seed;
- token: delete, duplicate or replace a token (names, strings, numbers, punctuation),
  or insert a hostile one (deep brackets, template blocks, huge numbers, lone
  surrogates, dunder attributes);
- byte: flip, insert or delete bytes of the UTF-8 text, or truncate it (the input is
  then given as bytes, as a file read from disk would be).

Every input runs in a worker process with a timeout: ``compile_source`` then, when it
produced a program, ``Program.from_json`` on its JSON (the load-time checks), and
``check_source`` (the lint path). An exception is a crash, a timeout a hang; both are
saved to ``--out`` with the traceback, and the worker is replaced.

    python scripts/fuzz_compiler.py --inputs 100000 --jobs 2 --out var/fuzz --json

Exit status 0 when nothing crashed or hung, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import random
import re
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?[a-z]*|\S')
HOSTILE_TOKENS = [
    "{",
    "}",
    "(" * 200,
    "[" * 200,
    '"{{ ' + "(" * 300 + '"',
    '"{{ x.__class__.__mro__ }}"',
    '"{{ cycler.__init__.__globals__ }}"',
    '"{% for i in range(10**9) %}x{% endfor %}"',
    "\"{{ 'a' * 10**10 }}\"",
    '"' + "{{" * 2000 + '"',
    '"' + "{%" * 2000 + '"',
    "9" * 400,
    "99999999999d",
    "1e-300s",
    "\ud800",
    "\x00",
    "\u202e",
    "->",
    "retry 0",
    "on",
    "step",
    "always",
    "end",
    "use",
    "import",
    '"../../../etc/passwd"',
    "max_turns 999999999999",
]


def seeds(root: Path = ROOT) -> list[str]:
    """The texts mutations start from."""
    paths = [
        *sorted((root / "scenarios").glob("*.mbs")),
        *sorted((root / "mbs" / "stdlib").rglob("*.mbs")),
        *sorted((root / "tests" / "compiler" / "data").glob("*.mbs")),
    ]
    return [p.read_text(encoding="utf-8") for p in paths]


# ---------------------------------------------------------------------- mutations


def _lines(rng: random.Random, text: str, pool: list[str]) -> str:
    lines = text.split("\n")
    if not lines:
        return text
    i = rng.randrange(len(lines))
    match rng.randrange(4):
        case 0:
            del lines[i]
        case 1:
            lines.insert(i, lines[i])
        case 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        case _:
            other = rng.choice(pool).split("\n")
            lines.insert(i, rng.choice(other))
    return "\n".join(lines)


def _tokens(rng: random.Random, text: str, pool: list[str]) -> str:
    tokens = list(TOKEN.finditer(text))
    if not tokens:
        return text + rng.choice(HOSTILE_TOKENS)
    m = rng.choice(tokens)
    a, b = m.span()
    match rng.randrange(4):
        case 0:
            return text[:a] + text[b:]
        case 1:
            return text[:b] + " " + m.group() + text[b:]
        case 2:
            donor = list(TOKEN.finditer(rng.choice(pool)))
            new = rng.choice(donor).group() if donor else ""
            return text[:a] + new + text[b:]
        case _:
            return text[:a] + rng.choice(HOSTILE_TOKENS) + " " + text[a:]


def _bytes(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    buf = bytearray(data)
    i = rng.randrange(len(buf))
    match rng.randrange(4):
        case 0:
            buf[i] ^= 1 << rng.randrange(8)
        case 1:
            buf[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        case 2:
            del buf[i : i + rng.randint(1, 8)]
        case _:
            del buf[i:]
    return bytes(buf)


def mutate(rng: random.Random, pool: list[str]) -> tuple[str, str | bytes]:
    """(level, input): a seed mutated 1 to 4 times at one level."""
    text = rng.choice(pool)
    level = rng.choice(("line", "token", "byte"))
    rounds = rng.randint(1, 4)
    if level == "byte":
        data = text.encode("utf-8")
        for _ in range(rounds):
            data = _bytes(rng, data)
        return level, data
    for _ in range(rounds):
        text = _lines(rng, text, pool) if level == "line" else _tokens(rng, text, pool)
    return level, text


# ---------------------------------------------------------------------- targets


def compile_one(data: str | bytes) -> None:
    """The property: diagnostics or a program that loads again, never an exception."""
    from mbs.compiler import check_source, compile_source
    from mbs.program import Program

    result = compile_source(data, "fuzz.mbs")
    if result.program is not None:
        Program.from_json(result.program.to_json())
    check_source(data, "fuzz.mbs")


def _worker(conn: Connection, target: Callable[[str | bytes], None]) -> None:
    while True:
        try:
            data = conn.recv()
        except EOFError:
            return
        try:
            target(data)
            conn.send(None)
        except BaseException:
            conn.send(traceback.format_exc())


@dataclass
class Worker:
    target: Callable[[str | bytes], None]
    process: Any = None
    conn: Connection | None = None

    def start(self) -> None:
        parent, child = mp.get_context("fork").Pipe()
        self.process = mp.get_context("fork").Process(
            target=_worker, args=(child, self.target), daemon=True
        )
        self.process.start()
        self.conn = parent

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join()

    def run(self, data: str | bytes, timeout: float) -> tuple[str, str]:
        """("ok" | "crash" | "hang", detail)."""
        assert self.conn is not None
        self.conn.send(data)
        if not self.conn.poll(timeout):
            self.stop()
            self.start()
            return "hang", f"no answer within {timeout} s"
        try:
            answer = self.conn.recv()
        except EOFError:
            code = self.process.exitcode if self.process is not None else None
            self.stop()
            self.start()
            return "crash", f"worker died (exit code {code})"
        return ("ok", "") if answer is None else ("crash", str(answer))


@dataclass
class Report:
    inputs: int = 0
    crashes: int = 0
    hangs: int = 0
    seconds: float = 0.0
    seed: int = 0
    timeout_s: float = 0.0
    by_level: dict[str, int] = field(default_factory=dict)
    findings: list[dict[str, str]] = field(default_factory=list)


def fuzz(
    inputs: int,
    *,
    seed: int = 0,
    timeout: float = 10.0,
    out: Path | None = None,
    target: Callable[[str | bytes], None] = compile_one,
    pool: list[str] | None = None,
    progress: Callable[[Report], None] | None = None,
) -> Report:
    """Run ``inputs`` mutated inputs through ``target`` in a worker; see the docstring."""
    rng = random.Random(seed)
    pool = pool or seeds()
    report = Report(seed=seed, timeout_s=timeout)
    levels: Counter[str] = Counter()
    worker = Worker(target)
    worker.start()
    started = time.monotonic()
    try:
        for n in range(inputs):
            level, data = mutate(rng, pool)
            levels[level] += 1
            verdict, detail = worker.run(data, timeout)
            report.inputs += 1
            if verdict != "ok":
                report.crashes += verdict == "crash"
                report.hangs += verdict == "hang"
                raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
                digest = hashlib.sha256(raw).hexdigest()[:12]
                finding = {"kind": verdict, "level": level, "input": digest, "detail": detail}
                report.findings.append(finding)
                if out is not None:
                    out.mkdir(parents=True, exist_ok=True)
                    (out / f"{verdict}-{digest}.mbs").write_bytes(raw)
                    (out / f"{verdict}-{digest}.txt").write_text(detail, encoding="utf-8")
            if progress is not None and (n + 1) % 1000 == 0:
                report.seconds = round(time.monotonic() - started, 1)
                progress(report)
    finally:
        worker.stop()
    report.seconds = round(time.monotonic() - started, 1)
    report.by_level = dict(levels)
    return report


def _progress(report: Report) -> None:
    """A line on stderr every 1,000 inputs, so a long run stopped early still counts."""
    line = {k: getattr(report, k) for k in ("seed", "inputs", "crashes", "hangs", "seconds")}
    print(json.dumps(line), file=sys.stderr, flush=True)


def _run_job(args: tuple[int, int, float, str | None]) -> dict[str, Any]:
    inputs, seed, timeout, out = args
    report = fuzz(
        inputs, seed=seed, timeout=timeout, out=Path(out) if out else None, progress=_progress
    )
    return asdict(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1000, help="inputs in all")
    parser.add_argument("--seed", type=int, default=0, help="random seed (job i uses seed+i)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--jobs", type=int, default=1, help="parallel fuzzers")
    parser.add_argument("--out", type=Path, default=None, help="where findings are saved")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    jobs = max(1, args.jobs)
    shares = [args.inputs // jobs + (i < args.inputs % jobs) for i in range(jobs)]
    out = str(args.out) if args.out else None
    work = [(share, args.seed + i, args.timeout, out) for i, share in enumerate(shares)]
    if jobs == 1:
        parts = [_run_job(work[0])]
    else:  # one process per job (each with its own worker processes)
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--inputs",
                    str(share),
                    "--seed",
                    str(job_seed),
                    "--timeout",
                    str(timeout),
                    "--json",
                    *(["--out", job_out] if job_out else []),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for share, job_seed, timeout, job_out in work
        ]
        parts = [json.loads(proc.communicate()[0]) for proc in procs]
    total = {
        "inputs": sum(p["inputs"] for p in parts),
        "crashes": sum(p["crashes"] for p in parts),
        "hangs": sum(p["hangs"] for p in parts),
        "seconds": max(p["seconds"] for p in parts),
        "jobs": jobs,
        "seed": args.seed,
        "timeout_s": args.timeout,
        "by_level": dict(sum((Counter(p["by_level"]) for p in parts), Counter())),
        "findings": [f for p in parts for f in p["findings"]],
    }
    if args.json:
        print(json.dumps(total, indent=1))
    else:
        print(
            f"{total['inputs']} inputs in {total['seconds']} s ({jobs} jobs): "
            f"{total['crashes']} crashes, {total['hangs']} hangs"
        )
        for finding in total["findings"][:20]:
            first = finding["detail"].strip().splitlines()[-1:]
            print(f"  {finding['kind']} {finding['input']} ({finding['level']}): {first}")
    return 0 if not total["crashes"] and not total["hangs"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
