"""``mbs graph``: draw a scenario's steps and transitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, err
from mbs.cli.programs import load_program


def graph(
    file: Annotated[Path, typer.Argument(help="A scenario (.mbs) or compiled program (.mbsc).")],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Output file: .svg, .png, .pdf or .dot.")
    ] = None,
) -> None:
    """Draw a scenario's step graph (svg, png, pdf or dot).

    Transitions are labelled by intent; silence, retry and objection edges are styled
    apart; terminal steps show their result; unreachable steps are greyed.
    """
    from mbs.compiler.graph import FORMATS, render

    program = load_program(file)
    target = out or file.with_suffix(".svg")
    if target.suffix.lstrip(".").lower() not in FORMATS:
        abort(
            f"cannot write '{target.suffix}': use one of {', '.join('.' + f for f in FORMATS)}",
            EXIT_USAGE,
        )
    try:
        render(program, target)
    except OSError as exc:
        abort(f"cannot write {target}: {exc.strerror or exc}", EXIT_USAGE)
    except Exception as exc:  # graphviz.ExecutableNotFound, CalledProcessError
        abort(
            f"graphviz failed: {exc} (is the `dot` program installed? apt-get install graphviz)",
            EXIT_RUNTIME,
        )
    err.print(f"wrote {target}")


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)
