"""Checks on intents and objections that the compiler reports as warnings.

They use the same normalisation and score as the runtime, so what they flag is what
would really happen on a call.
"""

from __future__ import annotations

from collections.abc import Sequence

from mbs.nlu.fuzzy import ObjectionMatcher
from mbs.nlu.normalize import normal_form
from mbs.program import Intent, ObjectionPack

# A second objection that scores this much on every phrasing of a first one leaves the
# first no reliable chance: they differ by a word or two of no weight.
CLOSE_OBJECTIONS_THRESHOLD = 0.9


def close_objections(
    packs: Sequence[ObjectionPack], threshold: float = CLOSE_OBJECTIONS_THRESHOLD
) -> list[tuple[str, str, float]]:
    """Objections in scope that another one shadows.

    Returns ``(shadowed, other, score)``: ``other`` scores at least ``threshold`` on the
    text *and on every variant* of ``shadowed``, so whatever way the prospect phrases
    ``shadowed``, ``other`` is as likely to be chosen. ``score`` is the lowest of those
    scores. Each unordered pair is reported once (the direction with the higher score).
    """
    matcher = ObjectionMatcher(packs, threshold=0.0)
    found: dict[frozenset[int], tuple[int, int, float]] = {}
    for a, (_, objection) in enumerate(matcher.entries):
        lowest: dict[int, float] | None = None
        for phrase in (objection.text, *objection.variants):
            scores = matcher.scores(phrase)
            if lowest is None:
                lowest = {b: s for b, s in scores.items() if b != a}
            else:
                lowest = {b: min(s, scores.get(b, 0.0)) for b, s in lowest.items()}
        for b, s in (lowest or {}).items():
            if s < threshold:
                continue
            key = frozenset((a, b))
            if key not in found or s > found[key][2]:
                found[key] = (a, b, s)
    return sorted(
        (
            (matcher.entries[a][1].text, matcher.entries[b][1].text, round(s, 4))
            for a, b, s in found.values()
        ),
        key=lambda t: (-t[2], t[0], t[1]),
    )


def shared_examples(intents: Sequence[Intent]) -> list[tuple[str, str, str]]:
    """Examples that two intents share once normalised: ``(example, intent_a, intent_b)``.

    ``example`` is spelled as in ``intent_a``, the intent declared first. Such an
    utterance scores the same for both and goes to whichever was declared first.
    """
    seen: dict[str, tuple[str, str]] = {}  # normal form -> (intent, example as written)
    out: list[tuple[str, str, str]] = []
    reported: set[tuple[str, str, str]] = set()
    for intent in intents:
        for example in intent.examples:
            key = normal_form(example)
            if not key:
                continue
            first = seen.setdefault(key, (intent.name, example))
            if first[0] != intent.name and (key, first[0], intent.name) not in reported:
                reported.add((key, first[0], intent.name))
                out.append((first[1], first[0], intent.name))
    return out


def objection_equals_example(
    packs: Sequence[ObjectionPack], intents: Sequence[Intent]
) -> list[tuple[str, str]]:
    """Objections (text or a variant) equal to an intent example once normalised.

    Returns ``(objection text as written, intent name)``, once per pair. The prospect
    saying it triggers both the intent and the objection with the same score; the
    runtime then prefers the intent, so the objection's answer is never spoken.
    """
    by_form: dict[str, list[str]] = {}
    for intent in intents:
        for example in intent.examples:
            names = by_form.setdefault(normal_form(example), [])
            if intent.name not in names:
                names.append(intent.name)
    out: list[tuple[str, str]] = []
    for pack in packs:
        for objection in pack.objections:
            for phrase in (objection.text, *objection.variants):
                for name in by_form.get(normal_form(phrase), ()):
                    if (objection.text, name) not in out:
                        out.append((objection.text, name))
    return out
