"""``mbs nlu classify`` and ``mbs nlu eval``: what the NLU makes of utterances, and how
well it does on a labelled set."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from mbs.cli.nlu_common import (
    Column,
    EncoderOpt,
    JsonOpt,
    NluOpt,
    ScenarioArg,
    StdinOpt,
    UtterancesArg,
    build_nlu_for,
    load_program_of,
    read_utterances,
    report,
    threshold_option,
)
from mbs.cli.output import EXIT_USAGE, abort, emit_json, out

StepOpt = Annotated[
    str | None,
    typer.Option("--step", help="Decide as this step would (default: the entry step)."),
]


def register(app: typer.Typer) -> None:
    nlu = typer.Typer(help="Try the NLU on utterances; measure it.", no_args_is_help=True)

    @nlu.command("classify")
    def classify(
        scenario: ScenarioArg,
        utterances: UtterancesArg = None,
        stdin: StdinOpt = False,
        as_json: JsonOpt = False,
        threshold: Annotated[float | None, threshold_option("Intent")] = None,
        step: StepOpt = None,
        engine_name: NluOpt = "hybrid",
        encoder: EncoderOpt = None,
    ) -> None:
        """Classify utterances over the intents in scope for SCENARIO, and show the
        decision the step would take (intent, objection or none)."""
        from mbs.runtime.builtins.base import IntentResult, Nlu, ObjectionResult
        from mbs.runtime.decision import decide_at, step_context

        texts = read_utterances(utterances, stdin)
        program = load_program_of(scenario)
        engine = build_nlu_for(
            program, {"intent_threshold": threshold, "encoder": encoder}, engine_name
        )
        try:
            ctx = step_context(program, step)
        except KeyError:
            abort(f"no step named {step!r} (steps: {', '.join(program.steps)})", EXIT_USAGE)
        nlu_proto: Nlu = engine

        async def results() -> list[tuple[IntentResult, ObjectionResult | None]]:
            found = []
            for text in texts:
                intent = await nlu_proto.classify(text)
                objection = await nlu_proto.match_objection(text) if ctx.objection else None
                found.append((intent, objection))
            return found

        rows: list[dict[str, Any]] = []
        for text, (intent, objection) in zip(texts, asyncio.run(results()), strict=True):
            decision = decide_at(ctx, text, intent, objection)
            rows.append(
                {
                    "utterance": text,
                    "intent": intent.intent,
                    "score": intent.score,
                    "runner_up": intent.runner_up,
                    "runner_up_score": intent.runner_up_score,
                    "decision": decision.as_dict(),
                }
            )
        if not as_json:
            for row in rows:
                d = row["decision"]
                row["decided"] = f"{d['kind']}: {d['name']}" if d["name"] else "none"
        report(
            rows,
            as_json,
            f"intents (threshold {engine.intent_threshold:g}), decisions at step {ctx.step}",
            [
                Column("utterance", "utterance"),
                Column("intent", "intent"),
                Column("score", "score", score=True),
                Column("runner-up", "runner_up"),
                Column("score", "runner_up_score", score=True),
                Column("decision", "decided"),
            ],
        )

    @nlu.command("eval")
    def evaluate(
        labelled: Annotated[
            Path, typer.Argument(help="Labelled answers: .tsv (kind, label, text) or .jsonl.")
        ],
        scenario: Annotated[Path, typer.Option("--scenario", help="Scenario (.mbs or .mbsc).")],
        step: StepOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
        engine_name: NluOpt = "hybrid",
        encoder: EncoderOpt = None,
    ) -> None:
        """Accuracy per label, confusion, false matches and suggested thresholds of the
        NLU on a labelled set, each answer decided as the VM would."""
        from mbs.runtime.nlu_eval import SetError, evaluate, load_set

        try:
            items = load_set(labelled)
        except SetError as exc:
            abort(str(exc), EXIT_USAGE)
        if not items:
            abort(f"{labelled}: no labelled answer", EXIT_USAGE)
        program = load_program_of(scenario)
        engine = build_nlu_for(program, {"encoder": encoder}, engine_name)
        try:
            result = evaluate(engine, program, items, step)
        except KeyError:
            abort(f"no step named {step!r} (steps: {', '.join(program.steps)})", EXIT_USAGE)
        data = result.as_dict()
        if as_json:
            emit_json(data)
            return
        _print_eval(data)

    app.add_typer(nlu, name="nlu")


def _print_eval(data: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"accuracy {data['accuracy']:.3f} on {data['items']} answers")
    for title in ("expected", "right", "total", "accuracy", "decided instead"):
        table.add_column(
            title, justify="left" if title in ("expected", "decided instead") else "right"
        )
    for label, row in data["labels"].items():
        wrong = {k: v for k, v in data["confusion"][label].items() if k != label}
        instead = ", ".join(f"{k} ×{v}" for k, v in sorted(wrong.items(), key=lambda kv: -kv[1]))
        table.add_row(
            label, str(row["right"]), str(row["total"]), f"{row['accuracy']:.3f}", instead
        )
    out.print(table)
    out.print(f"false-match rate on answers that are neither: {data['false_match_rate']:.3f}")
    current = ", ".join(f"{k} {v:g}" for k, v in data["thresholds"].items())
    suggested = ", ".join(f"{k} {v:g}" for k, v in data["suggested"].items()) or "—"
    out.print(f"thresholds: {current}; suggested: {suggested}")
