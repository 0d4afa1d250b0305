"""``mbs compile FILE``: check a scenario and write its compiled program (.mbsc)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, abort, emit_json, err
from mbs.compiler.diagnostics import Diagnostic


def report(
    diagnostics: list[Diagnostic], sources: dict[str, str], fmt: str, summary: bool = True
) -> None:
    """Diagnostics as text on stderr, or as JSON lines on stdout."""
    from mbs.compiler.render import render_text

    if fmt == "json":
        for d in diagnostics:
            emit_json(d.to_dict())
    elif diagnostics:
        err.print(render_text(diagnostics, sources, summary), end="", markup=False, highlight=False)


def check_format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        abort(f"--format takes text or json, not {fmt!r}", EXIT_USAGE)
    return fmt


def compile_(
    file: Annotated[Path, typer.Argument(help="The scenario (.mbs) to compile.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to write the program (default: FILE.mbsc)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Diagnostics as text or json.")] = "text",
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
) -> None:
    """Check a scenario and write its compiled program."""
    from mbs.compiler import compile_file

    check_format(fmt)
    if not file.exists():
        abort(f"no such file: {file}", EXIT_USAGE)
    if file.is_dir():
        abort(f"{file} is a directory; `mbs lint` checks folders", EXIT_USAGE)
    if file.suffix == ".mbsc":
        abort(f"{file} is already a compiled program; compile takes a .mbs source", EXIT_USAGE)
    target = output if output is not None else file.with_suffix(".mbsc")
    if target.resolve() == file.resolve():
        abort(f"refusing to overwrite the source {file} with the program", EXIT_USAGE)
    result = compile_file(file)
    report(result.diagnostics, result.sources, fmt)
    if not result.ok or result.program is None:
        raise typer.Exit(EXIT_DIAGNOSTICS)
    if strict and result.warnings:
        raise typer.Exit(EXIT_DIAGNOSTICS)
    try:
        target.write_text(result.program.to_json(), encoding="utf-8")
    except OSError as exc:
        abort(f"cannot write {target}: {exc.strerror}", EXIT_USAGE)
    if fmt == "text":
        err.print(f"wrote {target}", markup=False, highlight=False)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_)
