"""``mbs version`` (and ``mbs --version``): the installed mbs version."""

from __future__ import annotations

import typer


def print_version() -> None:
    from mbs import __version__

    print(__version__)


def version() -> None:
    """Print the mbs version."""
    print_version()


def register(app: typer.Typer) -> None:
    app.command("version")(version)
