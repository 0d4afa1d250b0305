"""Where a robot's turn goes: a cProfile of the robot's process, summed by part.

One command (after ``bench/bench_calls.py --calls 200 --profile /tmp/robot.prof``):
``.venv/bin/python bench/profile_summary.py /tmp/robot.prof``.

Own time (``tottime``) of every function is put in one bucket by the file it lives in:
ESL parsing (the sans-I/O core), the client (reading, routing, commands), the call
(``esl_call.py``/``backend.py``: the channel's state, playback, listen), the VM, the NLU
(``mbs.nlu`` with simplemma, snowballstemmer and rapidfuzz), asyncio's loop, socket system calls, and the
rest. Start-up (compiling the scenario, imports, building the NLU index, compiling
regexes, unpacking lemma tables) is left out. Shares are of the
counted total (cProfile's times are wall times and inflate small functions: read
them as proportions, and take CPU per turn from an unprofiled run).
"""

from __future__ import annotations

import argparse
import pstats
from collections import Counter

BUCKETS = (
    ("ESL parsing (esl/)", ("mbs/freeswitch/esl/",)),
    ("ESL client (client.py)", ("mbs/freeswitch/client.py",)),
    ("call state (esl_call.py, backend.py)", ("esl_call.py", "mbs/freeswitch/backend.py")),
    ("VM (mbs/runtime)", ("mbs/runtime/",)),
    (
        "NLU (mbs/nlu, simplemma, rapidfuzz)",
        ("mbs/nlu/", "simplemma", "rapidfuzz", "snowballstemmer"),
    ),
    ("templates (jinja2)", ("jinja2",)),
    ("asyncio event loop", ("asyncio/",)),
    ("socket send/recv", ("<method 'send' of '_socket", "<method 'recv' of '_socket")),
)
STARTUP = (
    "compile_file",
    "<frozen importlib",
    "mbs/compiler/",
    "lark/",
    "scoring.py:99",
    "re/_parser.py",
    "re/_compiler.py",
    "_lzma",
)


def bucket(where: str) -> str:
    for name, needles in BUCKETS:
        if any(n in where for n in needles):
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("profile")
    args = parser.parse_args()
    stats = pstats.Stats(args.profile).stats  # type: ignore[attr-defined]
    totals: Counter[str] = Counter()
    for (file, line, func), (_, _, tottime, _, callers) in stats.items():
        where = f"{file}:{line}({func})" if file != "~" else func
        if func == "<method 'poll' of 'select.epoll' objects>":
            continue  # waiting, not working
        if any(s in where for s in STARTUP) or any(
            any(s in str(c) for s in STARTUP) for c in callers
        ):
            continue
        part = bucket(where)
        if part == "other" and file == "~" and callers:  # a builtin: its main caller's part
            caller = max(callers.items(), key=lambda kv: kv[1][2])[0]
            part = bucket(f"{caller[0]}:{caller[1]}({caller[2]})")
        totals[part] += tottime
    total = sum(totals.values())
    print("| part | share |")
    print("|---|---:|")
    for name, t in totals.most_common():
        print(f"| {name} | {t / total:.0%} |")


if __name__ == "__main__":
    main()
