"""The scoring core shared by intents and objections: one utterance against many phrases.

Each phrase (an intent example, an objection or one of its variants) is normalised once,
at construction, into a set of weighted tokens (content stems), its bigrams and a joined
string. An utterance is normalised the same way; its tokens that are not in the
vocabulary are mapped to the closest vocabulary token when they are close enough (speech
to text misspells: "interesé", "rapeler"). Only phrases that share a token with the
utterance are scored (an inverted index), all at once in numpy arrays: a match costs
about a hundred microseconds over the whole stdlib's 2,700 phrasings.

The score of an utterance *u* against a phrase *p* of label *L* (all in [0, 1]):

- ``T``: an F-beta measure (beta 0.8, leaning to precision) over idf-weighted tokens.
  Recall = how much of *p* the utterance says; precision = how much of the utterance
  the label explains, pooled over all of *L*'s phrasings (a paraphrase mixes words of
  several variants). Idf is counted per label; light words ("deux", "faire") weigh
  half; words unknown to every phrase weigh 1.4 x the median idf, so an ordinary answer
  full of unrelated words ("oui j'habite à Lyon") gets low precision.
- ``B``: the share of *p*'s ordered word pairs (neighbours, or one word apart) that *u*
  says in that order: "j'ai pas le temps" is not "pas mal de temps".
- ``C``: character similarity (rapidfuzz ``ratio``) of the joined token strings: tolerant
  to spelling, strict on length.

``score = 0.7*T + 0.1*B + 0.2*C``, multiplied by ``negation_penalty`` (0.55) when
exactly one of *u* and *p* is negative ("je suis intéressé" vs "je ne suis pas
intéressé"). A label scores its best phrasing. See docs/nlu.md for how the weights were
chosen.
"""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from mbs.nlu.lexicon import LIGHT_WORDS
from mbs.nlu.normalize import lemma_stem, normalize

# What is scored of a text (an utterance or a phrase): a turn of speech or a phrasing is
# a few dozen words; a longer one (a stuck speech-to-text, a pasted document) is judged
# on its beginning, so that no input makes a match slow.
MAX_CHARS = 400


@functools.cache
def _light_tokens() -> frozenset[str]:
    """The matching tokens of LIGHT_WORDS. Built on first use, not at import: lemmatising
    loads simplemma's French dictionary (~0.2 s), which `mbs --help` need not pay."""
    return frozenset(lemma_stem(w) for w in LIGHT_WORDS)


@dataclass(frozen=True, slots=True)
class Weights:
    """Tuning knobs of the score; the defaults were chosen on tests/nlu/eval_set.jsonl."""

    token: float = 0.7
    bigram: float = 0.1
    chars: float = 0.2
    beta: float = 0.8  # F-beta: < 1 leans to precision (what the utterance says is explained)
    negation_penalty: float = 0.55
    fuzzy_token_cutoff: float = 84.0  # rapidfuzz ratio to map an unknown token
    fuzzy_token_min_len: int = 4
    unknown: float = 1.4  # weight of a word no phrase has, times the median idf
    light: float = 0.5  # weight factor of LIGHT_WORDS
    pooled: float = 1.0  # share of precision computed over all phrasings of the label


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class _Phrase:
    label: int
    text: str
    tokens: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    joined: str
    weight: float
    negated: bool


@dataclass(frozen=True, slots=True)
class _Query:
    tokens: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    joined: str
    weight: float
    negated: bool


def _bigrams(tokens: Sequence[str]) -> frozenset[tuple[str, str]]:
    """Ordered pairs of neighbours, allowing one word in between ("pas [du tout] besoin")."""
    return frozenset(itertools.pairwise(tokens)) | frozenset(zip(tokens, tokens[2:], strict=False))


class PhraseIndex:
    """Phrases labelled with an integer (the intent or objection they belong to)."""

    def __init__(
        self, phrases: Sequence[tuple[int, str]], weights: Weights = DEFAULT_WEIGHTS
    ) -> None:
        self.weights = weights
        normalised = [(label, text, normalize(text[:MAX_CHARS])) for label, text in phrases]
        # document frequency per label, not per phrase: many variants of one objection
        # must not make its words look common.
        labels_with: dict[str, set[int]] = {}
        for label, _, n in normalised:
            for t in n.key_tokens:
                labels_with.setdefault(t, set()).add(label)
        n_labels = max(1, len({label for label, _, _ in normalised}))
        self._idf: dict[str, float] = {
            t: 1.0 + math.log((n_labels + 1) / (len(ls) + 0.5)) for t, ls in labels_with.items()
        }
        self._unknown = (
            statistics.median(self._idf.values()) * weights.unknown if self._idf else 1.0
        )
        self._light = _light_tokens()
        for t in self._idf.keys() & self._light:
            self._idf[t] *= weights.light
        self._vocab = list(self._idf)
        self._mapped: dict[str, str] = {}
        self._phrases: list[_Phrase] = []
        self._postings: dict[str, list[int]] = {}
        self._label_tokens: dict[int, set[str]] = {}
        for label, text, n in normalised:
            tokens = n.key_tokens
            if not tokens:
                continue
            index = len(self._phrases)
            tokset = frozenset(tokens)
            self._phrases.append(
                _Phrase(
                    label=label,
                    text=text,
                    tokens=tokset,
                    bigrams=_bigrams(tokens),
                    joined=" ".join(tokens),
                    weight=sum(self._idf[t] for t in tokset),
                    negated=n.negated,
                )
            )
            for t in tokset:
                self._postings.setdefault(t, []).append(index)
            self._label_tokens.setdefault(label, set()).update(tokset)
        self._arrays = _Arrays.build(self._phrases, self._postings, labels_with)

    # ----------------------------------------------------------------- utterances

    def weight(self, token: str) -> float:
        w = self._idf.get(token)
        if w is not None:
            return w
        return self._unknown * self.weights.light if token in self._light else self._unknown

    def _map(self, token: str) -> str:
        """The vocabulary token an utterance token stands for (itself when unknown)."""
        if token in self._idf or len(token) < self.weights.fuzzy_token_min_len:
            return token
        cached = self._mapped.get(token)
        if cached is not None:
            return cached
        best = process.extractOne(
            token, self._vocab, scorer=fuzz.ratio, score_cutoff=self.weights.fuzzy_token_cutoff
        )
        mapped = best[0] if best is not None else token
        if len(self._mapped) < 100_000:
            self._mapped[token] = mapped
        return mapped

    def unknown_share(self, text: str) -> float:
        """The share of the text's content words that no phrase uses (0 for none)."""
        tokens = normalize(text[:MAX_CHARS]).key_tokens
        if not tokens:
            return 0.0
        return sum(t not in self._idf for t in tokens) / len(tokens)

    def query(self, text: str) -> _Query:
        n = normalize(text[:MAX_CHARS])
        tokens = tuple(self._map(t) for t in n.key_tokens)
        tokset = frozenset(tokens)
        return _Query(
            tokens=tokset,
            bigrams=_bigrams(tokens),
            joined=" ".join(tokens),
            weight=sum(self.weight(t) for t in tokset),
            negated=n.negated,
        )

    # -------------------------------------------------------------------- scoring

    def _score(self, q: _Query, p: _Phrase, pooled_cache: dict[int, float] | None = None) -> float:
        """The score of one phrase, as the module docstring defines it: the readable
        definition, which ``best_for`` computes on arrays (a property test holds them
        equal)."""
        w = self.weights
        idf = self._idf
        matched = sum(idf[t] for t in q.tokens & p.tokens)
        if matched <= 0.0:
            return 0.0
        recall = matched / p.weight
        precision = matched / q.weight
        if w.pooled:
            # the same for every phrasing of a label: computed once per query and label
            pooled = pooled_cache.get(p.label) if pooled_cache is not None else None
            if pooled is None:
                pooled = sum(idf[t] for t in q.tokens & self._label_tokens[p.label])
                if pooled_cache is not None:
                    pooled_cache[p.label] = pooled
            precision = (1 - w.pooled) * precision + w.pooled * pooled / q.weight
        b2 = w.beta * w.beta
        token = (1 + b2) * recall * precision / (b2 * precision + recall)
        bigram = len(q.bigrams & p.bigrams) / len(p.bigrams) if p.bigrams else token
        chars = fuzz.ratio(q.joined, p.joined) / 100.0
        score = w.token * token + w.bigram * bigram + w.chars * chars
        if q.negated != p.negated:
            score *= w.negation_penalty
        return min(1.0, score)

    def best_per_label(self, text: str) -> dict[int, tuple[float, str]]:
        """For each label with a phrase sharing a token with ``text``: (best score, phrase)."""
        return self.best_for(self.query(text))

    def best_for(self, q: _Query) -> dict[int, tuple[float, str]]:
        """``best_per_label`` of an utterance already turned into a query: ``_score`` of
        every phrase sharing a token with it, computed on all of them at once."""
        found = self._scored(q)
        if found is None:
            return {}
        rows, labels, score = found
        # per label, its best phrase (ties: the first declared)
        order = np.lexsort((rows, -score, labels))
        first = np.ones(len(order), dtype=bool)
        first[1:] = labels[order][1:] != labels[order][:-1]
        return {
            int(labels[i]): (float(score[i]), self._phrases[int(rows[i])].text)
            for i in order[first]
        }

    def best_array(self, text: str, n_labels: int) -> npt.NDArray[np.float32]:
        """The best score of every label 0..n_labels-1 (0 when no phrase shares a token):
        ``best_per_label`` without the phrases, for the hybrid scorer."""
        out = np.zeros(n_labels, dtype=np.float32)
        found = self._scored(self.query(text))
        if found is not None:
            _, labels, score = found
            np.maximum.at(out, labels, score.astype(np.float32))
        return out

    def _scored(
        self, q: _Query
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
        """(phrases sharing a token with ``q``, their labels, their scores), or None."""
        a, w, idf = self._arrays, self.weights, self._idf
        if not q.tokens or not a.size:
            return None
        matched = np.zeros(a.size)
        pooled = np.zeros(a.n_labels)
        for t in q.tokens:
            rows = a.postings.get(t)
            if rows is not None:
                matched[rows] += idf[t]  # a phrase appears once per token: no repeats
                pooled[a.label_postings[t]] += idf[t]
        rows = np.flatnonzero(matched)
        if not len(rows):
            return None
        matched, labels = matched[rows], a.labels[rows]
        recall = matched / a.weights[rows]
        precision = (1 - w.pooled) * matched / q.weight + w.pooled * pooled[labels] / q.weight
        b2 = w.beta * w.beta
        token = (1 + b2) * recall * precision / (b2 * precision + recall)
        pairs = np.zeros(a.size)
        for bigram in q.bigrams:
            found = a.bigram_postings.get(bigram)
            if found is not None:
                pairs[found] += 1.0
        n_bigrams = a.n_bigrams[rows]
        bigram_share = np.where(n_bigrams > 0, pairs[rows] / np.maximum(n_bigrams, 1), token)
        chars = process.cdist(
            [q.joined], a.joined[rows].tolist(), scorer=fuzz.ratio, dtype=np.float64
        )[0]
        score = w.token * token + w.bigram * bigram_share + w.chars * chars / 100.0
        score = np.where(a.negated[rows] != q.negated, score * w.negation_penalty, score)
        return rows, labels, np.minimum(1.0, score)


@dataclass(frozen=True, slots=True)
class _Arrays:
    """The phrases as arrays (one row per phrase), for ``PhraseIndex.best_for``."""

    size: int
    n_labels: int
    labels: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]
    negated: npt.NDArray[np.bool_]
    n_bigrams: npt.NDArray[np.float64]
    joined: npt.NDArray[np.object_]  # the joined tokens, as strings
    postings: dict[str, npt.NDArray[np.int64]]  # token -> phrases holding it
    label_postings: dict[str, npt.NDArray[np.int64]]  # token -> labels holding it
    bigram_postings: dict[tuple[str, str], npt.NDArray[np.int64]]

    @classmethod
    def build(
        cls,
        phrases: Sequence[_Phrase],
        postings: dict[str, list[int]],
        labels_with: dict[str, set[int]],
    ) -> _Arrays:
        pairs: dict[tuple[str, str], list[int]] = {}
        for i, p in enumerate(phrases):
            for bigram in p.bigrams:
                pairs.setdefault(bigram, []).append(i)

        def array(values: Sequence[int]) -> npt.NDArray[np.int64]:
            return np.array(values, dtype=np.int64)

        return cls(
            size=len(phrases),
            n_labels=max((p.label for p in phrases), default=-1) + 1,
            labels=array([p.label for p in phrases]),
            weights=np.array([p.weight for p in phrases], dtype=np.float64),
            negated=np.array([p.negated for p in phrases], dtype=bool),
            n_bigrams=np.array([len(p.bigrams) for p in phrases], dtype=np.float64),
            joined=np.array([p.joined for p in phrases], dtype=object),
            postings={t: array(rows) for t, rows in postings.items()},
            label_postings={t: array(sorted(ls)) for t, ls in labels_with.items()},
            bigram_postings={b: array(rows) for b, rows in pairs.items()},
        )
