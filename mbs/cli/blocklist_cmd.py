"""``mbs blocklist``: numbers that are never dialled, whatever the campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from mbs.campaign.contacts import ContactFileError, parse_phone, read_numbers
from mbs.cli.common import (
    DatabaseOpt,
    JsonAliasOpt,
    OutputFormat,
    open_store,
    output_format,
)
from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_USAGE, abort, emit_json, emit_row, out, warning


def _parse_numbers(numbers: list[str], region: str) -> list[str]:
    """Numbers given on the command line in E.164; the first bad one aborts (exit 1)."""
    parsed = []
    for raw in numbers:
        try:
            parsed.append(parse_phone(raw, region))
        except ValueError as exc:
            abort(f"{raw}: {exc}", EXIT_DIAGNOSTICS)
    return parsed


def register(app: typer.Typer) -> None:
    blocklist = typer.Typer(help="Numbers never to dial.", no_args_is_help=True)

    @blocklist.command("import")
    def import_(
        file: Annotated[
            Path,
            typer.Argument(help="One number per line, or a CSV/XLSX/JSON with a phone column."),
        ],
        region: Annotated[
            str, typer.Option("--region", help="Region of numbers written without +country.")
        ] = "FR",
        source: Annotated[
            str | None, typer.Option("--source", help="Where the list comes from (kept).")
        ] = None,
        fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
        database: DatabaseOpt = None,
        json_alias: JsonAliasOpt = False,
    ) -> None:
        """Add every number of FILE to the blocklist (bad lines reported)."""
        fmt = output_format(fmt, json_alias)
        try:
            numbers, rejected, notes = read_numbers(file, region=region)
        except ContactFileError as exc:
            abort(f"{file}: {exc}", EXIT_USAGE)
        for note in notes:
            warning(f"{file}: {note}")
        added = 0
        if numbers:
            store = open_store(database)
            try:
                added = store.add_to_blocklist(
                    numbers, now=datetime.now(UTC), source=source or file.name
                )
            finally:
                store.close()
        if fmt == OutputFormat.json:
            emit_json(
                {
                    "file": str(file),
                    "numbers": len(numbers),
                    "added": added,
                    "rejected": [{"row": r.row, "reason": r.reason} for r in rejected],
                }
            )
        else:
            out.print(
                f"{file}: {len(numbers)} numbers, {added} new on the blocklist, "
                f"{len(rejected)} rejected"
            )
            for r in rejected:
                out.print(f"  line {r.row}: rejected: {r.reason}")
        if not numbers:
            raise typer.Exit(EXIT_DIAGNOSTICS)

    @blocklist.command("add")
    def add(
        numbers: Annotated[list[str], typer.Argument(help="Numbers to blocklist.")],
        region: Annotated[str, typer.Option("--region")] = "FR",
        database: DatabaseOpt = None,
    ) -> None:
        """Blocklist numbers given on the command line."""
        parsed = _parse_numbers(numbers, region)
        store = open_store(database)
        try:
            added = store.add_to_blocklist(parsed, now=datetime.now(UTC), source="cli")
        finally:
            store.close()
        out.print(f"{added} new on the blocklist")

    @blocklist.command("remove")
    def remove(
        numbers: Annotated[list[str], typer.Argument(help="Numbers to take off the list.")],
        region: Annotated[str, typer.Option("--region")] = "FR",
        database: DatabaseOpt = None,
    ) -> None:
        """Take numbers off the blocklist."""
        parsed = _parse_numbers(numbers, region)
        store = open_store(database)
        try:
            removed = store.remove_from_blocklist(parsed)
        finally:
            store.close()
        out.print(f"{removed} removed from the blocklist")

    @blocklist.command("list")
    def list_(
        fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.text,
        database: DatabaseOpt = None,
        json_alias: JsonAliasOpt = False,
    ) -> None:
        """Print the blocklist."""
        fmt = output_format(fmt, json_alias)
        store = open_store(database)
        try:
            entries = store.blocklist()
        finally:
            store.close()
        for phone, source, added_at in entries:
            if fmt == OutputFormat.json:
                emit_json({"phone": phone, "source": source, "added_at": added_at.isoformat()})
            else:
                emit_row(phone, source or "", f"{added_at:%Y-%m-%d %H:%M}")

    app.add_typer(blocklist, name="blocklist")
