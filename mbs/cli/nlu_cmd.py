"""``mbs nlu classify``: which intent would the fuzzy NLU see in an utterance."""

from __future__ import annotations

from typing import Annotated

import typer

from mbs.cli.nlu_common import (
    Column,
    JsonOpt,
    ScenarioArg,
    StdinOpt,
    UtterancesArg,
    build_nlu,
    read_utterances,
    report,
    threshold_option,
)


def register(app: typer.Typer) -> None:
    nlu = typer.Typer(help="Try the fuzzy NLU on utterances.", no_args_is_help=True)

    @nlu.command("classify")
    def classify(
        scenario: ScenarioArg,
        utterances: UtterancesArg = None,
        stdin: StdinOpt = False,
        as_json: JsonOpt = False,
        threshold: Annotated[float | None, threshold_option("Intent")] = None,
    ) -> None:
        """Classify utterances over the intents in scope for SCENARIO."""
        texts = read_utterances(utterances, stdin)
        engine = build_nlu(scenario, {"intent_threshold": threshold})
        rows = []
        for text in texts:
            m = engine.intents.classify(text)
            rows.append(
                {
                    "utterance": text,
                    "intent": m.intent,
                    "score": m.score,
                    "runner_up": m.runner_up,
                    "runner_up_score": m.runner_up_score,
                }
            )
        report(
            rows,
            as_json,
            f"intents (threshold {engine.intent_threshold:g})",
            [
                Column("utterance", "utterance"),
                Column("intent", "intent"),
                Column("score", "score", score=True),
                Column("runner-up", "runner_up"),
                Column("score", "runner_up_score", score=True),
            ],
        )

    app.add_typer(nlu, name="nlu")
