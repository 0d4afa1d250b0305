"""What ``mbs nlu`` and ``mbs objections`` share: reading utterances, building the NLU."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from mbs.cli.output import EXIT_USAGE, abort, emit_json, out

if TYPE_CHECKING:
    from mbs.runtime.builtins.fuzzy import FuzzyNlu


def read_utterances(arguments: list[str] | None, stdin: bool) -> list[str]:
    """Utterances from the command line, then (with ``--stdin``) one per input line."""
    texts = list(arguments or [])
    if stdin:
        texts.extend(line.strip() for line in sys.stdin if line.strip())
    if not texts:
        abort("no utterance: give some after the scenario, or use --stdin", EXIT_USAGE)
    return texts


def build_nlu(scenario: Path, overrides: dict[str, object]) -> FuzzyNlu:
    """The runtime's own ``nlu.fuzzy`` for the scenario, so the CLI shows what calls get."""
    # Imported here: the NLU builds its lexicon at import, which `mbs --help` need not pay.
    from mbs.cli.programs import load_program
    from mbs.runtime.builtins.base import BuiltinError
    from mbs.runtime.builtins.fuzzy import FuzzyNlu

    program = load_program(scenario)
    config = {k: v for k, v in overrides.items() if v is not None}
    try:
        return FuzzyNlu(program, config)
    except BuiltinError as exc:
        abort(str(exc), EXIT_USAGE)


# The arguments both commands take, declared once.
ScenarioArg = Annotated[Path, typer.Argument(help="Scenario (.mbs) or compiled program (.mbsc).")]
UtterancesArg = Annotated[
    list[str] | None, typer.Argument(help="Utterances to try.", show_default=False)
]
StdinOpt = Annotated[bool, typer.Option("--stdin", help="Read one utterance per line.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per utterance and line.")]


def threshold_option(what: str) -> Any:
    return typer.Option(
        "--threshold",
        min=0.0,
        max=1.0,
        help=f"{what} threshold (default: the scenario's, else the builtin's).",
    )


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    score: bool = False  # right-aligned, three decimals


def report(rows: list[dict[str, Any]], as_json: bool, title: str, columns: list[Column]) -> None:
    """One JSON object per row (the stable contract), or a readable table."""
    if as_json:
        for row in rows:
            emit_json(row)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column.title, justify="right" if column.score else "left")
    for row in rows:
        cells = []
        for column in columns:
            value = row[column.key]
            cells.append(f"{value:.3f}" if column.score else str(value or "—"))
        table.add_row(*cells)
    out.print(table)
