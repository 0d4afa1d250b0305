"""``mbs objections match``: which objection the fuzzy NLU would answer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mbs.cli.nlu_common import build_nlu, read_utterances
from mbs.cli.output import emit_json, out


def register(app: typer.Typer) -> None:
    objections = typer.Typer(help="Try objection matching on utterances.", no_args_is_help=True)

    @objections.command("match")
    def match(
        scenario: Annotated[
            Path, typer.Argument(help="Scenario (.mbs) or compiled program (.mbsc).")
        ],
        utterances: Annotated[
            list[str] | None, typer.Argument(help="Utterances to match.", show_default=False)
        ] = None,
        stdin: Annotated[
            bool, typer.Option("--stdin", help="Read one utterance per line.")
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="One JSON object per utterance and line.")
        ] = False,
        threshold: Annotated[
            float | None,
            typer.Option(
                "--threshold",
                min=0.0,
                max=1.0,
                help="Objection threshold (default: the scenario's, else the builtin's).",
            ),
        ] = None,
    ) -> None:
        """Match utterances against every objection in scope for SCENARIO."""
        texts = read_utterances(utterances, stdin)
        engine = build_nlu(scenario, {"objection_threshold": threshold})
        rows = []
        for text in texts:
            m = engine.objections.match(text)
            row = {
                "utterance": text,
                "objection": m.objection,
                "response": m.response,
                "score": m.score,
                "pack": m.pack,
            }
            if as_json:
                emit_json(row)
            rows.append(row)
        if as_json:
            return
        table = Table(title=f"objections (threshold {engine.objection_threshold:g})")
        for column in ("utterance", "objection", "pack", "score"):
            table.add_column(column, justify="right" if column == "score" else "left")
        for row in rows:
            table.add_row(
                str(row["utterance"]),
                str(row["objection"] or "—"),
                str(row["pack"] or "—"),
                f"{row['score']:.3f}",
            )
        out.print(table)

    app.add_typer(objections, name="objections")
