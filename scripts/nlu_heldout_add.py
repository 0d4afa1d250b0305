"""Append utterances to a held-out NLU set, each given a balanced dev/test split.

    python scripts/nlu_heldout_add.py SET FILE     (FILE "-" reads standard input)

FILE holds sections, one utterance per line under a header; blank lines and lines
starting with "#" are skipped:

    == intent callback
    là je suis au volant rappelez plus tard
    == objection objections.standard | C'est trop cher
    c'est hors de prix votre machin
    == none
    on est quatre à la maison
    == @or_rdv propose intent slot_morning      (context set: scenario and step first)
    plutôt avant le déjeuner

Existing utterances keep their split; an utterance already in the set (same wording once
case, accents and punctuation are removed) is refused, and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.nlu.heldout import (
    SETS,
    Utterance,
    assign_splits,
    dump_line,
    load,
    path_of,
    plain,
)


def parse_header(set_name: str, header: str) -> dict[str, str | None]:
    words = header.split()
    scenario = step = None
    if words and words[0].startswith("@"):
        if len(words) < 2:
            raise ValueError(f"header {header!r}: '@scenario step' expected")
        scenario, step = words[0][1:], words[1]
        words = words[2:]
    if (set_name == "context") != (scenario is not None):
        raise ValueError(f"header {header!r}: '@scenario step' is for the context set only")
    if words[:1] == ["none"] and len(words) == 1:
        return {"kind": "none", "label": None, "pack": None, "scenario": scenario, "step": step}
    if words[:1] == ["intent"] and len(words) == 2:
        return {
            "kind": "intent",
            "label": words[1],
            "pack": None,
            "scenario": scenario,
            "step": step,
        }
    if words[:1] == ["objection"] and len(words) >= 4 and words[2] == "|":
        label = " ".join(words[3:])
        return {
            "kind": "objection",
            "label": label,
            "pack": words[1],
            "scenario": scenario,
            "step": step,
        }
    raise ValueError(
        f"header {header!r}: 'none', 'intent NAME' or 'objection PACK | TEXT' expected"
    )


def parse(set_name: str, source: str) -> list[Utterance]:
    items: list[Utterance] = []
    header: dict[str, str | None] | None = None
    for number, raw in enumerate(source.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("=="):
            try:
                header = parse_header(set_name, line[2:].strip())
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from None
            continue
        if header is None:
            raise ValueError(f"line {number}: an utterance before any '==' header")
        items.append(Utterance(set=set_name, split="dev", text=line, **header))  # type: ignore[arg-type]
    return items


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in SETS:
        print(f"usage: nlu_heldout_add.py {{{','.join(SETS)}}} FILE", file=sys.stderr)
        return 2
    set_name, source = argv
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        new = parse(set_name, text)
        existing = load(set_name) if path_of(set_name).exists() else []
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seen = {plain(i.text) for i in existing}
    for item in new:
        if plain(item.text) in seen:
            print(f"error: already in {set_name}: {item.text!r}", file=sys.stderr)
            return 1
        seen.add(plain(item.text))
    added = assign_splits(existing, new)
    with path_of(set_name).open("a", encoding="utf-8") as out:
        for item in added:
            out.write(dump_line(item) + "\n")
    print(f"{set_name}: {len(added)} added, {len(existing) + len(added)} in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
