"""What a scenario can name: every declaration of the entry file and its modules.

Built once from the loaded modules; reports duplicate names and declarations in the
wrong kind of file. The check passes and the lowering read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mbs.compiler.diagnostics import Diagnostic, make
from mbs.dsl import ast
from mbs.dsl.loader import LoadedModule


@dataclass
class Declared:
    decl: Any
    module: LoadedModule


@dataclass
class Scope:
    entry: LoadedModule
    modules: list[LoadedModule]
    scenario: ast.ScenarioDecl | None = None
    steps: dict[str, ast.StepDecl] = field(default_factory=dict)
    always: list[ast.AlwaysDecl] = field(default_factory=list)
    intents: dict[str, Declared] = field(default_factory=dict)
    packs: dict[str, Declared] = field(default_factory=dict)  # keyed by program pack name
    personalities: dict[str, Declared] = field(default_factory=dict)
    objectives: dict[str, Declared] = field(default_factory=dict)
    amd: list[ast.AmdDecl] = field(default_factory=list)

    @property
    def always_transitions(self) -> list[ast.Transition]:
        return [t for a in self.always for t in a.transitions]


@dataclass
class Context:
    """Shared by the check passes: the scope, the settings and the diagnostics so far."""

    scope: Scope
    diagnostics: list[Diagnostic] = field(default_factory=list)
    settings: Any = None  # mbs.compiler.check_header.Settings once that pass has run

    def report(self, name: str, span: ast.Span, /, **values: Any) -> None:
        self.diagnostics.append(make(name, span, **values))


def where(span: ast.Span) -> str:
    return f"{span.file}:{span.line}:{span.col}"


def pack_name(decl: ast.ObjectionsDecl, module: LoadedModule) -> str:
    """Stdlib packs are named by module ("objections.finance"); the others by name."""
    if module.stdlib and "." in module.name:
        return module.name.rsplit(".", 1)[0] + "." + decl.name.name
    return decl.name.name


def build_scope(modules: list[LoadedModule], ctx_diags: list[Diagnostic]) -> Scope:
    entry = modules[0]
    scope = Scope(entry=entry, modules=modules)

    def add(table: dict[str, Declared], kind: str, key: str, decl: Any, mod: LoadedModule) -> None:
        if key in table:
            first, again = table[key].decl.name.span, decl.name.span
            if mod.stdlib and not table[key].module.stdlib:
                first, again = again, first  # point at the user's file, not the stdlib's
            ctx_diags.append(make("DuplicateName", again, kind=kind, name=key, first=where(first)))
            return
        table[key] = Declared(decl, mod)

    for mod in modules:
        if mod.module is None:
            continue
        for decl in mod.module.decls:
            if isinstance(decl, ast.ScenarioDecl):
                if not mod.entry:
                    ctx_diags.append(
                        make(
                            "ScenarioNotAllowed",
                            decl.span,
                            problem="a module cannot declare a scenario (only the entry file)",
                        )
                    )
                elif scope.scenario is not None:
                    ctx_diags.append(
                        make(
                            "ScenarioNotAllowed",
                            decl.span,
                            problem="a second `scenario` block (a file holds one scenario)",
                        )
                    )
                else:
                    scope.scenario = decl
            elif isinstance(decl, ast.StepDecl | ast.AlwaysDecl):
                if not mod.entry:
                    what = "steps" if isinstance(decl, ast.StepDecl) else "`always`"
                    ctx_diags.append(
                        make(
                            "ScenarioNotAllowed",
                            decl.span,
                            problem=f"{what} belong in the scenario file, not in a module",
                        )
                    )
                elif isinstance(decl, ast.AlwaysDecl):
                    scope.always.append(decl)
                elif decl.name.name in scope.steps:
                    first = scope.steps[decl.name.name].name.span
                    ctx_diags.append(
                        make(
                            "DuplicateName",
                            decl.name.span,
                            kind="step",
                            name=decl.name.name,
                            first=where(first),
                        )
                    )
                else:
                    scope.steps[decl.name.name] = decl
            elif isinstance(decl, ast.IntentDecl):
                add(scope.intents, "intent", decl.name.name, decl, mod)
            elif isinstance(decl, ast.ObjectionsDecl):
                add(scope.packs, "objection pack", pack_name(decl, mod), decl, mod)
            elif isinstance(decl, ast.PersonalityDecl):
                add(scope.personalities, "personality", decl.name.name, decl, mod)
            elif isinstance(decl, ast.ObjectiveDecl):
                add(scope.objectives, "objective", decl.name.name, decl, mod)
            elif isinstance(decl, ast.AmdDecl):
                scope.amd.append(decl)
    return scope
