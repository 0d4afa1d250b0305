"""Load a program for a command: compile a ``.mbs`` or read a ``.mbsc``."""

from __future__ import annotations

from pathlib import Path

import typer

from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_USAGE, abort
from mbs.files import read_head
from mbs.program import Program, ProgramError


def _compiled(path: Path) -> bool:
    """Whether the file holds a compiled program whatever its name ("out.json"): its
    first character opens a JSON object, which no scenario does."""
    return read_head(path, 256).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def load_program(path: Path) -> Program:
    """The program at ``path``; prints diagnostics and exits on failure."""
    if not path.exists():
        abort(f"no such file: {path}", EXIT_USAGE)
    if path.is_dir():
        abort(f"{path} is a directory, not a scenario", EXIT_USAGE)
    if path.suffix == ".mbsc" or _compiled(path):
        try:
            return Program.load(path)
        except ProgramError as exc:
            abort(f"{path}: {exc}", EXIT_DIAGNOSTICS)
    from mbs.compiler import compile_file
    from mbs.compiler.render import render_text

    result = compile_file(path)
    if result.program is None or not result.ok:
        text = render_text(result.diagnostics)
        if text:
            typer.echo(text, err=True)
        raise typer.Exit(EXIT_DIAGNOSTICS)
    return result.program
