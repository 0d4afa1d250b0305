"""The ``mbs`` command line: one module per command, registered here and nowhere else.

A command's module is imported only when that command runs: ``mbs --help`` lists the
commands from :data:`COMMANDS` (name, module, one-line help) without importing any of
them, so it and ``mbs version`` start in a fraction of a second. A module listed in
:data:`COMMAND_MODULES` without a row in :data:`COMMANDS` still works (registered at
start-up, the slow way); a test keeps the table and the commands' own help equal.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from mbs.errors import MbsError

# Each module defines ``register(app: typer.Typer) -> None``. Order = order in --help.
COMMAND_MODULES = [
    "mbs.cli.compile_cmd",
    "mbs.cli.version_cmd",
    "mbs.cli.lint_cmd",
    "mbs.cli.inspect_cmd",
    "mbs.cli.graph_cmd",
    "mbs.cli.nlu_cmd",
    "mbs.cli.objections_cmd",
    "mbs.cli.chat_cmd",
    "mbs.cli.test_cmd",
    "mbs.cli.replay_cmd",
    "mbs.cli.tts_cmd",
    "mbs.cli.models_cmd",
    "mbs.cli.contacts_cmd",
    "mbs.cli.blocklist_cmd",
    "mbs.cli.campaign_cmd",
    "mbs.cli.run_cmd",
    "mbs.cli.sim_cmd",
    "mbs.cli.freeswitch_cmd",
    "mbs.cli.lsp_cmd",
    "mbs.cli.api_cmd",
    "mbs.cli.user_cmd",
    "mbs.cli.privacy_cmd",
]

# command name -> (its module, its one-line help as ``mbs --help`` shows it)
COMMANDS: dict[str, tuple[str, str]] = {
    "compile": ("mbs.cli.compile_cmd", "Check a scenario and write its compiled program."),
    "version": ("mbs.cli.version_cmd", "Print the mbs version."),
    "lint": (
        "mbs.cli.lint_cmd",
        "Check scenarios and modules; folders are searched for *.mbs files.",
    ),
    "inspect": (
        "mbs.cli.inspect_cmd",
        "Disassemble a program: address, op, operands and the source line of each...",
    ),
    "graph": ("mbs.cli.graph_cmd", "Draw a scenario's step graph (svg, png, pdf or dot)."),
    "nlu": ("mbs.cli.nlu_cmd", "Try the NLU on utterances; measure it."),
    "objections": ("mbs.cli.objections_cmd", "Try objection matching on utterances."),
    "chat": ("mbs.cli.chat_cmd", "Chat with a scenario: you type the prospect's lines."),
    "test": ("mbs.cli.test_cmd", "Run conversation tests and report transition coverage."),
    "replay": (
        "mbs.cli.replay_cmd",
        'Replay recorded calls and report the first divergence, or "identical".',
    ),
    "tts": ("mbs.cli.tts_cmd", "Text-to-speech: build the audio cache ahead of a campaign."),
    "contacts": ("mbs.cli.contacts_cmd", "Contact lists: import into the store."),
    "blocklist": ("mbs.cli.blocklist_cmd", "Numbers never to dial."),
    "campaign": ("mbs.cli.campaign_cmd", "Campaigns in the store: list, status, export."),
    "run": (
        "mbs.cli.run_cmd",
        "Call a campaign's contacts, within the law, and record every call.",
    ),
    "sim": (
        "mbs.cli.sim_cmd",
        "Serve a simulated FreeSWITCH 1.10 Event Socket on 127.0.0.1 with scripted...",
    ),
    "freeswitch": ("mbs.cli.freeswitch_cmd", "FreeSWITCH: configuration for a real switch."),
    "lsp": (
        "mbs.cli.lsp_cmd",
        "Run the .mbs language server (diagnostics, completion, hover, definitions).",
    ),
    "api": ("mbs.cli.api_cmd", "Serve the JSON API and the console; manage API keys."),
    "console": (
        "mbs.cli.api_cmd",
        "Serve the operator's console (the same server as `mbs api`).",
    ),
    "user": ("mbs.cli.user_cmd", "Console users: add, list."),
    "purge": (
        "mbs.cli.privacy_cmd",
        "Delete transcripts, recordings and event logs of calls ended more than N days...",
    ),
    "webhook": ("mbs.cli.privacy_cmd", "Webhooks: send a test event, deliver the outbox."),
    "models": (
        "mbs.cli.models_cmd",
        "Speech models (Vosk): install once, then every campaign finds them.",
    ),
}


def _load(module: str) -> Any:
    """The click group of the commands ``module`` registers."""
    sub = typer.Typer(pretty_exceptions_enable=False)

    @sub.callback()
    def _root() -> None: ...

    importlib.import_module(module).register(sub)
    return typer.main.get_command(sub)


class _Commands(TyperGroup):
    """The ``mbs`` group: commands loaded on use, and one error policy for all of them
    (an ``MbsError`` becomes its message and exit code, ``mbs/cli/errors.py``)."""

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in COMMANDS]
        return [*COMMANDS, *eager]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS:
            return _load(COMMANDS[cmd_name][0]).get_command(ctx, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # click's plain help (typer's rich help would load every command for its table)
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, text) for name, (_, text) in COMMANDS.items()]
        for name in super().list_commands(ctx):
            command = super().get_command(ctx, name)
            if name not in COMMANDS and command is not None:
                rows.append((name, command.get_short_help_str(limit=80)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MbsError as exc:
            from mbs.cli.errors import report

            raise typer.Exit(report(exc)) from None


app = typer.Typer(
    cls=_Commands,
    name="mbs",
    help="Write, check, test and run conversational phone-call robots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from mbs.cli.version_cmd import print_version

        print_version()
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_show_version, help="Print the version."
    ),
) -> None:
    """Write, check, test and run conversational phone-call robots."""


def _register_all() -> None:
    """Register the modules :data:`COMMANDS` does not cover (the others load on use)."""
    covered = {module for module, _ in COMMANDS.values()}
    for name in COMMAND_MODULES:
        if name not in covered:
            importlib.import_module(name).register(app)


def main() -> None:
    _register_all()
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
