"""Placeholder until the compiler lands: replaced by the compiler work."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("version")
    def version() -> None:
        """Print the mbs version."""
        from mbs import __version__

        print(__version__)
