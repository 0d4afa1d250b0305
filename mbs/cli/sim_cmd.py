"""``mbs sim``: serve the FreeSWITCH ESL simulator on loopback until interrupted."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from mbs.cli.common import OutputFormat, output_format
from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, emit_json, err


def register(app: typer.Typer) -> None:
    @app.command("sim")
    def sim(
        port: Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1 (0: any).")] = 8021,
        password: Annotated[str, typer.Option("--password", help="ESL password.")] = "ClueCon",
        seed: Annotated[int, typer.Option("--seed", help="Seed for personas and faults.")] = 0,
        time_scale: Annotated[
            float,
            typer.Option(
                "--time-scale",
                help="Simulated seconds per wall second (50: a 20 s ring takes 0.4 s).",
            ),
        ] = 1.0,
        personas: Annotated[
            str | None,
            typer.Option("--personas", help="Persona mix, e.g. human=60,busy=10,machine=30."),
        ] = None,
        pin: Annotated[
            list[str] | None,
            typer.Option(
                "--pin", help="NUMBER=KIND: always this persona for this number (repeatable)."
            ),
        ] = None,
        drop_at_byte: Annotated[
            int | None,
            typer.Option("--drop-at-byte", help="Fault: cut each connection after N bytes."),
        ] = None,
        chunk_size: Annotated[
            int | None,
            typer.Option(
                "--chunk-size", help="Fault: write in pieces of N bytes (1 = byte by byte)."
            ),
        ] = None,
        event_delay: Annotated[
            float,
            typer.Option("--event-delay", help="Fault: hold each event this many wall seconds."),
        ] = 0.0,
        bgjob_order: Annotated[
            str,
            typer.Option(
                "--bgjob-order",
                help="Failed originate: after_hangup|before_hangup|after_destroy|random.",
            ),
        ] = "after_hangup",
        strict_files: Annotated[
            bool,
            typer.Option("--strict-files", help="Missing playback files answer FILE NOT FOUND."),
        ] = False,
        voice: Annotated[
            str,
            typer.Option(
                "--voice", help="espeak-ng voice of the callers (audio fork, recordings)."
            ),
        ] = "fr",
        as_json: Annotated[
            bool,
            typer.Option(
                "--json", help="Print the listening address and the final summary as JSON."
            ),
        ] = False,
        fmt: Annotated[
            OutputFormat,
            typer.Option("--format", help="text or json (--json is the same as json)."),
        ] = OutputFormat.text,
    ) -> None:
        """Serve a simulated FreeSWITCH 1.10 Event Socket on 127.0.0.1 with scripted callers.

        Point an ESL client at it (or a campaign with [telephony] backend = "esl" and
        this port); stop with Ctrl-C. See docs/simulator.md.
        """
        as_json = output_format(fmt, as_json) == OutputFormat.json
        from random import Random

        from mbs.freeswitch.sim import Faults, PersonaKind, Simulator, parse_mix
        from mbs.freeswitch.sim.personas import build

        if not 0 <= port <= 65535:
            abort(f"--port must be between 0 and 65535, not {port}", EXIT_USAGE)
        if time_scale <= 0:
            abort("--time-scale must be positive", EXIT_USAGE)
        try:
            mix = parse_mix(personas) if personas else None
            faults = Faults(
                drop_at_byte=drop_at_byte,
                chunk_size=chunk_size,
                event_delay_s=event_delay,
                bgjob_order=bgjob_order,  # type: ignore[arg-type]
            )
        except ValueError as exc:
            abort(str(exc), EXIT_USAGE)
        pinned = {}
        for item in pin or []:
            number, _, kind = item.partition("=")
            try:
                persona_kind = PersonaKind(kind.strip().lower().replace("-", "_"))
            except ValueError:
                abort(f"--pin {item!r}: expected NUMBER=KIND with a known persona kind", EXIT_USAGE)
            if not number.strip():
                abort(f"--pin {item!r}: the number is missing", EXIT_USAGE)
            pinned[number.strip()] = build(persona_kind, Random(f"{seed}:{number.strip()}"))

        simulator = Simulator(
            port=port,
            password=password,
            seed=seed,
            time_scale=time_scale,
            personas=mix,
            pinned=pinned,
            faults=faults,
            strict_files=strict_files,
            voice=voice,
        )

        async def serve() -> None:
            await simulator.start()
            if as_json:
                emit_json({"listening": f"127.0.0.1:{simulator.port}", "password": password})
            else:
                err.print(
                    f"FreeSWITCH ESL simulator on 127.0.0.1:{simulator.port} "
                    f"(password {password}, seed {seed}, time x{time_scale:g}); Ctrl-C stops it"
                )
            try:
                await simulator.serve_forever()
            finally:
                await simulator.stop()

        try:
            asyncio.run(serve())
        except OSError as exc:
            abort(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", EXIT_RUNTIME)
        except KeyboardInterrupt:
            pass
        summary = simulator.summary()
        if as_json:
            emit_json({"summary": summary})
        else:
            err.print(f"{summary['calls']} call(s) finished, {summary['live']} still up")
