"""``mbs inspect``: a readable disassembly of a compiled program."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mbs.cli.compile_cmd import check_format
from mbs.cli.output import emit_json, out
from mbs.cli.programs import load_program
from mbs.files import SCENARIO_LIMIT, UnreadableFile, read_text


def _read_sources(files: set[str]) -> dict[str, list[str]]:
    """The lines of the scenario files a program names. A program file is data from
    anywhere: only ``.mbs`` files are read, so a tampered one cannot make this command
    print lines of another file."""
    sources: dict[str, list[str]] = {}
    for name in files:
        if not name.endswith(".mbs"):
            continue
        try:
            sources[name] = read_text(name, limit=SCENARIO_LIMIT).splitlines()
        except UnreadableFile:
            continue
    return sources


def inspect(
    file: Annotated[Path, typer.Argument(help="A compiled program (.mbsc) or a scenario (.mbs).")],
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Disassemble a program: address, op, operands and the source line of each instruction."""
    from mbs.compiler.disasm import header, source_lines

    check_format(fmt)
    program = load_program(file)
    sources = _read_sources({loc.file for loc in program.debug.values()})
    if fmt == "json":
        for row, text in source_lines(program, sources):
            emit_json(
                {
                    "address": row.address,
                    "step": row.step,
                    "op": row.op,
                    "operands": row.operands,
                    "source": row.source,
                    "line": text,
                }
            )
        return
    for key, value in header(program):
        out.print(f"[bold]{escape(f'{key:>12}')}[/]  {escape(str(value))}", markup=True)
    # One line per instruction: the short columns aligned, then the operands and the
    # source line as long as they are (a table padded every row to the longest dispatch,
    # hundreds of columns).
    listed = list(source_lines(program, sources))
    wide = {
        "addr": max((len(str(r.address)) for r, _ in listed), default=4),
        "step": min(24, max((len(r.step) for r, _ in listed), default=4)),
        "op": max((len(r.op) for r, _ in listed), default=2),
    }
    out.print(
        f"[bold]{'addr':>{wide['addr']}}  {'step':<{wide['step']}}  {'op':<{wide['op']}}"
        "  operands  ; source[/]",
        markup=True,
    )
    previous = None
    for row, text in listed:
        step = row.step if row.step != previous else ""
        previous = row.step
        where = f"{row.source.rsplit('/', 1)[-1]}  {text}".strip()
        line = f"{row.address:>{wide['addr']}}  {step:<{wide['step']}}  {row.op:<{wide['op']}}"
        line += f"  {row.operands}" if row.operands else ""
        out.print(f"{line}  ; {where}" if where else line)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
