"""French normalisation for matching what a prospect said against what a scenario expects.

Speech-to-text output is lower-case-ish, unpunctuated and full of spoken spellings
("chui pas intéressé", "ouais d'acc"); scenario authors write tidy French. Both sides go
through the same steps so that they meet in the middle:

1. Unicode NFKC, lower case, typographic apostrophes and dashes made plain.
2. Accents folded (``é`` -> ``e``, ``œ`` -> ``oe``): STT engines disagree on accents.
3. Spoken and STT spellings rewritten (``chui`` -> ``je suis``, ``ouai`` -> ``ouais``,
   ``okay`` -> ``ok``, ``d'acc`` -> ``d'accord``, ``pas de souci`` -> ``sans probleme``).
4. Elisions expanded (``j'`` -> ``je``, ``qu'`` -> ``que``...), remaining punctuation
   removed, digits split from letters, small numbers written as words.
5. Tokens split into *words* (everything) and *content* (stop words removed; negations
   and meaning words kept; a few sales-call synonyms mapped to one word: ``mari``,
   ``femme`` -> ``conjoint``), content words stemmed (Snowball French).

The result is cached per input string: the same utterance is normalised once per process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from mbs.nlu.lexicon import (
    ELISIONS,
    NEGATIONS,
    NUMBER_WORDS,
    SPEECH_VARIANTS,
    STOP_WORDS,
    SYNONYMS,
)

_APOSTROPHES = str.maketrans({c: "'" for c in "’‘`´ʼʹ′＇"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})

_VARIANTS = tuple(
    (re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])"), replacement)
    for pattern, replacement in SPEECH_VARIANTS
)
_ELISION = re.compile(r"\b(" + "|".join(sorted(ELISIONS, key=len, reverse=True)) + r")'")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_NON_WORD = re.compile(r"[^a-z0-9]+")

_stemmer = snowballstemmer.stemmer("french")


@dataclass(frozen=True, slots=True)
class Normalized:
    """One string, normalised. ``text`` is the canonical form compared for equality."""

    text: str  # all words, single-spaced
    words: tuple[str, ...]  # all words
    content: tuple[str, ...]  # words without stop words, in order
    stems: tuple[str, ...]  # stems of ``content``, same order
    negated: bool  # the sentence carries a negation

    @property
    def key_tokens(self) -> tuple[str, ...]:
        """The tokens to score on: content stems, or all words when nothing else is left
        ("c'est ça" has only stop words, and still means something)."""
        return self.stems if self.stems else self.words


def fold(text: str) -> str:
    """Lower case, plain apostrophes and dashes, no accents ("où" stays apart from "ou")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("où", "ouu")
    text = text.translate(_APOSTROPHES).translate(_DASHES).translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball French stem of a folded word (cached)."""
    return str(_stemmer.stemWord(word))


@lru_cache(maxsize=65536)
def normalize(text: str) -> Normalized:
    """Normalise one utterance or phrase (cached per string)."""
    s = fold(text)
    for pattern, replacement in _VARIANTS:
        s = pattern.sub(replacement, s)
    s = _ELISION.sub(lambda m: ELISIONS[m.group(1)] + " ", s)
    s = _NON_WORD.sub(" ", s)
    s = _DIGIT_LETTER.sub(" ", s)
    words = tuple(NUMBER_WORDS.get(w, w) for w in s.split())
    content: list[str] = []
    for w in words:
        if w in STOP_WORDS:
            continue
        w = SYNONYMS.get(w, w)
        if content and content[-1] == w:  # "non non non", "oui oui"
            continue
        content.append(w)
    wordset = set(words)
    negated = bool(wordset & NEGATIONS) or ("plus" in wordset and "ne" in wordset)
    return Normalized(
        text=" ".join(words),
        words=words,
        content=tuple(content),
        stems=tuple(stem(w) for w in content),
        negated=negated,
    )


def normal_form(text: str) -> str:
    """The canonical text of a phrase: two phrases are 'the same' when these are equal."""
    return normalize(text).text
