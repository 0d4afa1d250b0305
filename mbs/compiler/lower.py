"""Checked scope to :class:`mbs.program.Program`: flat code with resolved addresses.

Layout of a step (see docs/program.md)::

    enter STEP
    actions in order        ask = say + listen; freestyle = [count] freestyle listen
    [listen]                when the step reacts to input but has no ask/listen/freestyle
    captures                right after the step's last listen (retries come back here)
    dispatch                the step's transitions merged over ``always``'s
    target blocks           retry counters, inline ``end``s, objection answers

A step that does not listen ends with a ``jump`` (its ``otherwise``) or a terminal.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbs import __version__
from mbs.compiler import safety
from mbs.compiler.borrow import Borrowing, lend
from mbs.compiler.check_flow import is_terminal, start_step
from mbs.compiler.check_header import Settings
from mbs.compiler.check_names import CALL_EVENTS, case_key
from mbs.compiler.scope import Context, Declared
from mbs.dsl import ast
from mbs.dsl.loader import LoadedModule
from mbs.program import (
    Agent,
    AmdPhrases,
    AnswerObjection,
    Capture,
    Confirm,
    Count,
    Dispatch,
    End,
    Enter,
    Freestyle,
    Handlers,
    Intent,
    Jump,
    Listen,
    Objection,
    ObjectionPack,
    Objective,
    OptOut,
    Personality,
    Play,
    Program,
    Result,
    Say,
    Scenario,
    Set,
    Thresholds,
    Transfer,
)

FREESTYLE_FALLBACK = (
    "Je comprends. Un conseiller pourra vous répondre plus précisément. Puis-je continuer ?"
)


class Label:
    """An address inside the code, known once its instruction is emitted."""

    __slots__ = ("address",)

    def __init__(self) -> None:
        self.address: int | None = None


@dataclass(frozen=True, slots=True)
class StepRef:
    name: str


class _Lowerer:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.settings: Settings = ctx.settings
        self.code: list[tuple[type, dict[str, Any]]] = []
        self.debug: dict[int, dict[str, Any]] = {}  # SourceLocation fields
        self.consts: dict[str, int] = {}
        self.steps: dict[str, int] = {}
        # always's input handlers by case, merged under every listening step's own
        self.always_input: dict[str, ast.Transition] = {}
        for t in ctx.scope.always_transitions:
            key = case_key(t.case)
            if key not in CALL_EVENTS:
                self.always_input[key] = t
        self.safe = safety.active(ctx)
        self.lines = safety.lines(ctx)
        self.transfer_step = safety.transfer_step(ctx)
        self.shared: dict[str, int] = {}  # default blocks shared by every step

    # ------------------------------------------------------------------ safe defaults

    def defaults(self, span: ast.Span) -> None:
        """The default blocks steps may go to, before the first step (only those this
        scenario can use)."""
        lines, safe, steps = self.lines, self.safe, self.ctx.scope.steps.values()
        if safety.STOP in safe:
            self.shared["opt_out"] = self.say_end(span, lines.opt_out, Result.NOT_INTERESTED, True)
        if safety.HUMAN in safe and self.transfer_step is None:
            self.shared["callback"] = self.say_end(span, lines.callback, Result.CALLBACK_REQUESTED)
        if any(case_key(t.case) == "objection" for st in steps for t in st.transitions) or any(
            case_key(t.case) == "objection" for t in self.ctx.scope.always_transitions
        ):
            self.shared["insisting"] = self.say_end(span, lines.insisting, Result.NOT_INTERESTED)
        if safety.VULNERABLE in safe:
            self.shared["vulnerable"] = self.say_end(span, lines.vulnerable, Result.NOT_QUALIFIED)
        if safety.GOODBYE in safe:
            for result in sorted({safety.goodbye_result(self.ctx, st) for st in steps}):
                self.shared[f"goodbye {result}"] = self.say_end(span, lines.goodbye, Result(result))

    def say_end(self, span: ast.Span, line: str, result: Result, opt_out: bool = False) -> int:
        start = self.emit(Say, span, text=self.const(line), barge_in=False)
        if opt_out:
            self.emit(OptOut, span)
        self.emit(End, span, result=result)
        return start

    def reask(
        self,
        span: ast.Span,
        intro: str | None,
        prompt: ast.Ask | ast.Say | ast.Confirm | None,
        post_listen: Label,
        listen_timeout: int,
    ) -> int:
        """Say ``intro``, then the step's question again, listen, back to the dispatch."""
        start = len(self.code)
        if intro is not None:
            self.emit(Say, span, text=self.const(intro), barge_in=self.settings.barge_in)
        text = prompt.text.value if prompt is not None else self.lines.no_prompt
        self.emit(Say, span, text=self.const(text), barge_in=self.settings.barge_in)
        self.emit(Listen, span, timeout_ms=listen_timeout)
        self.emit(Jump, span, target=post_listen)
        return start

    def safe_routes(
        self,
        step: ast.StepDecl,
        fields: dict[str, Any],
        own: dict[str, ast.Transition],
        merged: dict[str, ast.Transition],
        prompt: ast.Ask | ast.Say | ast.Confirm | None,
        post_listen: Label,
        listen_timeout: int,
    ) -> None:
        """Fill the safe-default cases this step's dispatch has no handler for."""
        intents: dict[str, Any] = fields["intents"]
        span = step.span
        lines = self.lines
        has = {k[7:] for k in merged if k.startswith("intent:")}
        before = set(intents)
        opt_out = intents.get(safety.STOP, self.shared.get("opt_out"))
        callback = intents.get("callback", self.shared.get("callback"))
        if safety.STOP in self.safe:
            fields["opt_out"] = opt_out
            intents.setdefault(safety.STOP, opt_out)
        if safety.GOODBYE in self.safe and safety.GOODBYE not in has:
            intents[safety.GOODBYE] = self.shared[
                f"goodbye {safety.goodbye_result(self.ctx, step)}"
            ]
        if safety.VULNERABLE in self.safe and safety.VULNERABLE not in has:
            intents[safety.VULNERABLE] = self.shared["vulnerable"]
        if "objection" in merged:
            exit_ = intents.get("not_interested", self.shared.get("insisting"))
            fields["objection_again"] = exit_
        mini_base = {k: v for k, v in fields.items() if k not in ("intents", "dtmf", "defaults")}
        mini_base.update(objection=None, confirm_opt_out=None, captured=None)
        mini_base.pop("objection_again", None)
        if safety.ROBOT in self.safe and safety.ROBOT not in has:
            intents[safety.ROBOT] = self.reask(
                span, lines.robot, prompt, post_listen, listen_timeout
            )
        if safety.HUMAN in self.safe and safety.HUMAN not in has:
            if self.transfer_step is not None:
                intents[safety.HUMAN] = StepRef(self.transfer_step)
            else:
                ask = self.emit(Say, span, text=self.const(lines.nobody), barge_in=True)
                self.emit(Listen, span, timeout_ms=listen_timeout)
                at = self.emit(Dispatch, span)
                back = self.reask(span, lines.noted, prompt, post_listen, listen_timeout)
                mini = dict(mini_base, unclear=back, otherwise=back, silence=back)
                mini["intents"] = {**intents, "yes": callback, "callback": callback, "no": back}
                mini["intents"].pop(safety.HUMAN, None)
                mini["dtmf"] = {}
                mini["defaults"] = _all_cases(mini)
                self.code[at] = (Dispatch, mini)
                intents[safety.HUMAN] = ask
        if safety.STOP in self.safe:
            ask = self.emit(Say, span, text=self.const(lines.confirm_opt_out), barge_in=True)
            self.emit(Listen, span, timeout_ms=listen_timeout)
            at = self.emit(Dispatch, span)
            back = self.reask(span, lines.kept, prompt, post_listen, listen_timeout)
            mini = dict(mini_base, unclear=back, otherwise=back, silence=back)
            mini["intents"] = {**intents, "yes": opt_out, safety.STOP: opt_out, "no": back}
            mini["dtmf"] = {}
            mini["defaults"] = _all_cases(mini)
            self.code[at] = (Dispatch, mini)
            fields["confirm_opt_out"] = ask
        fields["defaults"] = tuple(sorted(set(intents) - before))

    # ------------------------------------------------------------------ emission

    def const(self, text: str) -> int:
        if text not in self.consts:
            self.consts[text] = len(self.consts)
        return self.consts[text]

    def emit(self, cls: type, span: ast.Span, **fields: Any) -> int:
        address = len(self.code)
        self.code.append((cls, fields))
        self.debug[address] = {
            "file": span.file,
            "line": span.line,
            "column": span.col,
            "end_line": span.end_line,
            "end_column": span.end_col,
        }
        return address

    def here(self, label: Label) -> None:
        label.address = len(self.code)

    def barge_in(self, uninterruptible: bool) -> bool:
        return self.settings.barge_in and not uninterruptible

    def timeout(self, d: ast.Duration | None) -> int:
        return self.settings.timeout_ms if d is None else max(1, d.ms)

    # ------------------------------------------------------------------ steps

    def step(self, step: ast.StepDecl) -> None:
        name = step.name.name
        self.steps[name] = self.emit(Enter, step.name.span, step=name)
        listens = step.listens
        listening = [i for i, a in enumerate(step.actions) if isinstance(a, ast.LISTENING_ACTIONS)]
        last_listen = listening[-1] if listening else None
        captures = [a for a in step.actions if isinstance(a, ast.Capture)] if listens else []
        # What a retry without a line says again: the step's question, i.e. its last
        # `ask`, or failing that the last `say` before it listens.
        asks = [a for a in step.actions if isinstance(a, ast.Ask | ast.Confirm)]
        before = step.actions[: last_listen + 1] if last_listen is not None else step.actions
        says = [a for a in before if isinstance(a, ast.Say)]
        prompt = asks[-1] if asks else says[-1] if says else None
        listen_action = step.actions[last_listen] if last_listen is not None else None
        listen_timeout = self.timeout(getattr(listen_action, "timeout", None))
        post_listen = Label()
        freestyle_loop: Label | None = None
        freestyle_counts: list[int] = []  # code indices of the freestyle counters

        confirm = next((a for a in step.actions if isinstance(a, ast.Confirm)), None)
        read_back = Label()

        def after_listen() -> None:
            self.here(post_listen)
            if confirm is not None:  # a correction is read back before any routing
                self.emit(Confirm, confirm.span, var=confirm.var.name, again=read_back)
            for c in captures:
                self.capture(c)

        for i, action in enumerate(step.actions):
            if isinstance(action, ast.Capture) and listens:
                continue
            if isinstance(action, ast.Freestyle):
                freestyle_loop = Label()
                self.here(freestyle_loop)
                after = Label()
                if action.max is not None:
                    # Exhausted, by default: listen without answering (the freestyle's
                    # own listen, two instructions on); dispatch() may redirect it.
                    at = self.emit(
                        Count,
                        action.span,
                        # parentheses: no intent (hence no retry counter) has them
                        counter=f"{name}/(freestyle"
                        + (f" {len(freestyle_counts) + 1})" if freestyle_counts else ")"),
                        limit=max(1, int(action.max.value)),
                        below=after,
                        exhausted=len(self.code) + 2,
                    )
                    freestyle_counts.append(at)
                self.here(after)
                self.emit(
                    Freestyle,
                    action.span,
                    context=self.const(action.context.value) if action.context else None,
                    goal=self.const(action.goal.value) if action.goal else None,
                    fallback=self.const(
                        action.fallback.value if action.fallback else FREESTYLE_FALLBACK
                    ),
                    again=self.const(self.lines.fallback_again),
                )
                self.emit(
                    Listen,
                    action.span,
                    timeout_ms=listen_timeout if i == last_listen else self.settings.timeout_ms,
                )
            elif isinstance(action, ast.Ask | ast.Confirm):
                if action is confirm:
                    self.here(read_back)
                self.emit(
                    Say,
                    action.text.span,
                    text=self.const(action.text.value),
                    barge_in=self.barge_in(action.uninterruptible),
                )
                self.emit(Listen, action.span, timeout_ms=self.timeout(action.timeout))
            elif isinstance(action, ast.Listen):
                self.emit(Listen, action.span, timeout_ms=self.timeout(action.timeout))
            else:
                self.simple(action)
                if isinstance(action, ast.EndCall | ast.TransferTo):
                    break
            if i == last_listen:
                after_listen()
        if is_terminal(step):
            return
        if not listens:
            for t in step.transitions:  # only `otherwise` (anything else listens)
                self.jump_to(t.target, name, t, None, None, listen_timeout)
            return
        if last_listen is None:
            self.emit(Listen, step.span, timeout_ms=listen_timeout)
            after_listen()
        self.dispatch(step, post_listen, prompt, listen_timeout, freestyle_loop, freestyle_counts)

    def capture(self, c: ast.Capture) -> None:
        choices = tuple(s.value for s in c.choices) if c.choices is not None else None
        kind = c.kind.name if c.kind is not None else None
        self.emit(Capture, c.span, var=c.var.name, choices=choices, kind=kind)

    def simple(self, action: ast.Action) -> None:
        if isinstance(action, ast.Say):
            self.emit(
                Say,
                action.span,
                text=self.const(action.text.value),
                barge_in=self.barge_in(action.uninterruptible),
            )
        elif isinstance(action, ast.Play):
            self.emit(
                Play,
                action.span,
                path=action.path.value,
                barge_in=self.barge_in(action.uninterruptible),
            )
        elif isinstance(action, ast.Capture):
            self.capture(action)
        elif isinstance(action, ast.SetVar):
            self.emit(Set, action.span, var=action.var.name, value=self.const(action.value.value))
        elif isinstance(action, ast.TransferTo):
            self.emit(Transfer, action.span, destination=self.const(action.destination.value))
        elif isinstance(action, ast.OptOut):
            self.emit(OptOut, action.span)
        elif isinstance(action, ast.EndCall):
            self.emit(End, action.span, result=Result(action.result.name))

    def jump_to(
        self,
        target: ast.Target,
        step: str,
        t: ast.Transition,
        post_listen: Label | None,
        prompt: ast.Ask | ast.Say | ast.Confirm | None,
        listen_timeout: int,
    ) -> None:
        """Emit the code of a target reached by falling through (no dispatch)."""
        address = self.target(target, step, t, post_listen, prompt, listen_timeout)
        if isinstance(address, StepRef):
            self.emit(Jump, t.span, target=address)

    def target(
        self,
        target: ast.Target,
        step: str,
        t: ast.Transition,
        post_listen: Label | None,
        prompt: ast.Ask | ast.Say | ast.Confirm | None,
        listen_timeout: int,
    ) -> int | StepRef | Label:
        """The address a transition goes to, emitting its block if it needs one."""
        if isinstance(target, ast.Goto):
            return StepRef(target.step.name)
        if isinstance(target, ast.EndTarget):
            return self.emit(End, target.span, result=Result(target.result.name))
        if isinstance(target, ast.Answer):
            return self.emit(AnswerObjection, target.span, then=StepRef(target.then.name))
        # retry: count, say the line (or the question again), listen, back to the dispatch
        below = Label()
        start = self.emit(
            Count,
            target.span,
            counter=f"{step}/{case_key(t.case).replace('intent:', '')}",
            limit=max(1, int(target.count.value)),
            below=below,
            exhausted=StepRef(target.then.name),
        )
        self.here(below)
        if target.line is not None:
            self.emit(
                Say,
                target.line.span,
                text=self.const(target.line.value),
                barge_in=self.settings.barge_in,
            )
        elif prompt is not None:
            self.emit(
                Say,
                prompt.text.span,
                text=self.const(prompt.text.value),
                barge_in=self.barge_in(prompt.uninterruptible),
            )
        elif post_listen is not None:  # a freestyle step asks nothing: rephrase
            self.emit(
                Say,
                target.span,
                text=self.const(self.lines.rephrase),
                barge_in=self.settings.barge_in,
            )
        self.emit(Listen, target.span, timeout_ms=listen_timeout)
        if post_listen is not None:
            self.emit(Jump, target.span, target=post_listen)
        return start

    def dispatch(
        self,
        step: ast.StepDecl,
        post_listen: Label,
        prompt: ast.Ask | ast.Say | ast.Confirm | None,
        listen_timeout: int,
        freestyle_loop: Label | None,
        freestyle_counts: list[int],
    ) -> None:
        name = step.name.name
        merged = dict(self.always_input)
        own = {case_key(t.case): t for t in step.transitions}
        merged.update(own)
        fields: dict[str, Any] = {"intents": {}, "dtmf": {}}
        dispatch_at = self.emit(Dispatch, step.span)
        for key, t in merged.items():
            address = self.target(t.target, name, t, post_listen, prompt, listen_timeout)
            _put_case(fields, key, address)
        if freestyle_loop is not None and "unclear" not in own:
            fields["unclear"] = freestyle_loop  # answer again with the LLM, up to max
            if freestyle_counts:
                # Answered max times: take `otherwise`, or keep listening without
                # answering (bounded by max_turns).
                if "otherwise" in merged:
                    exhausted = fields["otherwise"]
                else:
                    exhausted = self.emit(Listen, step.span, timeout_ms=listen_timeout)
                    self.emit(Jump, step.span, target=post_listen)
                for at in freestyle_counts:
                    self.code[at][1]["exhausted"] = exhausted
        self.safe_routes(step, fields, own, merged, prompt, post_listen, listen_timeout)
        self.code[dispatch_at] = (Dispatch, fields)

    # ------------------------------------------------------------------ globals

    def always(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """``always`` once more, for tools, plus the call-event handlers."""
        transitions = self.ctx.scope.always_transitions
        if not transitions:
            return None, {}
        fields: dict[str, Any] = {"intents": {}, "dtmf": {}}
        handlers: dict[str, Any] = {}
        for t in transitions:
            key = case_key(t.case)
            target = t.target
            if isinstance(target, ast.Retry):
                address: Any = StepRef(target.then.name)  # per-step counters live in the steps
            else:
                address = self.target(target, "always", t, None, None, self.settings.timeout_ms)
            if key in CALL_EVENTS:
                handlers[key] = address
            else:
                _put_case(fields, key, address)
        return fields, handlers

    # ------------------------------------------------------------------ resolution

    def resolve(self, value: Any) -> Any:
        kind = type(value)
        if kind is Label:
            assert value.address is not None
            return value.address
        if kind is StepRef:
            return self.steps[value.name]
        if kind is dict:
            return {k: self.resolve(v) for k, v in value.items()} if value else value
        return value


def _all_cases(fields: dict[str, Any]) -> tuple[str, ...]:
    """A dispatch the compiler wrote on its own (a safe default's question): "*"."""
    return ("*",)


def _put_case(fields: dict[str, Any], key: str, address: Any) -> None:
    """File a dispatch case (a ``case_key``) under its ``Dispatch`` field."""
    if key.startswith("intent:"):
        fields["intents"][key[7:]] = address
    elif key.startswith("dtmf:"):
        fields["dtmf"][key[5:]] = address
    else:
        fields[key] = address


def _instructions(low: _Lowerer) -> list[dict[str, Any]]:
    """The instructions as plain dicts: one validation of the whole Program (in
    pydantic-core) is much faster than building thousands of models one by one."""
    resolve = low.resolve
    return [{"op": _op(cls), **resolve(fields)} for cls, fields in low.code]


def _op(cls: type) -> str:
    op: str = cls.model_fields["op"].default  # type: ignore[attr-defined]
    return op


def _personalities(ctx: Context) -> tuple[Personality, ...]:
    table = ctx.scope.personalities
    out = []
    for name in table:
        traits: dict[str, str] = {}
        chain: list[str] = []
        current: str | None = name
        while current is not None and current in table and current not in chain:
            chain.append(current)
            decl: ast.PersonalityDecl = table[current].decl
            for trait in decl.traits:
                traits.setdefault(trait.key, trait.value.value)
            current = decl.extends.name if decl.extends else None
        out.append(Personality(name=name, **traits))
    return tuple(out)


def _module_name(declared: Declared) -> str:
    return declared.module.name


def _hash_name(module: LoadedModule, entry: LoadedModule) -> str:
    """A module's name for the source hash, independent of the working directory:
    "" for the entry file, the dotted name for the stdlib, else the path relative to
    the entry file's folder."""
    if module.entry:
        return ""
    if module.stdlib or module.path is None:
        return module.name
    base = entry.path.resolve().parent if entry.path is not None else Path.cwd()
    try:
        return module.path.resolve().relative_to(base).as_posix()
    except ValueError:
        return module.path.resolve().as_posix()


def source_hash(sources: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for name, text in sources:
        h.update(name.encode())
        h.update(b"\0")
        h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()


def lower(ctx: Context) -> Program:
    """The program of a scope that passed every check (errors make this undefined)."""
    scope = ctx.scope
    settings: Settings = ctx.settings
    low = _Lowerer(ctx)
    # Global handler blocks first: addresses before the first ``enter`` belong to no step.
    always_fields, handlers = low.always()
    first = next(iter(scope.steps.values()))
    low.defaults(first.span)
    for step in scope.steps.values():
        low.step(step)
    # Instructions go in as plain dicts: one validation of the whole Program (in
    # pydantic-core) is much faster than building thousands of models one by one.
    code = _instructions(low)
    start = start_step(ctx)
    assert start is not None
    objective = None
    if settings.objective is not None and settings.objective.name in scope.objectives:
        decl: ast.ObjectiveDecl = scope.objectives[settings.objective.name].decl
        objective = Objective(
            name=decl.name.name,
            guidance=" ".join(g.value for g in decl.guidance),
            results=tuple(Result(r.name) for r in decl.reach),
        )
    return Program.model_validate(
        dict(
            compiler_version=__version__,
            source_hash=source_hash([(_hash_name(m, scope.entry), m.text) for m in scope.modules]),
            scenario=Scenario(
                name=settings.name,
                title=settings.title,
                language=settings.language,
                objective=settings.objective.name if settings.objective else None,
                theme=settings.theme,
                personality=settings.personality,
                agent=Agent(
                    name=settings.agent[0],
                    company=settings.agent[1],
                    gender=settings.gender,  # type: ignore[arg-type]
                )
                if settings.agent
                else None,
                voice=settings.voice,
                max_turns=settings.max_turns,
                record=settings.record,
                barge_in=settings.barge_in,
                listen_timeout_ms=settings.timeout_ms,
                thresholds=Thresholds(
                    intent=settings.threshold_intent,
                    objection=settings.threshold_objection,
                    confirm=settings.threshold_confirm,
                ),
                company=dict(settings.company),
                disclosure_waived=settings.disclosure_waived,
            ),
            consts=tuple(low.consts),
            intents=tuple(
                Intent(
                    name=name,
                    examples=tuple(s.value for s in d.decl.examples),
                    keywords=tuple(s.value for s in d.decl.keywords),
                    module=_module_name(d),
                )
                for name, d in scope.intents.items()
            ),
            objection_packs=_objection_packs(scope.packs),
            personalities=_personalities(ctx),
            objective=objective,
            amd=AmdPhrases(
                machine=tuple(s.value for a in scope.amd for s in a.machine),
                human=tuple(s.value for a in scope.amd for s in a.human),
            ),
            code=tuple(code),
            steps=dict(low.steps),
            entry=low.steps[start.name.name],
            handlers=Handlers(**low.resolve(handlers)),
            always=Dispatch(**low.resolve(always_fields)) if always_fields is not None else None,
            debug=low.debug,
        )
    )


def _objection_packs(packs: dict[str, Declared]) -> tuple[ObjectionPack, ...]:
    """The packs in scope; the user's objections with few phrasings borrow the library's
    phrasings of the objection they say (``mbs.compiler.borrow``)."""
    lent = lend([(name, d.module.stdlib, d.decl.entries) for name, d in packs.items()])
    return tuple(
        ObjectionPack(
            name=name,
            objections=tuple(
                _objection(e, b) for e, b in zip(d.decl.entries, borrowed, strict=True)
            ),
        )
        for (name, d), borrowed in zip(packs.items(), lent, strict=True)
    )


def _objection(e: ast.ObjectionEntry, lent: Borrowing | None) -> Objection:
    return Objection(
        text=e.text.value,
        variants=tuple(v.value for v in e.variants),
        response=e.response.value if e.response else None,
        audio=e.audio.value if e.audio else None,
        alternatives=tuple(m.value for m in e.more),
        borrowed=lent.phrasings if lent else (),
        borrowed_from=lent.source if lent else None,
    )
