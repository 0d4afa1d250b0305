"""``mbs contacts import``: load a contact list (CSV, XLSX, JSON) into the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from mbs.campaign.contacts import (
    FORMATS,
    ContactFileError,
    ImportResult,
    read_contacts,
    save_contacts,
)
from mbs.campaign.names import check_slug
from mbs.cli.common import (
    DatabaseOpt,
    JsonAliasOpt,
    OutputFormat,
    open_store,
    output_format,
)
from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_USAGE, abort, emit_json, err, error, out, warning


def _print_report(result: ImportResult, totals: dict[str, object]) -> None:
    out.print(
        f"{result.path}: {result.rows} rows, {len(result.contacts)} contacts imported "
        f"({totals['created']} new, {totals['updated']} updated), "
        f"{len(result.merged)} merged, {len(result.rejected)} rejected"
    )
    lines = [
        (m.row, f"merged into row {m.into_row} (same number {m.phone})") for m in result.merged
    ]
    lines += [(r.row, f"rejected: {r.reason}") for r in result.rejected]
    for row, text in sorted(lines):
        out.print(f"  row {row}: {text}")
    if totals.get("campaign"):
        made = " (new campaign)" if totals["campaign_created"] else ""
        out.print(
            f"campaign {totals['campaign']}{made}: {totals['added_to_campaign']} contacts added"
        )


def register(app: typer.Typer) -> None:
    contacts = typer.Typer(help="Contact lists: import into the store.", no_args_is_help=True)

    @contacts.command("import")
    def import_(
        file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSON contact list.")],
        campaign: Annotated[
            str | None, typer.Option("--campaign", "-c", help="Enrol the contacts in CAMPAIGN.")
        ] = None,
        region: Annotated[
            str, typer.Option("--region", help="Region of numbers written without +country.")
        ] = "FR",
        file_format: Annotated[
            str | None,
            typer.Option("--input-format", help=f"Force the file format ({', '.join(FORMATS)})."),
        ] = None,
        fmt: Annotated[
            OutputFormat, typer.Option("--format", help="Report as text or one JSON object.")
        ] = OutputFormat.text,
        database: DatabaseOpt = None,
        json_alias: JsonAliasOpt = False,
    ) -> None:
        """Import contacts: bad rows are reported with their row number, good ones kept.

        Exit 0 when anything was imported, 1 when every row was rejected, 2 when the
        file cannot be read.
        """
        fmt = output_format(fmt, json_alias)
        if campaign is not None:
            try:
                check_slug(campaign)
            except ValueError as exc:
                abort(f"--campaign: {exc}", EXIT_USAGE)
        try:
            result = read_contacts(file, region=region, format=file_format)
        except ContactFileError as exc:
            abort(f"{file}: {exc}", EXIT_USAGE)
        for note in result.notes:
            warning(f"{file}: {note}")
        totals: dict[str, object] = {
            "created": 0,
            "updated": 0,
            "campaign": campaign,
            "added_to_campaign": 0,
            "campaign_created": False,
        }
        if result.contacts:
            store = open_store(database)
            try:
                saved = save_contacts(store, result, now=datetime.now(UTC), campaign=campaign)
            finally:
                store.close()
            totals.update(
                created=saved.created,
                updated=saved.updated,
                added_to_campaign=saved.added_to_campaign,
                campaign_created=saved.campaign_created,
            )
        if fmt == OutputFormat.json:
            emit_json({**result.to_dict(), **totals})
        else:
            _print_report(result, totals)
        if result.error:
            error(f"{file}: {result.error}")
        if not result.contacts:
            if not result.error:
                err.print("nothing imported: every row was rejected")
            raise typer.Exit(EXIT_DIAGNOSTICS)

    from mbs.cli.privacy_cmd import register_forget

    register_forget(contacts)
    app.add_typer(contacts, name="contacts")
