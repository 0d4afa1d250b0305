"""``mbs freeswitch config --out DIR``: render the FreeSWITCH configuration mbs needs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.common import OutputFormat, output_format
from mbs.cli.output import EXIT_USAGE, abort, emit_json, err, out


def register(app: typer.Typer) -> None:
    fs = typer.Typer(help="FreeSWITCH: configuration for a real switch.", no_args_is_help=True)

    @fs.command("config")
    def config(
        out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
        listen_ip: Annotated[
            str, typer.Option("--listen-ip", help="Event Socket address.")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Event Socket port.")] = 8021,
        password: Annotated[
            str, typer.Option("--password", help="Event Socket password.")
        ] = "ClueCon",
        acl: Annotated[
            list[str] | None,
            typer.Option(
                "--acl", help="Network allowed to connect (repeatable), e.g. 10.0.0.5/32."
            ),
        ] = None,
        gateway: Annotated[
            str, typer.Option("--gateway", help="Gateway name used in originate.")
        ] = "mbs_trunk",
        gateway_proxy: Annotated[
            str, typer.Option("--gateway-proxy", help="The operator's SIP host.")
        ] = "sip.example.net",
        gateway_username: Annotated[str, typer.Option("--gateway-username")] = "",
        gateway_password: Annotated[str, typer.Option("--gateway-password")] = "",
        caller_id: Annotated[str, typer.Option("--caller-id", help="Presented number.")] = "",
        asr: Annotated[str, typer.Option("--asr", help="vosk | audio_fork | none.")] = "vosk",
        vosk_url: Annotated[str, typer.Option("--vosk-url")] = "ws://127.0.0.1:2700",
        amd: Annotated[
            bool, typer.Option("--amd/--no-amd", help="Load and configure mod_amd.")
        ] = True,
        avmd: Annotated[
            bool, typer.Option("--avmd/--no-avmd", help="Load mod_avmd (voicemail beep events).")
        ] = False,
        recordings: Annotated[
            str, typer.Option("--recordings", help="Recordings directory on the switch.")
        ] = "/var/lib/freeswitch/recordings/mbs",
        audio_dir: Annotated[
            str,
            typer.Option(
                "--audio-dir",
                help="Folder shared with the robot's host at the same path (TTS cache, prompts).",
            ),
        ] = "/var/lib/mbs/audio",
        originate_timeout: Annotated[
            int, typer.Option("--originate-timeout", help="Seconds of ringing (5-300).")
        ] = 30,
        force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="List the written files as JSON.")
        ] = False,
        fmt: Annotated[
            OutputFormat,
            typer.Option("--format", help="text or json (--json is the same as json)."),
        ] = OutputFormat.text,
    ) -> None:
        """Write event_socket, ACL, modules, AMD/Vosk, dialplan, gateway and vars files,
        and mbs-switch.toml: the settings a campaign's robot takes from this switch.

        The files follow FreeSWITCH's conf/ layout; see docs/freeswitch.md for where each
        one goes and what to merge.
        """
        as_json = output_format(fmt, as_json) == OutputFormat.json
        from mbs.freeswitch.config import ConfigError, FreeSwitchSettings, write

        settings = FreeSwitchSettings(
            listen_ip=listen_ip,
            port=port,
            password=password,
            acl=list(acl) if acl else ["127.0.0.1/32"],
            gateway=gateway,
            gateway_proxy=gateway_proxy,
            gateway_username=gateway_username,
            gateway_password=gateway_password,
            caller_id=caller_id,
            asr=asr,
            vosk_url=vosk_url,
            amd=amd,
            avmd=avmd,
            recordings_dir=recordings,
            audio_dir=audio_dir,
            originate_timeout=originate_timeout,
        )
        try:
            written = write(settings, out_dir, force=force)
        except (ConfigError, FileExistsError) as exc:
            abort(str(exc), EXIT_USAGE)
        except OSError as exc:
            abort(f"cannot write to {out_dir}: {exc.strerror or exc}", EXIT_USAGE)
        for path in written:
            if as_json:
                emit_json({"written": str(path)})
            else:
                out.print(str(path))
        if not as_json:
            err.print(f"{len(written)} file(s) written; see docs/freeswitch.md to install them")

    app.add_typer(fs, name="freeswitch")
