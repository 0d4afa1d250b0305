"""Conversation tests: scripted prospects, expected paths, and transition coverage.

A test file (TOML, next to its scenario: ``or_rdv.test.toml`` for ``or_rdv.mbs``)::

    scenario = "or_rdv.mbs"                 # optional: defaults to the same stem
    [defaults]
    contact = { first_name = "Marie" }      # merged under each test's contact

    [[test]]
    name    = "accepts the appointment"
    contact = { first_name = "Paul" }
    turns   = ["oui", "/silence", "mardi matin"]
    path    = ["intro", "pitch", "propose", "booked"]    # every step entered, in order
    said    = ["Bonjour Paul", "mardi"]                   # substrings of lines, in order
    intents = ["yes", "-", "slot_ok"]                     # per classified utterance; "-": none
    objections = ["pas le temps"]                         # substrings of matched objections
    captured = { day = "mardi" }
    result  = "APPOINTMENT_SCHEDULED"
    opt_out = false
    callback_at = "2026-12-03T10:00:00+01:00"           # the call-back time asked for

``now`` (in ``[defaults]`` or a test) fixes the call's start, with its zone, so dates
the prospect says ("demain matin") are read the same way every day:
``now = "2026-12-02T10:15:00+01:00"``.

Every expectation is optional; a test with none still fails when the call ends in
TECHNICAL_ERROR or leaves turns unused. This module runs tests against a compiled
program; finding files and compiling scenarios is the CLI's job.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mbs.errors import InputError
from mbs.files import SETTINGS_LIMIT, UnreadableFile, read_text
from mbs.program import Dispatch, Program, Result
from mbs.runtime.errors import VmError
from mbs.runtime.events import Event, MemorySink
from mbs.runtime.textcall import TextCall, TurnSyntaxError, parse_turn
from mbs.runtime.vm import LoadedProgram, Vm

_EXPECTATIONS = (
    "path",
    "said",
    "intents",
    "objections",
    "captured",
    "result",
    "opt_out",
    "callback_at",
)
_KNOWN_KEYS = frozenset({"name", "contact", "turns", "now", *_EXPECTATIONS})


class TestFileError(VmError, InputError):
    """A test file that cannot be read or does not follow the format."""


@dataclass
class ConversationTest:
    name: str
    turns: list[str]
    contact: dict[str, str] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    now: datetime | None = None  # the call's start (dates are relative to it)


@dataclass
class TestFile:
    path: Path
    scenario: Path
    tests: list[ConversationTest]


def _check_list_of_str(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TestFileError(f"{where} must be a list of strings")
    return list(value)


def _contact(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TestFileError(f'{where} must be a table (e.g. {{ first_name = "Marie" }})')
    return {str(k): str(v) for k, v in value.items()}


def _now(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise TestFileError(f"{where}: now must be an ISO date-time, not {value!r}") from None
    if moment.tzinfo is None:
        raise TestFileError(f"{where}: now needs a UTC offset (e.g. 2026-12-02T10:15:00+01:00)")
    return moment


def load_test_file(path: Path) -> TestFile:
    try:
        data = tomllib.loads(read_text(path, limit=SETTINGS_LIMIT, what="the test file"))
    except UnreadableFile as exc:
        raise TestFileError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise TestFileError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise TestFileError(f"{path}: invalid TOML: nested too deeply") from None
    stem = path.name.removesuffix(".test.toml")
    scenario = path.parent / str(data.get("scenario", f"{stem}.mbs"))
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise TestFileError(f"{path}: [defaults] must be a table, not {defaults!r}")
    base_contact = _contact(defaults.get("contact", {}), f"{path}: [defaults] contact")
    raw_tests = data.get("test", [])
    if not isinstance(raw_tests, list) or not raw_tests:
        raise TestFileError(f"{path}: no [[test]] tables")
    tests: list[ConversationTest] = []
    for i, raw in enumerate(raw_tests, start=1):
        if not isinstance(raw, dict):
            raise TestFileError(f"{path}: test {i} must be a [[test]] table, not {raw!r}")
        name = str(raw.get("name", f"test {i}"))
        where = f"{path}: test {name!r}"
        unknown = sorted(set(raw) - _KNOWN_KEYS)
        if unknown:
            known = ", ".join(sorted(_KNOWN_KEYS))
            raise TestFileError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {known})")
        turns = _check_list_of_str(raw.get("turns", []), f"{where}: turns")
        for t in turns:
            try:
                parse_turn(t)
            except TurnSyntaxError as exc:
                raise TestFileError(f"{where}: {exc}") from None
        expect = {k: raw[k] for k in _EXPECTATIONS if k in raw}
        for key in ("path", "said", "intents", "objections"):
            if key in expect:
                _check_list_of_str(expect[key], f"{where}: {key}")
        if "result" in expect:
            try:
                Result(expect["result"])
            except ValueError:
                codes = ", ".join(r.value for r in Result)
                raise TestFileError(
                    f"{where}: unknown result {expect['result']!r} (one of {codes})"
                ) from None
        if "captured" in expect:
            expect["captured"] = _contact(expect["captured"], f"{where}: captured")
        contact = {**base_contact, **_contact(raw.get("contact", {}), f"{where}: contact")}
        now = _now(raw.get("now", defaults.get("now")), where)
        tests.append(ConversationTest(name, turns, contact, expect, now))
    return TestFile(path, scenario, tests)


# ------------------------------------------------------------------------- running


@dataclass
class TestOutcome:
    name: str
    failures: list[str]
    events: list[Event]

    @property
    def passed(self) -> bool:
        return not self.failures


def _in_order(expected: Sequence[str], actual: Sequence[str]) -> str | None:
    """Each expected substring in a later actual line than the previous; None when all are."""
    i = 0
    for want in expected:
        while i < len(actual) and want.casefold() not in actual[i].casefold():
            i += 1
        if i == len(actual):
            return want
        i += 1
    return None


def _diff(label: str, expected: Sequence[str], actual: Sequence[str]) -> str:
    lines = difflib.unified_diff(
        list(expected), list(actual), f"expected {label}", f"actual {label}", lineterm="", n=99
    )
    return f"{label} differs:\n" + "\n".join("  " + line for line in lines)


def check(test: ConversationTest, events: Sequence[Event], unused: int) -> list[str]:
    """What went differently from the test's expectations (empty: it passed)."""
    exp = test.expect
    failures: list[str] = []

    def of(kind: str) -> list[Event]:
        return [e for e in events if e["event"] == kind]

    result = next((e for e in reversed(events) if e["event"] == "result"), None)
    errors = of("error")
    if errors and exp.get("result") != Result.TECHNICAL_ERROR.value:
        failures.append(f"runtime error: {errors[0]['message']}")
    if "path" in exp:
        path = [str(e["step"]) for e in of("step_entered")]
        if path != exp["path"]:
            failures.append(_diff("path", exp["path"], path))
    if "said" in exp:
        lines = [str(e["text"]) for e in of("said")]
        missing = _in_order(exp["said"], lines)
        if missing is not None:
            shown = lines[-12:]
            said = "\n".join(f"    {line}" for line in shown) or "    (nothing)"
            if len(lines) > len(shown):
                said = f"    ... ({len(lines) - len(shown)} earlier lines)\n" + said
            failures.append(f"not said (in this order): {missing!r}; the robot said:\n{said}")
    if "intents" in exp:
        intents = [e["intent"] or "-" for e in of("intent")]
        if intents != exp["intents"]:
            failures.append(_diff("intents", exp["intents"], intents))
    if "objections" in exp:
        matched = [str(e["objection"]) for e in of("objection") if e["objection"]]
        missing = _in_order(exp["objections"], matched)
        if missing is not None or len(matched) < len(exp["objections"]):
            failures.append(f"objections expected {exp['objections']}, matched {matched}")
    if "captured" in exp:
        got = {e["var"]: e["value"] for e in of("captured")}
        for var, value in exp["captured"].items():
            if got.get(var) != value:
                failures.append(f"captured {var}: expected {value!r}, got {got.get(var)!r}")
    if "result" in exp and (result is None or result["result"] != exp["result"]):
        failures.append(
            f"result: expected {exp['result']}, got {result['result'] if result else None}"
        )
    if "opt_out" in exp and (result is None or bool(result["opt_out"]) != bool(exp["opt_out"])):
        failures.append(f"opt_out: expected {exp['opt_out']}, got {not exp['opt_out']}")
    if "callback_at" in exp:
        got_at = result.get("callback_at") if result is not None else None
        want = exp["callback_at"]
        want_s = want.isoformat() if isinstance(want, datetime) else str(want)
        if got_at != want_s:
            failures.append(f"callback_at: expected {want_s}, got {got_at}")
    if unused:
        left = test.turns[len(test.turns) - unused :]
        failures.append(f"{unused} turn(s) never heard (the call ended first): {left}")
    return failures


async def run_test(
    program: Program | LoadedProgram, test: ConversationTest, *, nlu: Any, llm: Any = None
) -> TestOutcome:
    vm = Vm(program, nlu=nlu, llm=llm)
    call = TextCall(test.turns, call_id=test.name)
    sink = MemorySink()
    await vm.run_call(call, contact=test.contact, sink=sink, now=test.now)
    return TestOutcome(test.name, check(test, sink.events, call.pending), sink.events)


# ------------------------------------------------------------------------ coverage


@dataclass(frozen=True, order=True)
class Edge:
    """One transition of the step graph: in ``step`` (or ``always``), ``case`` -> target."""

    step: str
    case: str
    target: str

    def __str__(self) -> str:
        if self.case == "otherwise":
            return f"{self.step}: otherwise -> {self.target}"
        case = f'dtmf "{self.case[5:]}"' if self.case.startswith("dtmf:") else self.case
        return f"{self.step}: on {case} -> {self.target}"


def _cases(d: Dispatch) -> list[tuple[str, int]]:
    out = [(name, a) for name, a in d.intents.items()]
    out += [(f"dtmf:{digit}", a) for digit, a in d.dtmf.items()]
    for case in ("objection", "silence", "unclear", "otherwise", "captured"):
        a = getattr(d, case)
        if a is not None:
            out.append((case, a))
    return out


class Coverage:
    """Which transitions of a program the tests took.

    Each case of each dispatch is one transition, except the ``always`` handlers the
    compiler merged into every dispatch: those count once, as ``always: on CASE``. An
    ``otherwise`` next to both ``unclear`` and ``silence`` can never be routed to (every
    input has a case of its own): it is reported as unreachable, not counted.
    """

    def __init__(self, program: Program | LoadedProgram) -> None:
        self.loaded = program if isinstance(program, LoadedProgram) else LoadedProgram(program)
        prog = self.loaded.program
        always = set(_cases(prog.always)) if prog.always is not None else set()
        self._edges: dict[tuple[int, str], Edge] = {}
        self.unreachable: set[Edge] = set()
        for address, ins in enumerate(prog.code):
            if not isinstance(ins, Dispatch):
                continue
            if "*" in ins.defaults:
                continue  # a safe default's own question (confirm the opt-out, ...)
            step = prog.step_at(address) or "?"
            for case, target in _cases(ins):
                owner = "always" if (case, target) in always else step
                edge = Edge(owner, case, self.loaded.describe(target) or "?")
                if case in ins.defaults:  # a safe default: counted once, for the program
                    edge = Edge("defaults", case, "default")
                if case == "otherwise" and ins.unclear is not None and ins.silence is not None:
                    # every utterance goes to unclear and silence has its own case:
                    # no input can take this edge (it may still be jumped to directly)
                    self.unreachable.add(edge)
                else:
                    self._edges[(address, case)] = edge
        self.unreachable -= set(self._edges.values())
        self.taken: set[Edge] = set()

    @property
    def edges(self) -> set[Edge]:
        return set(self._edges.values())

    def record(self, events: Sequence[Event]) -> None:
        for e in events:
            if e["event"] == "routed" and e.get("target") is not None:
                edge = self._edges.get((int(e["address"]), str(e["case"])))
                if edge is not None:
                    self.taken.add(edge)

    @property
    def missing(self) -> list[Edge]:
        return sorted(self.edges - self.taken)

    @property
    def percent(self) -> float:
        total = len(self.edges)
        return 100.0 if total == 0 else 100.0 * len(self.taken & self.edges) / total


def summary(coverage: Mapping[str, Coverage]) -> dict[str, dict[str, object]]:
    return {
        name: {
            "transitions": len(c.edges),
            "taken": len(c.taken),
            "percent": round(c.percent, 1),
            "missing": [str(e) for e in c.missing],
            "unreachable": [str(e) for e in sorted(c.unreachable)],
        }
        for name, c in coverage.items()
    }
