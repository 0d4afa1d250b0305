"""The NLU on the independent set (tests/nlu/independent/): report only, never tuned on.

    .venv/bin/python scripts/nlu_independent_report.py [--nlu hybrid|fuzzy] [--set first|second]
                                                       [--json] [--misses]

Each set was written by someone who saw neither the stdlib nor the other held-out sets
(its README): ``first`` (tests/nlu/independent/, the default) and ``second``
(tests/nlu/independent_second/: four more customer packs and ordinary answers, no
intents). Every answer is decided with the runtime's own decision function, as
``mbs nlu eval`` does, at a step handling every intent and objections:

- ``objections[PACK]``: each customer pack's paraphrases against its own scenario (that
  pack of one phrasing per objection, with intents.common): the share decided as the
  right objection, and how many went to another objection (a wrong answer read out);
- ``intents``: against the stdlib (tests/nlu/stdlib_all.mbs), and against each pack;
- ``neutral``: routed nowhere against the stdlib, and matched to none of each pack's
  objections.

Whole set, one figure per row: there is no dev split, since nothing is fitted on it.
Written blind, it still says some common answers as the stdlib does ("non", "au
revoir", "je suis en location"): ``far`` rows leave out the utterances within
``TOO_CLOSE`` (rapidfuzz ratio of plain wordings) of any stdlib example or phrasing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rapidfuzz import fuzz, process  # noqa: E402

from mbs.cli.nlu_common import build_nlu_for  # noqa: E402
from mbs.compiler import compile_file  # noqa: E402
from mbs.program import Program  # noqa: E402
from mbs.runtime.nlu_eval import Labelled, evaluate  # noqa: E402
from tests.nlu.fixtures import written_wordings  # noqa: E402
from tests.nlu.heldout import TOO_CLOSE, independent, independent_packs, plain  # noqa: E402

STDLIB = REPO / "tests" / "nlu" / "stdlib_all.mbs"


def _program(path: Path) -> Program:
    result = compile_file(path)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


def _labelled(rows: list[dict[str, str]]) -> list[Labelled]:
    return [Labelled(r["kind"], r.get("label"), r["text"], None) for r in rows]


def _far(rows: list[dict[str, str]], choices: list[str]) -> list[dict[str, str]]:
    """The rows not within ``TOO_CLOSE`` of ``choices`` (plain wordings)."""
    return [
        r
        for r in rows
        if process.extractOne(plain(r["text"]), choices, scorer=fuzz.ratio, score_cutoff=TOO_CLOSE)
        is None
    ]


def main() -> None:
    args = sys.argv[1:]
    name = args[args.index("--nlu") + 1] if "--nlu" in args else "hybrid"
    which = args[args.index("--set") + 1] if "--set" in args else "first"
    objections, intents, neutral = (
        independent(n, which) for n in ("objections", "intents", "neutral")
    )
    figures: dict[str, object] = {"nlu": name, "set": which}
    misses: list[tuple[str, ...]] = []

    stdlib = _program(STDLIB)
    written = sorted(written_wordings(stdlib, plain))  # what the stdlib's matchers are built from
    engine = build_nlu_for(stdlib, {}, name)
    if intents:
        report = evaluate(engine, stdlib, _labelled(intents), None)
        figures["intents[stdlib]"] = report.as_dict()["accuracy"]
        far_intents = _far(intents, written)
        far = evaluate(engine, stdlib, _labelled(far_intents), None)
        figures["intents[stdlib] far"] = f"{far.as_dict()['accuracy']} of {far.total}"
        misses += [
            ("intents[stdlib]", i.text, str(i.label), f"{d.kind}:{d.name}")
            for i, d in report.misses
        ]
    report = evaluate(engine, stdlib, _labelled(neutral), None)
    figures["neutral_routed_nowhere[stdlib]"] = round(1 - report.as_dict()["false_match_rate"], 4)
    misses += [("neutral[stdlib]", i.text, "none", f"{d.kind}:{d.name}") for i, d in report.misses]

    right = total = wrong = far_right = far_total = 0
    far_objections = {r["text"] for r in _far(objections, written)}
    for pack, path in independent_packs(which).items():
        program = _program(path)
        own = build_nlu_for(program, {}, name)
        rows = [r for r in objections if r["pack"] == pack]
        report = evaluate(own, program, _labelled(rows), None)
        taken_wrong = sum(d.kind == "objection" for _, d in report.misses)
        figures[f"objections[{pack}]"] = report.as_dict()["accuracy"]
        figures[f"objections[{pack}] wrong objection"] = f"{taken_wrong}/{report.total}"
        right, total, wrong = right + report.correct, total + report.total, wrong + taken_wrong
        misses += [(pack, i.text, str(i.label), f"{d.kind}:{d.name}") for i, d in report.misses]
        missed = {i.text for i, _ in report.misses}
        kept = [r["text"] for r in rows if r["text"] in far_objections]
        far_total += len(kept)
        far_right += sum(text not in missed for text in kept)
        if intents:
            report = evaluate(own, program, _labelled(intents), None)
            figures[f"intents[{pack}]"] = report.as_dict()["accuracy"]
        matched = sum(
            own.objections.match(r["text"]).objection is not None  # type: ignore[attr-defined]
            for r in neutral
        )
        figures[f"neutral_no_objection[{pack}]"] = round(1 - matched / len(neutral), 4)
    figures["objections"] = round(right / total, 4)
    figures["objections wrong objection"] = f"{wrong}/{total}"
    figures["objections far"] = f"{round(far_right / max(1, far_total), 4)} of {far_total}"

    if "--json" in args:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key:46} {value}")
    if "--misses" in args:
        for row in misses:
            print("   ", row)


if __name__ == "__main__":
    main()
