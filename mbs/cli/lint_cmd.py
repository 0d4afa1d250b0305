"""``mbs lint PATH...``: check scenarios and modules (files or folders) without compiling."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.compile_cmd import check_format, report
from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, abort, err


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.mbs") if p.is_file())
        elif path.exists():
            out.append(path)
        else:
            abort(f"no such file or folder: {path}", EXIT_USAGE)
    return out


def register(app: typer.Typer) -> None:
    @app.command("lint")
    def lint(
        paths: Annotated[list[Path], typer.Argument(help="Scenario or module files, or folders.")],
        fmt: Annotated[str, typer.Option("--format", help="Diagnostics as text or json.")] = "text",
        strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    ) -> None:
        """Check scenarios and modules; folders are searched for *.mbs files."""
        from mbs.compiler import check_file

        check_format(fmt)
        files = _files(paths)
        errors = warnings = 0
        for path in files:
            result = check_file(path)
            report(result.diagnostics, result.sources, fmt, summary=False)
            errors += len(result.errors)
            warnings += len(result.warnings)
        if fmt == "text":
            err.print(
                f"checked {len(files)} file{'s' * (len(files) != 1)}: "
                f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
                markup=False,
                highlight=False,
            )
        if errors or (strict and warnings):
            raise typer.Exit(EXIT_DIAGNOSTICS)
        raise typer.Exit(EXIT_OK)
