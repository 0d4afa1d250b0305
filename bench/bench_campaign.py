"""A 10,000-contact simulated campaign: calls per second and peak memory per worker.

One command: ``.venv/bin/python bench/bench_campaign.py [--contacts N] [--skip-pg]``.

Three configurations, side by side in one run, each on a fresh database:

- SQLite, one ``mbs run`` worker;
- PostgreSQL (``DATABASE_URL`` or postgresql+psycopg://postgres@127.0.0.1:5432/test, a
  schema of its own), one worker;
- the same with two workers (``--worker 1`` and ``--worker 2``) sharing the campaign.

Each worker is a real ``mbs run --campaign`` process: the in-process ESL simulator over
loopback TCP, the executor, the VM and the store, exactly as a user runs it. What is
measured:

- the contacts are imported first (``mbs contacts import``, timed apart);
- **calls/s** = calls placed (rows in the store) / wall time from the first worker's
  start to the last worker's exit (process start-up, ~1-2 s, included);
- **peak RSS** = ``ru_maxrss`` of each worker process (``os.wait4``).

The campaign is chosen so the executor, not the prospects, is the bottleneck:
``max_concurrent`` 200, no retries, time scale 100, no TTS, a policy open at all hours
(so the law is evaluated at every claim but never defers), and a persona mix of
``busy`` 40 %, ``no_answer`` 30 %, ``rejected`` 10 % and ``hangup`` 20 % (answers, hears
the first prompt, hangs up during it: every one of those runs the scenario, stores its
events and writes a transcript).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mbs.campaign.store import Store  # noqa: E402
from mbs.campaign.store.engine import make_engine  # noqa: E402

MBS = [sys.executable, "-c", "from mbs.cli import main; main()"]
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

CAMPAIGN = """name = "bench"
scenario = "{scenario}"
max_concurrent = 200
record = false

[telephony]
backend = "sim"

[builtins]
tts = "none"

[retry]
max_retries = 0

[policy]
name = "bench-open"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
windows = ["00:00-23:59"]
holidays_country = ""
max_attempts = 100

[sim]
seed = 1
time_scale = 100.0
start = "now"

[sim.personas]
busy = 0.4
no_answer = 0.3
rejected = 0.1
hangup = 0.2
"""


def contacts_csv(path: Path, n: int) -> None:
    lines = ["prenom;telephone"]
    lines += [f"C{i};+3314{i:07d}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_config(
    label: str, workers: int, url: str, folder: Path, contacts: Path
) -> dict[str, object]:
    folder.mkdir(parents=True)
    campaign = folder / "campaign.toml"
    campaign.write_text(CAMPAIGN.format(scenario=ROOT / "scenarios" / "or_rdv.mbs"), "utf-8")
    env = {**os.environ, "DATABASE_URL": url}
    t0 = time.monotonic()
    imported = subprocess.run(
        [*MBS, "contacts", "import", str(contacts), "-c", "bench", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
    )
    if imported.returncode != 0:
        raise SystemExit(f"{label}: import failed: {imported.stderr}")
    import_s = time.monotonic() - t0
    procs = []
    start = time.monotonic()
    for w in range(1, workers + 1):
        argv = [
            *MBS,
            "run",
            "--campaign",
            str(campaign),
            "--quiet",
            "--format",
            "json",
            "--worker",
            str(w),
            "--output-dir",
            str(folder / f"w{w}"),
        ]
        procs.append(
            subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=folder
            )
        )
    rss: list[int] = []
    cpu_s = 0.0
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        rss.append(usage.ru_maxrss)  # KiB on Linux
        cpu_s += usage.ru_utime + usage.ru_stime
    wall = time.monotonic() - start
    summaries = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"{label}: worker failed ({p.returncode}): {err.decode()[-2000:]}")
        summaries.append(json.loads(out.decode().strip().splitlines()[-1]))
    store = Store.open(url)  # the campaign as the store has it once every worker is gone
    try:
        final = store.stats("bench", now=datetime.now(UTC))
    finally:
        store.close()
    calls, done = final.calls, final.done
    return {
        "config": label,
        "workers": workers,
        "contacts_done": done,
        "calls": calls,
        "import_s": round(import_s, 1),
        "wall_s": round(wall, 1),
        "calls_per_s": round(calls / wall, 1),
        "cpu_ms_per_call": round(cpu_s / max(1, calls) * 1000, 2),
        "peak_rss_mib": [round(k / 1024, 1) for k in rss],
        "by_status": final.by_status,
        "worker_summaries": len(summaries),
    }


def pg_schema_url(base: str) -> tuple[str, str]:
    schema = f"mbs_bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    Store.open(base, schema=schema).close()  # migrations once, before the workers
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def drop_schema(base: str, schema: str) -> None:
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    base = base if base.startswith("postgres") else PG_DEFAULT
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(
        f"{args.contacts} contacts; {cpu}, {os.cpu_count()} cpu; Python {platform.python_version()}"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="mbs-bench-") as tmp:
        folder = Path(tmp)
        contacts = folder / "contacts.csv"
        contacts_csv(contacts, args.contacts)
        if not args.skip_sqlite:
            results.append(
                run_config(
                    "SQLite, 1 worker",
                    1,
                    f"sqlite:///{folder / 'sqlite' / 'mbs.sqlite'}",
                    folder / "sqlite",
                    contacts,
                )
            )
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
        if not args.skip_pg:
            for workers in (1, 2):
                url, schema = pg_schema_url(base)
                try:
                    results.append(
                        run_config(
                            f"PostgreSQL, {workers} worker(s)",
                            workers,
                            url,
                            folder / f"pg{workers}",
                            contacts,
                        )
                    )
                finally:
                    drop_schema(base, schema)
                print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    first = float(results[0]["calls_per_s"])  # type: ignore[arg-type]
    print()
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        "| configuration | calls | wall (s) | calls/s | vs first | CPU ms per call (all workers) "
        "| peak RSS per worker (MiB) | import (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        ratio = float(r["calls_per_s"]) / first  # type: ignore[arg-type]
        rss = ", ".join(f"{m:.0f}" for m in r["peak_rss_mib"])  # type: ignore[attr-defined]
        print(
            f"| {r['config']} | {r['calls']} | {r['wall_s']} | {r['calls_per_s']} | "
            f"{ratio:.2f}× | {r['cpu_ms_per_call']} | {rss} | {r['import_s']} |"
        )


if __name__ == "__main__":
    main()
