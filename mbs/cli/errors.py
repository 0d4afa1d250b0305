"""How the CLI reports an :class:`~mbs.errors.MbsError`: the one place that turns the
error kinds into messages and exit codes.

* a :class:`~mbs.errors.DiagnosticsError` (a campaign file's findings): each line as
  is, exit 1, like compiler diagnostics;
* an :class:`~mbs.errors.InputError` (a bad file, option or name): ``error: ...``,
  exit 2;
* any other ``MbsError`` (a store, switch or model that fails): ``error: ...``, exit 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_RUNTIME, EXIT_USAGE, err, error
from mbs.errors import DiagnosticsError, InputError, MbsError


def exit_code(exc: MbsError) -> int:
    if isinstance(exc, DiagnosticsError):
        return EXIT_DIAGNOSTICS
    if isinstance(exc, InputError):
        return EXIT_USAGE
    return EXIT_RUNTIME


def report(exc: MbsError) -> int:
    """Print ``exc`` for a person; returns the exit code the command ends with."""
    if isinstance(exc, DiagnosticsError):
        for line in str(exc).splitlines():
            err.print(line, markup=False)
    else:
        error(str(exc) or type(exc).__name__)
    return exit_code(exc)


@contextmanager
def reporting() -> Iterator[None]:
    """Inside a command: an ``MbsError`` ends it with its message and exit code (the
    ``mbs`` group does the same for every command; this keeps a command right when it
    is registered on another app)."""
    try:
        yield
    except MbsError as exc:
        raise typer.Exit(report(exc)) from None
