"""The NLUs side by side, in one run: hybrid (default), fuzzy, and the original
platform's difflib matcher.

    .venv/bin/python bench/bench_nlu.py [--repeat N] [--no-baseline] [--customer]

Hybrid against fuzzy: the time of one prospect turn (intent classification and
objection matching over the whole stdlib), p50 and p99 per utterance, and the memory the
hybrid adds to a process (resident set size before and after loading the encoder and
building the program's index).

Then, in a fresh process (``--customer`` runs only that): a customer's own pack of one
phrasing per objection, whose objections the hybrid ranks in USE's space
(``mbs.nlu.sparse``): the time of a turn with and without that ranking, and the memory
the hybrid adds with both encoders.

Both match over every objection of the stdlib (tests/nlu/stdlib_all.mbs pulls all nine
packs) and are scored on the same labelled set (tests/nlu/eval_set.jsonl):

- accuracy: top-1 objection accuracy on paraphrases (right objection, above threshold),
  false matches on ordinary answers (any objection at all is wrong);
- routing: every utterance dispatched as the VM does (intent or objection, the higher
  score wins, ties to the intent), fuzzy only (the baseline has no intents);
- robustness: every written phrasing of every objection, as speech-to-text hands it over
  (lower case, no punctuation, "ne" dropped): does it come back to its own objection?
- speed: time per match over the eval utterances, utterance normalisation not cached
  (each utterance of a call is new), and the ratio baseline / fuzzy.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline_matcher import BaselineMatcher  # noqa: E402
from mbs.nlu import IntentClassifier, ObjectionMatcher  # noqa: E402
from mbs.nlu.evaluation import Item, evaluate, load_items, routing_accuracy  # noqa: E402
from mbs.nlu.normalize import lemma_stem, normalize  # noqa: E402
from mbs.program import ObjectionPack, Program  # noqa: E402

SCENARIO = ROOT / "tests" / "nlu" / "stdlib_all.mbs"
EVAL_SET = ROOT / "tests" / "nlu" / "eval_set.jsonl"
# a customer's own pack, one phrasing per objection (the held-out sets' solar installer)
CUSTOMER = ROOT / "tests" / "nlu" / "heldout" / "own_pack_solaire.mbs"


def load_program() -> Program:
    from mbs.compiler import compile_file

    result = compile_file(SCENARIO)
    if result.program is None:
        sys.exit(f"cannot compile {SCENARIO}: {[str(d) for d in result.diagnostics]}")
    return result.program


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, Python {platform.python_version()}"


def stt_style(text: str) -> str:
    """A written phrasing as a prospect says it and speech to text returns it: lower
    case, no punctuation, no accents (some engines drop them), the negative "ne"
    dropped, a hesitation in front."""
    s = text.lower().replace("’", "'")
    s = re.sub(r"\bje n'", "j'", s)
    s = re.sub(r"\bn'(?=[aeiouyéèêh])", "", s)
    s = re.sub(r"\bne\s+", "", s)
    s = re.sub(r"[^\w' -]+", " ", s)
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return "euh " + " ".join(s.split())


def robustness(
    packs: Sequence[ObjectionPack], match: Callable[[str], str | None]
) -> tuple[int, int]:
    good = total = 0
    for pack in packs:
        for objection in pack.objections:
            for phrase in (objection.text, *objection.variants):
                total += 1
                good += match(stt_style(phrase)) == objection.text
    return good, total


def per_match_seconds(
    texts: Sequence[str], match: Callable[[str], object], repeat: int, clear: Callable[[], None]
) -> float:
    """Median over ``repeat`` passes of the mean time of one match."""
    passes = []
    for _ in range(repeat):
        clear()
        start = time.perf_counter()
        for text in texts:
            match(text)
        passes.append((time.perf_counter() - start) / len(texts))
    return statistics.median(passes)


def rss_mb() -> float:
    """This process's resident set size (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def turn_times(
    texts: Sequence[str], turn: Callable[[str], object], repeat: int, clock: Callable[[], float]
) -> list[float]:
    """Seconds of every (utterance, pass): caches of utterances cleared before each
    pass, as every utterance of a call is new."""
    from mbs.nlu import encoder, hybrid, use_words

    times = []
    for _ in range(repeat):
        normalize.cache_clear()
        encoder.content_words.cache_clear()
        encoder._use_text.cache_clear()
        encoder._use_words_text.cache_clear()
        use_words.lemma.cache_clear()
        hybrid._encoded.clear()
        for text in texts:
            start = clock()
            turn(text)
            times.append(clock() - start)
    return times


def print_turns(
    turns: dict[str, Callable[[str], None]], texts: list[str], repeat: int, width: int
) -> None:
    """p50, p99 and max of each engine's turn, wall clock then this thread's CPU."""
    print(f"  {'':{width}} {'p50':>9} {'p99':>9} {'max':>9}")
    for clock_name, clock in (("wall", time.perf_counter), ("cpu", time.thread_time)):
        for name, turn in turns.items():
            t = turn_times(texts, turn, repeat, clock)
            print(
                f"  {name + ' ' + clock_name:{width}} {percentile(t, 0.5) * 1000:7.3f}ms"
                f" {percentile(t, 0.99) * 1000:7.3f}ms {max(t) * 1000:7.3f}ms"
            )


def hybrid_against_fuzzy(program: Program, items: Sequence[Item], repeat: int) -> None:
    """Latency per turn and memory added, hybrid (each encoder) and fuzzy in the same
    process. Memory: resident set size before and after loading an encoder and building
    the program's index with it (WordLlama, then USE's word vectors, then USE)."""
    from mbs.runtime.builtins.fuzzy import FuzzyNlu
    from mbs.runtime.builtins.hybrid import HybridNlu

    engines: dict[str, Callable[[str], None]] = {}
    built: list[str] = []
    for encoder in ("wordllama", "use-words", "use"):
        before = rss_mb()
        start = time.perf_counter()
        nlu = HybridNlu(program, {"encoder": encoder})
        seconds = time.perf_counter() - start
        after = rss_mb()
        built.append(
            f"hybrid ({encoder}) memory added (encoder + index, RSS): {after - before:.1f} MB "
            f"({before:.0f} -> {after:.0f} MB); built in {seconds:.2f} s"
        )

        def turn(text: str, nlu: HybridNlu = nlu) -> None:
            nlu.intents.classify(text)
            nlu.objections.match(text)

        engines[f"hybrid-{encoder}"] = turn
    fuzzy = FuzzyNlu(program, {})

    def fuzzy_turn(text: str) -> None:
        fuzzy.intents.classify(text)
        fuzzy.objections.match(text)

    engines["fuzzy"] = fuzzy_turn
    texts = [i.text for i in items]
    for turn in engines.values():  # warm-up: first-touch allocations
        turn_times(texts, turn, 1, time.perf_counter)
    print(f"one turn (classify + match objection), {len(texts)} utterances x {repeat} passes")
    print("(wall: elapsed, includes being preempted on a shared machine; cpu: this thread's")
    print("CPU time, what the turn costs):")
    print_turns(engines, texts, repeat, 16)
    for line in built:
        print(line)
    print()


def customer_pack(items: Sequence[Item], repeat: int) -> None:
    """A customer's own pack (one phrasing per objection, CUSTOMER), as a campaign with
    it runs: the hybrid ranks its objections in USE's space (``mbs.nlu.sparse``); the
    same without that ranking (WordLlama alone) and fuzzy in the same run. Memory: RSS
    before and after building the hybrid (WordLlama, USE, both indexes): run in a fresh
    process, so that nothing is loaded before."""
    from dataclasses import replace

    from mbs.compiler import compile_file
    from mbs.nlu.calibration import Calibration
    from mbs.runtime.builtins.fuzzy import FuzzyNlu
    from mbs.runtime.builtins.hybrid import HybridNlu

    class WordLlamaOnly(HybridNlu):
        def calibration(self) -> Calibration:
            return replace(super().calibration(), sparse=None)

    program = compile_file(CUSTOMER).program
    assert program is not None
    before = rss_mb()
    start = time.perf_counter()
    hybrid = HybridNlu(program, {})
    seconds = time.perf_counter() - start
    after = rss_mb()
    engines = {"hybrid": hybrid, "hybrid-no-use": WordLlamaOnly(program, {})}
    turns: dict[str, Callable[[str], None]] = {}
    for name, nlu in [*engines.items(), ("fuzzy", FuzzyNlu(program, {}))]:

        def turn(text: str, nlu: HybridNlu | FuzzyNlu = nlu) -> None:
            nlu.intents.classify(text)
            nlu.objections.match(text)

        turns[name] = turn
    texts = [i.text for i in items]
    for turn in turns.values():
        turn_times(texts, turn, 1, time.perf_counter)
    n = sum(len(p.objections) for p in program.objection_packs)
    print(f"a customer's own pack ({CUSTOMER.name}: {n} objections, one phrasing each),")
    print(f"one turn, {len(texts)} utterances x {repeat} passes:")
    print_turns(turns, texts, repeat, 21)
    print(
        f"hybrid memory added (WordLlama + USE + indexes, RSS): {after - before:.1f} MB "
        f"({before:.0f} -> {after:.0f} MB); built in {seconds:.2f} s"
    )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (median)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the (slow) difflib baseline"
    )
    parser.add_argument("--customer", action="store_true", help="only the customer pack's section")
    args = parser.parse_args()

    items_all: list[Item] = load_items(EVAL_SET)
    if args.customer:
        customer_pack(items_all, args.repeat)
        return
    program = load_program()
    print(f"machine: {machine()}, {os.cpu_count()} cores")
    hybrid_against_fuzzy(program, items_all, args.repeat)
    sys.stdout.flush()
    subprocess.run(  # a fresh process: its memory figure starts from nothing loaded
        [sys.executable, __file__, "--customer", "--repeat", str(args.repeat)], check=True
    )
    if args.no_baseline:
        return

    packs = program.objection_packs
    items: list[Item] = load_items(EVAL_SET)
    n_objections = sum(len(p.objections) for p in packs)
    n_phrases = sum(1 + len(o.variants) for p in packs for o in p.objections)

    normalize.cache_clear()  # compiling ran the NLU lints, which warmed the caches
    lemma_stem.cache_clear()
    start = time.perf_counter()
    fuzzy = ObjectionMatcher(packs)
    classifier = IntentClassifier(program.intents)
    build_ms = (time.perf_counter() - start) * 1000
    baseline = BaselineMatcher(packs)

    fz = evaluate(
        items, lambda t: fuzzy.match(t).objection, lambda t: classifier.classify(t).intent
    )
    bl = evaluate(items, lambda t: baseline.match(t).objection)
    routed = routing_accuracy(
        items,
        lambda t: (lambda r: (r.intent, r.score))(classifier.classify(t)),
        lambda t: (lambda r: (r.objection, r.score))(fuzzy.match(t)),
    )
    fz_rob = robustness(packs, lambda t: fuzzy.match(t).objection)
    bl_rob = robustness(packs, lambda t: baseline.match(t).objection)

    texts = [i.text for i in items if i.kind in ("objection", "ordinary")]
    fz_s = per_match_seconds(texts, fuzzy.match, args.repeat, normalize.cache_clear)
    bl_s = per_match_seconds(texts, baseline.match, max(1, args.repeat // 2), lambda: None)

    print(
        f"stdlib: {len(packs)} packs, {n_objections} objections, {n_phrases} phrasings; "
        f"{len(program.intents)} intents"
    )
    print(
        f"eval set: {fz.objection_total} objection paraphrases, {fz.ordinary_total} ordinary "
        f"answers, {fz.intent_total} intent utterances"
    )
    print(f"fuzzy thresholds: intent {classifier.threshold}, objection {fuzzy.threshold}")
    print()
    rows = [
        ("", "baseline (difflib)", "fuzzy"),
        (
            "objection top-1 accuracy",
            f"{bl.objection_accuracy:.3f} ({bl.objection_correct}/{bl.objection_total})",
            f"{fz.objection_accuracy:.3f} ({fz.objection_correct}/{fz.objection_total})",
        ),
        (
            "false matches (ordinary)",
            f"{bl.false_match_rate:.3f} ({bl.ordinary_false}/{bl.ordinary_total})",
            f"{fz.false_match_rate:.3f} ({fz.ordinary_false}/{fz.ordinary_total})",
        ),
        (
            "written phrasings, STT style",
            f"{bl_rob[0] / bl_rob[1]:.3f} ({bl_rob[0]}/{bl_rob[1]})",
            f"{fz_rob[0] / fz_rob[1]:.3f} ({fz_rob[0]}/{fz_rob[1]})",
        ),
        (
            "intent accuracy",
            "n/a",
            f"{fz.intent_accuracy:.3f} ({fz.intent_correct}/{fz.intent_total})",
        ),
        (
            "routing like the VM (all items)",
            "n/a",
            f"{routed[0] / routed[1]:.3f} ({routed[0]}/{routed[1]})",
        ),
        ("time per match", f"{bl_s * 1000:.2f} ms", f"{fz_s * 1000:.3f} ms"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
    print()
    print(f"speed ratio (baseline / fuzzy, per match): {bl_s / fz_s:.0f}x")
    print(f"fuzzy index build (objections + intents): {build_ms:.0f} ms, once per program")


if __name__ == "__main__":
    main()
