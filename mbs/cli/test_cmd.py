"""``mbs test``: run the conversation tests (``*.test.toml``) next to the scenarios."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import click
import typer

from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_USAGE, abort, emit_json, out
from mbs.cli.programs import load_program
from mbs.runtime.convtest import Coverage, TestFileError, load_test_file, run_test
from mbs.runtime.vm import LoadedProgram

SUFFIX = ".test.toml"


def discover(paths: list[Path]) -> list[Path]:
    """Test files named by ``paths``: files, scenarios (their sibling test file), folders."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(p.rglob(f"*{SUFFIX}")))
        elif p.name.endswith(SUFFIX):
            if not p.exists():
                abort(f"no such file: {p}", EXIT_USAGE)
            found.append(p)
        elif p.suffix == ".mbs":
            sibling = p.with_name(p.name.removesuffix(".mbs") + SUFFIX)
            if not sibling.exists():
                abort(f"{p} has no conversation tests (expected {sibling})", EXIT_USAGE)
            found.append(sibling)
        else:
            abort(f"{p}: not a folder, a scenario (.mbs) or a test file ({SUFFIX})", EXIT_USAGE)
    return list(dict.fromkeys(found))


def test(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Test files, scenarios or folders (default: scenarios/)."),
    ] = None,
    nlu: Annotated[str, typer.Option(help="NLU builtin the tests run with.")] = "hybrid",
    keyword: Annotated[
        str | None, typer.Option("-k", help="Only tests whose name contains this.")
    ] = None,
    min_coverage: Annotated[
        float, typer.Option(help="Fail when a scenario's transition coverage is lower (%).")
    ] = 0.0,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Run conversation tests and report transition coverage.

    Scripted prospect turns are played against each scenario and checked against the
    expected path, lines, intents and result; then the transitions no test took are listed.
    """
    from mbs.cli.chat_cmd import make_builtins

    if fmt not in ("text", "json"):
        abort(f"--format must be text or json, not {fmt!r}", EXIT_USAGE)
    as_json = fmt == "json"
    if not paths:
        paths = [Path("scenarios")] if Path("scenarios").is_dir() else [Path(".")]
    files = discover(paths)
    if not files:
        abort(f"no conversation tests (*{SUFFIX}) under {', '.join(map(str, paths))}", EXIT_USAGE)

    programs: dict[Path, LoadedProgram | None] = {}
    builtins: dict[Path, object] = {}
    coverage: dict[Path, Coverage] = {}
    passed = failed = 0

    def say(text: str = "") -> None:
        if not as_json:
            out.print(text, markup=False, highlight=False)

    for path in files:
        try:
            tfile = load_test_file(path)
        except TestFileError as exc:
            failed += 1
            say(f"{path}\n  ERROR {exc}")
            if as_json:
                emit_json({"file": str(path), "error": str(exc), "passed": False})
            continue
        scenario = tfile.scenario
        if scenario not in programs:
            try:
                program = load_program(scenario)  # prints its diagnostics
                programs[scenario] = LoadedProgram(program, str(scenario))
                builtins[scenario] = make_builtins(program, nlu, "none", None)[0]
                coverage[scenario] = Coverage(programs[scenario])  # type: ignore[arg-type]
            except click.exceptions.Exit:
                programs[scenario] = None
        loaded = programs[scenario]
        say(f"{path} ({scenario})")
        if loaded is None:
            failed += 1
            say(f"  ERROR {scenario} does not compile")
            if as_json:
                emit_json({"file": str(path), "error": "does not compile", "passed": False})
            continue
        for case in tfile.tests:
            if keyword and keyword.casefold() not in case.name.casefold():
                continue
            outcome = asyncio.run(run_test(loaded, case, nlu=builtins[scenario]))
            coverage[scenario].record(outcome.events)
            if outcome.passed:
                passed += 1
                say(f"  ok    {case.name}")
            else:
                failed += 1
                say(f"  FAIL  {case.name}")
                for failure in outcome.failures:
                    say("\n".join("        " + line for line in failure.splitlines()))
            if as_json:
                emit_json(
                    {
                        "file": str(path),
                        "test": case.name,
                        "passed": outcome.passed,
                        "failures": outcome.failures,
                    }
                )
    low = False
    for scenario, cov in coverage.items():
        total = len(cov.edges)
        taken = len(cov.taken & cov.edges)
        if cov.percent < min_coverage:
            low = True
        if as_json:
            emit_json(
                {
                    "coverage": str(scenario),
                    "transitions": total,
                    "taken": taken,
                    "percent": round(cov.percent, 1),
                    "missing": [str(e) for e in cov.missing],
                    "unreachable": [str(e) for e in sorted(cov.unreachable)],
                }
            )
            continue
        say(f"coverage {scenario}: {taken}/{total} transitions ({cov.percent:.1f}%)")
        for edge in cov.missing:
            say(f"  not taken: {edge}")
        for edge in sorted(cov.unreachable):
            say(f"  unreachable (not counted): {edge}")
    if as_json:
        emit_json({"passed": passed, "failed": failed})
    else:
        say(f"{passed} passed, {failed} failed")
        if low:
            say(f"coverage below {min_coverage:g}%")
    if failed or low:
        raise typer.Exit(EXIT_DIAGNOSTICS)


def register(app: typer.Typer) -> None:
    app.command("test")(test)
