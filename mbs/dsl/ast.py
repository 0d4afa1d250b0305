"""The syntax tree of an ``.mbs`` file: frozen dataclasses, each with a source span.

The tree says what was written, not whether it makes sense: names are not resolved
and values are not validated here (the compiler's check passes do that, with spans to
point at).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: 1-based lines and columns, end exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, file: str, line: int = 1, col: int = 1) -> Span:
        return cls(file, line, col, line, col + 1)


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


@dataclass(frozen=True, slots=True)
class Ident(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Str(Node):
    """A string literal: ``value`` decoded, ``raw`` the text between the quotes."""

    value: str
    raw: str


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: float
    text: str

    @property
    def is_int(self) -> bool:
        return "." not in self.text


@dataclass(frozen=True, slots=True)
class Duration(Node):
    ms: int
    text: str


# --------------------------------------------------------------------------- header


@dataclass(frozen=True, slots=True)
class HeaderItem(Node):
    """One header line: ``key`` and its values as written (validated by the checks)."""

    key: str
    values: tuple[Ident | Str | Number | Duration, ...]


@dataclass(frozen=True, slots=True)
class ScenarioDecl(Node):
    name: Ident
    title: Str | None
    items: tuple[HeaderItem, ...]


# --------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Use(Node):
    module: Ident  # the dotted name, e.g. "intents.common"


@dataclass(frozen=True, slots=True)
class Import(Node):
    path: Str


@dataclass(frozen=True, slots=True)
class IntentDecl(Node):
    name: Ident
    examples: tuple[Str, ...]
    keywords: tuple[Str, ...]


@dataclass(frozen=True, slots=True)
class ObjectionEntry(Node):
    text: Str
    variants: tuple[Str, ...]
    response: Str | None
    audio: Str | None
    more: tuple[Str, ...] = ()  # other responses, rotated from call to call


@dataclass(frozen=True, slots=True)
class ObjectionsDecl(Node):
    name: Ident
    entries: tuple[ObjectionEntry, ...]


@dataclass(frozen=True, slots=True)
class Trait(Node):
    key: str  # tone | style | example
    value: Str


@dataclass(frozen=True, slots=True)
class PersonalityDecl(Node):
    name: Ident
    extends: Ident | None
    traits: tuple[Trait, ...]


@dataclass(frozen=True, slots=True)
class ObjectiveDecl(Node):
    name: Ident
    guidance: tuple[Str, ...]
    reach: tuple[Ident, ...]


@dataclass(frozen=True, slots=True)
class AmdDecl(Node):
    machine: tuple[Str, ...]
    human: tuple[Str, ...]


# ------------------------------------------------------------------------ transitions


@dataclass(frozen=True, slots=True)
class Case(Node):
    """What a transition reacts to: ``kind`` is "name" (an intent, or one of the
    reserved cases objection/silence/unclear/machine/hangup/max_turns), "dtmf" or
    "otherwise"."""

    kind: str
    name: Ident | None = None
    digit: Str | None = None

    @property
    def label(self) -> str:
        if self.kind == "dtmf" and self.digit is not None:
            return f'dtmf "{self.digit.value}"'
        if self.name is not None:
            return self.name.name
        return self.kind


@dataclass(frozen=True, slots=True)
class Goto(Node):
    step: Ident


@dataclass(frozen=True, slots=True)
class EndTarget(Node):
    result: Ident


@dataclass(frozen=True, slots=True)
class Retry(Node):
    count: Number
    line: Str | None
    then: Ident


@dataclass(frozen=True, slots=True)
class Answer(Node):
    what: Ident  # must be "objection"
    then: Ident


Target = Goto | EndTarget | Retry | Answer


@dataclass(frozen=True, slots=True)
class Transition(Node):
    case: Case
    target: Target


@dataclass(frozen=True, slots=True)
class AlwaysDecl(Node):
    transitions: tuple[Transition, ...]


# ---------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class Say(Node):
    text: Str
    uninterruptible: bool = False


@dataclass(frozen=True, slots=True)
class Play(Node):
    path: Str
    uninterruptible: bool = False


@dataclass(frozen=True, slots=True)
class Ask(Node):
    text: Str
    timeout: Duration | None = None
    uninterruptible: bool = False


@dataclass(frozen=True, slots=True)
class Listen(Node):
    timeout: Duration | None = None


@dataclass(frozen=True, slots=True)
class Freestyle(Node):
    max: Number | None = None
    context: Str | None = None
    goal: Str | None = None
    fallback: Str | None = None


@dataclass(frozen=True, slots=True)
class Capture(Node):
    var: Ident
    choices: tuple[Str, ...] | None = None
    kind: Ident | None = None  # `as when`: a typed capture


@dataclass(frozen=True, slots=True)
class Confirm(Node):
    """``confirm VAR "read-back line"``: say the line, listen; a correction of VAR
    replaces it and the line is read back again, anything else goes to the step's
    transitions."""

    var: Ident
    text: Str
    timeout: Duration | None = None
    uninterruptible: bool = False


@dataclass(frozen=True, slots=True)
class SetVar(Node):
    var: Ident
    value: Str


@dataclass(frozen=True, slots=True)
class TransferTo(Node):
    destination: Str


@dataclass(frozen=True, slots=True)
class OptOut(Node):
    pass


@dataclass(frozen=True, slots=True)
class EndCall(Node):
    result: Ident


Action = (
    Say
    | Play
    | Ask
    | Listen
    | Freestyle
    | Capture
    | SetVar
    | TransferTo
    | OptOut
    | EndCall
    | Confirm
)
LISTENING_ACTIONS = (Ask, Listen, Freestyle, Confirm)


@dataclass(frozen=True, slots=True)
class StepDecl(Node):
    name: Ident
    actions: tuple[Action, ...]
    transitions: tuple[Transition, ...]

    @property
    def listens(self) -> bool:
        """True when the step waits for the prospect (explicitly or for its ``on``s)."""
        return any(isinstance(a, LISTENING_ACTIONS) for a in self.actions) or any(
            t.case.kind != "otherwise" or isinstance(t.target, Retry | Answer)
            for t in self.transitions
        )


Decl = (
    ScenarioDecl
    | Use
    | Import
    | IntentDecl
    | ObjectionsDecl
    | PersonalityDecl
    | ObjectiveDecl
    | AmdDecl
    | AlwaysDecl
    | StepDecl
)


@dataclass(frozen=True, slots=True)
class Module(Node):
    """One parsed file, declarations in source order."""

    decls: tuple[Decl, ...] = field(default=())

    def of(self, kind: type) -> list[Decl]:
        return [d for d in self.decls if isinstance(d, kind)]
