"""The compiler: checks a scenario and lowers it to a :class:`mbs.program.Program`.

    from mbs.compiler import compile_file
    result = compile_file("scenarios/or_rdv.mbs")
    if result.ok:
        program = result.program

Names are imported on first use, so ``python -m mbs.compiler.diagnostics`` runs clean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mbs.compiler.api import (
        CompilationResult,
        check_file,
        check_source,
        compile_file,
        compile_source,
    )
    from mbs.compiler.diagnostics import Diagnostic

__all__ = [
    "CompilationResult",
    "Diagnostic",
    "check_file",
    "check_source",
    "compile_file",
    "compile_source",
]


def __getattr__(name: str) -> Any:
    if name == "Diagnostic":
        from mbs.compiler import diagnostics

        return diagnostics.Diagnostic
    if name in __all__:
        from mbs.compiler import api

        return getattr(api, name)
    raise AttributeError(f"module 'mbs.compiler' has no attribute {name!r}")
