"""Names: every step, intent, result and personality a scenario mentions must exist,
and every transition must make sense for its case."""

from __future__ import annotations

from mbs.compiler.scope import Context, where
from mbs.dsl import ast
from mbs.dsl.problems import suggest
from mbs.program import Result

INPUT_CASES = ("objection", "silence", "unclear", "captured")
CAPTURE_KINDS = ("when",)
CALL_EVENTS = ("machine", "hangup", "max_turns")
RESULTS = tuple(r.value for r in Result)
DTMF_KEYS = set("0123456789*#ABCD")


def check_result(ctx: Context, ident: ast.Ident) -> None:
    if ident.name not in RESULTS:
        ctx.report(
            "UnknownResult",
            ident.span,
            name=ident.name,
            known=", ".join(RESULTS),
            suggestion=suggest(ident.name.upper(), RESULTS),
        )


def check_step_ref(ctx: Context, ident: ast.Ident) -> None:
    if ident.name not in ctx.scope.steps:
        ctx.report(
            "UnknownStep",
            ident.span,
            name=ident.name,
            suggestion=suggest(ident.name, ctx.scope.steps),
        )


def case_key(case: ast.Case) -> str:
    """The dispatch slot a case fills: "intent:yes", "dtmf:1", "silence", ..."""
    if case.kind == "dtmf":
        return f"dtmf:{case.digit.value if case.digit else ''}"
    if case.kind == "otherwise":
        return "otherwise"
    assert case.name is not None
    name = case.name.name
    return name if name in INPUT_CASES or name in CALL_EVENTS else f"intent:{name}"


def _check_transition(ctx: Context, t: ast.Transition, in_always: bool) -> None:
    case, target = t.case, t.target
    key = case_key(case)
    if case.kind == "dtmf" and case.digit is not None:
        digit = case.digit.value
        if len(digit) != 1 or digit not in DTMF_KEYS:
            ctx.report("DtmfDigit", case.digit.span, digit=digit)
    if key in CALL_EVENTS and not in_always:
        ctx.report(
            "InvalidTransition",
            case.span,
            problem=f"`{key}` is a call event, handled in `always` only",
            help=f"move `on {key} -> ...` into the `always` block",
        )
    if key.startswith("intent:"):
        assert case.name is not None
        if case.name.name not in ctx.scope.intents:
            ctx.report(
                "UnknownIntent",
                case.name.span,
                name=case.name.name,
                suggestion=suggest(case.name.name, [*ctx.scope.intents, *INPUT_CASES]),
            )
    if isinstance(target, ast.Goto):
        check_step_ref(ctx, target.step)
    elif isinstance(target, ast.EndTarget):
        check_result(ctx, target.result)
    elif isinstance(target, ast.Retry):
        check_step_ref(ctx, target.then)
        if not target.count.is_int or target.count.value < 1:
            ctx.report(
                "InvalidTransition",
                target.count.span,
                problem=f"`retry` takes a number of tries of at least 1, not {target.count.text}",
                help="for example `retry 2 then goodbye`",
            )
        if key in CALL_EVENTS:
            ctx.report(
                "InvalidTransition",
                target.span,
                problem=f"`retry` cannot handle the call event `{key}`",
                help="send call events to a step or to `end RESULT`",
            )
    elif isinstance(target, ast.Answer):
        check_step_ref(ctx, target.then)
        if target.what.name != "objection":
            ctx.report(
                "InvalidTransition",
                target.what.span,
                problem=f"`answer` speaks an objection's response: write `answer objection`, not `answer {target.what.name}`",
                help="`on objection -> answer objection then STEP`",
            )
        elif key != "objection":
            ctx.report(
                "InvalidTransition",
                target.span,
                problem="`answer objection` only works under `on objection`",
                help="`on objection -> answer objection then STEP`",
            )


def _check_block(
    ctx: Context, transitions: tuple[ast.Transition, ...], where_: str, in_always: bool
) -> None:
    seen: dict[str, ast.Span] = {}
    for t in transitions:
        key = case_key(t.case)
        if key in seen:
            ctx.report(
                "DuplicateTransition",
                t.case.span,
                case=t.case.label,
                where=where_,
                first=where(seen[key]),
            )
        else:
            seen[key] = t.case.span
        _check_transition(ctx, t, in_always)


RESERVED_VARIABLES = ("contact", "agent", "company", "callback_when")


def check_names(ctx: Context) -> None:
    scope = ctx.scope
    if not scope.packs:
        handlers = [
            t for s in scope.steps.values() for t in s.transitions
        ] + scope.always_transitions
        for t in handlers:
            if case_key(t.case) == "objection":
                ctx.report("NoObjectionsInScope", t.case.span)
    typed = typed_captures(ctx)  # once: every step's check reads it
    for step in scope.steps.values():
        for action in step.actions:
            if (
                isinstance(action, ast.Capture | ast.SetVar)
                and action.var.name in RESERVED_VARIABLES
            ):
                ctx.report(
                    "InvalidSetting",
                    action.var.span,
                    problem=f"`{action.var.name}` is reserved for the {action.var.name}'s fields",
                    help="pick another variable name",
                )
        _check_block(ctx, step.transitions, f"step `{step.name.name}`", False)
        _check_typed(ctx, step, typed)
        for action in step.actions:
            if isinstance(action, ast.EndCall):
                check_result(ctx, action.result)
            elif isinstance(action, ast.Freestyle) and action.max is not None:
                if not action.max.is_int or action.max.value < 1:
                    ctx.report(
                        "InvalidSetting",
                        action.max.span,
                        problem=f"`freestyle max` takes a whole number of at least 1, not {action.max.text}",
                        help="for example `freestyle max 3`",
                    )
            elif (
                isinstance(action, ast.Ask | ast.Listen)
                and action.timeout is not None
                and action.timeout.ms <= 0
            ):
                ctx.report(
                    "InvalidSetting",
                    action.timeout.span,
                    problem=f"a timeout must be longer than zero, not {action.timeout.text}",
                    help="for example `timeout 6s`",
                )
    all_always = tuple(scope.always_transitions)
    if all_always:
        _check_block(ctx, all_always, "`always`", True)
    for declared in scope.objectives.values():
        for r in declared.decl.reach:
            check_result(ctx, r)
    _check_personalities(ctx)


def typed_captures(ctx: Context) -> dict[str, str]:
    """Variables captured with a kind (`capture slot as when`): name -> kind."""
    out: dict[str, str] = {}
    for step in ctx.scope.steps.values():
        for action in step.actions:
            if isinstance(action, ast.Capture) and action.kind is not None:
                out[action.var.name] = action.kind.name
    return out


def _check_typed(ctx: Context, step: ast.StepDecl, typed: dict[str, str]) -> None:
    own_typed = any(isinstance(a, ast.Capture) and a.kind is not None for a in step.actions)
    for action in step.actions:
        if isinstance(action, ast.Capture) and action.kind is not None:
            if action.kind.name not in CAPTURE_KINDS:
                ctx.report(
                    "UnknownCaptureKind",
                    action.kind.span,
                    kind=action.kind.name,
                    suggestion=suggest(action.kind.name, CAPTURE_KINDS),
                )
        elif isinstance(action, ast.Confirm):
            own_typed = True
            if action.var.name not in typed:
                ctx.report("ConfirmUntyped", action.var.span, var=action.var.name)
    for t in step.transitions:
        if case_key(t.case) == "captured" and not own_typed:
            ctx.report(
                "InvalidTransition",
                t.case.span,
                problem="`on captured` needs a typed capture (`capture NAME as when`) or a "
                "`confirm` in this step",
                help="add `capture slot as when` to the step",
            )


def _check_personalities(ctx: Context) -> None:
    table = ctx.scope.personalities
    for name, declared in table.items():
        decl: ast.PersonalityDecl = declared.decl
        if decl.extends is not None and decl.extends.name not in table:
            ctx.report(
                "UnknownPersonality",
                decl.extends.span,
                name=decl.extends.name,
                suggestion=suggest(decl.extends.name, table),
            )
        chain = [name]
        current = decl
        while current.extends is not None and current.extends.name in table:
            parent = current.extends.name
            if parent == name:
                ctx.report(
                    "ExtendsCycle",
                    decl.extends.span if decl.extends else decl.name.span,
                    name=name,
                    cycle=" -> ".join([*chain, parent]),
                )
                break
            if parent in chain:
                break  # a cycle further up: reported on its own members
            chain.append(parent)
            current = table[parent].decl
