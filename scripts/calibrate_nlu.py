"""Fit the hybrid NLU's fusion weights and thresholds; write mbs/nlu/calibration.json.

    .venv/bin/python scripts/calibrate_nlu.py [--dry-run]

Development data only: tests/nlu/eval_set.jsonl (written for the fuzzy NLU) and the
``dev`` split of the held-out sets (tests/nlu/heldout/); the ``test`` split is never
read here. Objections are fitted on the stdlib packs as written and cut to one phrasing
per objection, plus the user's own pack of the held-out set when it exists
(``mbs.nlu.calibrate``).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mbs.compiler import compile_file  # noqa: E402
from mbs.nlu.calibrate import fit  # noqa: E402
from mbs.nlu.calibration import CALIBRATION_FILE, calibration  # noqa: E402
from mbs.nlu.encoder import default_encoder  # noqa: E402
from mbs.nlu.evaluation import Item, load_items  # noqa: E402
from tests.nlu import heldout  # noqa: E402

STDLIB = REPO / "tests" / "nlu" / "stdlib_all.mbs"


def dev_items() -> list[Item]:
    items = load_items(REPO / "tests" / "nlu" / "eval_set.jsonl")
    for name in ("intents", "objections", "neutral"):
        if not heldout.path_of(name).exists():
            continue
        for u in heldout.load(name, "dev"):
            kind = "ordinary" if u.kind == "none" else u.kind
            items.append(Item(kind=kind, text=u.text, label=u.label, pack=u.pack))
    return items


def main() -> None:
    result = compile_file(STDLIB)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    program = result.program
    items = dev_items()
    found = fit(
        program.intents,
        program.objection_packs,
        items,
        default_encoder(),
        base=calibration(),
        fitted_on=f"eval_set.jsonl + heldout dev ({len(items)} utterances)",
    )
    print(
        f"intents {found.intent_accuracy:.3f}  objections {found.objection_accuracy:.3f}  "
        f"one phrasing {found.one_phrasing_accuracy:.3f}  false objection "
        f"{found.false_objection:.3f}  false intent {found.false_intent:.3f}"
    )
    cal = found.calibration
    cal = replace(
        cal,
        intent_threshold=float(cal.intent_threshold),
        objection_threshold=float(cal.objection_threshold),
    )
    print(cal.to_json())
    if "--dry-run" not in sys.argv:
        (REPO / "mbs" / "nlu" / CALIBRATION_FILE).write_text(cal.to_json(), encoding="utf-8")


if __name__ == "__main__":
    main()
