"""VM cost, side by side: per turn (trivial vs fuzzy NLU), memory per call, 1,000 calls.

    .venv/bin/python bench/bench_vm.py [--calls 1000] [--turns 20000]

1. Overhead per turn: a step that says a line, listens and dispatches back to itself,
   run for N turns on a call that answers instantly. With a constant NLU the time is the
   VM's own (templates, state, events into memory); with ``nlu.fuzzy`` it adds the real
   classifier. Goal: < 1 ms of VM per turn.
2. Memory per call: 1,000 calls parked at a listen (task + generator + state), measured
   with tracemalloc, and one CallState's JSON size.
3. 1,000 concurrent in-process calls of a real scenario (fuzzy NLU, text channel,
   five prospect turns each): wall time and turns per second.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mbs.compiler import compile_source  # noqa: E402
from mbs.program import Program  # noqa: E402
from mbs.runtime.builtins.base import IntentResult, ObjectionResult  # noqa: E402
from mbs.runtime.builtins.fuzzy import FuzzyNlu  # noqa: E402
from mbs.runtime.events import MemorySink  # noqa: E402
from mbs.runtime.telephony import Heard, HeardKind, PlayOutcome  # noqa: E402
from mbs.runtime.textcall import TextCall  # noqa: E402
from mbs.runtime.vm import Vm  # noqa: E402

LOOP = """
scenario loop "Bench" {
    agent "Julie" from "Aurum Conseil"
    max_turns 1000000
    record no
}
use intents.common
step ask {
    ask "Bonjour {{ contact.first_name }}, avez-vous deux minutes ?"
    on yes -> ask
    on no -> bye
    on silence -> ask
    otherwise -> ask
}
step bye { say "Au revoir." ; end NOT_INTERESTED }
"""

SCENARIO = """
scenario rdv "Bench RDV" {
    objective appointment
    theme or
    agent "Julie" from "Aurum Conseil"
    max_turns 20
}
use intents.common
intent slot_ok { "mardi me va" "jeudi c'est bon" keywords mardi jeudi }
always {
    on stop_calling -> stop
    on silence -> retry 1 "Vous êtes toujours là ?" then bye
}
step intro {
    say "Bonjour {{ contact.first_name }}, Julie d'Aurum Conseil, cet appel est enregistré."
    ask "Avez-vous deux minutes ?"
    on yes -> propose
    on no -> bye
    on objection -> answer objection then propose
    on unclear -> retry 1 "Pardon ?" then propose
}
step propose {
    ask "Seriez-vous disponible mardi ou jeudi ?"
    capture day from ["mardi", "jeudi"]
    on slot_ok -> booked
    on objection -> answer objection then propose
    otherwise -> bye
}
step booked { say "Parfait, à {{ day }}." ; end APPOINTMENT_SCHEDULED }
step bye { say "Au revoir." ; end NOT_INTERESTED }
step stop { say "C'est noté." ; opt_out ; end NOT_INTERESTED }
"""

TURNS = ["euh", "/silence", "je n'ai pas le temps", "/silence", "jeudi c'est bon"]


def compile_or_die(text: str) -> Program:
    result = compile_source(text, "bench.mbs")
    if result.program is None:
        raise SystemExit("\n".join(d.message for d in result.diagnostics))
    return result.program


class ConstantNlu:
    async def classify(self, utterance: str) -> IntentResult:
        return IntentResult(intent="yes", score=0.9)

    async def match_objection(self, utterance: str) -> ObjectionResult:
        return ObjectionResult(objection=None)


class InstantCall:
    """Answers every listen at once with the same utterance; records nothing."""

    call_id = "bench"
    _heard = Heard(HeardKind.UTTERANCE, text="oui d'accord")

    async def say(self, text: str, audio: object, *, barge_in: bool) -> PlayOutcome:
        return PlayOutcome.DONE

    async def play(self, path: str, *, barge_in: bool) -> PlayOutcome:
        return PlayOutcome.DONE

    async def listen(self, timeout_s: float) -> Heard:
        return self._heard

    async def transfer(self, destination: str) -> bool:
        return True

    async def hangup(self) -> None:
        return None


class ParkedCall(InstantCall):
    """Waits at the first listen until released (to measure calls in flight)."""

    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate

    async def listen(self, timeout_s: float) -> Heard:
        await self.gate.wait()
        return Heard(HeardKind.HANGUP)


def per_turn(program: Program, nlu: object, turns: int, sink: bool) -> float:
    vm = Vm(program, nlu=nlu)  # type: ignore[arg-type]
    program_turns = turns

    class Capped(InstantCall):
        n = 0

        async def listen(self, timeout_s: float) -> Heard:
            self.n += 1
            if self.n > program_turns:
                return Heard(HeardKind.HANGUP)
            return self._heard

    async def go() -> float:
        call = Capped()
        t0 = time.perf_counter()
        await vm.run_call(
            call, contact={"first_name": "Marie"}, sink=MemorySink() if sink else None
        )
        return time.perf_counter() - t0

    asyncio.run(go())  # warm-up (template compilation, normaliser caches)
    return min(asyncio.run(go()) for _ in range(3)) / turns * 1e6  # µs per turn, best of 3


async def nothing_per_turn(turns: int) -> float:
    """The same awaits with no VM at all: the asyncio floor."""
    call, nlu = InstantCall(), ConstantNlu()
    t0 = time.perf_counter()
    for _ in range(turns):
        await call.say("x", None, barge_in=True)
        await call.listen(6.0)
        await nlu.classify("oui")
    return (time.perf_counter() - t0) / turns * 1e6


def memory_per_call(program: Program, n: int) -> tuple[float, int]:
    vm = Vm(program, nlu=ConstantNlu())

    async def go() -> float:
        gate = asyncio.Event()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        tasks = [
            asyncio.create_task(
                vm.run_call(ParkedCall(gate), contact={"first_name": f"P{i}"}, call_id=f"c{i}")
            )
            for i in range(n)
        ]
        await asyncio.sleep(0.05)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        gate.set()
        await asyncio.gather(*tasks)
        grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
        return grown / n

    per_call = asyncio.run(go())
    state = vm.new_state("c1", {"first_name": "Marie", "last_name": "Curie"})
    return per_call, len(json.dumps(state.to_dict()))


def concurrent(program: Program, nlu: object, n: int) -> tuple[float, int, dict[str, int]]:
    vm = Vm(program, nlu=nlu)  # type: ignore[arg-type]

    async def go() -> tuple[float, int, dict[str, int]]:
        calls = [TextCall(TURNS, call_id=f"c{i}") for i in range(n)]
        t0 = time.perf_counter()
        states = await asyncio.gather(
            *(vm.run_call(c, contact={"first_name": f"P{i}"}) for i, c in enumerate(calls))
        )
        wall = time.perf_counter() - t0
        results: dict[str, int] = {}
        for s in states:
            key = s.result.value if s.result else "?"
            results[key] = results.get(key, 0) + 1
        return wall, sum(s.turns for s in states), results

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--turns", type=int, default=20000)
    args = ap.parse_args()

    loop, rdv = compile_or_die(LOOP), compile_or_die(SCENARIO)
    fuzzy_loop, fuzzy_rdv = FuzzyNlu(loop, {}), FuzzyNlu(rdv, {})

    print(f"== VM per turn ({args.turns} turns of say + listen + dispatch)")
    floor = asyncio.run(nothing_per_turn(args.turns))
    bare = per_turn(loop, ConstantNlu(), args.turns, sink=False)
    logged = per_turn(loop, ConstantNlu(), args.turns, sink=True)
    fuzzy = per_turn(loop, fuzzy_loop, args.turns // 4, sink=True)
    print(f"  asyncio floor (same awaits, no VM)   {floor:8.1f} µs/turn")
    print(f"  VM, constant NLU, no event sink      {bare:8.1f} µs/turn")
    print(f"  VM, constant NLU, events in memory   {logged:8.1f} µs/turn")
    print(f"  VM, fuzzy NLU, events in memory      {fuzzy:8.1f} µs/turn")
    print(f"  VM overhead (constant NLU, events)   {logged - floor:8.1f} µs/turn  (goal < 1000)")

    print(f"== memory ({args.calls} calls parked at a listen)")
    per_call, state_json = memory_per_call(rdv, args.calls)
    print(f"  per call in flight (task+machine+state) {per_call / 1024:6.1f} KiB")
    print(f"  one CallState as JSON                   {state_json:6d} bytes")

    print(f"== {args.calls} concurrent calls, {len(TURNS)} prospect turns each")
    for label, nlu in (("constant NLU", ConstantNlu()), ("fuzzy NLU", fuzzy_rdv)):
        wall, turns, results = concurrent(rdv, nlu, args.calls)
        print(
            f"  {label:13s} {wall:6.2f} s wall  {turns:6d} turns  {turns / wall:8.0f} turns/s  "
            f"results {results}"
        )


if __name__ == "__main__":
    main()
