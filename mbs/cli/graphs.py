"""The console's scenario graph: compile the campaign's scenario and draw it as SVG with
per-step counts (given to ``mbs.api`` by the CLI, which may use the compiler)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from mbs.program import Program

_cache: dict[tuple[str, float], Program] = {}
_lock = threading.Lock()


def _program(path: Path) -> Program | None:
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return None
    with _lock:
        if key in _cache:
            return _cache[key]
    if path.suffix == ".mbsc":
        program: Program | None = Program.load(path)
    else:
        from mbs.compiler import compile_file

        result = compile_file(path)
        program = result.program if result.ok else None
    if program is not None:
        with _lock:
            _cache[key] = program
    return program


def scenario_graph(scenario: str, notes: Mapping[str, str]) -> bytes | None:
    """SVG of the scenario's steps, each with its note (counts); None if it cannot be drawn."""
    from mbs.compiler.graph import to_digraph

    try:
        program = _program(Path(scenario))
    except Exception:
        return None
    if program is None:
        return None
    try:
        return bytes(to_digraph(program, notes=notes).pipe(format="svg"))
    except Exception:  # graphviz missing or failing: the page says so
        return None
