"""The compiler: checks a scenario and lowers it to a :class:`mbs.program.Program`.

from mbs.compiler import compile_file
result = compile_file("scenarios/or_rdv.mbs")
if result.ok:
    program = result.program
"""

from mbs.compiler.api import CompilationResult, check_file, compile_file, compile_source
from mbs.compiler.diagnostics import Diagnostic

__all__ = ["CompilationResult", "Diagnostic", "check_file", "compile_file", "compile_source"]
