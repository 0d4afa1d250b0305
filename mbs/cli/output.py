"""All command output goes through here: data to stdout, messages to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Into a pipe or a file, output is plain and never cut: no colours (rich's default off a
# terminal) and no width, so a table keeps every column whole instead of 80 characters.
# Markup and emoji codes are off: printed text is mostly the user's (file names, utterances,
# contact values, scenario lines), and "[/x]" or ":fire:" in it must print as is, not crash
# or vanish. Deliberate styling opts in with ``markup=True`` and ``escape``s what it embeds.
_UNBOUNDED = 100_000
out = Console(
    highlight=False,
    markup=False,
    emoji=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() else _UNBOUNDED,
)
err = Console(
    stderr=True,
    highlight=False,
    markup=False,
    emoji=False,
    soft_wrap=True,
    width=None if sys.stderr.isatty() else _UNBOUNDED,
)


def table(**options: Any) -> Table:
    """A rich table for ``out``: boxed on a terminal, plain columns in a pipe or file."""
    if not out.is_terminal:
        options.setdefault("box", None)
    return Table(**options)


EXIT_OK = 0
EXIT_DIAGNOSTICS = 1
EXIT_USAGE = 2
EXIT_RUNTIME = 3


def emit_json(obj: Any) -> None:
    """One compact JSON object per line on stdout (for scripts and editors)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def emit_row(*cells: object) -> None:
    """One tab-separated line on stdout, tabs kept (rich would expand them to spaces,
    and scripts split these lines on tabs)."""
    sys.stdout.write("\t".join(str(c) for c in cells) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    """``error: message`` on stderr; ``message`` is printed literally, never as markup."""
    err.print(Text.assemble(("error:", "bold red"), " ", message))


def warning(message: str) -> None:
    """``warning: message`` on stderr; ``message`` is printed literally, never as markup."""
    err.print(Text.assemble(("warning:", "bold yellow"), " ", message))


def abort(message: str, code: int = EXIT_USAGE) -> NoReturn:
    error(message)
    raise typer.Exit(code)
