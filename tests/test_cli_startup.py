"""``mbs --help`` and ``mbs version`` load no command: the table lists them, and stays
equal to what the command modules register."""

from __future__ import annotations

import importlib
import subprocess
import sys

import typer
import typer.main

from mbs.cli import COMMAND_MODULES, COMMANDS

# What a command that dials, stores or serves needs, and --help must not pay for.
HEAVY = ("sqlalchemy", "fastapi", "uvicorn", "mbs.campaign", "mbs.runtime.vm", "mbs.compiler")


def _loaded_after(*argv: str) -> tuple[str, set[str]]:
    code = (
        "import sys\n"
        "from mbs.cli import main\n"
        f"sys.argv = ['mbs', *{list(argv)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return done.stdout, set(done.stderr.split())


def test_help_and_version_import_no_command() -> None:
    for argv in (["--help"], ["-h"], ["version"], ["--version"]):
        out, modules = _loaded_after(*argv)
        assert out.strip(), argv
        heavy = sorted(m for m in modules if m.startswith(HEAVY))
        assert heavy == [], (argv, heavy)


def test_version_and_help_options() -> None:
    out, _ = _loaded_after("--version")
    from mbs import __version__

    assert out.strip() == __version__
    out, _ = _loaded_after("-h")
    assert "Commands:" in out and "run " in out


def test_the_command_table_matches_the_commands() -> None:
    registered: dict[str, tuple[str, str]] = {}
    for module in COMMAND_MODULES:
        sub = typer.Typer()

        @sub.callback()
        def _root() -> None: ...

        importlib.import_module(module).register(sub)
        group = typer.main.get_command(sub)
        for name in group.list_commands(None):  # type: ignore[attr-defined]
            command = group.get_command(None, name)  # type: ignore[attr-defined]
            registered[name] = (module, command.get_short_help_str(limit=80))
    assert registered == COMMANDS
