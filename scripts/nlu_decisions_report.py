"""Measure an NLU builtin on the held-out sets (tests/nlu/heldout/), one split, with the
runtime's own decision function (``mbs.runtime.decision``, as ``mbs nlu eval``).

    .venv/bin/python scripts/nlu_decisions_report.py [--split dev|test] [--nlu hybrid|fuzzy] [--encoder use|wordllama]
                                                   [--batch FILE...] [--json] [--misses]

Every answer is decided with the runtime's own decision function (``mbs nlu eval``):

- intents: over the stdlib (tests/nlu/stdlib_all.mbs), at a step handling every intent;
- objections: the stdlib packs, top-1 objection (intent answers are not competing);
- own_pack, own_pack_natural: customers' own packs of one phrasing per objection
  (heldout.OWN_PACKS), each utterance against the scenario of its pack (that pack alone,
  with intents.common); own_pack is alarme_maison's adversarial paraphrases,
  own_pack_natural prospects' own words for every own pack: per pack and overall;
  own_pack_neutral_no_objection: the neutral answers against each own pack, the share
  matched to none of its objections;
- neutral: answers that are neither, against the stdlib: share routed nowhere;
- context: the shipped scenarios at the labelled step.

``--batch FILE`` (repeatable) keeps only the utterances of those files (the format
``scripts/nlu_heldout_add.py`` reads): one blind batch measured alone, its ``test`` half
at first sight.

Calibrate on ``dev``; the figures in docs/nlu.md are ``test``.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mbs.cli.nlu_common import build_nlu_for  # noqa: E402
from mbs.compiler import compile_file  # noqa: E402
from mbs.program import Program  # noqa: E402
from mbs.runtime.nlu_eval import Labelled, evaluate  # noqa: E402
from tests.nlu import heldout  # noqa: E402

STDLIB = REPO / "tests" / "nlu" / "stdlib_all.mbs"


def _program(path: Path) -> Program:
    result = compile_file(path)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


def _labelled(items: list[heldout.Utterance]) -> list[Labelled]:
    return [Labelled(u.kind, u.label, u.text, u.step) for u in items]


def _objection_top1(engine: object, items: list[heldout.Utterance]) -> tuple[int, int, list]:
    right, misses = 0, []
    for u in items:
        m = engine.objections.match(u.text)  # type: ignore[attr-defined]
        if m.objection == u.label:
            right += 1
        else:
            misses.append((u.text, u.label, m.objection or f"({m.runner_up} {m.score})"))
    return right, len(items), misses


def _batch(args: list[str]) -> set[str]:
    """The plain wordings of the ``--batch`` files' utterances (empty: no filter)."""
    files = [args[i + 1] for i, a in enumerate(args) if a == "--batch"]
    return {
        heldout.plain(line)
        for f in files
        for line in Path(f).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "=="))
    }


def main() -> None:
    args = sys.argv[1:]
    only = _batch(args)

    def load(set_name: str, split: str) -> list[heldout.Utterance]:
        return [
            u for u in heldout.load(set_name, split) if not only or heldout.plain(u.text) in only
        ]

    split = args[args.index("--split") + 1] if "--split" in args else "dev"
    name = args[args.index("--nlu") + 1] if "--nlu" in args else "hybrid"
    config: dict[str, object] = {}
    if "--encoder" in args and name == "hybrid":
        config["encoder"] = args[args.index("--encoder") + 1]
    stdlib = _program(STDLIB)
    engine = build_nlu_for(stdlib, config, name)
    figures: dict[str, object] = {"split": split, "nlu": name, **config}
    misses: dict[str, list] = {}

    intents = evaluate(engine, stdlib, _labelled(load("intents", split)), None)
    figures["intents"] = intents.as_dict()["accuracy"]
    figures["intents_per_label"] = {
        k.removeprefix("intent:"): v["accuracy"] for k, v in intents.as_dict()["labels"].items()
    }
    misses["intents"] = [(i.text, i.label, f"{d.kind}:{d.name}") for i, d in intents.misses]

    r, n, m = _objection_top1(engine, load("objections", split))
    figures["objections"] = round(r / n, 4) if n else None
    misses["objections"] = m

    own_engines: dict[str, object] = {}
    for set_name in heldout.OWN_SETS:
        by_pack: dict[str, list[heldout.Utterance]] = defaultdict(list)
        for u in load(set_name, split):
            by_pack[u.pack or ""].append(u)
        right = total = 0
        misses[set_name] = []
        for pack, items in sorted(by_pack.items()):
            if pack not in own_engines:
                own = _program(heldout.own_pack_scenario(pack))
                own_engines[pack] = build_nlu_for(own, config, name)
            r, n, m = _objection_top1(own_engines[pack], items)
            figures[f"{set_name}[{pack}]"] = round(r / n, 4) if n else None
            right, total = right + r, total + n
            misses[set_name] += m
        figures[set_name] = round(right / total, 4) if total else None

    neutral = load("neutral", split)
    # ordinary answers against each customer pack: matched to none of its objections
    matched = sum(
        own.objections.match(u.text).objection is not None  # type: ignore[attr-defined]
        for own in own_engines.values()
        for u in neutral
    )
    figures["own_pack_neutral_no_objection"] = round(
        1 - matched / max(1, len(neutral) * len(own_engines)), 4
    )
    routed_obj = sum(engine.objections.match(u.text).objection is not None for u in neutral)
    figures["neutral_no_objection"] = round(1 - routed_obj / max(1, len(neutral)), 4)
    nd = evaluate(engine, stdlib, _labelled(neutral), None)
    figures["neutral_routed_nowhere"] = round(1 - nd.as_dict()["false_match_rate"], 4)
    misses["neutral"] = [(i.text, f"{d.kind}:{d.name}") for i, d in nd.misses]

    by_scenario: dict[str, list[heldout.Utterance]] = defaultdict(list)
    for u in load("context", split):
        by_scenario[u.scenario or ""].append(u)
    right = total = neutral_total = neutral_routed = 0
    misses["context"] = []
    for scenario, items in sorted(by_scenario.items()):
        program = _program(heldout.SCENARIOS / f"{scenario}.mbs")
        e = build_nlu_for(program, config, name)
        rep = evaluate(e, program, _labelled(items), None)
        right += rep.correct
        total += rep.total
        neutral_total += rep.none_total
        neutral_routed += rep.none_routed
        misses["context"] += [
            (scenario, i.step, i.text, f"{i.kind}:{i.label}", f"{d.kind}:{d.name}")
            for i, d in rep.misses
        ]
    figures["context"] = round(right / total, 4) if total else None
    figures["context_neutral_routed"] = f"{neutral_routed}/{neutral_total}"

    if "--json" in args:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for k, v in figures.items():
            print(f"{k:36} {v}")
    if "--misses" in args:
        for k, rows in misses.items():
            print(f"--- {k} misses ({len(rows)})")
            for row in rows:
                print("   ", row)


if __name__ == "__main__":
    main()
