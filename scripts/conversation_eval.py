"""Judge scripted conversations turn by turn through ``mbs chat`` (see conversations.toml).

    python scripts/conversation_eval.py [--mbs "python -c 'from mbs.cli import main; main()'"]
        [--scenarios DIR] [--file scripts/conversations.toml] [--contact KEY=VALUE] [--verbose]

Runs each conversation with ``mbs chat SCENARIO --json`` (the prospect's lines on stdin,
the default NLU, no LLM; the contact is first_name=Marie, plus ``--contact`` fields and
a conversation's own ``contact = {...}``), splits the robot's lines by the prospect's
turns and checks each turn; prints every wrong turn and the share of turns handled
wrongly. ``--mbs`` runs another build of mbs (e.g. an older checkout on PYTHONPATH), to
compare.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run_chat(
    mbs: list[str], scenario: Path, lines: list[str], contact: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    fields = {"first_name": "Marie", **(contact or {})}
    given = [arg for k, v in fields.items() for arg in ("-c", f"{k}={v}")]
    done = subprocess.run(
        [*mbs, "chat", str(scenario), "--json", *given],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def judge(turns: list[list[str]], events: list[dict[str, Any]]) -> list[str]:
    """One message per wrong turn ("" for a turn handled right)."""
    heard_at = [i for i, e in enumerate(events) if e["event"] == "heard"]
    result = next((e for e in events if e["event"] == "result"), {})
    verdicts = []
    for k, (said, *checks) in enumerate(turns):
        if k >= len(heard_at):
            verdicts.append(f"{said!r}: never heard (the call ended before)")
            continue
        start = heard_at[k]
        end = heard_at[k + 1] if k + 1 < len(heard_at) else len(events)
        reply = " ".join(str(e["text"]) for e in events[start:end] if e["event"] == "said")
        wrong = []
        for check in checks:
            kind, _, arg = check.partition(":")
            if kind == "has" and not any(a in reply for a in arg.split("|")):
                wrong.append(f"missing {arg!r}")
            elif kind == "not" and arg in reply:
                wrong.append(f"said {arg!r}")
            elif kind == "end" and k + 1 < len(heard_at):
                wrong.append("the call went on")
            elif kind == "optout" and not result.get("opt_out"):
                wrong.append("no opt-out")
            elif kind == "result" and result.get("result") != arg:
                wrong.append(f"result {result.get('result')} instead of {arg}")
        verdicts.append(f"{said!r}: {', '.join(wrong)} -> {reply[:160]!r}" if wrong else "")
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mbs", default=f"{sys.executable} -c 'from mbs.cli import main; main()'")
    parser.add_argument("--scenarios", type=Path, default=HERE.parent / "scenarios")
    parser.add_argument("--file", type=Path, default=HERE / "conversations.toml")
    parser.add_argument(
        "--contact", action="append", default=[], help="a contact field, key=value (repeatable)"
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    mbs = shlex.split(args.mbs)
    conversations = tomllib.loads(args.file.read_text(encoding="utf-8"))["conversation"]
    total = wrong = 0
    for conv in conversations:
        contact = {**dict(c.split("=", 1) for c in args.contact), **conv.get("contact", {})}
        lines = [t[0] for t in conv["turns"]]
        events = run_chat(mbs, args.scenarios / conv["scenario"], lines, contact)
        verdicts = judge(conv["turns"], events)
        total += len(verdicts)
        bad = [v for v in verdicts if v]
        wrong += len(bad)
        if bad or args.verbose:
            print(f"{conv['scenario']} — {conv['name']}: {len(bad)}/{len(verdicts)} wrong")
            for v in bad:
                print(f"    {v}")
    share = 100.0 * wrong / total if total else 0.0
    print(
        f"{len(conversations)} conversations, {total} turns, {wrong} handled wrongly ({share:.1f} %)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
