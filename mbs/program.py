"""The compiled program ("bytecode"): the contract between the compiler and the runtime.

The compiler writes a :class:`Program`; the runtime reads one and never looks at the
AST. A program is plain data (pydantic), serialised as JSON (``.mbsc``), versioned by
:data:`FORMAT_VERSION` and content-hashed. Jump targets are integer addresses into
``Program.code``.

Instruction semantics (the VM is the reference implementation, ``docs/program.md`` the
prose):

``enter``            a step begins: record it, reset that step's counters.
``say``              speak ``consts[text]`` (a jinja2 template).
``play``             play an audio file.
``listen``           wait for the prospect: an utterance, silence after ``timeout_ms``,
                     a DTMF digit, or a call event. Counts one turn against ``max_turns``.
``capture``          store (part of) the last utterance in a variable.
``set``              store a rendered template in a variable.
``freestyle``        ask the LLM for a short answer to the last utterance and speak it.
``confirm``          after a read-back: a correction of the variable replaces it and goes
                     back to the read-back; anything else falls through to the dispatch.
``dispatch``         route the last input to an address (see :class:`Dispatch`).
``count``            bump a per-visit counter: go to ``below`` while it is <= ``limit``,
                     else to ``exhausted`` (retries, freestyle turn limits).
``jump``             go to ``target``.
``answer_objection`` speak the response of the objection matched by the last dispatch,
                     then go to ``then``.
``transfer``         bridge the call to a human; ends the robot's part (TRANSFERRED).
``opt_out``          record that the prospect must never be called again.
``end``              hang up with a result code.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mbs.errors import InputError
from mbs.files import PROGRAM_LIMIT, UnreadableFile, read_file

FORMAT_VERSION = 3  # 2: confirm, typed captures, ...; 3: objections' borrowed phrasings


class ProgramError(InputError):
    """A program file that cannot be loaded (bad JSON, wrong shape, newer format)."""


class Result(StrEnum):
    """How a conversation ended: the ``end RESULT`` codes of the language."""

    APPOINTMENT_SCHEDULED = "APPOINTMENT_SCHEDULED"
    QUALIFIED = "QUALIFIED"
    NOT_QUALIFIED = "NOT_QUALIFIED"
    NOT_INTERESTED = "NOT_INTERESTED"
    CALLBACK_REQUESTED = "CALLBACK_REQUESTED"
    TRANSFERRED = "TRANSFERRED"
    ANSWERING_MACHINE = "ANSWERING_MACHINE"
    HUNG_UP = "HUNG_UP"
    TECHNICAL_ERROR = "TECHNICAL_ERROR"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceLocation(_Model):
    """Where an instruction came from: 1-based line and column, inclusive start."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


# --------------------------------------------------------------------------- content


class Intent(_Model):
    name: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    module: str = ""  # where it was declared: "intents.common", or the scenario file


class Objection(_Model):
    text: str  # the objection exactly as written in its pack
    variants: tuple[str, ...] = ()  # other phrasings of the same objection
    response: str | None = None  # spoken response (a template), or
    audio: str | None = None  # a recorded response
    alternatives: tuple[str, ...] = ()  # other responses: each call picks one of all
    # phrasings of the library objection that says the same thing, matched as this
    # one's when its pack gives fewer than three (mbs.compiler.borrow)
    borrowed: tuple[str, ...] = ()
    borrowed_from: str | None = None  # "objections.standard: C'est trop cher"


class ObjectionPack(_Model):
    name: str  # "objections.finance", or a pack declared in the scenario
    objections: tuple[Objection, ...]


class Personality(_Model):
    """A personality with ``extends`` already resolved."""

    name: str
    tone: str = ""
    style: str = ""
    example: str = ""


class Objective(_Model):
    name: str  # appointment | lead | transfer
    guidance: str  # what a freestyle prompt is told to aim for
    results: tuple[Result, ...]  # results a scenario of this objective must be able to reach


class Agent(_Model):
    name: str
    company: str
    gender: Literal["f", "m", ""] = ""  # grammatical gender of the agent's lines


class AmdPhrases(_Model):
    machine: tuple[str, ...] = ()
    human: tuple[str, ...] = ()


class Thresholds(_Model):
    """NLU acceptance thresholds in [0, 1]; ``None`` means the builtin's default."""

    intent: float | None = None
    objection: float | None = None
    # Below ``intent`` but at least this: a likely stop request is confirmed by asking.
    confirm: float | None = None


# Facts about the calling company a scenario may state in its header (``company KEY``).
COMPANY_FACTS = ("legal_name", "registration", "data_source", "callback_number")


class Scenario(_Model):
    name: str
    title: str
    language: str = "fr-FR"
    objective: str | None = None
    theme: str | None = None
    personality: str | None = None
    agent: Agent | None = None
    voice: str | None = None
    max_turns: int = 30
    record: bool = True
    barge_in: bool = True
    listen_timeout_ms: int = 6000
    thresholds: Thresholds = Thresholds()
    # Facts about the caller's company the scenario provides (legal_name,
    # registration, data_source, callback_number): template fields ``company.*``.
    company: dict[str, str] = {}
    # Why this scenario does not disclose automation up front (None: it does).
    disclosure_waived: str | None = None


# ---------------------------------------------------------------------- instructions


class Enter(_Model):
    op: Literal["enter"] = "enter"
    step: str


class Say(_Model):
    op: Literal["say"] = "say"
    text: int  # index into Program.consts
    barge_in: bool = True


class Play(_Model):
    op: Literal["play"] = "play"
    path: str
    barge_in: bool = True


class Listen(_Model):
    op: Literal["listen"] = "listen"
    timeout_ms: int


class Capture(_Model):
    op: Literal["capture"] = "capture"
    var: str
    choices: tuple[str, ...] | None = None  # None: the whole utterance
    kind: Literal["when"] | None = None  # a typed capture: a day and time (mbs.nlu.when)


class Confirm(_Model):
    op: Literal["confirm"] = "confirm"
    var: str  # a typed capture's variable
    again: int  # the read-back: where a correction goes


class Set(_Model):
    op: Literal["set"] = "set"
    var: str
    value: int  # index into Program.consts


class Freestyle(_Model):
    op: Literal["freestyle"] = "freestyle"
    context: int | None = None  # consts index
    goal: int | None = None  # consts index
    fallback: int  # consts index: said when the LLM is slow, down or off-topic
    # consts index: said instead of the fallback when the fallback was the last line
    # said (a fallback is never said twice in a row)
    again: int | None = None


class Dispatch(_Model):
    """Route the last input.

    The compiler has already merged the ``always`` handlers into every dispatch (a
    step's own handler for the same case wins). At run time: silence goes to
    ``silence``, else ``otherwise``; a DTMF digit to ``dtmf[digit]``, else it is treated
    as an utterance; an utterance is classified over every intent of the program and
    matched against the objections in scope: a recognised intent with an entry in
    ``intents`` goes there, a matched objection goes to ``objection`` (when both
    match, the higher score wins, ties to the intent), anything else to ``unclear``,
    else ``otherwise``. With no target at all, the VM listens again (a turn, bounded
    by ``max_turns``).
    """

    op: Literal["dispatch"] = "dispatch"
    intents: dict[str, int] = {}
    dtmf: dict[str, int] = {}
    objection: int | None = None
    silence: int | None = None
    unclear: int | None = None
    otherwise: int | None = None
    # A typed capture of this step understood the answer (wins over plain intents).
    captured: int | None = None
    # Safe defaults: where a yes to the robot's offer to remove the number goes, where
    # a likely (unsure) stop request is confirmed, where an objection heard a second
    # time in the call goes.
    opt_out: int | None = None
    confirm_opt_out: int | None = None
    objection_again: int | None = None
    # The intent cases the compiler filled in with a safe default (not written in the
    # scenario): tools show and count them apart; "*": the whole dispatch is one.
    defaults: tuple[str, ...] = ()


class Count(_Model):
    op: Literal["count"] = "count"
    counter: str  # unique per program, e.g. "intro/silence"
    limit: int
    below: int
    exhausted: int


class Jump(_Model):
    op: Literal["jump"] = "jump"
    target: int


class AnswerObjection(_Model):
    op: Literal["answer_objection"] = "answer_objection"
    then: int


class Transfer(_Model):
    op: Literal["transfer"] = "transfer"
    destination: int  # consts index (a template: may use contact or captured fields)


class OptOut(_Model):
    op: Literal["opt_out"] = "opt_out"


class End(_Model):
    op: Literal["end"] = "end"
    result: Result


Instruction = Annotated[
    Enter
    | Say
    | Play
    | Listen
    | Capture
    | Set
    | Freestyle
    | Confirm
    | Dispatch
    | Count
    | Jump
    | AnswerObjection
    | Transfer
    | OptOut
    | End,
    Field(discriminator="op"),
]


class Handlers(_Model):
    """Call-level events, from ``always``: the address to run, or None for the default.

    Defaults: ``machine`` ends with ANSWERING_MACHINE, ``hangup`` with HUNG_UP,
    ``max_turns`` with NOT_QUALIFIED.
    """

    machine: int | None = None
    hangup: int | None = None
    max_turns: int | None = None


# --------------------------------------------------------------------------- program


class Program(_Model):
    format_version: int = FORMAT_VERSION
    compiler_version: str
    source_hash: str  # sha256 of the entry file and everything it imports
    scenario: Scenario
    consts: tuple[str, ...]  # jinja2 template sources, referenced by index
    intents: tuple[Intent, ...]
    objection_packs: tuple[ObjectionPack, ...]
    personalities: tuple[Personality, ...]
    objective: Objective | None = None
    amd: AmdPhrases = AmdPhrases()
    code: tuple[Instruction, ...]
    steps: dict[str, int]  # step name -> address of its ``enter``
    entry: int  # address of the start step
    handlers: Handlers = Handlers()
    # The ``always`` handlers as written (already merged into every dispatch); kept so
    # tools such as ``mbs graph`` can show them once instead of on every step.
    always: Dispatch | None = None
    debug: dict[int, SourceLocation] = {}  # address -> source

    # ------------------------------------------------------------------ helpers

    @property
    def program_hash(self) -> str:
        """Hash of the program's own content, stable across serialisations."""
        return hashlib.sha256(self.to_json(indent=None).encode()).hexdigest()

    def personality(self) -> Personality | None:
        wanted = self.scenario.personality
        return next((p for p in self.personalities if p.name == wanted), None)

    def step_at(self, address: int) -> str | None:
        """The step an address belongs to (the closest ``enter`` at or before it)."""
        best: tuple[int, str] | None = None
        for name, start in self.steps.items():
            if start <= address and (best is None or start > best[0]):
                best = (start, name)
        return best[1] if best else None

    def to_json(self, indent: int | None = 1) -> str:
        return self.model_dump_json(indent=indent)

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_json(cls, text: str | bytes) -> Program:
        try:
            raw = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProgramError(f"not a compiled mbs program (invalid JSON: {exc})") from None
        except RecursionError:
            raise ProgramError("not a compiled mbs program (JSON nested too deeply)") from None
        if not isinstance(raw, dict):
            raise ProgramError("not a compiled mbs program (expected a JSON object)")
        version = raw.get("format_version")
        if not isinstance(version, int):
            raise ProgramError("not a compiled mbs program (no format_version)")
        if version > FORMAT_VERSION:
            raise ProgramError(
                f"this program uses format version {version}, but this mbs reads up to "
                f"version {FORMAT_VERSION}: upgrade mbs or recompile the scenario"
            )
        try:
            program = cls.model_validate(raw)
        except ValidationError as exc:
            raise ProgramError(f"invalid compiled program: {exc}") from None
        except RecursionError:
            raise ProgramError("invalid compiled program (nested too deeply)") from None
        program.check_addresses()
        program.check_flow()
        return program

    @classmethod
    def load(cls, path: str | Path) -> Program:
        try:
            data = read_file(path, limit=PROGRAM_LIMIT, what="the program")
        except UnreadableFile as exc:
            raise ProgramError(str(exc)) from None
        return cls.from_json(data)

    def check_addresses(self) -> None:
        """Refuse a program whose jumps or constants point outside it."""
        n, nconst = len(self.code), len(self.consts)

        def addr(a: int | None) -> None:
            if a is not None and not 0 <= a < n:
                raise ProgramError(f"invalid compiled program: address {a} out of range")

        def const(c: int | None) -> None:
            if c is not None and not 0 <= c < nconst:
                raise ProgramError(f"invalid compiled program: constant {c} out of range")

        addr(self.entry)
        for a in self.steps.values():
            addr(a)
        addr(self.handlers.machine)
        addr(self.handlers.hangup)
        addr(self.handlers.max_turns)
        for ins in self.code:
            match ins:
                case Say(text=c) | Set(value=c) | Transfer(destination=c):
                    const(c)
                case Freestyle():
                    const(ins.again)
                    const(ins.context)
                    const(ins.goal)
                    const(ins.fallback)
                case Dispatch():
                    targets: list[int | None] = [*ins.intents.values(), *ins.dtmf.values()]
                    targets += [ins.objection, ins.silence, ins.unclear, ins.otherwise]
                    targets += [ins.captured, ins.opt_out, ins.confirm_opt_out]
                    targets.append(ins.objection_again)
                    for target in targets:
                        addr(target)
                case Count():
                    addr(ins.below)
                    addr(ins.exhausted)
                case Jump(target=a) | AnswerObjection(then=a) | Confirm(again=a):
                    addr(a)

    def check_flow(self) -> None:
        """Refuse a program that can run forever without waiting for the prospect.

        The compiler's rule, checked again on what is loaded (a ``.mbsc`` can be edited):
        every cycle of the code passes a ``listen`` (or a ``dispatch``, which listens
        first; turns are capped by ``max_turns``) or the ``below`` branch of a counter
        that no ``enter`` on the cycle resets. Nor may an instruction fall off the end.
        """
        n = len(self.code)
        succ = [_successors(ins, address) for address, ins in enumerate(self.code)]
        for address, targets in enumerate(succ):
            if n in targets:
                raise ProgramError(
                    f"invalid compiled program: instruction {address} runs past the end"
                )
        owners = sorted((start, name) for name, start in self.steps.items())
        starts = [start for start, _ in owners]
        resets: dict[int, set[str]] = {}  # count address -> steps whose enter resets it
        for address, ins in enumerate(self.code):
            if isinstance(ins, Count):
                at = bisect.bisect_right(starts, address) - 1
                steps = {owners[at][1]} if at >= 0 else set()
                steps.add(ins.counter.split("/", 1)[0])
                resets[address] = steps
        enters: dict[str, set[int]] = {}
        for address, ins in enumerate(self.code):
            if isinstance(ins, Enter):
                enters.setdefault(ins.step, set()).add(address)
        resetting = {  # count address -> addresses of the enters that reset it
            a: set().union(*(enters.get(step, set()) for step in steps))
            for a, steps in resets.items()
        }
        removed: set[tuple[int, int]] = set()
        while True:
            edges = [
                [b for b in targets if (a, b) not in removed] for a, targets in enumerate(succ)
            ]
            cycles = [c for c in _components(edges) if len(c) > 1 or c[0] in edges[c[0]]]
            if not cycles:
                return
            progress = False
            for component in cycles:
                inside = set(component)
                entered = {ins.step for a in component if isinstance(ins := self.code[a], Enter)}
                for a in component:
                    ins = self.code[a]
                    if not isinstance(ins, Count):
                        continue
                    below = (a, ins.below)
                    if ins.below in inside and below not in removed and not resets[a] & entered:
                        # never reset inside this loop: the counter bounds its `below` side
                        removed.add(below)
                        progress = True
                    exhausted = (a, ins.exhausted)
                    if (
                        ins.limit >= 1
                        and ins.exhausted in inside
                        and exhausted not in removed
                        and (ins.below not in inside or below in removed)
                        and not _reaches(edges, ins.exhausted, a, inside, resetting[a])
                    ):
                        # every way back to the counter resets it, so the next pass goes
                        # `below`, which this loop takes a bounded number of times
                        removed.add(exhausted)
                        progress = True
            if not progress:
                where = min(cycles[0])
                step = self.step_at(where) or "?"
                raise ProgramError(
                    f"invalid compiled program: a loop at instruction {where} (step {step}) "
                    "never listens and no counter bounds it"
                )


def _reaches(
    edges: list[list[int]], start: int, goal: int, inside: set[int], avoid: set[int]
) -> bool:
    """Whether ``goal`` is reachable from ``start`` within ``inside`` avoiding ``avoid``."""
    seen = {start}
    todo = [start] if start not in avoid else []
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in edges[node]:
            if nxt in inside and nxt not in avoid and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _successors(ins: Instruction, address: int) -> list[int]:
    """Where control can go from ``ins`` without hearing the prospect first."""
    match ins:
        case Listen() | Dispatch() | End() | Transfer():
            return []  # a listen (dispatch listens first) ends the run of instructions
        case Jump(target=t) | AnswerObjection(then=t):
            return [t]
        case Count():
            return [ins.below, ins.exhausted]
        case Confirm():
            return [address + 1, ins.again]
        case _:
            return [address + 1]


def _components(edges: list[list[int]]) -> list[list[int]]:
    """Strongly connected components (Tarjan's algorithm, iterative: programs can be
    long and recursion limits are for the hostile)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(len(edges)):
        if root in index:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if i < len(targets):
                work.append((node, i + 1))
                nxt = targets[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
