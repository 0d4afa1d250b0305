"""Accuracy of an NLU builtin on the held-out sets (tests/nlu/heldout), per set and label.

    python scripts/nlu_heldout_report.py [--split test|dev] [--nlu fuzzy] [--misses]

Runs the builtin the runtime would use (``nlu.<name>``, default ``fuzzy``: what
``mbs nlu classify`` and ``mbs objections match`` show) and decides every turn the way
the VM's dispatch does: a recognised intent the step handles wins, unless an objection
matched with a higher score and the step has ``on objection``; otherwise nothing.

- intents, objections, neutral: over every stdlib intent and pack (tests/nlu/stdlib_all.mbs),
  as if the step handled every intent and objections; ``top-1`` is the classifier or
  matcher alone, ``routed`` the decision above;
- own_pack, own_pack_natural: each utterance over intents.common and the one-phrasing
  pack it belongs to (heldout.OWN_PACKS), that pack alone in scope; own_pack holds the
  adversarial paraphrases of alarme_maison, own_pack_natural prospects' own words for
  every own pack; a row per pack, and the set overall;
- context: at the scenario's own step, with the scenario's thresholds.

Report the test split; calibrate on dev.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mbs.compiler import compile_file
from mbs.program import Dispatch, Program
from mbs.runtime.builtins.registry import create
from tests.nlu.heldout import (
    OWN_SETS,
    SCENARIOS,
    SPLITS,
    Utterance,
    load,
    own_pack_scenario,
)

STANDARD = "objections.standard"
STDLIB_ALL = Path(__file__).resolve().parents[1] / "tests" / "nlu" / "stdlib_all.mbs"

# What a decision is: ("intent", name, None), ("objection", text, pack) or ("none", None, None)
Decision = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Heard:
    intent: str | None
    intent_score: float
    objection: str | None
    pack: str | None
    objection_score: float


def compile_program(path: Path) -> Program:
    result = compile_file(path)
    if result.program is None:
        errors = "; ".join(str(d) for d in result.diagnostics)
        raise SystemExit(f"error: {path} does not compile: {errors}")
    return result.program


class Listener:
    """One NLU builtin over one program, asked both questions for every utterance."""

    def __init__(self, nlu_name: str, program: Program) -> None:
        self.program = program
        self.nlu = create("nlu", nlu_name, program)

    async def hear(self, text: str) -> Heard:
        i = await self.nlu.classify(text)  # type: ignore[attr-defined]
        o = await self.nlu.match_objection(text)  # type: ignore[attr-defined]
        return Heard(i.intent, i.score, o.objection, o.pack, o.score)


def route(heard: Heard, handles: Callable[[str], bool], objections: bool) -> Decision:
    """The VM's dispatch rule (mbs/runtime/vm.py, ``_classify``)."""
    handled = heard.intent is not None and handles(heard.intent)
    matched = objections and heard.objection is not None
    if handled and (not matched or heard.intent_score >= heard.objection_score):
        return ("intent", heard.intent, None)
    if matched:
        return ("objection", heard.objection, heard.pack)
    return ("none", None, None)


def expected(item: Utterance) -> Decision:
    return (item.kind, item.label, item.pack)


def only_packs(program: Program, packs: set[str]) -> Program:
    """The same program with only some objection packs in scope."""
    kept = tuple(p for p in program.objection_packs if p.name in packs)
    return program.model_copy(update={"objection_packs": kept})


def dispatch_of(program: Program, step: str) -> Dispatch:
    """The first dispatch of ``step``: where its turn is routed."""
    if step not in program.steps:
        raise SystemExit(f"error: scenario {program.scenario.name} has no step {step!r}")
    for ins in program.code[program.steps[step] + 1 :]:
        if ins.op == "enter":
            break
        if isinstance(ins, Dispatch):
            return ins
    raise SystemExit(f"error: step {step!r} of {program.scenario.name} listens to nothing")


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    routed: int = 0

    def add(self, top1: bool, routed: bool) -> None:
        self.n += 1
        self.top1 += top1
        self.routed += routed


def pct(k: int, n: int) -> str:
    return f"{100 * k / n:5.1f}%" if n else "    —"


def print_table(title: str, rows: dict[str, Tally], top1_name: str) -> Tally:
    total = Tally()
    print(f"\n{title}")
    print(f"  {'':44} {'n':>4} {top1_name:>8} {'routed':>8}")
    for name in sorted(rows):
        t = rows[name]
        total.n += t.n
        total.top1 += t.top1
        total.routed += t.routed
        print(f"  {name[:44]:44} {t.n:4d} {pct(t.top1, t.n):>8} {pct(t.routed, t.n):>8}")
    print(
        f"  {'ALL':44} {total.n:4d} {pct(total.top1, total.n):>8} {pct(total.routed, total.n):>8}"
    )
    return total


async def run(split: str, nlu_name: str, show_misses: bool, by_label: bool) -> None:
    stdlib = Listener(nlu_name, compile_program(STDLIB_ALL))
    own: dict[str, Listener] = {}  # pack -> its scenario (that pack alone in scope)
    misses: list[str] = []
    summary: dict[str, Tally] = {}

    def miss(item: Utterance, got: Decision) -> None:
        want = item.label if item.kind != "none" else "none"
        where = f" @{item.scenario}/{item.step}" if item.scenario else ""
        misses.append(
            f"  [{item.set}{where}] {item.text!r}: want {want!r}, got {got[1] or 'none'!r}"
        )

    everything = lambda _name: True  # noqa: E731  (standalone sets: every intent handled)

    rows: dict[str, Tally] = defaultdict(Tally)
    for item in load("intents", split):
        heard = await stdlib.hear(item.text)
        got = route(heard, everything, True)
        rows[item.label or ""].add(heard.intent == item.label, got == expected(item))
        if got != expected(item):
            miss(item, got)
    summary["intents"] = print_table(f"intents ({split})", rows, "top-1")

    # A call hears objections.standard plus its theme's pack: an objection is matched in
    # that scope (a standard one in standard alone); "all packs" is every stdlib pack.
    scoped: dict[str, Listener] = {}
    rows = defaultdict(Tally)
    everywhere: dict[str, Tally] = defaultdict(Tally)
    for item in load("objections", split):
        pack = item.pack or ""
        if pack not in scoped:
            scoped[pack] = Listener(nlu_name, only_packs(stdlib.program, {STANDARD, pack}))
        heard = await scoped[pack].hear(item.text)
        got = route(heard, everything, True)
        key = f"{pack}: {item.label}" if by_label else pack
        hit = (heard.objection, heard.pack) == (item.label, item.pack)
        rows[key].add(hit, got == expected(item))
        anywhere = await stdlib.hear(item.text)
        everywhere[key].add(
            (anywhere.objection, anywhere.pack) == (item.label, item.pack),
            route(anywhere, everything, True) == expected(item),
        )
        if got != expected(item):
            miss(item, got)
    summary["objections"] = print_table(f"objections ({split}), standard + theme", rows, "top-1")
    print_table(f"objections ({split}), every stdlib pack in scope", everywhere, "top-1")

    for set_name in OWN_SETS:
        rows = defaultdict(Tally)
        per_pack: dict[str, Tally] = defaultdict(Tally)
        for item in load(set_name, split):
            pack = item.pack or ""
            if pack not in own:
                own[pack] = Listener(nlu_name, compile_program(own_pack_scenario(pack)))
            heard = await own[pack].hear(item.text)
            got = route(heard, everything, True)
            key = f"{pack}: {item.label}" if by_label else f"{pack} (one phrasing each)"
            hit, right = heard.objection == item.label, got == expected(item)
            rows[key].add(hit, right)
            per_pack[pack].add(hit, right)
            if got != expected(item):
                miss(item, got)
        summary[set_name] = print_table(f"{set_name} ({split}), its own pack", rows, "top-1")
        if len(per_pack) > 1:
            summary.update({f"  {set_name} [{p}]": t for p, t in sorted(per_pack.items())})

    rows = defaultdict(Tally)
    for item in load("neutral", split):
        heard = await stdlib.hear(item.text)
        got = route(heard, everything, True)
        nothing = heard.intent is None and heard.objection is None
        rows["none (top-1: no intent and no objection)"].add(nothing, got == expected(item))
        if got != expected(item):
            miss(item, got)
    summary["neutral"] = print_table(f"neutral ({split}), every stdlib pack", rows, "top-1")

    rows = defaultdict(Tally)
    listeners: dict[str, Listener] = {}
    for item in load("context", split):
        assert item.scenario is not None and item.step is not None
        if item.scenario not in listeners:
            path = SCENARIOS / f"{item.scenario}.mbs"
            listeners[item.scenario] = Listener(nlu_name, compile_program(path))
        listener = listeners[item.scenario]
        dispatch = dispatch_of(listener.program, item.step)
        heard = await listener.hear(item.text)
        got = route(heard, dispatch.intents.__contains__, dispatch.objection is not None)
        single = {
            "intent": (heard.intent, None),
            "objection": (heard.objection, heard.pack),
            "none": (None, None),
        }[item.kind]
        top1 = single == (item.label, item.pack) and (
            item.kind != "none" or heard.objection is None
        )
        key = f"{item.scenario} / {item.kind}" if not by_label else f"{item.scenario}/{item.step}"
        rows[key].add(top1, got == expected(item))
        if got != expected(item):
            miss(item, got)
    summary["context"] = print_table(f"in context ({split})", rows, "top-1")

    print(f"\nsummary ({split} split, nlu.{nlu_name}): routed decision right")
    for name, t in summary.items():
        print(f"  {name:40} {t.routed:4d}/{t.n:<4d} {pct(t.routed, t.n)}")
    if show_misses:
        print(f"\nmisses ({len(misses)}):")
        print("\n".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--nlu", default="fuzzy", help="NLU builtin name (nlu.NAME)")
    parser.add_argument("--misses", action="store_true", help="list every wrong decision")
    parser.add_argument("--by-label", action="store_true", help="objections and context per label")
    args = parser.parse_args()
    asyncio.run(run(args.split, args.nlu, args.misses, args.by_label))


if __name__ == "__main__":
    main()
