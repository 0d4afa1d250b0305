"""What ``mbs nlu`` and ``mbs objections`` share: reading utterances, building the NLU."""

from __future__ import annotations

import sys
from pathlib import Path

from mbs.cli.output import EXIT_USAGE, abort
from mbs.cli.programs import load_program
from mbs.runtime.builtins.base import BuiltinError
from mbs.runtime.builtins.fuzzy import FuzzyNlu


def read_utterances(arguments: list[str] | None, stdin: bool) -> list[str]:
    """Utterances from the command line, then (with ``--stdin``) one per input line."""
    texts = list(arguments or [])
    if stdin:
        texts.extend(line.strip() for line in sys.stdin if line.strip())
    if not texts:
        abort("no utterance: give some after the scenario, or use --stdin", EXIT_USAGE)
    return texts


def build_nlu(scenario: Path, overrides: dict[str, object]) -> FuzzyNlu:
    """The runtime's own ``nlu.fuzzy`` for the scenario, so the CLI shows what calls get."""
    program = load_program(scenario)
    config = {k: v for k, v in overrides.items() if v is not None}
    try:
        return FuzzyNlu(program, config)
    except BuiltinError as exc:
        abort(str(exc), EXIT_USAGE)
