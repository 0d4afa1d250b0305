"""``mbs replay``: re-run recorded calls and report where they stop matching the log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.common import JsonAliasOpt, OutputFormat, output_format
from mbs.cli.output import EXIT_DIAGNOSTICS, EXIT_USAGE, abort, emit_json, out, warning
from mbs.cli.programs import load_program
from mbs.runtime.events import Event, EventLogError, calls_in, comparable, read_log
from mbs.runtime.replay import ReplayError, replay_call
from mbs.runtime.vm import LoadedProgram


def _show(event: Event | None) -> str:
    if event is None:
        return "(no event)"
    return json.dumps(comparable(event), ensure_ascii=False)


def replay(
    log: Annotated[
        Path,
        typer.Argument(help="An event log (JSON lines): mbs chat --log, mbs campaign log."),
    ],
    program_path: Annotated[
        Path | None,
        typer.Option(
            "--program",
            help="Scenario (.mbs) or program (.mbsc) to replay against "
            "(default: the source recorded in the log).",
        ),
    ] = None,
    call: Annotated[str | None, typer.Option("--call", help="Only the call with this id.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="text or json.")
    ] = OutputFormat.text,
    json_alias: JsonAliasOpt = False,
) -> None:
    """Replay recorded calls and report the first divergence, or "identical".

    The recorded prospect inputs and builtin answers are fed back to the program.
    """
    fmt = output_format(fmt, json_alias)
    try:
        events = read_log(log)
    except EventLogError as exc:
        abort(str(exc), EXIT_USAGE)
    calls = [(cid, evs) for cid, evs in calls_in(events) if call is None or cid == call]
    if not calls:
        abort(f"{log}: no call{f' {call!r}' if call else ''} in this log", EXIT_USAGE)
    loaded: dict[str, LoadedProgram] = {}
    diverged = 0
    for call_id, call_events in calls:
        header = call_events[0]
        if header.get("event") != "call_started":
            abort(f"{log}: call {call_id!r} has no call_started event", EXIT_USAGE)
        source = str(program_path) if program_path else str(header.get("source") or "")
        if not source:
            abort(
                f"{log}: call {call_id!r} does not record its program; give --program",
                EXIT_USAGE,
            )
        if source not in loaded:
            loaded[source] = LoadedProgram(load_program(Path(source)), source)
        prog = loaded[source]
        try:
            report = asyncio.run(replay_call(prog, call_events))
        except ReplayError as exc:
            abort(f"{log}: call {call_id!r}: {exc}", EXIT_USAGE)
        if report.program_changed and fmt == "text":
            warning(
                f"call {call_id}: the program differs from the recorded one "
                "(edited, or compiled from another path)"
            )
        d = report.divergence
        if d is not None:
            diverged += 1
        if fmt == "json":
            emit_json(
                {
                    "call_id": call_id,
                    "identical": d is None,
                    "events": len(report.recorded),
                    "program_changed": report.program_changed,
                    "divergence": None
                    if d is None
                    else {
                        "index": d.index,
                        "expected": d.expected and comparable(d.expected),
                        "got": d.got and comparable(d.got),
                    },
                }
            )
        elif d is None:
            out.print(f"call {call_id}: identical ({len(report.recorded)} events)", markup=False)
        else:
            out.print(
                f"call {call_id}: diverges at event {d.index}\n"
                f"  expected: {_show(d.expected)}\n"
                f"  got:      {_show(d.got)}",
                markup=False,
            )
    if fmt == "text":
        out.print(
            f"{len(calls)} call{'' if len(calls) == 1 else 's'} replayed: "
            f"{len(calls) - diverged} identical, {diverged} diverged",
            markup=False,
        )
    if diverged:
        raise typer.Exit(EXIT_DIAGNOSTICS)


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)
