"""``mbs run --campaign``: call a campaign's contacts, within the law, and record it all."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_RUNTIME, EXIT_USAGE, abort, emit_json, err, out


def _progress_table(
    progress: object, started: float, clock_now: datetime, simulated: bool
) -> Table:
    from mbs.campaign.executor import Progress

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
    out.print(f"\n[bold]Campaign {summary['campaign']}[/]")
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
    if summary["next_due_at"]:
        out.print(f"  next contact due at {summary['next_due_at']} (run again to continue)")
    errors = summary["errors"]
    assert isinstance(errors, list)
    for line in errors[:5]:
        err.print(f"  [yellow]error:[/] {line}")


def register(app: typer.Typer) -> None:
    @app.command("run")
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
        max_concurrent: Annotated[
            int | None, typer.Option("--max-concurrent", min=1, help="Override max_concurrent.")
        ] = None,
        output_dir: Annotated[
            Path, typer.Option("--output-dir", help="Where recordings/ and transcripts/ go.")
        ] = Path("."),
        database: Annotated[
            str | None,
            typer.Option(
                "--database", help="Database URL (default: DATABASE_URL, else var/mbs.sqlite)."
            ),
        ] = None,
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
        fmt: Annotated[str, typer.Option("--format", help="Summary as text or json.")] = "text",
    ) -> None:
        """Call a campaign's contacts, within the law, and record every call.

        Claims due contacts, keeps at most max_concurrent calls going, retries no-answer and
        busy per the retry policy. Ctrl-C stops cleanly; the same command again resumes.
        """
        from sqlalchemy.exc import IntegrityError, SQLAlchemyError

        from mbs.campaign.compose import CampaignRun, enrol_contacts
        from mbs.campaign.config import CampaignFileError, load_campaign, parse_campaign
        from mbs.campaign.contacts import ContactFileError
        from mbs.campaign.executor import summarise
        from mbs.campaign.store import Store, StoreError
        from mbs.cli.programs import load_program

        try:
            store = Store.open(database)
        except StoreError as exc:
            abort(str(exc), EXIT_RUNTIME)
        path = Path(campaign)
        try:
            if path.suffix == ".toml" or path.exists():
                loaded = load_campaign(path)
            else:
                info = store.get_campaign(campaign)
                if info is None:
                    abort(
                        f"no campaign file {campaign} and no campaign named {campaign!r} in the store",
                        EXIT_USAGE,
                    )
                if not info.settings.get("_file"):
                    abort(
                        f"campaign {campaign!r} has no campaign file yet (it was created by an "
                        "import): run it once with --campaign FILE.toml naming it",
                        EXIT_USAGE,
                    )
                source = Path(str(info.settings["_file"]))
                loaded = parse_campaign(source.read_text(encoding="utf-8"), source)
        except CampaignFileError as exc:
            for line in str(exc).splitlines():
                err.print(line)
            raise typer.Exit(EXIT_DIAGNOSTICS) from None
        except OSError as exc:
            abort(f"cannot read the campaign file: {exc}", EXIT_USAGE)

        program = load_program(loaded.scenario_path)
        now = datetime.now(UTC)
        # Workers started together on a new campaign race to create it and enrol its
        # contacts; the loser of an insert finds the rows there on its next try.
        for attempt in range(3):
            try:
                store.create_campaign(
                    loaded.settings.name,
                    now=now,
                    scenario=str(loaded.scenario_path),
                    program_hash=program.program_hash,
                    settings={
                        "_file": str(loaded.path.resolve()),
                        **loaded.settings.model_dump(mode="json"),
                    },
                    exist_ok=True,
                )
                enrolment = enrol_contacts(store, loaded, now)
                break
            except ContactFileError as exc:
                abort(str(exc), EXIT_USAGE)
            except IntegrityError as exc:
                if attempt == 2:
                    abort(f"cannot enrol the campaign's contacts: {exc.orig}", EXIT_RUNTIME)
                time.sleep(0.2 * (attempt + 1))
        if enrolment.imported is not None:
            imp = enrolment.imported
            if imp.error:
                abort(f"{imp.path}: {imp.error}", EXIT_USAGE)
            err.print(
                f"contacts: {len(imp.contacts)} read, {enrolment.added} newly enrolled, "
                f"{len(imp.merged)} merged, {len(imp.rejected)} rejected"
            )
            for rejected in imp.rejected[:10]:
                err.print(f"  row {rejected.row}: {rejected.reason}")

        started = time.monotonic()
        live: Live | None = None
        holder: dict[str, CampaignRun] = {}

        def on_progress(progress: object) -> None:
            if live is not None and "run" in holder:
                r = holder["run"]
                live.update(
                    _progress_table(
                        progress,
                        started,
                        r.clock.now(),
                        r.settings is not None and r.clock.scale != 1.0,
                    )
                )

        api = None
        if api_port is not None:
            from mbs.api import LiveApi

            api = LiveApi(store, port=api_port)
        try:
            runner = CampaignRun(
                loaded,
                program,
                store,
                worker=worker,
                max_concurrent=max_concurrent,
                output_dir=output_dir,
                on_progress=(
                    api.feed(loaded.settings.name, then=on_progress) if api else on_progress
                ),
            )
        except Exception as exc:  # a builtin that cannot start (missing espeak, model, ...)
            abort(str(exc), EXIT_RUNTIME)
        holder["run"] = runner

        async def main() -> object:
            loop = asyncio.get_running_loop()
            stops = 0

            def on_signal() -> None:
                nonlocal stops
                stops += 1
                if stops == 1:
                    err.print(
                        "stopping: no new calls; calls in progress finish (Ctrl-C again to abort)"
                    )
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

        show = not quiet and fmt == "text" and err.is_terminal
        try:
            if show:
                with Live(console=err, refresh_per_second=8, transient=True) as live_display:
                    live = live_display
                    result = asyncio.run(main())
            else:
                result = asyncio.run(main())
        except asyncio.CancelledError:
            abort("aborted; run the same command again to resume", EXIT_RUNTIME)
        except (OSError, StoreError) as exc:
            abort(f"campaign stopped: {exc}", EXIT_RUNTIME)
        except SQLAlchemyError as exc:  # the database went away or refused a write
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            abort(f"campaign stopped, database error: {detail}; run again to resume", EXIT_RUNTIME)
        from mbs.campaign.compose import RunResult

        assert isinstance(result, RunResult)
        summary = summarise(result.stats, result.progress, result.totals)
        summary["transcripts"] = str(output_dir / "transcripts" / loaded.settings.name)
        summary["recordings"] = str(output_dir / "recordings" / loaded.settings.name)
        if fmt == "json":
            emit_json(summary)
        else:
            _print_summary(summary, result)
            out.print(f"  transcripts in {summary['transcripts']}/")
