"""``mbs nlu classify``: which intent would the fuzzy NLU see in an utterance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mbs.cli.nlu_common import build_nlu, read_utterances
from mbs.cli.output import emit_json, out


def register(app: typer.Typer) -> None:
    nlu = typer.Typer(help="Try the fuzzy NLU on utterances.", no_args_is_help=True)

    @nlu.command("classify")
    def classify(
        scenario: Annotated[
            Path, typer.Argument(help="Scenario (.mbs) or compiled program (.mbsc).")
        ],
        utterances: Annotated[
            list[str] | None, typer.Argument(help="Utterances to classify.", show_default=False)
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
                help="Intent threshold (default: the scenario's, else the builtin's).",
            ),
        ] = None,
    ) -> None:
        """Classify utterances over the intents in scope for SCENARIO."""
        texts = read_utterances(utterances, stdin)
        engine = build_nlu(scenario, {"intent_threshold": threshold})
        rows = []
        for text in texts:
            m = engine.intents.classify(text)
            row = {
                "utterance": text,
                "intent": m.intent,
                "score": m.score,
                "runner_up": m.runner_up,
                "runner_up_score": m.runner_up_score,
            }
            if as_json:
                emit_json(row)
            rows.append(row)
        if as_json:
            return
        table = Table(title=f"intents (threshold {engine.intent_threshold:g})")
        for column in ("utterance", "intent", "score", "runner-up", "score "):
            table.add_column(column, justify="right" if "score" in column else "left")
        for row in rows:
            table.add_row(
                str(row["utterance"]),
                str(row["intent"] or "—"),
                f"{row['score']:.3f}",
                str(row["runner_up"] or "—"),
                f"{row['runner_up_score']:.3f}",
            )
        out.print(table)

    app.add_typer(nlu, name="nlu")
