"""``mbs chat``: talk to a scenario as the prospect, in the terminal.

The robot's lines come with what the VM decided (step, intent and score, objection,
freestyle marks), so an author sees why the conversation went where it did. With a
pipe on stdin (one turn per line) it prints a plain transcript, no prompt, no colours.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mbs.cli.common import OutputFormat, output_format
from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, emit_json, error, out
from mbs.cli.programs import load_program
from mbs.program import Program, Result
from mbs.runtime.builtins.base import BuiltinError, UnknownBuiltin
from mbs.runtime.events import (
    CallbackSink,
    ErrorEvent,
    Event,
    EventSink,
    JsonlSink,
    TeeSink,
    parse_event,
)
from mbs.runtime.textcall import TextCall, TurnSyntaxError, parse_turn
from mbs.runtime.transcript import chat_line
from mbs.runtime.vm import Vm


def parse_contact(pairs: list[str]) -> dict[str, str]:
    contact: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            abort(f"--contact expects key=value, got {pair!r}", EXIT_USAGE)
        contact[key.strip()] = value
    return contact


def make_builtins(
    program: Program, nlu: str, llm: str, llm_model: str | None
) -> tuple[object, object | None]:
    """The NLU and LLM by registry name; a bad name or a missing model is a clear error."""
    from mbs.runtime.builtins import registry

    try:
        nlu_obj = registry.create("nlu", nlu, program, {})
        llm_obj = None
        if llm != "none":
            config: dict[str, object] = {"model": llm_model} if llm_model else {}
            llm_obj = registry.create("llm", llm, program, config)
    except UnknownBuiltin as exc:
        abort(str(exc), EXIT_USAGE)
    except BuiltinError as exc:
        abort(str(exc), EXIT_RUNTIME)
    return nlu_obj, llm_obj


class Transcript:
    """Prints a call's events as a readable conversation (rich markup on a terminal)."""

    def __init__(self, fancy: bool) -> None:
        self.fancy = fancy

    def __call__(self, e: Event) -> None:
        event = parse_event(e)
        if isinstance(event, ErrorEvent):
            error(event.message)
            return
        line = chat_line(event, self.fancy)
        if line is None:
            return
        markup, plain = line
        if self.fancy:
            out.print(markup, markup=True)
        else:
            out.print(plain, markup=False)


def _stdin_reader(interactive: bool) -> Any:
    """Reads the prospect's next line. It blocks the event loop on purpose: a chat runs
    one call and nothing else, and a blocking ``input()`` lets Ctrl-C stop it at once
    (a reader thread would keep the process alive until Enter)."""

    async def read() -> str | None:
        while True:
            if interactive:
                try:
                    line = input("vous> ")
                except EOFError:
                    return None
            else:
                raw = sys.stdin.readline()
                if raw == "":
                    return None
                line = raw.rstrip("\n")
            try:
                parse_turn(line)
            except TurnSyntaxError as exc:
                error(f"{exc} (line ignored)")
                continue
            return line

    return read


def chat(
    scenario: Annotated[Path, typer.Argument(help="A scenario (.mbs) or program (.mbsc).")],
    contact: Annotated[
        list[str] | None,
        typer.Option("--contact", "-c", help="A contact field, key=value (repeatable)."),
    ] = None,
    nlu: Annotated[str, typer.Option(help="NLU builtin (hybrid, fuzzy, ollama).")] = "hybrid",
    llm: Annotated[
        str, typer.Option(help="LLM builtin for freestyle: none (fallback lines) or ollama.")
    ] = "none",
    llm_model: Annotated[str | None, typer.Option(help="Model name for the LLM.")] = None,
    log: Annotated[
        Path | None, typer.Option(help="Append the call's events (JSON lines) to FILE.")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print every event as one JSON object per line.")
    ] = False,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", help="text or json (--json is the same as json)."),
    ] = OutputFormat.text,
) -> None:
    """Chat with a scenario: you type the prospect's lines.

    Markers: an empty line or /silence, /hangup, /machine [greeting], /dtmf 5,
    /barge TEXT (spoken over the robot). End of input hangs up.
    """
    json_out = output_format(fmt, json_out) == OutputFormat.json
    program = load_program(scenario)
    fields = parse_contact(contact or [])
    nlu_obj, llm_obj = make_builtins(program, nlu, llm, llm_model)
    interactive = sys.stdin.isatty() and not json_out
    display: EventSink = (
        CallbackSink(emit_json) if json_out else CallbackSink(Transcript(interactive))
    )
    log_sink: JsonlSink | None = None
    if log is not None:
        try:
            log_sink = JsonlSink(log)
        except OSError as exc:
            abort(f"cannot write {log}: {exc.strerror}", EXIT_USAGE)
    # the path as given: compiled from another spelling of the path, the same
    # scenario gets other debug locations, hence another program hash
    vm = Vm(program, nlu=nlu_obj, llm=llm_obj, source=str(scenario))  # type: ignore[arg-type]
    missing = vm.loaded.contact_fields.missing(fields)
    if missing:
        # said as is by a line ("{{ contact.company }}"): an empty word, or an error mid-call
        given = " ".join(f"-c {f}=..." for f in missing)
        abort(
            f"the scenario says {', '.join('contact.' + f for f in missing)}: give it ({given})",
            EXIT_USAGE,
        )
    call = TextCall(call_id="chat", reader=_stdin_reader(interactive))
    sink = TeeSink(display, *([log_sink] if log_sink else []))
    try:
        state = asyncio.run(vm.run_call(call, contact=fields, sink=sink))
    finally:
        if log_sink is not None:
            log_sink.close()
    if state.result is Result.TECHNICAL_ERROR:
        raise typer.Exit(EXIT_RUNTIME)


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)
