"""The step graph: every step has a way out, every listening step survives silence,
every loop is bounded, every step is reachable, the objective's results can happen."""

from __future__ import annotations

from mbs.compiler.check_names import CALL_EVENTS, case_key
from mbs.compiler.scope import Context
from mbs.dsl import ast
from mbs.program import Result

# What the runtime can always produce without the scenario's help (call-event defaults).
IMPLICIT_RESULTS = {
    Result.ANSWERING_MACHINE.value,
    Result.HUNG_UP.value,
    Result.NOT_QUALIFIED.value,
}


def is_terminal(step: ast.StepDecl) -> bool:
    return any(isinstance(a, ast.EndCall | ast.TransferTo) for a in step.actions)


def target_steps(target: ast.Target) -> list[str]:
    if isinstance(target, ast.Goto):
        return [target.step.name]
    if isinstance(target, ast.Retry | ast.Answer):
        return [target.then.name]
    return []


def start_step(ctx: Context) -> ast.StepDecl | None:
    steps = ctx.scope.steps
    start = ctx.settings.start if ctx.settings is not None else None
    if start is not None:
        return steps.get(start.name)
    return next(iter(steps.values()), None)


def _input_always(ctx: Context) -> list[ast.Transition]:
    return [t for t in ctx.scope.always_transitions if case_key(t.case) not in CALL_EVENTS]


def successors(step: ast.StepDecl, always_targets: list[str]) -> list[str]:
    """Where ``step`` can go: its own transitions, and (when it listens) ``always``'s
    input handlers' ``always_targets``."""
    if is_terminal(step):
        return []
    out = [s for t in step.transitions for s in target_steps(t.target)]
    if step.listens:
        out += always_targets
    return out


def check_flow(ctx: Context) -> None:
    scope = ctx.scope
    if scope.scenario is not None and not scope.steps:
        ctx.report(
            "InvalidSetting",
            scope.scenario.name.span,
            problem=f"scenario `{scope.scenario.name.name}` has no steps",
            help="add at least one `step NAME { ... }`",
        )
        return
    always_input = _input_always(ctx)
    always_keys = {case_key(t.case) for t in always_input}
    for step in scope.steps.values():
        if is_terminal(step):
            continue
        if not step.transitions and not (step.listens and always_input):
            ctx.report("NoWayOut", step.name.span, step=step.name.name)
            continue
        own = {case_key(t.case) for t in step.transitions}
        if step.listens and not ({"silence", "otherwise"} & (own | always_keys)):
            ctx.report("NoSilencePath", step.name.span, step=step.name.name)
    for step in scope.steps.values():
        for action in step.actions:
            if isinstance(action, ast.Freestyle) and action.max is None:
                ctx.report("FreestyleWithoutMax", action.span)
        final = next((a for a in step.actions if isinstance(a, ast.EndCall | ast.TransferTo)), None)
        if final is not None and step.transitions:
            ends, verb = (
                ("ends the call", "end")
                if isinstance(final, ast.EndCall)
                else ("transfers the call", "transfer")
            )
            ctx.report(
                "TransitionsAfterEnd",
                step.transitions[0].span,
                step=step.name.name,
                ends=ends,
                action=verb,
            )
    _check_cycles(ctx)
    _check_reachability(ctx)


_CYCLE_SHOWN = 8  # steps named in an E019 message before the rest is elided


def _check_cycles(ctx: Context) -> None:
    """Cycles through steps that never listen: each has one way on (``otherwise``)."""
    steps = ctx.scope.steps
    nxt: dict[str, str] = {}
    for name, step in steps.items():
        if step.listens or is_terminal(step):
            continue
        for t in step.transitions:
            if t.case.kind == "otherwise" and isinstance(t.target, ast.Goto):
                nxt[name] = t.target.step.name
    done: set[str] = set()
    order = {name: i for i, name in enumerate(steps)}
    for name in steps:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = name
        while (
            current is not None
            and current in nxt
            and current not in done
            and current not in on_path
        ):
            path.append(current)
            on_path.add(current)
            current = nxt[current]
        if current is not None and current in on_path:
            cycle = path[path.index(current) :]
            first = min(cycle, key=order.__getitem__)
            ctx.report("UnboundedCycle", steps[first].name.span, cycle=_show_cycle(cycle))
        done.update(path)


def _show_cycle(cycle: list[str], most: int = _CYCLE_SHOWN) -> str:
    """The steps of a loop, back to the first; a long loop keeps its ends and its length."""
    names = [f"`{s}`" for s in cycle]
    if len(names) > most:
        names = [*names[: most - 2], f"... ({len(cycle)} steps)", names[-1]]
    return " -> ".join([*names, f"`{cycle[0]}`"])


def reachable_steps(ctx: Context) -> set[str]:
    scope = ctx.scope
    start = start_step(ctx)
    roots = [start.name.name] if start else []
    roots += [s for t in scope.always_transitions for s in target_steps(t.target)]
    always_targets = [s for t in _input_always(ctx) for s in target_steps(t.target)]
    seen: set[str] = set()
    while roots:
        name = roots.pop()
        if name in seen or name not in scope.steps:
            continue
        seen.add(name)
        roots += successors(scope.steps[name], always_targets)
    return seen


def _check_reachability(ctx: Context) -> None:
    scope = ctx.scope
    seen = reachable_steps(ctx)
    for name, step in scope.steps.items():
        if name not in seen:
            ctx.report("UnreachableStep", step.name.span, step=name)
    settings = ctx.settings
    if settings is None or settings.objective is None:
        return
    declared = scope.objectives.get(settings.objective.name)
    if declared is None:
        return
    results = set(IMPLICIT_RESULTS)
    some_step_listens = any(scope.steps[s].listens for s in seen)
    for t in scope.always_transitions:
        if isinstance(t.target, ast.EndTarget) and (
            case_key(t.case) in CALL_EVENTS or some_step_listens
        ):
            results.add(t.target.result.name)
    for name in seen:
        step = scope.steps[name]
        for action in step.actions:
            if isinstance(action, ast.EndCall):
                results.add(action.result.name)
            elif isinstance(action, ast.TransferTo):
                results.add(Result.TRANSFERRED.value)
        if is_terminal(step):
            continue
        for t in step.transitions:
            if isinstance(t.target, ast.EndTarget):
                results.add(t.target.result.name)
    for wanted in declared.decl.reach:
        if wanted.name not in results:
            ctx.report(
                "ObjectiveResultUnreachable",
                settings.objective.span,
                objective=settings.objective.name,
                result=wanted.name,
                help='add a path that transfers the call (`transfer "..."`)'
                if wanted.name == Result.TRANSFERRED.value
                else f"add a path that ends with `end {wanted.name}`",
            )
