"""``mbs lsp``: the language server for editors (stdio by default, or ``--tcp``)."""

from __future__ import annotations

from typing import Annotated

import typer

from mbs.cli.output import EXIT_USAGE, abort


def lsp(
    tcp: Annotated[bool, typer.Option("--tcp", help="Listen on TCP instead of stdio.")] = False,
    host: Annotated[str, typer.Option("--host", help="TCP address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (with --tcp).")] = 2087,
) -> None:
    """Run the .mbs language server (diagnostics, completion, hover, definitions)."""
    from mbs.lsp.server import serve

    try:
        serve(tcp=tcp, host=host, port=port)
    except OSError as exc:  # e.g. the port is taken
        abort(f"cannot start the language server: {exc}", EXIT_USAGE)


def register(app: typer.Typer) -> None:
    app.command("lsp")(lsp)
