"""The held-out NLU sets (tests/nlu/heldout/*.jsonl): written apart from the stdlib.

Every utterance was written without looking at the stdlib's examples or phrasings, so a
matcher tuned on the stdlib is measured on French it has never seen. The format is
described in tests/nlu/README.md. Use ``load(set_name, split)`` to read a set; calibrate
on ``dev`` only and report ``test``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent / "heldout"
REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
# Customers' own objection packs, one phrasing per objection: pack name -> the scenario
# declaring it (that pack alone, with intents.common). An own-pack utterance is measured
# against the scenario of its own pack.
OWN_PACKS = {
    "alarme_maison": HERE / "own_pack.mbs",
    "panneaux_solaires": HERE / "own_pack_solaire.mbs",
    "ventes_generiques": HERE / "own_pack_generique.mbs",
}
OWN_PACK = "alarme_maison"  # the pack of the own_pack set (adversarial paraphrases)
OWN_PACK_SCENARIO = OWN_PACKS[OWN_PACK]

# Which utterances each set holds (see tests/nlu/README.md).
SETS = ("intents", "objections", "own_pack", "own_pack_natural", "neutral", "context")
# The sets labelled with the objections of OWN_PACKS: own_pack holds the adversarial
# paraphrases of alarme_maison, own_pack_natural what prospects say in their own words
# (every pack of OWN_PACKS).
OWN_SETS = ("own_pack", "own_pack_natural")
SPLITS = ("dev", "test")
KINDS = ("intent", "objection", "none")
FIELDS = ("split", "kind", "label", "pack", "scenario", "step", "text")
# At or above this rapidfuzz ratio (0-100) between normalised wordings, an utterance is
# a copy of a stdlib phrase, not a held-out one.
TOO_CLOSE = 90

# The set written blind (tests/nlu/independent/README.md): reported, never fitted on.
INDEPENDENT = HERE.parent / "independent"
INDEPENDENT_PACKS = {
    "fibre_max": INDEPENDENT / "fibre.mbs",
    "mutuelle_serenite": INDEPENDENT / "mutuelle.mbs",
}
# the independent sets, each written blind by its own writers (their READMEs)
INDEPENDENT_SETS = {"first": INDEPENDENT, "second": HERE.parent / "independent_second"}


@dataclass(frozen=True, slots=True)
class Utterance:
    """One labelled utterance: what the NLU should decide when it hears ``text``.

    ``kind`` is ``intent`` (``label`` is the intent name), ``objection`` (``label`` is
    the objection's text as written in ``pack``) or ``none`` (no intent, no objection).
    ``scenario`` and ``step`` are set in the ``context`` set only: the decision is then
    the one the step should take (an intent it handles, an objection, or neither).
    """

    set: str
    split: str
    kind: str
    text: str
    label: str | None = None
    pack: str | None = None
    scenario: str | None = None
    step: str | None = None

    @property
    def target(self) -> tuple[str, str | None]:
        """(kind, label): the decision to compare with a matcher's."""
        return self.kind, self.label


def path_of(set_name: str) -> Path:
    if set_name not in SETS:
        raise ValueError(f"unknown held-out set {set_name!r} (known: {', '.join(SETS)})")
    return HERE / f"{set_name}.jsonl"


def _parse(where: str, set_name: str, line: str) -> Utterance:
    try:
        raw = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"{where}: not JSON ({exc})") from None
    if not isinstance(raw, dict) or not set(raw) <= set(FIELDS):
        raise ValueError(f"{where}: an object with fields among {', '.join(FIELDS)} expected")
    values = {k: raw.get(k) for k in FIELDS}
    if any(v is not None and not isinstance(v, str) for v in values.values()):
        raise ValueError(f"{where}: every field is a string")
    item = Utterance(set=set_name, **values)  # type: ignore[arg-type]
    if item.split not in SPLITS:
        raise ValueError(f"{where}: split must be one of {', '.join(SPLITS)}")
    if item.kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}")
    if not item.text or not item.text.strip():
        raise ValueError(f"{where}: empty text")
    if (item.kind == "none") != (item.label is None):
        raise ValueError(f"{where}: a label is required for intents and objections only")
    if (item.kind == "objection") != (item.pack is not None):
        raise ValueError(f"{where}: a pack is required for objections only")
    if (set_name == "context") != (item.scenario is not None and item.step is not None):
        raise ValueError(f"{where}: scenario and step belong to the context set only")
    return item


def read(path: Path, set_name: str, split: str | None = None) -> list[Utterance]:
    """The utterances of one JSONL file, in file order; ``split`` None: both splits.

    A malformed line raises ValueError naming the file and line."""
    if set_name not in SETS:
        raise ValueError(f"unknown held-out set {set_name!r} (known: {', '.join(SETS)})")
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (known: {', '.join(SPLITS)})")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            item = _parse(f"{path.name}:{number}", set_name, line)
            if split is None or item.split == split:
                items.append(item)
    return items


def load(set_name: str, split: str | None = None) -> list[Utterance]:
    """One held-out set (``SETS``), optionally one split of it (``dev`` or ``test``)."""
    return read(path_of(set_name), set_name, split)


def load_all(split: str | None = None) -> list[Utterance]:
    return [item for name in SETS for item in load(name, split)]


def own_pack_scenario(pack: str | None) -> Path:
    """The scenario to measure an own-pack utterance of ``pack`` against."""
    if pack not in OWN_PACKS:
        raise ValueError(f"unknown own pack {pack!r} (known: {', '.join(OWN_PACKS)})")
    return OWN_PACKS[pack]


def plain(text: str) -> str:
    """Case, accents and punctuation removed, spaces collapsed: for comparing wordings."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", bare).split())


def stratum(item: Utterance) -> tuple[str | None, ...]:
    """What a split is balanced over: the decision, and the step in context."""
    return (item.kind, item.pack, item.label, item.scenario, item.step)


def _tiebreak(text: str) -> int:
    return hashlib.sha256(plain(text).encode()).digest()[0] & 1


def assign_splits(existing: Iterable[Utterance], new: Iterable[Utterance]) -> list[Utterance]:
    """Give each new utterance a split, keeping every stratum balanced (within one).

    Existing splits never move (the team calibrates on dev: moving an utterance to test
    would leak), so the result only depends on the order of additions; within a
    stratum the smaller split gets the next utterance, a tie goes by a hash of its text.
    """
    counts: Counter[tuple[tuple[str | None, ...], str]] = Counter(
        (stratum(i), i.split) for i in existing
    )
    out = []
    for item in new:
        key = stratum(item)
        dev, test = counts[key, "dev"], counts[key, "test"]
        split = "dev" if dev < test else "test" if test < dev else SPLITS[_tiebreak(item.text)]
        counts[key, split] += 1
        out.append(
            Utterance(
                set=item.set,
                split=split,
                kind=item.kind,
                text=item.text,
                label=item.label,
                pack=item.pack,
                scenario=item.scenario,
                step=item.step,
            )
        )
    return out


def dump_line(item: Utterance) -> str:
    """One JSONL line, fields in a fixed order, absent fields left out."""
    raw = {k: getattr(item, k) for k in FIELDS if getattr(item, k) is not None}
    return json.dumps(raw, ensure_ascii=False)


def independent(name: str, which: str = "first") -> list[dict[str, str]]:
    """One file of an independent set (``objections``, ``intents`` or ``neutral``), a
    dict per line; none when that set has no such file."""
    path = INDEPENDENT_SETS[which] / f"{name}.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def independent_packs(which: str = "first") -> dict[str, Path]:
    """The customer packs of an independent set: pack name -> its scenario file."""
    found = {}
    for path in sorted(INDEPENDENT_SETS[which].glob("*.mbs")):
        match = re.search(r"^objections\s+(\w+)", path.read_text(encoding="utf-8"), re.M)
        if match:
            found[match.group(1)] = path
    return found


def dev_said(label: str, *, other_than: bool = False) -> list[str]:
    """The dev split's utterances labelled ``label`` (intents and in context), or with
    ``other_than`` every dev utterance of another label (objections and neutral answers
    too): what a rule on an utterance's form may be shaped on and checked against. The
    test split is for reporting, never for shaping a rule."""
    sets = ("intents", "objections", "neutral", "context") if other_than else ("intents", "context")
    return [
        u.text
        for name in sets
        for u in load(name, "dev")
        if (u.label != label if other_than else u.label == label)
    ]
