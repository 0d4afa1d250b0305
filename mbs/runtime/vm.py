"""The VM: runs one call of a compiled program.

Two layers, so the semantics stay pure and testable:

- :class:`Machine` executes instructions against a :class:`CallState`. It is a plain
  generator: when it needs the outside world (speak, listen, classify, ask the LLM,
  transfer) it *yields* an operation and receives the answer. It never awaits, reads a
  clock or touches a socket; the same machine runs live calls, tests and replays.
- :class:`Vm` is the asyncio driver: it performs each operation against the call
  (telephony) and the builtins, and throws their failures back into the machine, which
  ends that call with TECHNICAL_ERROR and the source location. One ``run_call`` task
  per call; nothing is shared between calls but the read-only program and templates.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any

from mbs.program import (
    AnswerObjection,
    Capture,
    Count,
    Dispatch,
    End,
    Enter,
    Freestyle,
    Instruction,
    Jump,
    Listen,
    OptOut,
    Play,
    Program,
    Result,
    Say,
    Set,
    Transfer,
)
from mbs.runtime.builtins.base import (
    FreestyleAnswer,
    FreestyleRequest,
    IntentResult,
    Llm,
    Nlu,
    ObjectionResult,
    Tts,
    Turn,
)
from mbs.runtime.events import Event, EventSink
from mbs.runtime.ops import (
    ClassifyOp,
    FreestyleOp,
    ListenOp,
    MatchObjectionOp,
    Op,
    PlayOp,
    RuntimeFailure,
    SpeakOp,
    TransferOp,
)
from mbs.runtime.state import CallState, ExecutionState
from mbs.runtime.telephony import Call, Heard, HeardKind, PlayOutcome
from mbs.runtime.templates import TemplateFailure, Templates, first_choice

_DEFAULTS = {
    "machine": Result.ANSWERING_MACHINE,
    "hangup": Result.HUNG_UP,
    "max_turns": Result.NOT_QUALIFIED,
}


# ------------------------------------------------------------------ the program, loaded


class LoadedProgram:
    """A program prepared for running: templates cache, counters per step, hash."""

    def __init__(self, program: Program, source: str = "") -> None:
        self.program = program
        self.source = source
        self.code: tuple[Instruction, ...] = program.code
        self.templates = Templates(program)
        self.program_hash = program.program_hash
        agent = program.scenario.agent
        self.agent: dict[str, str] = {"name": agent.name, "company": agent.company} if agent else {}
        counters: dict[str, set[str]] = {name: set() for name in program.steps}
        for address, ins in enumerate(program.code):
            if isinstance(ins, Count):
                owner = program.step_at(address)
                if owner is not None:
                    counters[owner].add(ins.counter)
                prefix = ins.counter.split("/", 1)[0]
                if prefix in counters:
                    counters[prefix].add(ins.counter)
        self.step_counters = {k: tuple(sorted(v)) for k, v in counters.items()}

    def location(self, address: int) -> str:
        loc = self.program.debug.get(address)
        if loc is None:
            return f"{self.program.scenario.name}@{address}"
        return f"{loc.file}:{loc.line}:{loc.column}"

    def describe(self, address: int | None, _depth: int = 0) -> str | None:
        """A readable name for a jump target: a step, ``end RESULT``, ``retry N then X``,
        ``answer objection then X``, or ``step@address``."""
        if address is None:
            return None
        ins = self.code[address]
        if _depth < 4:
            if isinstance(ins, Enter):
                return ins.step
            if isinstance(ins, End):
                return f"end {ins.result.value}"
            if isinstance(ins, Jump):
                return self.describe(ins.target, _depth + 1)
            if isinstance(ins, Count):
                then = self.describe(ins.exhausted, _depth + 1)
                if isinstance(self.code[ins.below], Freestyle):
                    return f"freestyle (max {ins.limit}) then {then}"
                return f"retry {ins.limit} then {then}"
            if isinstance(ins, AnswerObjection):
                return f"answer objection then {self.describe(ins.then, _depth + 1)}"
        step = self.program.step_at(address)
        return f"{step}@{address}" if step else f"@{address}"


# ------------------------------------------------------------------ the machine


class Machine:
    """Executes one call's instructions; see the module docstring."""

    def __init__(
        self, loaded: LoadedProgram, state: CallState, emit: Callable[[Event], None]
    ) -> None:
        self.loaded = loaded
        self.program = loaded.program
        self.state = state
        self._emit = emit

    # ------------------------------------------------------------ helpers

    def emit(self, name: str, /, **fields: Any) -> None:
        event: Event = {"event": name, "call_id": self.state.call_id, "step": self.state.step}
        event.update(fields)
        self._emit(event)

    def context(self) -> dict[str, object]:
        st = self.state
        ctx: dict[str, object] = dict(st.variables)
        ctx["contact"] = st.contact
        ctx["agent"] = st.agent
        return ctx

    def render(self, index: int) -> str:
        return self.loaded.templates.const(index, self.context())

    def finish(self, result: Result) -> None:
        self.state.result = result

    def fail(self, message: str) -> None:
        st = self.state
        where = self.loaded.location(st.address)
        step = f" (step {st.step})" if st.step else ""
        st.error = f"{where}{step}: {message}"
        self.emit("error", message=st.error)
        st.result = Result.TECHNICAL_ERROR

    def call_event(self, which: str) -> None:
        """Run the ``always`` handler of a call event, or end with its default result."""
        st = self.state
        if which == "hangup":
            st.hung_up = True
        target: int | None = getattr(self.program.handlers, which)
        if target is None or which in st.handled:
            self.emit("call_event", which=which, target=None)
            self.finish(_DEFAULTS[which])
            return
        st.handled.add(which)
        self.emit("call_event", which=which, target=self.loaded.describe(target))
        st.address = target

    # ------------------------------------------------------------ the loop

    def run(self, *, machine_at_answer: bool = False) -> Generator[Op, Any, CallState]:
        """Execute from ``state.address`` to the end of the call.

        ``machine_at_answer``: the switch's AMD already said an answering machine picked
        up; the ``machine`` handler (or its default) runs before anything is said.
        """
        st = self.state
        st.execution = ExecutionState.RUNNING
        self.emit(
            "call_started",
            program_hash=self.loaded.program_hash,
            source=self.loaded.source,
            scenario=self.program.scenario.name,
            contact=dict(st.contact),
            agent=dict(st.agent),
            machine_at_answer=machine_at_answer,
        )
        code = self.loaded.code
        if machine_at_answer:
            self.call_event("machine")
        try:
            while st.result is None:
                ins = code[st.address]
                if isinstance(ins, Enter):
                    self._enter(ins)
                elif isinstance(ins, Say):
                    text = self.render(ins.text)
                    barge = ins.barge_in and self.program.scenario.barge_in
                    if (yield from self._speak(text, barge, "say")):
                        st.address += 1
                elif isinstance(ins, Listen):
                    if (yield from self._listen(ins.timeout_ms / 1000)):
                        st.address += 1
                elif isinstance(ins, Dispatch):
                    yield from self._dispatch(ins)
                elif isinstance(ins, Count):
                    n = st.counters.get(ins.counter, 0) + 1
                    st.counters[ins.counter] = n
                    st.address = ins.below if n <= ins.limit else ins.exhausted
                elif isinstance(ins, Jump):
                    st.address = ins.target
                elif isinstance(ins, Capture):
                    self._capture(ins)
                elif isinstance(ins, Set):
                    value = self.render(ins.value)
                    st.variables[ins.var] = value
                    self.emit("set", var=ins.var, value=value)
                    st.address += 1
                elif isinstance(ins, Freestyle):
                    yield from self._freestyle(ins)
                elif isinstance(ins, AnswerObjection):
                    yield from self._answer_objection(ins)
                elif isinstance(ins, Play):
                    barge = ins.barge_in and self.program.scenario.barge_in
                    if (yield from self._play(ins.path, barge)):
                        st.address += 1
                elif isinstance(ins, Transfer):
                    yield from self._transfer(ins)
                elif isinstance(ins, OptOut):
                    st.opt_out = True
                    self.emit("opt_out")
                    st.address += 1
                elif isinstance(ins, End):
                    self.finish(ins.result)
                else:  # pragma: no cover - the Instruction union is closed
                    raise RuntimeFailure(f"unknown instruction {ins!r}")
        except RuntimeFailure as exc:
            self.fail(str(exc))
        except TemplateFailure as exc:
            self.fail(f"template error: {exc}")
        except Exception as exc:  # a VM bug must end this call, not the process
            self.fail(f"internal error: {type(exc).__name__}: {exc}")
        st.execution = ExecutionState.FINISHED
        assert st.result is not None
        self.emit("result", result=st.result.value, opt_out=st.opt_out, turns=st.turns)
        return st

    # ------------------------------------------------------------ instructions

    def _enter(self, ins: Enter) -> None:
        st = self.state
        st.step = ins.step
        for counter in self.loaded.step_counters.get(ins.step, ()):
            st.counters.pop(counter, None)
        self.emit("step_entered")
        st.address += 1

    def _speak(self, text: str, barge_in: bool, kind: str) -> Generator[Op, Any, bool]:
        """Say a line; False when a call event took over (the address is already set)."""
        st = self.state
        if st.hung_up:
            return True
        st.execution = ExecutionState.SPEAKING
        outcome: PlayOutcome = yield SpeakOp(text, barge_in)
        st.execution = ExecutionState.RUNNING
        st.history.append(Turn("robot", text))
        self.emit("said", text=text, kind=kind, outcome=outcome.value)
        if outcome is PlayOutcome.HANGUP:
            self.call_event("hangup")
            return False
        return True

    def _play(self, path: str, barge_in: bool) -> Generator[Op, Any, bool]:
        st = self.state
        if st.hung_up:
            return True
        st.execution = ExecutionState.SPEAKING
        outcome: PlayOutcome = yield PlayOp(path, barge_in)
        st.execution = ExecutionState.RUNNING
        self.emit("played", path=path, outcome=outcome.value)
        if outcome is PlayOutcome.HANGUP:
            self.call_event("hangup")
            return False
        return True

    def _listen(self, timeout_s: float) -> Generator[Op, Any, bool]:
        """One listening turn; False when a call event (or the turn cap) took over."""
        st = self.state
        if st.hung_up:
            self.finish(Result.HUNG_UP)
            return False
        if st.turns >= self.program.scenario.max_turns:
            self.call_event("max_turns")
            return False
        st.turns += 1
        st.execution = ExecutionState.LISTENING
        heard: Heard = yield ListenOp(timeout_s)
        st.execution = ExecutionState.RUNNING
        self.emit("heard", kind=heard.kind.value, text=heard.text, digit=heard.digit, turn=st.turns)
        if heard.kind is HeardKind.HANGUP:
            self.call_event("hangup")
            return False
        if heard.kind is HeardKind.MACHINE:
            self.call_event("machine")
            return False
        st.last_input = heard
        if heard.kind is HeardKind.UTTERANCE:
            st.history.append(Turn("prospect", heard.text))
        return True

    def _capture(self, ins: Capture) -> None:
        st = self.state
        heard = st.last_input
        if heard is None or heard.kind is HeardKind.SILENCE:
            value = ""
        elif heard.kind is HeardKind.DTMF:
            value = heard.digit
        else:
            value = heard.text
        if ins.choices and value:
            value = first_choice(value, ins.choices) or value
        st.variables[ins.var] = value
        self.emit("captured", var=ins.var, value=value)
        st.address += 1

    def _dispatch(self, ins: Dispatch) -> Generator[Op, Any, None]:
        st = self.state
        heard = st.last_input
        if heard is None:  # nothing heard yet in this call: listen first
            yield from self._listen(self.program.scenario.listen_timeout_ms / 1000)
            return  # back to this dispatch (or wherever a call event went)
        case: str
        target: int | None
        if heard.kind is HeardKind.SILENCE:
            case, target = ("silence", ins.silence)
            if target is None:
                case, target = ("otherwise", ins.otherwise)
        elif heard.kind is HeardKind.DTMF and heard.digit in ins.dtmf:
            case, target = (f"dtmf:{heard.digit}", ins.dtmf[heard.digit])
        else:
            utterance = heard.text if heard.kind is HeardKind.UTTERANCE else heard.digit
            case, target = yield from self._classify(ins, utterance)
        self.emit("routed", case=case, target=self.loaded.describe(target), address=st.address)
        st.last_input = None  # consumed
        if target is None:
            # no way to route this input: listen again (a turn, bounded by max_turns),
            # then come back to this dispatch
            yield from self._listen(self.program.scenario.listen_timeout_ms / 1000)
            return
        st.address = target

    def _classify(
        self, ins: Dispatch, utterance: str
    ) -> Generator[Op, Any, tuple[str, int | None]]:
        st = self.state
        st.execution = ExecutionState.THINKING
        intent: IntentResult = yield ClassifyOp(utterance)
        self.emit(
            "intent",
            intent=intent.intent,
            score=intent.score,
            runner_up=intent.runner_up,
            runner_up_score=intent.runner_up_score,
        )
        objection: ObjectionResult | None = None
        if ins.objection is not None:
            objection = yield MatchObjectionOp(utterance)
            self.emit(
                "objection",
                objection=objection.objection,
                pack=objection.pack,
                score=objection.score,
                response=objection.response,
                audio=objection.audio,
            )
        st.execution = ExecutionState.RUNNING
        handled = intent.intent is not None and intent.intent in ins.intents
        matched = objection is not None and objection.objection is not None
        if handled and (not matched or intent.score >= objection.score):  # type: ignore[union-attr]
            assert intent.intent is not None
            return intent.intent, ins.intents[intent.intent]
        if matched:
            st.objection = objection
            return "objection", ins.objection
        if ins.unclear is not None:
            return "unclear", ins.unclear
        return "otherwise", ins.otherwise

    def _freestyle(self, ins: Freestyle) -> Generator[Op, Any, None]:
        st = self.state
        heard = st.last_input
        utterance = heard.text if heard is not None and heard.kind is HeardKind.UTTERANCE else ""
        fallback = self.render(ins.fallback)
        request = FreestyleRequest(
            utterance=utterance,
            context=self.render(ins.context) if ins.context is not None else "",
            goal=self.render(ins.goal) if ins.goal is not None else "",
            history=tuple(st.history),
            variables=self.context(),
        )
        st.execution = ExecutionState.THINKING
        answer: FreestyleAnswer = yield FreestyleOp(request, fallback)
        st.execution = ExecutionState.RUNNING
        self.emit(
            "freestyle",
            prompt=answer.prompt,
            answer=answer.text,
            fallback=answer.fallback,
            reason=answer.reason,
        )
        barge = self.program.scenario.barge_in
        if (yield from self._speak(answer.text, barge, "freestyle")):
            st.address += 1

    def _answer_objection(self, ins: AnswerObjection) -> Generator[Op, Any, None]:
        st = self.state
        obj = st.objection
        barge = self.program.scenario.barge_in
        going_on = True
        if obj is not None and obj.audio:
            going_on = yield from self._play(obj.audio, barge)
        elif obj is not None and obj.response:
            text = self.loaded.templates.text(obj.response, self.context())
            going_on = yield from self._speak(text, barge, "objection")
        if going_on:
            st.address = ins.then

    def _transfer(self, ins: Transfer) -> Generator[Op, Any, None]:
        st = self.state
        destination = self.render(ins.destination)
        st.execution = ExecutionState.TRANSFERRING
        ok: bool = yield TransferOp(destination)
        st.execution = ExecutionState.RUNNING
        self.emit("transfer", destination=destination, ok=bool(ok))
        if not ok:
            raise RuntimeFailure(f"the transfer to {destination!r} failed")
        st.transferred_to = destination
        self.finish(Result.TRANSFERRED)


# ------------------------------------------------------------------ the asyncio driver


class Vm:
    """Runs calls of one program against telephony calls and builtins."""

    def __init__(
        self,
        program: Program | LoadedProgram,
        *,
        nlu: Nlu | None = None,
        llm: Llm | None = None,
        tts: Tts | None = None,
        source: str = "",
        prompts_dir: Path | None = None,
    ) -> None:
        self.loaded = (
            program if isinstance(program, LoadedProgram) else LoadedProgram(program, source)
        )
        self.program = self.loaded.program
        self.nlu = nlu
        self.llm = llm
        self.tts = tts
        # where a relative prompt path (`audio "mail.wav"`) is found: the switch plays
        # only absolute paths it can read (docs/freeswitch.md)
        self.prompts_dir = prompts_dir

    def new_state(self, call_id: str, contact: Mapping[str, object] | None = None) -> CallState:
        return CallState(
            call_id=call_id,
            address=self.program.entry,
            contact={str(k): str(v) for k, v in (contact or {}).items()},
            agent=dict(self.loaded.agent),
        )

    async def run_call(
        self,
        call: Call,
        *,
        contact: Mapping[str, object] | None = None,
        sink: EventSink | None = None,
        call_id: str | None = None,
        machine_at_answer: bool = False,
    ) -> CallState:
        """Run one call to its end; never raises for a runtime error (TECHNICAL_ERROR)."""
        state = self.new_state(call_id or call.call_id or uuid.uuid4().hex, contact)
        started = time.monotonic()

        def emit(event: Event) -> None:
            if sink is not None:
                event["at"] = round(time.monotonic() - started, 3)
                sink.emit(event)

        machine = Machine(self.loaded, state, emit)
        gen = machine.run(machine_at_answer=machine_at_answer)
        value: Any = None
        failure: RuntimeFailure | None = None
        while True:
            try:
                op = gen.send(value) if failure is None else gen.throw(failure)
            except StopIteration:
                break
            failure = None
            try:
                value = await self.perform(op, call)
            except asyncio.CancelledError:
                gen.close()
                raise
            except Exception as exc:
                value = None
                failure = RuntimeFailure(_describe_failure(op, exc))
        if not state.hung_up and state.transferred_to is None:
            with contextlib.suppress(Exception):  # the line may already be gone
                await call.hangup()
        return state

    async def perform(self, op: Op, call: Call) -> Any:
        """Carry out one operation of the machine."""
        if isinstance(op, ListenOp):
            return await call.listen(op.timeout_s)
        if isinstance(op, SpeakOp):
            audio = await self.tts.synthesize(op.text) if self.tts is not None else None
            return await call.say(op.text, audio, barge_in=op.barge_in)
        if isinstance(op, ClassifyOp):
            if self.nlu is None:
                return IntentResult(intent=None, score=0.0)
            return await self.nlu.classify(op.utterance)
        if isinstance(op, MatchObjectionOp):
            if self.nlu is None:
                return ObjectionResult(objection=None)
            return await self.nlu.match_objection(op.utterance)
        if isinstance(op, FreestyleOp):
            if self.llm is None:
                return FreestyleAnswer(text=op.fallback, fallback=True, reason="no llm")
            return await self.llm.freestyle(op.request, op.fallback)
        if isinstance(op, PlayOp):
            path = op.path
            if self.prompts_dir is not None and "://" not in path and not Path(path).is_absolute():
                path = str(self.prompts_dir / path)
            return await call.play(path, barge_in=op.barge_in)
        if isinstance(op, TransferOp):
            return await call.transfer(op.destination)
        raise RuntimeFailure(f"unknown operation {op!r}")  # pragma: no cover


# What each operation is called in "X failed: ..." messages; replay parses them back.
FAILED_OPERATION: dict[type[Op], str] = {
    ListenOp: "listening",
    SpeakOp: "speaking",
    PlayOp: "playing",
    ClassifyOp: "the nlu builtin (classify)",
    MatchObjectionOp: "the nlu builtin (objections)",
    FreestyleOp: "the llm builtin",
    TransferOp: "the transfer",
}


def _describe_failure(op: Op, exc: Exception) -> str:
    detail = str(exc) or type(exc).__name__
    return f"{FAILED_OPERATION[type(op)]} failed: {detail}"
