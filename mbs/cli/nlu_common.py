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
    from mbs.program import Program
    from mbs.runtime.builtins.fuzzy import FuzzyNlu
    from mbs.runtime.builtins.hybrid import HybridNlu

    Engine = FuzzyNlu | HybridNlu

# The NLU builtins these commands can show in detail (their classifier and matcher).
ENGINES = ("hybrid", "fuzzy")


def read_utterances(arguments: list[str] | None, stdin: bool) -> list[str]:
    """Utterances from the command line, then (with ``--stdin``) one per input line."""
    texts = list(arguments or [])
    if stdin:
        texts.extend(line.strip() for line in sys.stdin if line.strip())
    if not texts:
        abort("no utterance: give some after the scenario, or use --stdin", EXIT_USAGE)
    return texts


def build_nlu(scenario: Path, overrides: dict[str, object], name: str = "hybrid") -> Engine:
    """The runtime's own NLU builtin for the scenario, so the CLI shows what calls get."""
    return build_nlu_for(load_program_of(scenario), overrides, name)


def load_program_of(scenario: Path) -> Program:
    # Imported here: the NLU and compiler are not loaded for `mbs --help`.
    from mbs.cli.programs import load_program

    return load_program(scenario)


def build_nlu_for(program: Program, overrides: dict[str, object], name: str = "hybrid") -> Engine:
    from mbs.runtime.builtins.base import BuiltinError
    from mbs.runtime.builtins.fuzzy import FuzzyNlu
    from mbs.runtime.builtins.hybrid import HybridNlu

    config = {k: v for k, v in overrides.items() if v is not None}
    if name not in ENGINES:
        abort(f"--nlu must be one of {', '.join(ENGINES)}, not {name!r}", EXIT_USAGE)
    if "encoder" in config and name != "hybrid":
        abort("--encoder applies to the hybrid NLU only", EXIT_USAGE)
    try:
        return HybridNlu(program, config) if name == "hybrid" else FuzzyNlu(program, config)
    except BuiltinError as exc:
        abort(str(exc), EXIT_USAGE)


# The arguments both commands take, declared once.
ScenarioArg = Annotated[Path, typer.Argument(help="Scenario (.mbs) or compiled program (.mbsc).")]
UtterancesArg = Annotated[
    list[str] | None, typer.Argument(help="Utterances to try.", show_default=False)
]
StdinOpt = Annotated[bool, typer.Option("--stdin", help="Read one utterance per line.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per utterance and line.")]
NluOpt = Annotated[str, typer.Option("--nlu", help="NLU builtin: hybrid (default) or fuzzy.")]
EncoderOpt = Annotated[
    str | None,
    typer.Option(
        "--encoder",
        help="Sentence encoder of the hybrid NLU: wordllama (default), use-words or use.",
        show_default=False,
    ),
]


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
