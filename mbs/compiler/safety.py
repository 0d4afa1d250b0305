"""Safe defaults every scenario gets, and the lines they say.

Without a line of its own, a scenario honours a stop request at every step (confirming
an unsure one, and taking a yes to the robot's own offer to remove the number), answers
"are you a robot?" honestly and asks its question again, hands a request for a human to
its transfer step or says honestly that nobody is free and offers a call-back, ends the
call politely on a goodbye, and ends an alcohol call with a vulnerable person at once.
The lowerer emits these routes; :func:`check_safety` says where a scenario replaces one.
The lines are built at compile time, in the agent's grammatical gender.
"""

from __future__ import annotations

from dataclasses import dataclass

from mbs.compiler.check_flow import is_terminal
from mbs.compiler.check_names import case_key
from mbs.compiler.scope import Context
from mbs.dsl import ast

STOP = "stop_calling"
GOODBYE = "goodbye"
ROBOT = "robot_question"
HUMAN = "human_request"
VULNERABLE = "vulnerable"
SAFE_INTENTS = (STOP, GOODBYE, ROBOT, HUMAN, VULNERABLE)
ALCOHOL_THEMES = ("vin", "alcool", "spiritueux", "biere", "bière", "champagne")

DEFAULTS = {
    STOP: "the number is removed from the lists",
    GOODBYE: "a polite goodbye with the step's result",
    ROBOT: "an honest answer, then the question again",
    HUMAN: "the transfer step, or an honest 'nobody is free' and a call-back",
    VULNERABLE: "the call ends at once",
}


@dataclass(frozen=True)
class Lines:
    """The default lines, agreed with the agent's gender."""

    feminine: bool
    company: bool  # the scenario declares an agent (``agent.company`` exists)

    @property
    def assistant(self) -> str:
        if self.feminine:
            return "une assistante vocale automatisée"
        return "un assistant vocal automatisé"

    @property
    def robot(self) -> str:
        who = f"{self.assistant} qui appelle pour {{{{ agent.company }}}}"
        return (
            f"Oui : je suis {who if self.company else self.assistant}, je vous le dis franchement."
        )

    @property
    def nobody(self) -> str:
        return (
            f"Je suis {self.assistant}, et aucun conseiller n'est disponible tout de suite. "
            "Souhaitez-vous qu'un conseiller vous rappelle ?"
        )

    confirm_opt_out = "Souhaitez-vous que je retire votre numéro de nos listes ?"
    kept = "Très bien, je garde votre numéro."
    noted = "Très bien."
    opt_out = (
        "C'est entendu : je retire votre numéro de nos listes, et nous ne vous appellerons "
        "plus. Veuillez nous excuser pour le dérangement. Au revoir."
    )
    goodbye = "Très bien, je vous laisse. Merci pour votre temps, et au revoir !"
    vulnerable = "Merci de me l'avoir dit : je ne vais pas vous déranger davantage. Au revoir."
    insisting = "Je comprends, je ne vais pas insister. Merci pour votre temps, et au revoir."
    callback = (
        "C'est noté : un conseiller vous rappellera{% if callback_when %} {{ callback_when }}"
        "{% endif %}. Merci, et au revoir."
    )
    no_prompt = "Que souhaitiez-vous savoir ?"
    fallback_again = (
        "Je n'ai pas plus de précisions à vous donner moi-même : un conseiller pourra vous "
        "répondre. Pouvons-nous continuer ?"
    )
    rephrase = "Pardon, je n'ai pas bien compris. Pouvez-vous le dire autrement ?"


def lines(ctx: Context) -> Lines:
    settings = ctx.settings
    feminine = settings is not None and settings.gender == "f"
    return Lines(feminine, settings is not None and settings.agent is not None)


def active(ctx: Context) -> tuple[str, ...]:
    """The safe intents this scenario has defaults for (the intent must be in scope)."""
    theme = ctx.settings.theme if ctx.settings is not None else None
    out = []
    for name in SAFE_INTENTS:
        if name not in ctx.scope.intents:
            continue
        if name == VULNERABLE and theme not in ALCOHOL_THEMES:
            continue
        out.append(name)
    return tuple(out)


def opts_out(ctx: Context, target: ast.Target) -> bool:
    """True when a target records the opt-out (a step with ``opt_out``)."""
    if isinstance(target, ast.Goto):
        step = ctx.scope.steps.get(target.step.name)
        return step is not None and any(isinstance(a, ast.OptOut) for a in step.actions)
    return False


def transfer_step(ctx: Context) -> str | None:
    """The first step that hands the call to a human, if any."""
    for name, step in ctx.scope.steps.items():
        if any(isinstance(a, ast.TransferTo) for a in step.actions):
            return name
    return None


def goodbye_result(ctx: Context, step: ast.StepDecl) -> str:
    """The result a goodbye gets in ``step``: the result its ``otherwise`` step (its
    ``yes`` step after a ``confirm`` read-back: what was read back stands) ends with
    when that step ends the call straight away, else NOT_INTERESTED."""
    confirming = any(isinstance(a, ast.Confirm) for a in step.actions)
    for t in step.transitions:
        if confirming:
            if case_key(t.case) != "intent:yes":
                continue
        elif t.case.kind != "otherwise":
            continue
        if isinstance(t.target, ast.EndTarget):
            return t.target.result.name
        if isinstance(t.target, ast.Goto):
            nxt = ctx.scope.steps.get(t.target.step.name)
            if nxt is not None and is_terminal(nxt) and not nxt.listens:
                for a in nxt.actions:
                    if isinstance(a, ast.EndCall):
                        return a.result.name
    return "NOT_INTERESTED"


def _question(text: str) -> bool:
    plain = text.rstrip().rstrip('"»” ')
    return plain.endswith("?")


def check_safety(ctx: Context) -> None:
    """W060 where a scenario replaces a safe default; W061/W062 on fallback lines."""
    if ctx.scope.scenario is None:
        return
    safe = active(ctx)
    user_files = {m.file for m in ctx.scope.modules if not m.stdlib}
    blocks: list[tuple[ast.Transition, ast.StepDecl | None]] = [
        (t, None) for t in ctx.scope.always_transitions
    ]
    for step in ctx.scope.steps.values():
        blocks += [(t, step) for t in step.transitions]
    for t, owner in blocks:
        key = case_key(t.case)
        name = key[7:] if key.startswith("intent:") else None
        if name in safe and t.span.file in user_files:
            if name == STOP and opts_out(ctx, t.target):
                continue
            ctx.report("SafeDefaultOverridden", t.case.span, case=name, default=DEFAULTS[name])
        target = t.target
        if isinstance(target, ast.Retry) and t.span.file in user_files:
            if target.line is not None:
                if not _question(target.line.value):
                    ctx.report("FallbackWithoutQuestion", target.line.span)
                if target.count.is_int and target.count.value >= 2:
                    ctx.report("FallbackRepeated", target.span, line=_short(target.line.value))
            elif key != "intent:repeat" and owner is not None:
                prompt = _prompt(owner)
                if prompt is not None:
                    ctx.report("FallbackRepeated", target.span, line=_short(prompt))
    for step in ctx.scope.steps.values():
        for action in step.actions:
            if (
                isinstance(action, ast.Freestyle)
                and action.fallback is not None
                and action.fallback.span.file in user_files
                and not _question(action.fallback.value)
            ):
                ctx.report("FallbackWithoutQuestion", action.fallback.span)


def _prompt(step: ast.StepDecl) -> str | None:
    asks = [a for a in step.actions if isinstance(a, ast.Ask | ast.Confirm)]
    if asks:
        return asks[-1].text.value
    says = [a for a in step.actions if isinstance(a, ast.Say)]
    return says[-1].text.value if says else None


def _short(text: str) -> str:
    return text if len(text) <= 48 else text[:45] + "..."
