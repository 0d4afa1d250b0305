"""``mbs lint PATH...``: check scenarios and modules (files or folders) without compiling."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.compile_cmd import check_format, report
from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, abort, emit_json, err, out


def _hidden(relative: Path) -> bool:
    """Inside a dot-folder (.venv, .git...) or node_modules: not the project's sources."""
    return any(part.startswith(".") or part == "node_modules" for part in relative.parts[:-1])


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(
                p for p in path.rglob("*.mbs") if p.is_file() and not _hidden(p.relative_to(path))
            )
        elif path.exists():
            out.append(path)
        else:
            abort(f"no such file or folder: {path}", EXIT_USAGE)
    return out


def _explain(code: str, fmt: str) -> None:
    """What a diagnostic code means, with its failing example (data: stdout)."""
    from mbs.compiler.diagnostics import BY_CODE

    desc = BY_CODE.get(code.strip().upper())
    if desc is None:
        abort(f"no diagnostic {code!r}; the codes are listed in docs/diagnostics.md", EXIT_USAGE)
    if fmt == "json":
        emit_json(
            {
                "code": desc.code,
                "name": desc.name,
                "severity": desc.severity,
                "title": desc.title,
                "explanation": desc.explanation,
                "example": desc.example,
            }
        )
        return
    example = "\n".join(f"    {line}" for line in desc.example.rstrip("\n").split("\n"))
    out.print(
        f"{desc.code} {desc.name} ({desc.severity}): {desc.title}\n\n{desc.explanation}\n\n"
        f"For example (line {desc.line}, column {desc.col}):\n\n{example}",
        markup=False,
        highlight=False,
    )


def lint(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Scenario or module files, or folders.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Diagnostics as text or json.")] = "text",
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    explain: Annotated[
        str | None, typer.Option("--explain", help="Explain a diagnostic code (E017, W002...).")
    ] = None,
) -> None:
    """Check scenarios and modules; folders are searched for *.mbs files."""
    from mbs.compiler import check_file

    check_format(fmt)
    if explain is not None:
        _explain(explain, fmt)
        raise typer.Exit(EXIT_OK)
    if not paths:
        abort("give files or folders to check (or --explain CODE)", EXIT_USAGE)
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


def register(app: typer.Typer) -> None:
    app.command("lint")(lint)
