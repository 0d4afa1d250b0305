"""The hybrid NLU: lexical evidence (the fuzzy scorer) fused with semantic evidence (an
encoder), thresholds and weights fitted on a development set.

For an utterance *u* and a label *L* (an intent, or one objection):

- ``lex(u, L)``: the fuzzy score (``mbs.nlu.scoring``; intents include their keywords):
  sure when the prospect used the phrasing's words, blind to synonyms;
- ``sem(u, L)``: cosine similarity of the encoded utterance to *L*'s phrasings: the
  nearest phrasing (kNN, k=1) blended with the label's centroid (the mean of its
  phrasings), each damped by ``negation_penalty`` when exactly one side is negative;
  it is mapped to [0, 1] above ``floor`` (the similarity of unrelated French sentences);
- ``fused = lexical·lex + semantic·sem``, and 1 when the utterance is one of the
  label's phrasings (``lex`` = 1).

Two-part answers: when the utterance has a contrast ("oui mais c'est trop cher", "pas
le matin, plutôt l'après-midi", ``mbs.nlu.clauses``), the clause from the contrast on is
scored too; an objection takes the better of the two, an intent the clause's score or
the whole utterance's times ``contrast_discount`` (what comes before "mais" is not the
answer).

Acceptance: the best label's confidence is ``fused + margin·min(fused − runner-up,
margin_cap)``, compared with the label's threshold (per intent when calibrated, else the
global one). Everything is built once per set of intents / objection packs and encoder
(a process-wide cache keyed by their content hash).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mbs.nlu.acceptance import SPARSE, Acceptance
from mbs.nlu.calibration import Calibration, Fusion
from mbs.nlu.clauses import split_contrast
from mbs.nlu.encoder import Encoder, Vectors
from mbs.nlu.form_rule import FORM_SCORE
from mbs.nlu.fuzzy import (
    GUARDED,
    Candidate,
    IntentClassifier,
    IntentMatch,
    ObjectionMatch,
    ObjectionMatcher,
    by_form,
)
from mbs.nlu.normalize import normalize
from mbs.nlu.objection_forms import read_by_form
from mbs.nlu.ordinary import ordinary_answers
from mbs.nlu.scoring import DEFAULT_WEIGHTS, MAX_CHARS
from mbs.nlu.sparse import NOTHING, SparseObjections, SparseRanked, is_sparse, sparse_encoder
from mbs.program import Intent, Objection, ObjectionPack

# The lexical layer's settings in the hybrid: an unknown word is mapped to a close
# vocabulary word only from 5 letters on ("mail" is not "mal", "dis" not "dit"): the
# encoder covers spelling variants of short words, and one letter changes their meaning.
LEXICAL = replace(DEFAULT_WEIGHTS, fuzzy_token_min_len=5)


# A lexical score this high means the utterance says one of the label's phrasings, all
# of its words and nothing else.
EXACT = 0.999


def bounded(text: str) -> str:
    """The part of an utterance that is classified (see ``MAX_CHARS``)."""
    return text[:MAX_CHARS]


def semantic_text(text: str, encoder: Encoder) -> str:
    """What the encoder sees of a text (its ``prepare``)."""
    return encoder.prepare(text)


_encoded: OrderedDict[tuple[int, str], Vectors] = OrderedDict()


def _encode_one(encoder: Encoder, text: str) -> Vectors:
    """One utterance's vector, cached (bounded): a turn encodes the same text for the
    intents and for the objections."""
    key = (id(encoder), text)
    found = _encoded.get(key)
    if found is None:
        found = encoder.encode([text])[0]
        found.flags.writeable = False
        with _cache_lock:
            _encoded[key] = found
            if len(_encoded) > 1024:
                _encoded.popitem(last=False)
    return found


class LabelSpace:
    """Labelled phrasings encoded once; per-label semantic similarity of an utterance."""

    def __init__(self, phrases: Sequence[tuple[int, str]], n_labels: int, encoder: Encoder) -> None:
        self.encoder = encoder
        self.n_labels = n_labels
        cut = ((label, bounded(text)) for label, text in phrases)
        kept = sorted(
            ((label, text) for label, text in cut if semantic_text(text, encoder)),
            key=lambda p: p[0],
        )
        self._labels = np.array([label for label, _ in kept], dtype=np.int64)
        self._vectors: Vectors = encoder.encode([semantic_text(t, encoder) for _, t in kept])
        self._negated = np.array([normalize(t).negated for _, t in kept], dtype=bool)
        present, starts = np.unique(self._labels, return_index=True)
        self._present = present
        self._starts = starts
        centroids = np.zeros((n_labels, encoder.dim), dtype=np.float32)
        negative_share = np.zeros(n_labels, dtype=np.float32)
        for label in present:
            rows = self._labels == label
            mean = self._vectors[rows].mean(axis=0)
            norm = float(np.linalg.norm(mean))
            centroids[label] = mean / norm if norm else mean
            negative_share[label] = float(self._negated[rows].mean())
        self._centroids = centroids
        self._centroid_negated = negative_share >= 0.5

    def similarity(self, vector: Vectors, negated: bool, penalty: float) -> tuple[Vectors, Vectors]:
        """Per label: cosine of the nearest phrasing, and of the centroid; damped by
        ``penalty`` where exactly one side is negative."""
        nearest = np.zeros(self.n_labels, dtype=np.float32)
        if not len(self._labels):
            return nearest, nearest.copy()
        sims = self._vectors @ vector
        if penalty != 1.0:
            sims[self._negated != negated] *= penalty
        nearest[self._present] = np.maximum.reduceat(sims, self._starts)
        centre = self._centroids @ vector
        if penalty != 1.0:
            centre[self._centroid_negated != negated] *= penalty
        return nearest, centre


@dataclass(frozen=True, slots=True)
class Evidence:
    """Per label, for one piece of text: the lexical score, the similarity of the nearest
    phrasing and of the centroid (both already negation-damped)."""

    lexical: Vectors
    nearest: Vectors
    centre: Vectors
    empty: bool = False  # no word to encode


def fuse(e: Evidence, f: Fusion) -> Vectors:
    """The fused score per label (see the module docstring)."""
    if e.empty:
        return (f.lexical * e.lexical).astype(np.float32)
    sem = (1.0 - f.centroid) * e.nearest + f.centroid * e.centre
    sem = np.clip((sem - f.floor) / (1.0 - f.floor), 0.0, 1.0)
    fused = np.minimum(1.0, f.lexical * e.lexical + f.semantic * sem)
    # the utterance is one of the label's phrasings (after normalisation): certain
    return np.where(e.lexical >= EXACT, 1.0, fused).astype(np.float32)


def combine(whole: Vectors, tail: Vectors | None, f: Fusion, *, intents: bool) -> Vectors:
    """Whole utterance and its last contrast clause: an objection takes the better, an
    intent the clause's or the discounted whole's."""
    if tail is None:
        return whole
    out: Vectors = np.maximum(tail, whole * f.contrast_discount if intents else whole)
    return out


def rank(scores: Vectors, f: Fusion) -> tuple[int, float, int | None, float]:
    """(best label, its confidence, runner-up label, its score); ties to the lower label.
    The confidence adds ``margin`` times the lead over the runner-up (capped)."""
    if not len(scores):
        return -1, 0.0, None, 0.0
    order = np.lexsort((np.arange(len(scores)), -scores))
    best = int(order[0])
    top = float(scores[best])
    if top <= 0.0:
        return best, 0.0, None, 0.0
    if len(order) < 2:
        return best, min(1.0, top + f.margin * f.margin_cap), None, 0.0
    second = int(order[1])
    lead = min(top - float(scores[second]), f.margin_cap)
    return best, min(1.0, top + f.margin * lead), second, float(scores[second])


class OrdinaryAnswers:
    """The ordinary answers (``mbs.nlu.ordinary``), for the learned acceptance: the
    share of an utterance's content words they use, and the mean cosine of its
    ``NEAREST`` closest answers (a word lookup and one product, not a lexical pass: the
    acceptance must stay cheap at p99). One close answer can be a coincidence of a few
    words; several agreeing say the utterance is small talk (on dev, the intents'
    acceptance took 6.9 % of the ordinary answers instead of 8.7 % for as many right)."""

    NEAREST = 3

    def __init__(self, encoder: Encoder) -> None:
        answers = ordinary_answers()
        self._encoder = encoder
        self._words = frozenset(t for a in answers for t in normalize(a).key_tokens)
        prepared = [t for t in (semantic_text(bounded(a), encoder) for a in answers) if t]
        self._vectors: Vectors = encoder.encode(prepared)
        # a turn reads it twice, for its intents and for its objections
        self.evidence: Callable[[str], tuple[float, float]] = functools.lru_cache(256)(
            self._evidence
        )

    def _evidence(self, text: str) -> tuple[float, float]:
        """(share of content words used, mean cosine of the nearest answers) of a
        bounded utterance."""
        tokens = normalize(text).key_tokens
        words = sum(t in self._words for t in tokens) / len(tokens) if tokens else 0.0
        sem_text = semantic_text(text, self._encoder)
        if not sem_text or not len(self._vectors):
            return words, 0.0
        sims = self._vectors @ _encode_one(self._encoder, sem_text)
        k = min(self.NEAREST, len(sims))
        return words, float(np.partition(sims, len(sims) - k)[-k:].mean())


_ordinary: dict[int, OrdinaryAnswers] = {}


def ordinary_for(encoder: Encoder) -> OrdinaryAnswers:
    """The ordinary answers indexed for this encoder, once per process (two threads
    building them at once keep the first: ``setdefault`` is atomic)."""
    found = _ordinary.get(id(encoder))
    if found is None:
        found = _ordinary.setdefault(id(encoder), OrdinaryAnswers(encoder))
    return found


@dataclass(frozen=True, slots=True)
class Ranked:
    """One utterance ranked over a space's labels, with what the acceptance reads."""

    best: int  # -1: no label
    confidence: float
    second: int | None
    second_score: float
    features: tuple[float, ...]
    lexical: Vectors | None = None  # every label's lexical score (whole utterance)
    nearest: Vectors | None = None  # every label's cosine to its nearest phrasing (whole)


class _Scorer:
    """Evidence and fused scores of one utterance over the labels of one space."""

    def __init__(
        self,
        lexical: Callable[[str], Vectors],
        space: LabelSpace,
        fusion: Fusion,
        *,
        intents: bool,
        unknown_share: Callable[[str], float],
        phrasings: Sequence[int],
        excluded: Sequence[bool] = (),
    ) -> None:
        """``excluded``: labels ranked elsewhere (they score 0 here)."""
        self._lexical = lexical
        self._space = space
        self.fusion = fusion
        self.encoder = space.encoder
        self._intents = intents
        self._unknown_share = unknown_share
        self._phrasings = phrasings
        self._excluded = np.array(excluded, dtype=bool) if any(excluded) else None

    def evidence(self, text: str) -> Evidence:
        n = self._space.n_labels
        lex = self._lexical(text)
        sem_text = semantic_text(text, self._space.encoder)
        if not sem_text:
            zero = np.zeros(n, dtype=np.float32)
            return Evidence(lex, zero, zero, empty=True)
        vector = _encode_one(self._space.encoder, sem_text)
        nearest, centre = self._space.similarity(
            vector, normalize(text).negated, self.fusion.negation_penalty
        )
        return Evidence(lex, nearest, centre)

    def evidence_pair(self, text: str) -> tuple[Evidence, Evidence | None]:
        """Evidence of the (bounded) utterance and of its last contrast clause, if any."""
        text = bounded(text)
        split = split_contrast(text)
        return self.evidence(text), (self.evidence(split.tail) if split else None)

    def scores(self, text: str) -> Vectors:
        return self._scored(text)[0]

    def _scored(self, text: str) -> tuple[Vectors, Evidence]:
        """The fused scores and the whole utterance's evidence."""
        whole, tail = self.evidence_pair(text)
        f = self.fusion
        fused = combine(fuse(whole, f), fuse(tail, f) if tail else None, f, intents=self._intents)
        if self._excluded is not None:
            fused = np.where(self._excluded, 0.0, fused).astype(np.float32)
        return fused, whole

    def ranked(self, text: str, threshold_of: Callable[[int], float], features: bool) -> Ranked:
        """Rank the labels; the acceptance features only when asked (a model reads them).
        ``threshold_of``: a label's threshold, one of the features."""
        text = bounded(text)
        fused, whole = self._scored(text)
        best, confidence, second, second_score = rank(fused, self.fusion)
        if not features or best < 0 or confidence <= 0.0:
            return Ranked(best, confidence, second, second_score, (), whole.lexical, whole.nearest)
        ordinary_words, ordinary_nearest = ordinary_for(self.encoder).evidence(text)
        n_words = len(normalize(text).key_tokens)
        read = (
            float(fused[best]),
            confidence,
            second_score,
            float(whole.lexical[best]),
            float(whole.nearest[best]),
            float(whole.centre[best]),
            ordinary_words,
            ordinary_nearest,
            float(np.log1p(n_words)),
            self._unknown_share(text),
            threshold_of(best),
            float(np.log(max(1, self._phrasings[best]))),
        )
        return Ranked(best, confidence, second, second_score, read, whole.lexical, whole.nearest)


class HybridClassifier:
    """Intents: the fuzzy classifier's scores (examples + keywords) fused with the
    encoder's similarity to each intent's examples."""

    def __init__(
        self,
        intents: Sequence[Intent],
        encoder: Encoder,
        calibrated: Calibration,
        threshold: float | None = None,
    ) -> None:
        self.lexical = IntentClassifier(intents, weights=LEXICAL)
        self.names = self.lexical.names
        by_name = {name: i for i, name in enumerate(self.names)}
        phrases = [(by_name[i.name], e) for i in intents for e in i.examples]
        phrasings = [0] * len(self.names)
        for label, _ in phrases:
            phrasings[label] += 1
        self._scorer = _Scorer(
            self.lexical.score_array,
            LabelSpace(phrases, len(self.names), encoder),
            calibrated.fusion,
            intents=True,
            unknown_share=self.lexical.unknown_share,
            phrasings=phrasings,
        )
        self.threshold = calibrated.intent_threshold if threshold is None else threshold
        # per-intent thresholds and the learned acceptance apply only when the global
        # threshold is the calibrated one
        self.thresholds = dict(calibrated.intent_thresholds) if threshold is None else {}
        self.acceptance: Acceptance | None = (
            calibrated.intent_acceptance if threshold is None else None
        )

    def threshold_for(self, name: str) -> float:
        return self.thresholds.get(name, self.threshold)

    def scores(self, text: str) -> dict[str, float]:
        """Fused score of every intent (for evaluation and calibration)."""
        fused = self._scorer.scores(text)
        return {name: float(fused[i]) for i, name in enumerate(self.names)}

    def top(self, text: str, n: int = 3) -> list[Candidate]:
        fused = self._scorer.scores(text)
        order = np.lexsort((np.arange(len(fused)), -fused))[:n]
        return [Candidate(self.names[i], round(float(fused[i]), 4), "") for i in order]

    def ranked(self, text: str, *, features: bool = False) -> Ranked:
        """The ranking, with the acceptance features when asked (calibration asks)."""
        return self._scorer.ranked(
            text, lambda label: self.threshold_for(self.names[label]), features
        )

    def classify(self, text: str) -> IntentMatch:
        return by_form(
            text, self.names, self._classify(text), self.threshold_for, self.lexical.declared
        )

    def _classify(self, text: str) -> IntentMatch:
        r = self.ranked(text, features=self.acceptance is not None)
        if r.best < 0 or r.confidence <= 0.0:
            return IntentMatch(None, 0.0)
        name, score = self.names[r.best], round(r.confidence, 4)
        accepted = score >= self.threshold_for(name)
        if self.acceptance is not None and (accepted or name not in GUARDED):
            accepted = self.acceptance.accepts(r.features)
        if not accepted:
            return IntentMatch(None, score, name, score)
        runner_up = self.names[r.second] if r.second is not None else None
        return IntentMatch(name, score, runner_up, round(r.second_score, 4))


class HybridMatcher:
    """Objections: every phrasing of every objection in scope (text and variants). A
    customer's one-phrasing objections are ranked apart (``mbs.nlu.sparse``) when the
    calibration says how; ``intents``: those in scope, their rivals there."""

    def __init__(
        self,
        packs: Sequence[ObjectionPack],
        encoder: Encoder,
        calibrated: Calibration,
        threshold: float | None = None,
        intents: Sequence[Intent] = (),
    ) -> None:
        self.lexical = ObjectionMatcher(packs, weights=LEXICAL)
        self.entries: list[tuple[str, Objection]] = self.lexical.entries
        phrases = [
            (label, phrase)
            for label, (_, objection) in enumerate(self.entries)
            for phrase in (objection.text, *objection.variants, *objection.borrowed)
        ]
        phrasings = [1 + len(o.variants) + len(o.borrowed) for _, o in self.entries]
        # the second encoder loads only for a scope with customer objections
        any_sparse = any(is_sparse(o) for _, o in self.entries)
        second = sparse_encoder(calibrated.sparse) if any_sparse else None
        self.sparse: SparseObjections | None = None
        if second is not None and calibrated.sparse is not None:
            self.sparse = SparseObjections.of(self.entries, intents, second, calibrated.sparse)
        self._scorer = _Scorer(
            self.lexical.score_array,
            LabelSpace(phrases, len(self.entries), encoder),
            calibrated.objections,
            intents=False,
            unknown_share=self.lexical.unknown_share,
            phrasings=phrasings,
            excluded=[is_sparse(o) for _, o in self.entries] if self.sparse is not None else (),
        )
        self.threshold = calibrated.objection_threshold if threshold is None else threshold
        self.sparse_labels = [n < SPARSE for n in phrasings]
        # sparse objections' own threshold (None: none applies), only when the global
        # one is the calibrated one
        sparse = calibrated.sparse_objection_threshold
        self.sparse_threshold = sparse if threshold is None and any(self.sparse_labels) else None
        self.acceptance: Acceptance | None = (
            calibrated.objection_acceptance if threshold is None else None
        )

    def threshold_for(self, label: int) -> float:
        """The acceptance threshold of the objection at ``label`` in ``entries``."""
        if self.sparse_threshold is not None and self.sparse_labels[label]:
            return self.sparse_threshold
        return self.threshold

    def _fused(self, text: str) -> Vectors:
        """Every objection's score: the fused one, or the sparse ranking's."""
        fused = self._scorer.scores(text)
        if self.sparse is not None:
            fused = fused.copy()
            fused[self.sparse.labels] = self.sparse.scores(text, self.lexical.score_array(text))
        return fused

    def scores(self, text: str) -> list[float]:
        """Score of every objection, by index in ``entries``."""
        return [float(s) for s in self._fused(text)]

    def top(self, text: str, n: int = 3) -> list[Candidate]:
        fused = self._fused(text)
        order = np.lexsort((np.arange(len(fused)), -fused))[:n]
        return [
            Candidate(self.entries[i][1].text, round(float(fused[i]), 4), "", self.entries[i][0])
            for i in order
        ]

    def ranked(self, text: str, *, features: bool = False) -> Ranked:
        """The ranking, with the acceptance features when asked (calibration asks)."""
        return self._scorer.ranked(text, self.threshold_for, features)

    def ranked_sparse(self, text: str, main: Ranked | None = None) -> SparseRanked:
        """The sparse objections' ranking (``NOTHING`` without any), with the lexical
        and semantic evidence ``main``, the main ranking of ``text``, has computed."""
        if self.sparse is None:
            return NOTHING
        if main is None or main.lexical is None or main.nearest is None:
            main = self.ranked(text)
        assert main.lexical is not None and main.nearest is not None
        return self.sparse.ranked(text, main.lexical, main.nearest)

    def match(self, text: str) -> ObjectionMatch:
        formed = read_by_form(text, self.lexical.by_form)
        if formed is not None:
            # the objection its form names (``mbs.nlu.objection_forms``), at least as
            # sure as a form; the best other one is the runner-up
            fused = self._fused(text)
            others = fused.copy()
            others[formed] = -np.inf
            second = int(np.argmax(others)) if len(fused) > 1 else None
            runner_up = (second, float(fused[second]) if second is not None else 0.0)
            sure = round(max(float(fused[formed]), FORM_SCORE), 4)
            return self._result(formed, sure, True, runner_up)
        r = self.ranked(text, features=self.acceptance is not None)
        s = self.ranked_sparse(text, r)
        best, score, accepted, certainty = -1, 0.0, False, 0.0
        if r.best >= 0 and r.confidence > 0.0:
            best, score = r.best, round(r.confidence, 4)
            if self.acceptance is not None:
                certainty = self.acceptance.probability(r.features)
                accepted = certainty >= self.acceptance.cutoff_for(r.features)
            else:
                accepted = score >= self.threshold_for(best)
        if s.best >= 0:
            s_score = round(s.score, 4)
            # the calibrated acceptance, or a threshold a scenario set
            s_accepted = s.accepted if self.acceptance is not None else s_score >= self.threshold
            # the surer of the two rankings: accepted first, then the model's certainty
            # (the threshold rule: the score)
            if (s_accepted, s.probability if self.acceptance else s_score) > (
                accepted,
                certainty if self.acceptance else score,
            ):
                runner_up = (best, score) if best >= 0 else (s.second, s.second_score)
                return self._result(s.best, s_score, s_accepted, runner_up)
            runner_up = (s.best, s.score)
        else:
            runner_up = (r.second, r.second_score)
        if best < 0:
            return ObjectionMatch(None, 0.0)
        return self._result(best, score, accepted, runner_up)

    def _result(
        self, best: int, score: float, accepted: bool, runner_up: tuple[int | None, float]
    ) -> ObjectionMatch:
        pack, objection = self.entries[best]
        if not accepted:
            return ObjectionMatch(None, score, runner_up=objection.text, runner_up_score=score)
        second, second_score = runner_up
        return ObjectionMatch(
            objection.text,
            score,
            response=objection.response,
            audio=objection.audio,
            pack=pack,
            runner_up=self.entries[second][1].text if second is not None else None,
            runner_up_score=round(second_score, 4),
        )


# ---------------------------------------------------------------- shared indexes

_CACHE_SIZE = 16
_cache: OrderedDict[tuple[str, ...], object] = OrderedDict()
_cache_lock = threading.Lock()


def _content_key(
    kind: str, items: Sequence[Any], encoder: Encoder, calibrated: Calibration
) -> tuple[str, ...]:
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.model_dump_json().encode())
    return (kind, digest.hexdigest(), encoder.name, repr(calibrated))


def _cached(key: tuple[str, ...], build: Callable[[], object]) -> object:
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    built = build()
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def shared_classifier(
    intents: Sequence[Intent], encoder: Encoder, calibrated: Calibration, threshold: float | None
) -> HybridClassifier:
    """A classifier for these intents, built once per content (thresholds are per call:
    the index is shared, the acceptance is not)."""
    key = _content_key("intents", intents, encoder, calibrated)
    base = _cached(key, lambda: HybridClassifier(intents, encoder, calibrated))
    assert isinstance(base, HybridClassifier)
    return _with_threshold(base, threshold)


def shared_matcher(
    packs: Sequence[ObjectionPack],
    encoder: Encoder,
    calibrated: Calibration,
    threshold: float | None,
    intents: Sequence[Intent] = (),
) -> HybridMatcher:
    """A matcher for these packs (``intents``: those in scope), built once per content."""
    key = _content_key("objections", [*packs, *intents], encoder, calibrated)
    base = _cached(key, lambda: HybridMatcher(packs, encoder, calibrated, intents=intents))
    assert isinstance(base, HybridMatcher)
    if threshold is None:
        return base
    clone = HybridMatcher.__new__(HybridMatcher)
    clone.__dict__.update(base.__dict__)
    clone.threshold = threshold
    clone.sparse_threshold = None
    clone.acceptance = None
    return clone


def _with_threshold(base: HybridClassifier, threshold: float | None) -> HybridClassifier:
    if threshold is None:
        return base
    clone = HybridClassifier.__new__(HybridClassifier)
    clone.__dict__.update(base.__dict__)
    clone.threshold = threshold
    clone.thresholds = {}
    clone.acceptance = None
    return clone
