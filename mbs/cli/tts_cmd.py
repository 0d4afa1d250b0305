"""``mbs tts prebuild SCENARIO``: synthesise a scenario's fixed lines into the TTS cache."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.common import OutputFormat, output_format
from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, emit_json, err, out
from mbs.cli.programs import load_program
from mbs.runtime.builtins.base import BuiltinError, MissingDependency


def register(app: typer.Typer) -> None:
    tts = typer.Typer(
        help="Text-to-speech: build the audio cache ahead of a campaign.", no_args_is_help=True
    )

    @tts.command("prebuild")
    def prebuild(
        scenario: Annotated[
            Path, typer.Argument(help="Scenario (.mbs) or compiled program (.mbsc).")
        ],
        engine: Annotated[str, typer.Option("--tts", help="TTS builtin.")] = "espeak",
        voice: Annotated[
            str | None, typer.Option("--voice", help="Voice (default: the scenario's, else fr).")
        ] = None,
        rate: Annotated[
            int | None, typer.Option("--rate", help="Sample rate: 8000 or 16000 (default 8000).")
        ] = None,
        speed: Annotated[
            int | None, typer.Option("--speed", help="Words per minute (espeak).")
        ] = None,
        cache_dir: Annotated[
            Path | None,
            typer.Option("--cache-dir", help="Audio cache (default var/tts-cache)."),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="One JSON object per line, then a summary.")
        ] = False,
        fmt: Annotated[
            OutputFormat,
            typer.Option("--format", help="text or json (--json is the same as json)."),
        ] = OutputFormat.text,
    ) -> None:
        """Synthesise every fixed line of SCENARIO into the TTS cache.

        Fixed lines: say, ask and retry lines, freestyle fallbacks, objection responses.
        Lines with per-call variables are listed as skipped.
        """
        as_json = output_format(fmt, as_json) == OutputFormat.json
        from mbs.runtime.builtins import prebuild as pb
        from mbs.runtime.builtins import registry

        program = load_program(scenario)
        config: dict[str, object] = {}
        for key, value in (
            ("voice", voice),
            ("rate", rate),
            ("speed", speed),
            ("cache_dir", cache_dir),
        ):
            if value is not None:
                config[key] = str(value)
        try:
            synth = registry.create("tts", engine, program, config)
        except MissingDependency as exc:
            abort(str(exc), EXIT_RUNTIME)
        except BuiltinError as exc:  # unknown name, bad setting
            abort(str(exc), EXIT_USAGE)
        if not hasattr(synth, "synthesize"):
            abort(f"tts.{engine} has no synthesize method", EXIT_USAGE)
        if not hasattr(synth, "hits"):
            synth.hits = 0  # type: ignore[attr-defined]  # no cache counter: all count as made

        lines, skipped = pb.fixed_lines(program)

        def show(item: pb.Built) -> None:
            status = "cached" if item.cached else "built" if item.path else "no audio"
            if as_json:
                emit_json(
                    {
                        "status": status,
                        "origin": item.line.origin,
                        "text": item.line.text,
                        "path": str(item.path) if item.path else None,
                    }
                )
            else:
                out.print(f"{status:8} {item.path or '-'}  {item.line.text}", markup=False)

        try:
            built = asyncio.run(pb.build(synth, lines, show))  # type: ignore[arg-type]
        except BuiltinError as exc:
            abort(str(exc), EXIT_RUNTIME)

        for s in skipped:
            if as_json:
                emit_json(
                    {"status": "skipped", "origin": s.origin, "text": s.source, "reason": s.reason}
                )
            else:
                out.print(f"skipped  ({s.reason})  {s.source}", markup=False)
        cached = sum(1 for b in built if b.cached)
        made = sum(1 for b in built if b.path is not None and not b.cached)
        summary = {
            "summary": True,
            "lines": len(built) + len(skipped),
            "built": made,
            "cached": cached,
            "skipped": len(skipped),
            "no_audio": len(built) - made - cached,
        }
        if as_json:
            emit_json(summary)
        else:
            err.print(
                f"{summary['lines']} lines: {made} synthesised, {cached} already cached, "
                f"{len(skipped)} skipped (per-call variables)"
                + (f", {summary['no_audio']} without audio" if summary["no_audio"] else ""),
                markup=False,
            )
        if as_json:
            return
        if skipped:
            err.print(
                "[dim]skipped lines are synthesised during calls, once per distinct text[/]",
                markup=True,
            )

    app.add_typer(tts, name="tts")
