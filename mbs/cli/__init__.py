"""The ``mbs`` command line: one module per command, registered here and nowhere else."""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="mbs",
    help="Write, check, test and run conversational phone-call robots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Write, check, test and run conversational phone-call robots."""


# Each module defines ``register(app: typer.Typer) -> None``. Order = order in --help.
COMMAND_MODULES = [
    "mbs.cli.compile_cmd",
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
]


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    _register_all()
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
