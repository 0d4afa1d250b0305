"""``mbs objections match``: which objection the NLU would answer."""

from __future__ import annotations

from typing import Annotated

import typer

from mbs.cli.nlu_common import (
    Column,
    JsonOpt,
    NluOpt,
    ScenarioArg,
    StdinOpt,
    UtterancesArg,
    build_nlu,
    read_utterances,
    report,
    threshold_option,
)


def register(app: typer.Typer) -> None:
    objections = typer.Typer(help="Try objection matching on utterances.", no_args_is_help=True)

    @objections.command("match")
    def match(
        scenario: ScenarioArg,
        utterances: UtterancesArg = None,
        stdin: StdinOpt = False,
        as_json: JsonOpt = False,
        threshold: Annotated[float | None, threshold_option("Objection")] = None,
        engine_name: NluOpt = "hybrid",
    ) -> None:
        """Match utterances against every objection in scope for SCENARIO."""
        texts = read_utterances(utterances, stdin)
        engine = build_nlu(scenario, {"objection_threshold": threshold}, engine_name)
        rows = []
        for text in texts:
            m = engine.objections.match(text)
            rows.append(
                {
                    "utterance": text,
                    "objection": m.objection,
                    "response": m.response,
                    "score": m.score,
                    "pack": m.pack,
                }
            )
        report(
            rows,
            as_json,
            f"objections (threshold {engine.objection_threshold:g})",
            [
                Column("utterance", "utterance"),
                Column("objection", "objection"),
                Column("pack", "pack"),
                Column("score", "score", score=True),
            ],
        )

    app.add_typer(objections, name="objections")
