"""Compile a scenario: load, check, lower. Never raises on user input.

``compile_file`` and ``compile_source`` return a :class:`CompilationResult`: the
program (None when there are errors), every diagnostic, and the modules loaded.
``check_file`` and ``check_source`` run the checks without lowering (for ``mbs lint``
and editors), and accept modules without a scenario.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mbs.compiler.check_flow import check_flow
from mbs.compiler.check_header import check_header
from mbs.compiler.check_names import check_names
from mbs.compiler.check_nlu import check_nlu
from mbs.compiler.check_templates import check_templates
from mbs.compiler.diagnostics import Diagnostic, make
from mbs.compiler.lower import lower
from mbs.compiler.safety import check_safety
from mbs.compiler.scope import Context, build_scope
from mbs.dsl import ast
from mbs.dsl.loader import LoadedModule, LoadResult, load_path, load_source
from mbs.program import Program


@dataclass
class CompilationResult:
    program: Program | None
    diagnostics: list[Diagnostic]
    modules: list[LoadedModule] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is a program and no error (warnings allowed)."""
        return self.program is not None and not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def sources(self) -> dict[str, str]:
        return {m.file: m.text for m in self.modules}


def _with_lines(diagnostics: list[Diagnostic], sources: dict[str, str]) -> list[Diagnostic]:
    """Attach each diagnostic's source line, sorted by file and position, deduplicated."""
    cache: dict[str, list[str]] = {}
    out: list[Diagnostic] = []
    seen: set[tuple[str, str, int, int]] = set()
    for d in diagnostics:
        key = (d.code, d.file, d.span.line, d.span.col)
        if key in seen:
            continue
        seen.add(key)
        if d.file not in cache:
            cache[d.file] = sources.get(d.file, "").split("\n")
        lines = cache[d.file]
        line = lines[d.span.line - 1].rstrip("\r") if 0 < d.span.line <= len(lines) else None
        out.append(dataclasses.replace(d, source_line=line))
    order = {m: i for i, m in enumerate(sources)}
    out.sort(key=lambda d: (order.get(d.file, len(order)), d.span.line, d.span.col))
    return out


def _run(loaded: LoadResult, want_program: bool, module_ok: bool) -> CompilationResult:
    diagnostics = [make(p.name, p.span, **p.args) for p in loaded.problems]
    sources = loaded.sources
    modules = loaded.modules
    if any(m.module is None for m in modules):
        return CompilationResult(None, _with_lines(diagnostics, sources), modules)
    ctx = Context(build_scope(modules, diagnostics), diagnostics)
    scope = ctx.scope
    if scope.scenario is None and (not module_ok or scope.steps or scope.always):
        first = next(iter(scope.steps.values()), None)
        span = first.span if first is not None else ast.Span.point(loaded.entry.file)
        ctx.report("MissingScenario", span)
    ctx.settings = check_header(ctx)
    check_names(ctx)
    if scope.scenario is not None:
        check_flow(ctx)
    check_templates(ctx)
    check_safety(ctx)
    check_nlu(ctx)
    program = None
    if want_program and scope.scenario is not None and not any(d.is_error for d in ctx.diagnostics):
        program = lower(ctx)
    return CompilationResult(program, _with_lines(ctx.diagnostics, sources), modules)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while compiling.

    A compilation allocates many small acyclic objects (AST nodes, spans, instructions);
    the collector's repeated scans of them cost about a third of the time of a big
    compile. Reference counting still frees them; cycles wait for the next collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _guarded(file: str, run: Callable[[], CompilationResult]) -> CompilationResult:
    with gc_paused():
        try:
            return run()
        except RecursionError:
            return _too_deep(file)


def compile_source(
    text: str | bytes, filename: str = "<string>", path: Path | None = None
) -> CompilationResult:
    """Compile the scenario ``text``; relative imports resolve next to ``path``."""
    return _guarded(filename, lambda: _run(load_source(text, filename, path), True, False))


def compile_file(path: str | Path) -> CompilationResult:
    """Compile the scenario at ``path`` (missing file: an ImportNotFound diagnostic)."""
    p = Path(path)
    return _guarded(str(p), lambda: _run(load_path(p), True, False))


def check_file(path: str | Path) -> CompilationResult:
    """Check a scenario or a module without lowering it (``mbs lint``)."""
    p = Path(path)
    return _guarded(str(p), lambda: _run(load_path(p), False, True))


def check_source(
    text: str | bytes, filename: str = "<string>", path: Path | None = None
) -> CompilationResult:
    """Check ``text`` (a scenario or a module, e.g. an editor buffer) without lowering."""
    return _guarded(filename, lambda: _run(load_source(text, filename, path), False, True))


def _too_deep(file: str) -> CompilationResult:
    d = make(
        "SyntaxError",
        ast.Span.point(file),
        found="input nested too deeply",
        expected="a shallower structure",
        help="split the file or reduce its nesting",
    )
    return CompilationResult(None, [d], [])
