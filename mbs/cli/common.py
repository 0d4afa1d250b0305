"""Helpers several commands share (one place, so commands never import each other)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from mbs.cli.output import EXIT_USAGE, abort

if TYPE_CHECKING:
    from mbs.campaign.store import Store


DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="Database URL (default: DATABASE_URL, else var/mbs.sqlite)."),
]
JsonAliasOpt = Annotated[bool, typer.Option("--json", help="Same as --format json.")]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def output_format(fmt: OutputFormat, json_alias: bool) -> OutputFormat:
    """``--format``, with ``--json`` as its alias."""
    return OutputFormat.json if json_alias else fmt


def open_store(url: str | None = None) -> Store:
    """The store at ``url``, else ``DATABASE_URL`` (default ``var/mbs.sqlite``), or exit 2
    saying why. The store (SQLAlchemy) is imported here, on first use."""
    from mbs.campaign.store import Store, StoreError
    from mbs.campaign.store.engine import database_url

    try:
        return Store.open(url or database_url())
    except StoreError as exc:
        abort(str(exc), EXIT_USAGE)
