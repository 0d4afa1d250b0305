"""``mbs campaign``: list campaigns, show one's progress, export its calls or their event
logs, check a file."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mbs.campaign.export import write_csv, write_xlsx
from mbs.campaign.export_table import export_table
from mbs.cli.common import (
    DatabaseOpt,
    JsonAliasOpt,
    OutputFormat,
    open_store,
    output_format,
)
from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_USAGE, abort, emit_json, err, out
from mbs.cli.output import table as output_table

if TYPE_CHECKING:
    from mbs.campaign.store import Store


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


SIM_OPTION = typer.Option(
    "--sim", help="The simulated campaigns' store (MBS_SIM_DATABASE_URL, else var/sim.sqlite)."
)


def _open(database: str | None, sim: bool) -> Store:
    """The store ``--database`` names, else the real store, or with ``--sim`` the
    simulated campaigns' store."""
    if sim:
        from mbs.campaign.simulated import simulated_database_url

        return open_store(simulated_database_url(database))
    return open_store(database)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _hearing(stt: str | None) -> str:
    if stt in (None, "switch"):
        return "the switch (detect_speech)"
    return f"mbs ({stt}, through the audio fork)"


def register(app: typer.Typer) -> None:
    campaign = typer.Typer(
        help="Campaigns in the store: list, status, export.", no_args_is_help=True
    )

    @campaign.command("list")
    def list_(
        fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
        database: DatabaseOpt = None,
        sim: Annotated[bool, SIM_OPTION] = False,
        json_alias: JsonAliasOpt = False,
    ) -> None:
        """List the campaigns in the store."""
        fmt = output_format(fmt, json_alias)
        store = _open(database, sim)
        try:
            now = datetime.now(UTC)
            rows = [(c, store.stats(c.id, now=now)) for c in store.list_campaigns()]
        finally:
            store.close()
        if fmt == OutputFormat.json:
            for c, st in rows:
                emit_json(
                    {
                        "name": c.name,
                        "scenario": c.scenario,
                        "created_at": c.created_at.isoformat(),
                        "started_at": c.started_at.isoformat() if c.started_at else None,
                        "finished_at": c.finished_at.isoformat() if c.finished_at else None,
                        "contacts": st.contacts,
                        "done": st.done,
                        "calls": st.calls,
                    }
                )
            return
        if not rows:
            err.print("no campaigns in the store yet (mbs contacts import FILE --campaign NAME)")
            return
        table = output_table()
        for column in ("campaign", "scenario", "contacts", "done", "calls", "created", "finished"):
            table.add_column(column)
        for c, st in rows:
            table.add_row(
                c.name,
                c.scenario or "—",
                str(st.contacts),
                str(st.done),
                str(st.calls),
                f"{c.created_at:%Y-%m-%d %H:%M}",
                f"{c.finished_at:%Y-%m-%d %H:%M}" if c.finished_at else "—",
            )
        out.print(table)

    @campaign.command("status")
    def status(
        name: Annotated[str, typer.Argument(help="Campaign name.")],
        fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
        database: DatabaseOpt = None,
        sim: Annotated[bool, SIM_OPTION] = False,
        json_alias: JsonAliasOpt = False,
    ) -> None:
        """Progress of a campaign: contacts, attempts, counts by status and result."""
        fmt = output_format(fmt, json_alias)
        store = _open(database, sim)
        try:
            info = store.get_campaign(name)
            if info is None:
                abort(
                    f"no campaign {name!r} in the store (see: mbs campaign list)", EXIT_DIAGNOSTICS
                )
            st = store.stats(info.id, now=datetime.now(UTC))
        finally:
            store.close()
        if fmt == OutputFormat.json:
            emit_json(st.to_dict())
            return
        out.print(
            f"campaign {st.campaign}" + (f" — scenario {info.scenario}" if info.scenario else "")
        )
        out.print(
            f"contacts {st.contacts}: {st.done} done, {st.in_flight} in flight, "
            f"{st.waiting} waiting ({st.due_now} due now)"
        )
        out.print(
            f"attempts {st.calls}: {st.dialled} dialled, {st.answered} answered "
            f"(answer rate {_percent(st.answer_rate)})"
        )
        if st.next_due_at and st.waiting:
            out.print(f"next due: {st.next_due_at:%Y-%m-%d %H:%M} UTC")
        for title, counts in (
            ("by status", st.by_status),
            ("by result", st.by_result),
            ("contact outcomes", st.outcomes),
            ("waiting because", st.waiting_reasons),
        ):
            if counts:
                parts = ", ".join(
                    f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
                )
                out.print(f"{title}: {parts}")

    @campaign.command("export")
    def export(
        name: Annotated[str, typer.Argument(help="Campaign name.")],
        fmt: Annotated[
            ExportFormat, typer.Option("--format", help="csv or xlsx.")
        ] = ExportFormat.csv,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="File to write (CSV: default stdout).")
        ] = None,
        database: DatabaseOpt = None,
        sim: Annotated[bool, SIM_OPTION] = False,
    ) -> None:
        """Export every call attempt of a campaign, with its contact."""
        if fmt == ExportFormat.xlsx and output is None:
            abort("--format xlsx needs --output FILE", EXIT_USAGE)
        store = _open(database, sim)
        try:
            if store.get_campaign(name) is None:
                abort(
                    f"no campaign {name!r} in the store (see: mbs campaign list)", EXIT_DIAGNOSTICS
                )
            columns, rows = export_table(store, name)
        finally:
            store.close()
        try:
            if fmt == ExportFormat.xlsx:
                assert output is not None
                write_xlsx(rows, output, name, columns)
            elif output is None:
                write_csv(rows, sys.stdout, columns)
            else:
                with output.open("w", encoding="utf-8", newline="") as stream:
                    write_csv(rows, stream, columns)
        except OSError as exc:
            abort(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
        if output is not None:
            err.print(f"{len(rows)} calls written to {output}")

    @campaign.command("log")
    def log(
        name: Annotated[str, typer.Argument(help="Campaign name.")],
        call: Annotated[
            list[str] | None, typer.Option("--call", help="Only this call id (repeatable).")
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")
        ] = None,
        database: DatabaseOpt = None,
        sim: Annotated[bool, SIM_OPTION] = False,
    ) -> None:
        """Write the stored events of a campaign's calls as an event log (JSON lines).

        The log is what `mbs chat --log` writes, so `mbs replay FILE` re-runs the calls.
        Calls that were never answered have no events and are left out."""
        store = _open(database, sim)
        try:
            if store.get_campaign(name) is None:
                abort(
                    f"no campaign {name!r} in the store (see: mbs campaign list)", EXIT_DIAGNOSTICS
                )
            ids = [str(row["call_id"]) for row in store.export_calls(name)]
            unknown = sorted(set(call or ()) - set(ids))
            if unknown:
                abort(f"no call {unknown[0]!r} in campaign {name!r}", EXIT_DIAGNOSTICS)
            lines: list[str] = []
            logged = 0
            for call_id in ids:
                if call and call_id not in call:
                    continue
                events = store.events(call_id)
                logged += bool(events)
                for _, _, kind, data in events:
                    event = {"event": kind, "call_id": call_id, **data}
                    lines.append(json.dumps(event, ensure_ascii=False, default=str))
        finally:
            store.close()
        text = "".join(line + "\n" for line in lines)
        if output is None:
            sys.stdout.write(text)
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            abort(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)
        err.print(f"{logged} calls, {len(lines)} events written to {output}")

    @campaign.command("check")
    def check(file: Annotated[Path, typer.Argument(help="Campaign file (TOML).")]) -> None:
        """Validate a campaign file: every problem with its key and line."""
        from mbs.campaign.config import CampaignFileError, load_campaign

        try:
            loaded = load_campaign(file)
        except CampaignFileError as exc:
            for line in exc.lines():
                err.print(f"[bold red]error:[/] {escape(line)}", markup=True)
            raise typer.Exit(EXIT_DIAGNOSTICS) from None
        s = loaded.settings
        out.print(
            f"{file}: campaign {s.name!r}, scenario {loaded.scenario_path}, "
            f"backend {s.telephony.backend}, policy {s.policy.name}, "
            f"max {s.max_concurrent} calls at once, "
            f"speech heard by {_hearing(s.builtins.stt)}"
        )

    app.add_typer(campaign, name="campaign")
