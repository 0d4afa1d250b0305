"""``mbs campaign``: list campaigns, show one's progress, export its calls or their event
logs, check a file."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mbs.campaign.config import CampaignFileError, load_campaign
from mbs.campaign.store import EXPORT_COLUMNS, Store, StoreError
from mbs.campaign.store.engine import database_url
from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_USAGE, abort, emit_json, err, out


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def open_store() -> Store:
    """The store at ``DATABASE_URL`` (default ``var/mbs.sqlite``), or exit 2 saying why."""
    try:
        return Store.open(database_url())
    except StoreError as exc:
        abort(str(exc), EXIT_USAGE)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _write_csv(rows: list[dict[str, Any]], target: Path | None) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    if target is None:
        sys.stdout.write(buffer.getvalue())
    else:
        target.write_text(buffer.getvalue(), encoding="utf-8")


def _write_xlsx(rows: list[dict[str, Any]], target: Path, campaign: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = campaign[:31] or "calls"
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        values = []
        for column in EXPORT_COLUMNS:
            value = row[column]
            if isinstance(value, datetime):  # Excel has no time zones: UTC, naive
                value = value.astimezone(UTC).replace(tzinfo=None)
            elif isinstance(value, list | dict):
                value = json.dumps(value, ensure_ascii=False)
            values.append(value)
        sheet.append(values)
    book.save(target)


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
    def list_(fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text) -> None:
        """List the campaigns in the store."""
        store = open_store()
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
        table = Table()
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
    ) -> None:
        """Progress of a campaign: contacts, attempts, counts by status and result."""
        store = open_store()
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
    ) -> None:
        """Export every call attempt of a campaign, with its contact."""
        if fmt == ExportFormat.xlsx and output is None:
            abort("--format xlsx needs --output FILE", EXIT_USAGE)
        store = open_store()
        try:
            if store.get_campaign(name) is None:
                abort(
                    f"no campaign {name!r} in the store (see: mbs campaign list)", EXIT_DIAGNOSTICS
                )
            rows = list(store.export_calls(name))
        finally:
            store.close()
        try:
            if fmt == ExportFormat.csv:
                _write_csv(rows, output)
            else:
                assert output is not None
                _write_xlsx(rows, output, name)
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
    ) -> None:
        """Write the stored events of a campaign's calls as an event log (JSON lines).

        The log is what `mbs chat --log` writes, so `mbs replay FILE` re-runs the calls.
        Calls that were never answered have no events and are left out."""
        store = open_store()
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
        try:
            loaded = load_campaign(file)
        except CampaignFileError as exc:
            for line in exc.lines():
                err.print(f"[bold red]error:[/] {line}", markup=True)
            raise typer.Exit(EXIT_DIAGNOSTICS) from None
        s = loaded.settings
        out.print(
            f"{file}: campaign {s.name!r}, scenario {loaded.scenario_path}, "
            f"backend {s.telephony.backend}, policy {s.policy.name}, "
            f"max {s.max_concurrent} calls at once, "
            f"speech heard by {_hearing(s.builtins.stt)}"
        )

    app.add_typer(campaign, name="campaign")
