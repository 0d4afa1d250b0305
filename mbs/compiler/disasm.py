"""A readable disassembly of a program (``mbs inspect``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mbs.program import (
    AnswerObjection,
    Capture,
    Confirm,
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
    Say,
    Set,
    Transfer,
)

_TEXT_WIDTH = 48


@dataclass(frozen=True)
class Row:
    address: int
    step: str
    op: str
    operands: str
    source: str  # "file:line:col", or ""


def _quote(text: str, width: int = _TEXT_WIDTH) -> str:
    text = text.replace("\n", "\\n")
    return '"' + (text if len(text) <= width else text[: width - 1] + "…") + '"'


def _target(program: Program, address: int | None) -> str:
    if address is None:
        return "-"
    ins = program.code[address] if 0 <= address < len(program.code) else None
    if isinstance(ins, Enter):
        return f"@{address}({ins.step})"
    return f"@{address}"


def operands(program: Program, ins: Instruction) -> str:
    const = program.consts
    match ins:
        case Enter(step=step):
            return step
        case Say(text=c, barge_in=b):
            return _quote(const[c]) + ("" if b else " uninterruptible")
        case Play(path=path, barge_in=b):
            return _quote(path) + ("" if b else " uninterruptible")
        case Listen(timeout_ms=ms):
            return f"timeout={ms}ms"
        case Capture(var=var, choices=choices, kind=kind):
            return (
                var
                + (f" from {list(choices)}" if choices else "")
                + (f" as {kind}" if kind else "")
            )
        case Confirm(var=var, again=again):
            return f"{var} corrected -> {_target(program, again)}"
        case Set(var=var, value=c):
            return f"{var} = {_quote(const[c])}"
        case Freestyle(context=ctx, goal=goal, fallback=fb):
            parts = []
            if ctx is not None:
                parts.append(f"context={_quote(const[ctx], 24)}")
            if goal is not None:
                parts.append(f"goal={_quote(const[goal], 24)}")
            parts.append(f"fallback={_quote(const[fb], 24)}")
            return " ".join(parts)
        case Dispatch():
            cases = [f"{k}->{_target(program, a)}" for k, a in ins.intents.items()]
            cases += [f"dtmf {k}->{_target(program, a)}" for k, a in ins.dtmf.items()]
            for label, a in (
                ("objection", ins.objection),
                ("silence", ins.silence),
                ("unclear", ins.unclear),
                ("otherwise", ins.otherwise),
                ("captured", ins.captured),
                ("opt_out", ins.opt_out),
                ("confirm_opt_out", ins.confirm_opt_out),
                ("objection_again", ins.objection_again),
            ):
                if a is not None:
                    cases.append(f"{label}->{_target(program, a)}")
            return ", ".join(cases) or "(listen again)"
        case Count(counter=c, limit=n, below=b, exhausted=e):
            return f"{c} <= {n} ? {_target(program, b)} : {_target(program, e)}"
        case Jump(target=t):
            return _target(program, t)
        case AnswerObjection(then=t):
            return f"then {_target(program, t)}"
        case Transfer(destination=c):
            return _quote(const[c])
        case OptOut():
            return ""
        case End(result=r):
            return r.value
    return ""  # pragma: no cover - every op is matched above


def rows(program: Program) -> Iterator[Row]:
    for address, ins in enumerate(program.code):
        loc = program.debug.get(address)
        source = f"{loc.file}:{loc.line}:{loc.column}" if loc else ""
        yield Row(address, program.step_at(address) or "", ins.op, operands(program, ins), source)


def header(program: Program) -> list[tuple[str, str]]:
    s = program.scenario
    agent = f"{s.agent.name} ({s.agent.company})" if s.agent else "-"
    return [
        ("scenario", f"{s.name} — {s.title}"),
        ("format", f"v{program.format_version}, compiled by mbs {program.compiler_version}"),
        ("source hash", program.source_hash[:16]),
        ("program hash", program.program_hash[:16]),
        ("objective", s.objective or "-"),
        ("theme", s.theme or "-"),
        ("personality", s.personality or "-"),
        ("agent", agent),
        (
            "limits",
            f"max_turns={s.max_turns} timeout={s.listen_timeout_ms}ms record={'yes' if s.record else 'no'}",
        ),
        (
            "content",
            f"{len(program.code)} instructions, {len(program.consts)} constants, {len(program.steps)} steps, "
            f"{len(program.intents)} intents, {sum(len(p.objections) for p in program.objection_packs)} objections "
            f"in {len(program.objection_packs)} packs",
        ),
        *(
            ("borrows", f'"{o.text}" <- {o.borrowed_from} ({len(o.borrowed)} phrasings)')
            for p in program.objection_packs
            for o in p.objections
            if o.borrowed_from
        ),
    ]


def source_lines(program: Program, sources: dict[str, list[str]]) -> Iterator[tuple[Row, str]]:
    """Rows with the source line text beside them, when the source file is at hand."""
    for row in rows(program):
        loc = program.debug.get(row.address)
        text = ""
        if loc and loc.file in sources and 0 < loc.line <= len(sources[loc.file]):
            text = sources[loc.file][loc.line - 1].strip()
        yield row, text
