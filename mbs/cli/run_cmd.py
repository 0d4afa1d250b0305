"""``mbs run --campaign``: call a campaign's contacts, within the law, and record it all."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from mbs.cli.common import DatabaseOpt, JsonAliasOpt, OutputFormat, output_format
from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, emit_json, err, out


def _progress_table(
    progress: object, started: float, clock_now: datetime, simulated: bool
) -> Table:
    from mbs.campaign.facts import Progress

    assert isinstance(progress, Progress)
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    elapsed = time.monotonic() - started
    clock = clock_now.astimezone().strftime("%a %d %b %H:%M")
    table.add_row(
        "time", f"{elapsed:5.1f}s wall" + (f"   simulated clock {clock}" if simulated else "")
    )
    table.add_row(
        "calls",
        f"{progress.started} started, {progress.running} running (peak {progress.peak_running}),"
        f" {progress.finished} finished",
    )
    table.add_row("answered", str(progress.answered))
    if progress.statuses:
        table.add_row("dial", ", ".join(f"{k} {v}" for k, v in progress.statuses.most_common()))
    if progress.results:
        table.add_row("results", ", ".join(f"{k} {v}" for k, v in progress.results.most_common()))
    if progress.state != "running":
        table.add_row("state", f"{progress.state} (set from the console or the control API)")
    if progress.waiting_until:
        table.add_row(
            "waiting", f"next allowed call at {progress.waiting_until.astimezone():%a %d %b %H:%M}"
        )
    return table


def _print_summary(summary: dict[str, object], result: object) -> None:
    from mbs.campaign.compose import RunResult

    assert isinstance(result, RunResult)
    out.print(f"\n[bold]Campaign {escape(str(summary['campaign']))}[/]", markup=True)
    rate = summary["answer_rate"]
    out.print(
        f"  contacts {summary['contacts']}  done {summary['done']}  waiting {summary['waiting']}  "
        f"calls {summary['calls']}  answered {summary['answered']}"
        + (f" ({rate:.0%})" if isinstance(rate, float) else "")
    )
    for title, key in (("statuses", "by_status"), ("results", "by_result")):
        counts = summary[key]
        assert isinstance(counts, dict)
        if counts:
            out.print(
                f"  {title}: "
                + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
            )
    out.print(
        f"  average talk time {summary['average_talk_seconds']}s, freestyle turns {summary['freestyle_turns']}"
    )
    objections = summary["objections_matched"]
    assert isinstance(objections, dict)
    if objections:
        top = list(objections.items())[:5]
        out.print("  objections matched: " + "; ".join(f"{text!r} ×{n}" for text, n in top))
    span = timedelta(seconds=round((result.ended_at - result.started_at).total_seconds()))
    clock = "simulated" if result.simulated else "wall"
    out.print(
        f"  {clock} time {span}  ({result.started_at:%Y-%m-%d %H:%M} → {result.ended_at:%Y-%m-%d %H:%M} UTC)"
    )
    lacking = summary["not_called_lacking"]
    assert isinstance(lacking, dict)
    if lacking:
        out.print(
            "  not called, lacking a field the scenario says: "
            + ", ".join(f"contact.{f} ×{n}" for f, n in lacking.items())
        )
    if summary["next_due_at"]:
        out.print(f"  next contact due at {summary['next_due_at']} (run again to continue)")
    errors = summary["errors"]
    assert isinstance(errors, list)
    for line in errors[:5]:
        err.print(f"  [yellow]error:[/] {escape(str(line))}", markup=True)


def _report_enrolment(enrolment: Any) -> None:
    imp = enrolment.imported
    if imp is None:
        return
    if imp.error:
        abort(f"{imp.path}: {imp.error}", EXIT_USAGE)
    err.print(
        f"contacts: {len(imp.contacts)} read, {enrolment.added} newly enrolled, "
        f"{len(imp.merged)} merged, {len(imp.rejected)} rejected"
    )
    for rejected in imp.rejected[:10]:
        err.print(f"  row {rejected.row}: {rejected.reason}")


def _run_workers(
    store: object, campaign: str, count: int, base_id: str, api_port: int | None, fmt: str
) -> None:
    import sys

    from mbs.campaign.store import Store
    from mbs.cli.workers import run_workers

    assert isinstance(store, Store)
    err.print(f"starting {count} workers ({base_id}-1 … {base_id}-{count}) on {campaign}")
    exits = run_workers(sys.argv[1:], count, base_id, api_port)
    stats = store.stats(campaign, now=datetime.now(UTC))
    summaries = [e.summary for e in exits if e.summary is not None]
    summary: dict[str, object] = dict(summaries[-1]) if summaries else {"campaign": campaign}
    summary.update(
        contacts=stats.contacts,
        done=stats.done,
        waiting=stats.waiting,
        calls=stats.calls,
        answered=stats.answered,
        answer_rate=stats.answer_rate,
        by_status=stats.by_status,
        by_result=stats.by_result,
        workers=[{"worker": e.worker_id, "exit": e.code} for e in exits],
    )
    if fmt == "json":
        emit_json(summary)
    else:
        rate = stats.answer_rate
        out.print(f"\n[bold]Campaign {escape(campaign)}[/] ({count} workers)", markup=True)
        out.print(
            f"  contacts {stats.contacts}  done {stats.done}  waiting {stats.waiting}  "
            f"calls {stats.calls}  answered {stats.answered}"
            + (f" ({rate:.0%})" if isinstance(rate, float) else "")
        )
        for e in exits:
            out.print(f"  worker {e.worker_id}: exit {e.code}")
    failed = max((e.code for e in exits), default=0)
    if failed:
        raise typer.Exit(failed)


async def _drive(runner: Any, api: Any) -> Any:
    """Run the campaign; the first Ctrl-C stops claiming, the second cancels everything."""
    loop = asyncio.get_running_loop()
    stops = 0

    def on_signal() -> None:
        nonlocal stops
        stops += 1
        if stops == 1:
            err.print("stopping: no new calls; calls in progress finish (Ctrl-C again to abort)")
            runner.stop()
        else:
            for task in asyncio.all_tasks(loop):
                task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    if api is None:
        return await runner.run()
    async with api.serving(now=runner.clock.now):
        err.print(f"status API on {api.url}")
        return await runner.run()


def run(
    campaign: Annotated[
        str,
        typer.Option(
            "--campaign",
            "-c",
            help="A campaign file (TOML), or the name of a campaign in the store.",
        ),
    ],
    worker: Annotated[
        str | None,
        typer.Option(
            "--worker", help="Worker id when several workers share a campaign (default 1)."
        ),
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            "--workers",
            help="Run N worker processes on this campaign (one core each; 'auto': one "
            "per core), sharing the store's queue. PostgreSQL only.",
        ),
    ] = None,
    max_concurrent: Annotated[
        int | None, typer.Option("--max-concurrent", min=1, help="Override max_concurrent.")
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            help="Where transcripts/ go, and recordings/ of a simulated campaign (a real "
            "switch records in its own recordings_dir).",
        ),
    ] = Path("."),
    database: DatabaseOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No live display.")] = False,
    api_port: Annotated[
        int | None,
        typer.Option(
            "--api-port",
            min=0,
            max=65535,
            help="Serve the status API and /metrics on 127.0.0.1:PORT while running.",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Summary as text or json.")
    ] = OutputFormat.text,
    json_alias: JsonAliasOpt = False,
) -> None:
    """Call a campaign's contacts, within the law, and record every call.

    Claims due contacts, keeps at most max_concurrent calls going, retries no-answer and
    busy per the retry policy. Ctrl-C stops cleanly; the same command again resumes.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from mbs.campaign.compose import CampaignRun, RunResult, open_campaign, register_and_enrol
    from mbs.campaign.executor import summarise
    from mbs.campaign.store import StoreError
    from mbs.cli.errors import reporting
    from mbs.cli.programs import load_program
    from mbs.cli.workers import WorkersError, check_database, worker_count

    fmt = output_format(fmt, json_alias)
    try:
        count = worker_count(workers) if workers is not None else 1
    except WorkersError as exc:
        abort(str(exc), EXIT_USAGE)
    with reporting():
        store, loaded = open_campaign(campaign, database)
        if count > 1:
            try:
                check_database(store.dialect)
            except WorkersError as exc:
                abort(str(exc), EXIT_USAGE)
        if loaded.settings.telephony.backend == "sim" and fmt == OutputFormat.text:
            err.print(f"simulated campaign: store {store.engine.url.render_as_string()}")
        program = load_program(loaded.scenario_path)
        enrolment = register_and_enrol(store, loaded, program, datetime.now(UTC))
    _report_enrolment(enrolment)
    if count > 1:  # contacts enrolled once, here; then the workers share the queue
        _run_workers(store, loaded.settings.name, count, worker or "1", api_port, fmt.value)
        return

    started = time.monotonic()
    live: Live | None = None
    holder: dict[str, CampaignRun] = {}

    def on_progress(progress: object) -> None:
        if live is not None and "run" in holder:
            r = holder["run"]
            live.update(_progress_table(progress, started, r.clock.now(), r.clock.scale != 1.0))

    api = None
    if api_port is not None:
        from mbs.api import LiveApi

        api = LiveApi(store, port=api_port)
    feed = api.feed(loaded.settings.name) if api is not None else None
    try:
        runner = CampaignRun(
            loaded,
            program,
            store,
            worker=worker,
            max_concurrent=max_concurrent,
            output_dir=output_dir,
            on_progress=on_progress,
            observers=[feed] if feed is not None else (),
        )
    except Exception as exc:  # a builtin that cannot start (missing espeak, model, ...)
        abort(str(exc), EXIT_RUNTIME)
    holder["run"] = runner
    if feed is not None:  # the console's live view reads the calls in progress
        feed.live_calls = runner.executor.progress.live

    show = not quiet and fmt == OutputFormat.text and err.is_terminal
    try:
        if show:
            with Live(console=err, refresh_per_second=8, transient=True) as live_display:
                live = live_display
                result = asyncio.run(_drive(runner, api))
        else:
            result = asyncio.run(_drive(runner, api))
    except asyncio.CancelledError:
        abort("aborted; run the same command again to resume", EXIT_RUNTIME)
    except (OSError, StoreError) as exc:
        abort(f"campaign stopped: {exc}", EXIT_RUNTIME)
    except SQLAlchemyError as exc:  # the database went away or refused a write
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        abort(f"campaign stopped, database error: {detail}; run again to resume", EXIT_RUNTIME)

    assert isinstance(result, RunResult)
    summary = summarise(result.stats, result.progress, result.totals)
    summary["transcripts"] = str(output_dir / "transcripts" / loaded.settings.name)
    # the simulator records under --output-dir; a real switch in its own recordings_dir,
    # on its own disk (the paths on the call rows are that switch's)
    summary["recordings"] = str(runner.recordings_dir / loaded.settings.name)
    if fmt == OutputFormat.json:
        emit_json(summary)
    else:
        _print_summary(summary, result)
        out.print(f"  transcripts in {summary['transcripts']}/")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
