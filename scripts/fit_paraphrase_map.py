"""Fit the paraphrase map of a static encoder (``mbs.nlu.paraphrase``) on the library.

    .venv/bin/python scripts/fit_paraphrase_map.py [--encoder wordllama|use-words] [--dry-run]

Groups: the phrasings of every stdlib objection, the examples of every stdlib intent
(``tests/nlu/stdlib_all.mbs`` puts them all in scope); the ordinary answers
(``mbs/nlu/ordinary.txt``) belong to no group. No held-out utterance is read: the
settings (``FitSettings``) were chosen on the development split, and the map's effect
is measured with ``scripts/nlu_raw_top1.py`` and ``scripts/nlu_decisions_report.py``.
Writes ``mbs/nlu/paraphrase-<encoder>.npy``; refit the calibration afterwards
(``scripts/calibrate_nlu.py --encoder E``): every score moves.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mbs.compiler import compile_file  # noqa: E402
from mbs.nlu.encoder import UseWordsEncoder, WordLlamaEncoder  # noqa: E402
from mbs.nlu.ordinary import ordinary_answers  # noqa: E402
from mbs.nlu.paraphrase import fit, map_file  # noqa: E402

STDLIB = REPO / "tests" / "nlu" / "stdlib_all.mbs"
ENCODERS = {"wordllama": WordLlamaEncoder, "use-words": UseWordsEncoder}


def main() -> None:
    args = sys.argv[1:]
    kind = args[args.index("--encoder") + 1] if "--encoder" in args else "wordllama"
    encoder = ENCODERS[kind]()
    result = compile_file(STDLIB)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    program = result.program
    groups: list[tuple[int, str]] = []
    for pack in program.objection_packs:
        for objection in pack.objections:
            label = len({g for g, _ in groups})
            groups += [(label, t) for t in (objection.text, *objection.variants)]
    for intent in program.intents:
        label = len({g for g, _ in groups})
        groups += [(label, t) for t in intent.examples]
    groups += [(-1, t) for t in ordinary_answers()]
    prepared = [(g, encoder.prepare(t)) for g, t in groups]
    prepared = [(g, t) for g, t in prepared if t]
    vectors = encoder.encode_plain([t for _, t in prepared])
    labels = np.array([g for g, _ in prepared], dtype=np.int64)
    print(f"{kind}: {len(prepared)} texts, {int(labels.max()) + 1} groups")
    start = time.process_time()
    matrix = fit(vectors, labels, on_epoch=lambda e, loss: print(f"  epoch {e:2}  loss {loss:.3f}"))
    print(f"fitted in {time.process_time() - start:.0f} s of CPU")
    if "--dry-run" not in args:
        out = REPO / "mbs" / "nlu" / map_file(encoder.base)
        np.save(out, matrix.astype(np.float16))
        print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
