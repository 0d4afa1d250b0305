"""A customer's own objections, one phrasing each, ranked in a second encoder's space.

A customer writes their pack with one sentence per objection; prospects say the same
thing in other words. Averaged word vectors (WordLlama, the default encoder) rank such
paraphrases poorly: on the held-out dev split, the nearest own phrasing is the right
objection for 22 % of them with WordLlama and for 53 % with the Universal Sentence
Encoder (``use``), which reads word order and was trained on paraphrase pairs. The
library's objections, thirty phrasings each, do not need it: there the lexical evidence
and WordLlama's centroid already do well, at a tenth of USE's cost.

So the objections with fewer than ``SPARSE`` phrasings of their own (text and variants:
the library phrasings the compiler lends them pull USE's ranking down, 0.53 -> 0.38
top-1, and stay in the lexical score) are ranked here:

- ``score(u, o) = (cos(u, nearest phrasing of o) + lexical · lex(u, o)) / (1 + lexical)``,
  and 1 when ``u`` says one of ``o``'s phrasings;
- the best objection is accepted by a logistic model over ``SPARSE_FEATURES``
  (``calibration.json``, ``sparse``), which reads the best objection against the
  utterance's rivals in the same space: the examples of the intents in scope and the
  ordinary answers (``mbs/nlu/ordinary.txt``). One cosine does not separate a paraphrase
  from small talk (both score 0.4-0.6); being nearer the objection than any rival does.

The encoder loads on the first program with such objections; without it (not installed)
they are ranked with the others, as before.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mbs.nlu.acceptance import SPARSE
from mbs.nlu.calibration import SparseSettings
from mbs.nlu.encoder import Encoder, EncoderUnavailable, Vectors, default_encoder
from mbs.nlu.normalize import normalize
from mbs.nlu.ordinary import ordinary_answers
from mbs.nlu.scoring import MAX_CHARS
from mbs.program import Intent, Objection

log = logging.getLogger(__name__)

# A lexical score this high: the utterance says one of the objection's phrasings.
_EXACT = 0.999
# the ordinary answers whose mean cosine is a feature (several agreeing: small talk)
_NEAREST_ORDINARY = 3

_ordinary: dict[str, Vectors] = {}


def _encoded(encoder: Encoder, texts: Sequence[str]) -> Vectors:
    prepared = [t for t in (encoder.prepare(x[:MAX_CHARS]) for x in texts) if t]
    if not prepared:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return encoder.encode(prepared)


def _ordinary_vectors(encoder: Encoder) -> Vectors:
    """The ordinary answers in this encoder's space, once per process."""
    found = _ordinary.get(encoder.name)
    if found is None:
        found = _ordinary.setdefault(encoder.name, _encoded(encoder, ordinary_answers()))
    return found


def is_sparse(objection: Objection) -> bool:
    """Whether an objection has fewer than ``SPARSE`` phrasings of its own."""
    return 1 + len(objection.variants) < SPARSE


def sparse_encoder(settings: SparseSettings | None) -> Encoder | None:
    """The encoder of these settings, or None when there are none or it is not
    installed (the sparse objections are then ranked with the others)."""
    if settings is None or settings.acceptance is None:
        return None
    try:
        return default_encoder(settings.encoder)
    except EncoderUnavailable as exc:
        log.warning("customer objections ranked with the library's: %s", exc)
        return None


@dataclass(frozen=True, slots=True)
class SparseRanked:
    """The best sparse objection of an utterance (``best`` -1: none) and the runner-up,
    as indexes of the matcher's entries; ``probability``: the acceptance model's."""

    best: int
    score: float
    second: int | None
    second_score: float
    features: tuple[float, ...]
    probability: float
    accepted: bool  # by the acceptance model (its cutoff)


NOTHING = SparseRanked(-1, 0.0, None, 0.0, (), 0.0, False)


class SparseObjections:
    """The sparse objections of a matcher: their phrasings and the rivals, encoded
    once; ``ranked`` scores an utterance over them."""

    def __init__(
        self,
        phrases: Sequence[tuple[int, str]],
        rivals: Sequence[str],
        encoder: Encoder,
        settings: SparseSettings,
    ) -> None:
        """``phrases``: (index in the matcher's entries, phrasing) of every sparse
        objection; ``rivals``: what the program's intents say (their examples)."""
        self.encoder = encoder
        self.settings = settings
        kept = sorted((label, p) for label, p in phrases if encoder.prepare(p[:MAX_CHARS]))
        self.labels = np.array(sorted({label for label, _ in kept}), dtype=np.int64)
        position = {int(label): i for i, label in enumerate(self.labels)}
        rows = np.array([position[label] for label, _ in kept], dtype=np.int64)
        self._vectors = _encoded(encoder, [p for _, p in kept])
        self._starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else rows
        self._rivals = _encoded(encoder, rivals)
        self._ordinary = _ordinary_vectors(encoder)

    @classmethod
    def of(
        cls,
        entries: Sequence[tuple[str, Objection]],
        intents: Sequence[Intent],
        encoder: Encoder,
        settings: SparseSettings,
    ) -> SparseObjections | None:
        """The sparse objections among a matcher's ``entries`` (None: there are none),
        with the examples of ``intents`` as rivals."""
        phrases = [
            (label, phrase)
            for label, (_, objection) in enumerate(entries)
            if is_sparse(objection)
            for phrase in (objection.text, *objection.variants)
        ]
        if not phrases:
            return None
        rivals = [example for intent in intents for example in intent.examples]
        return cls(phrases, rivals, encoder, settings)

    def _evidence(self, text: str, lexical: Vectors) -> tuple[Vectors, Vectors, Vectors] | None:
        """(utterance vector, nearest-phrasing cosine, lexical score) per sparse
        objection, or None when the encoder sees nothing of the text."""
        prepared = self.encoder.prepare(text[:MAX_CHARS])
        if not prepared or not len(self.labels):
            return None
        vector = self.encoder.encode([prepared])[0]
        if not vector.any():
            return None
        nearest = np.maximum.reduceat(self._vectors @ vector, self._starts)
        return vector, nearest, lexical[self.labels]

    def _combined(self, nearest: Vectors, lex: Vectors) -> Vectors:
        w = self.settings.lexical
        mixed = (nearest + w * lex) / (1.0 + w)
        out: Vectors = np.where(lex >= _EXACT, 1.0, mixed).astype(np.float32)
        return out

    def scores(self, text: str, lexical: Vectors) -> Vectors:
        """The score of every sparse objection (in the order of ``labels``)."""
        found = self._evidence(text, lexical)
        if found is None:
            return np.zeros(len(self.labels), dtype=np.float32)
        return np.maximum(0.0, self._combined(found[1], found[2]))

    def ranked(self, text: str, lexical: Vectors, other: Vectors) -> SparseRanked:
        """The best sparse objection of ``text``; ``lexical``: the lexical score of every
        entry of the matcher (``ObjectionMatcher.score_array``), ``other``: their
        cosine in the main encoder's space (a second opinion)."""
        found = self._evidence(text, lexical)
        if found is None:
            return NOTHING
        vector, nearest, lex = found
        scores = self._combined(nearest, lex)
        order = np.lexsort((np.arange(len(scores)), -scores))
        best = int(order[0])
        top = float(scores[best])
        second = int(order[1]) if len(order) > 1 else None
        second_score = float(scores[second]) if second is not None else 0.0
        ordinary = self._ordinary @ vector if len(self._ordinary) else np.zeros(1, np.float32)
        rival = float(ordinary.max())
        if len(self._rivals):
            rival = max(rival, float((self._rivals @ vector).max()))
        k = min(_NEAREST_ORDINARY, len(ordinary))
        opinion = self._combined(other[self.labels], lex)
        features = (
            top,
            top - second_score,
            float(nearest[best]),
            float(lex[best]),
            rival,
            float(np.partition(ordinary, len(ordinary) - k)[-k:].mean()),
            math.log1p(len(normalize(text[:MAX_CHARS]).key_tokens)),
            float(opinion[best] - opinion.max()),
        )
        model = self.settings.acceptance
        probability = model.probability(features) if model is not None else 0.0
        return SparseRanked(
            int(self.labels[best]),
            max(0.0, top),
            int(self.labels[second]) if second is not None else None,
            max(0.0, second_score),
            features,
            probability,
            model is not None and probability >= model.cutoff,
        )
