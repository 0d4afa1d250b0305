"""The scenario header: validate each setting and resolve the names it refers to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mbs.compiler.scope import Context, where
from mbs.dsl import ast
from mbs.dsl.loader import stdlib_path
from mbs.dsl.problems import suggest
from mbs.nlu.calibration import calibration
from mbs.program import COMPANY_FACTS

KNOWN_OBJECTIVES = ("appointment", "lead", "transfer")  # when the stdlib has none yet
# Facts about the calling company a scenario states (`company KEY "value"`); stdlib lines
# use them as ``company.KEY`` and never assert them on their own.
GENDERS = {"feminine": "f", "masculine": "m"}
_LANG_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


@dataclass
class Settings:
    name: str = ""
    title: str = ""
    language: str = "fr-FR"
    objective: ast.Ident | None = None
    theme: str | None = None
    personality: str | None = None
    agent: tuple[str, str] | None = None
    gender: str = ""  # "f" | "m" | "" (not declared)
    company: dict[str, str] = field(default_factory=dict)
    disclosure_waived: str | None = None  # `disclosure no "why"`
    threshold_confirm: float | None = None
    voice: str | None = None
    max_turns: int = 30
    record: bool = True
    barge_in: bool = True
    timeout_ms: int = 6000
    threshold_intent: float | None = None
    threshold_objection: float | None = None
    fields: tuple[str, ...] = ()
    start: ast.Ident | None = None
    spans: dict[str, ast.Span] = field(default_factory=dict)


def _yes_no(ctx: Context, item: ast.HeaderItem) -> bool:
    value = item.values[0]
    assert isinstance(value, ast.Ident)
    if value.name not in ("yes", "no"):
        ctx.report(
            "InvalidSetting",
            value.span,
            problem=f"`{item.key}` takes yes or no, not `{value.name}`",
            help=f"write `{item.key} yes` or `{item.key} no`",
        )
    return value.name != "no"


def check_header(ctx: Context) -> Settings:
    s = Settings()
    scope = ctx.scope
    decl = scope.scenario
    if decl is None:
        return s
    s.name = decl.name.name
    s.title = decl.title.value if decl.title else decl.name.name
    seen: dict[str, ast.Span] = {}
    for item in decl.items:
        key = item.key
        if key in ("threshold", "company"):
            kind = item.values[0]
            assert isinstance(kind, ast.Ident)
            key = f"{key} {kind.name}"
        if key in seen:
            ctx.report("DuplicateSetting", item.span, key=key, first=where(seen[key]))
            continue
        seen[key] = item.span
        s.spans[key] = item.span
        v = item.values
        if item.key == "language":
            assert isinstance(v[0], ast.Str)
            if not _LANG_RE.fullmatch(v[0].value):
                ctx.report(
                    "InvalidSetting",
                    v[0].span,
                    problem=f"`{v[0].value}` is not a language tag",
                    help="use a BCP-47 tag such as fr-FR",
                )
            s.language = v[0].value
        elif item.key == "objective":
            assert isinstance(v[0], ast.Ident)
            s.objective = v[0]
        elif item.key == "theme":
            assert isinstance(v[0], ast.Ident)
            s.theme = v[0].name
        elif item.key == "personality":
            assert isinstance(v[0], ast.Ident)
            s.personality = v[0].name
            if v[0].name not in scope.personalities and (
                scope.personalities or not _stdlib_missing("personalities")
            ):
                ctx.report(
                    "UnknownPersonality",
                    v[0].span,
                    name=v[0].name,
                    suggestion=suggest(v[0].name, scope.personalities),
                )
        elif item.key == "agent":
            assert isinstance(v[0], ast.Str) and isinstance(v[1], ast.Str)
            s.agent = (v[0].value, v[1].value)
            if len(v) > 2:
                assert isinstance(v[2], ast.Ident)
                if v[2].name in GENDERS:
                    s.gender = GENDERS[v[2].name]
                else:
                    ctx.report(
                        "InvalidSetting",
                        v[2].span,
                        problem=f"`{v[2].name}` is not a grammatical gender",
                        help=f'write `agent "{v[0].value}" from "{v[1].value}" feminine` (or masculine)',
                    )
        elif item.key == "disclosure":
            assert isinstance(v[0], ast.Ident)
            if v[0].name not in ("yes", "no"):
                _yes_no(ctx, item)
            elif v[0].name == "no":
                reason = v[1].value.strip() if len(v) > 1 and isinstance(v[1], ast.Str) else ""
                if not reason:
                    ctx.report(
                        "InvalidSetting",
                        v[0].span,
                        problem="`disclosure no` needs the reason the prospect is not told",
                        help='say why: `disclosure no "the opening is a recorded human voice"`',
                    )
                s.disclosure_waived = reason or "(no reason given)"
        elif item.key == "company":
            fact, value = v[0], v[1]
            assert isinstance(fact, ast.Ident) and isinstance(value, ast.Str)
            if fact.name not in COMPANY_FACTS:
                ctx.report(
                    "InvalidSetting",
                    fact.span,
                    problem=f"no company fact called `{fact.name}`",
                    help="the facts are " + ", ".join(COMPANY_FACTS),
                )
            else:
                s.company[fact.name] = value.value
        elif item.key == "voice":
            assert isinstance(v[0], ast.Str)
            s.voice = v[0].value
        elif item.key == "max_turns":
            assert isinstance(v[0], ast.Number)
            if not v[0].is_int or v[0].value < 1:
                ctx.report(
                    "InvalidSetting",
                    v[0].span,
                    problem=f"`max_turns` takes a whole number of turns, not {v[0].text}",
                    help="for example `max_turns 20`",
                )
            else:
                s.max_turns = int(v[0].value)
        elif item.key == "record":
            s.record = _yes_no(ctx, item)
        elif item.key == "barge_in":
            s.barge_in = _yes_no(ctx, item)
        elif item.key == "timeout":
            assert isinstance(v[0], ast.Duration)
            s.timeout_ms = _duration(ctx, v[0])
        elif item.key == "threshold":
            kind, value = v[0], v[1]
            assert isinstance(kind, ast.Ident) and isinstance(value, ast.Number)
            if kind.name not in ("intent", "objection", "confirm"):
                ctx.report(
                    "InvalidSetting",
                    kind.span,
                    problem=f"no threshold called `{kind.name}`",
                    help="the thresholds are `threshold intent N`, `threshold objection N` "
                    "and `threshold confirm N`",
                )
            elif not 0 <= value.value <= 1:
                ctx.report(
                    "InvalidSetting",
                    value.span,
                    problem=f"a threshold is between 0 and 1, not {value.text}",
                    help="for example `threshold intent 0.6`",
                )
            elif kind.name == "confirm":
                s.threshold_confirm = value.value
            else:
                _check_calibrated(ctx, kind.name, value)
                if kind.name == "intent":
                    s.threshold_intent = value.value
                else:
                    s.threshold_objection = value.value
        elif item.key == "fields":
            s.fields = tuple(x.name for x in v if isinstance(x, ast.Ident))
        elif item.key == "start":
            assert isinstance(v[0], ast.Ident)
            s.start = v[0]
    _check_objective(ctx, s)
    if s.start is not None and s.start.name not in scope.steps:
        ctx.report(
            "UnknownStep",
            s.start.span,
            name=s.start.name,
            suggestion=suggest(s.start.name, scope.steps),
        )
    return s


def _duration(ctx: Context, d: ast.Duration) -> int:
    if d.ms <= 0:
        ctx.report(
            "InvalidSetting",
            d.span,
            problem=f"a timeout must be longer than zero, not {d.text}",
            help="for example `timeout 6s`",
        )
        return 1
    return d.ms


def _stdlib_missing(name: str) -> bool:
    return stdlib_path(name) is None


def _check_calibrated(ctx: Context, kind: str, value: ast.Number) -> None:
    """A threshold above what the default NLU was calibrated for loses right answers."""
    high = calibration().threshold_range[1]
    if value.value > high + 1e-9:
        ctx.report("ThresholdAboveCalibrated", value.span, kind=kind, value=value.text, high=high)


def _check_objective(ctx: Context, s: Settings) -> None:
    obj = s.objective
    if obj is None:
        return
    known = ctx.scope.objectives
    if obj.name in known:
        return
    if not known and _stdlib_missing("objectives") and obj.name in KNOWN_OBJECTIVES:
        return  # the stdlib objectives are not written yet: accept the documented names
    names = list(known) or list(KNOWN_OBJECTIVES)
    ctx.report(
        "UnknownObjective",
        obj.span,
        name=obj.name,
        known=", ".join(names),
        suggestion=suggest(obj.name, names),
    )
