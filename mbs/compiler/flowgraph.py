"""The step graph of a compiled program: which step leads to which, and how.

Built from the ``Program`` alone (not the AST), so ``mbs graph`` and ``mbs inspect``
draw exactly what the runtime will execute. A transition's target address is followed
through the little instruction chains the compiler emits for it (a retry counter, an
objection answer, an inline ``end``) until it reaches a step or a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mbs.program import (
    AnswerObjection,
    Count,
    Dispatch,
    End,
    Enter,
    Jump,
    Program,
    Transfer,
)


class EdgeKind(StrEnum):
    INTENT = "intent"
    DTMF = "dtmf"
    OBJECTION = "objection"
    SILENCE = "silence"
    UNCLEAR = "unclear"
    OTHERWISE = "otherwise"
    RETRY = "retry"  # the "then" of an exhausted retry
    NEXT = "next"  # a step that flows on without listening
    EVENT = "event"  # machine / hangup / max_turns


@dataclass(frozen=True)
class Edge:
    source: str  # step name, or "always"
    target: str  # step name, or a terminal node id "end:RESULT" / "transfer"
    kind: EdgeKind
    label: str


@dataclass
class StepNode:
    name: str
    address: int
    listens: bool = False
    results: set[str] = field(default_factory=set)  # results ended with inside the step
    transfers: bool = False
    reachable: bool = False


@dataclass
class FlowGraph:
    steps: dict[str, StepNode]
    edges: list[Edge]
    always: list[Edge]
    entry: str | None

    def terminals(self) -> set[str]:
        return {e.target for e in (*self.edges, *self.always) if ":" in e.target}


def _resolve(program: Program, address: int) -> list[tuple[str, str]]:
    """Follow the instructions at ``address`` to what the transition reaches.

    Returns at most one ``(via, target)`` pair (none when the chain loops or runs off
    the code): ``via`` is "" for a direct edge, "retry N" when a retry counter stands
    in between (its exhausted branch), "answer" when an objection response is spoken
    first.
    """
    out: list[tuple[str, str]] = []
    address_seen: set[int] = set()
    via = ""
    while 0 <= address < len(program.code) and address not in address_seen:
        address_seen.add(address)
        ins = program.code[address]
        if isinstance(ins, Enter):
            out.append((via, ins.step))
            return out
        if isinstance(ins, End):
            out.append((via, f"end:{ins.result.value}"))
            return out
        if isinstance(ins, Transfer):
            out.append((via, "end:TRANSFERRED"))
            return out
        if isinstance(ins, Count):
            via = f"retry {ins.limit}"
            address = ins.exhausted
            continue
        if isinstance(ins, AnswerObjection):
            via = via or "answer"
            address = ins.then
            continue
        if isinstance(ins, Jump):
            address = ins.target
            continue
        address += 1
    return out


def _dispatch_edges(program: Program, source: str, dispatch: Dispatch) -> list[Edge]:
    edges: list[Edge] = []

    def add(kind: EdgeKind, label: str, address: int | None) -> None:
        if address is None:
            return
        for via, target in _resolve(program, address):
            if via.startswith("retry"):
                edges.append(Edge(source, target, EdgeKind.RETRY, f"{label} ({via})"))
            else:
                edges.append(Edge(source, target, kind, label))

    for intent, address in dispatch.intents.items():
        if intent not in dispatch.defaults:  # safe defaults are not drawn on every step
            add(EdgeKind.INTENT, intent, address)
    for digit, address in dispatch.dtmf.items():
        add(EdgeKind.DTMF, f"dtmf {digit}", address)
    add(EdgeKind.OBJECTION, "objection", dispatch.objection)
    add(EdgeKind.SILENCE, "silence", dispatch.silence)
    add(EdgeKind.UNCLEAR, "unclear", dispatch.unclear)
    add(EdgeKind.OTHERWISE, "otherwise", dispatch.otherwise)
    add(EdgeKind.INTENT, "captured", dispatch.captured)
    return edges


def _case(label: str) -> str:
    return label.split(" (", 1)[0]


def build(program: Program) -> FlowGraph:
    order = sorted(program.steps.items(), key=lambda kv: kv[1])
    steps = {name: StepNode(name, address) for name, address in order}
    bounds = [
        (name, start, order[i + 1][1] if i + 1 < len(order) else len(program.code))
        for i, (name, start) in enumerate(order)
    ]

    always_edges = _dispatch_edges(program, "always", program.always) if program.always else []
    for event, address in (
        ("machine", program.handlers.machine),
        ("hangup", program.handlers.hangup),
        ("max_turns", program.handlers.max_turns),
    ):
        if address is not None:
            always_edges += [
                Edge("always", t, EdgeKind.EVENT, event) for _, t in _resolve(program, address)
            ]
    # A step edge that repeats an ``always`` handler (same case, same destination) is
    # drawn once, on the "always" node; retries of an ``always`` handler are lowered
    # into each step, so compare the case without its "(retry N)".
    global_keys = {(_case(e.label), e.target) for e in always_edges}

    edges: list[Edge] = []
    for name, start, stop in bounds:
        node = steps[name]
        step_edges: list[Edge] = []
        jumps: list[Edge] = []
        for address in range(start, stop):
            ins = program.code[address]
            if isinstance(ins, Dispatch):
                node.listens = True
                step_edges += _dispatch_edges(program, name, ins)
            elif isinstance(ins, End):
                node.results.add(ins.result.value)
            elif isinstance(ins, Transfer):
                node.transfers = True
            elif isinstance(ins, Jump) and not (start <= ins.target < stop):
                jumps += [
                    Edge(name, t, EdgeKind.NEXT, "") for _, t in _resolve(program, ins.target)
                ]
        if not node.listens:  # a listening step leaves only through its dispatch
            step_edges += jumps
        # A step that falls through into the next step's ``enter`` flows on.
        if not node.listens and stop < len(program.code) and isinstance(program.code[stop], Enter):
            last = program.code[stop - 1] if stop > start else None
            if not isinstance(last, End | Jump | Transfer | Dispatch | Count):
                step_edges.append(Edge(name, program.code[stop].step, EdgeKind.NEXT, ""))  # type: ignore[union-attr]
        seen: set[tuple[str, str, str]] = set()
        for e in step_edges:
            key = (e.kind, e.label, e.target)
            if (_case(e.label), e.target) in global_keys and e.kind is not EdgeKind.NEXT:
                continue  # drawn once, on the "always" node
            if key not in seen:
                seen.add(key)
                edges.append(e)

    entry = next((n for n, a in program.steps.items() if a == program.entry), None)
    # Reachability: from the entry and from the global handlers.
    frontier = [entry] if entry else []
    frontier += [e.target for e in always_edges if e.target in steps]
    successors: dict[str, list[str]] = {}
    for e in edges:
        successors.setdefault(e.source, []).append(e.target)
    while frontier:
        name = frontier.pop()
        if name is None or name not in steps or steps[name].reachable:
            continue
        steps[name].reachable = True
        frontier += successors.get(name, [])
    return FlowGraph(steps=steps, edges=edges, always=always_edges, entry=entry)
