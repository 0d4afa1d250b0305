"""Sentence encoders for the semantic half of the hybrid NLU.

An :class:`Encoder` turns texts into unit vectors; two texts that mean the same thing
should have a high dot product. The default is WordLlama's 256-dimension static token
embeddings (``wordllama``, MIT, weights and tokenizer inside its wheel, numpy only): an
utterance costs a few hundredths of a millisecond. The Universal Sentence Encoder
multilingual (``UseEncoder``, setting ``encoder = "use"``) ranks paraphrases better for
about 1.5 ms. A stronger encoder (an ONNX sentence
encoder, an Ollama embedding model) plugs in the same way, by implementing the protocol
and being passed to ``HybridClassifier`` / ``HybridMatcher``; nothing downloads at run
time: an encoder loads what is installed or fails.

Each model is loaded once per process, lazily (on the first program built with it), and
shared by every classifier: ``mbs --help`` never pays for it.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from mbs.nlu.calibration import DEFAULT_ENCODER
from mbs.nlu.lexicon import ELISIONS, STOP_WORDS
from mbs.nlu.normalize import fold, plain_text

Vectors = npt.NDArray[np.float32]


class EncoderUnavailable(RuntimeError):
    """The encoder's model files are not installed (nothing is ever downloaded)."""


@runtime_checkable
class Encoder(Protocol):
    """Texts -> one L2-normalised float32 row each (shape ``(len(texts), dim)``)."""

    name: str  # identifies the model in cache keys and calibration data
    dim: int

    def prepare(self, text: str) -> str:
        """What of an utterance the encoder is given ("" when nothing is left)."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def _normalise_rows(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0  # an empty text stays the zero vector: similar to nothing
    out: Vectors = (vectors / norms).astype(np.float32, copy=False)
    return out


_WORD = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=8192)
def content_words(text: str) -> str:
    """The words in lower case, accents kept (WordLlama's tokenizer knows accented
    French), without the normaliser's stop words (articles, pronouns, fillers: they
    dilute an average of word vectors; negations stay). On the development set this beat
    both the raw text and the folded, stemmed tokens."""
    words = _WORD.findall(plain_text(text).replace("'", " "))
    content = [w for w in words if fold(w) not in STOP_WORDS and fold(w) not in ELISIONS]
    return " ".join(content or words)


def _import_wordllama() -> Any:
    """Import wordllama without its import-time ``logging.basicConfig(level=INFO)``, which
    would otherwise install a handler on the root logger of the whole process."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    return wordllama


class WordLlamaEncoder:
    """WordLlama ``l2_supercat`` 256-d, loaded from the installed package only.

    ``WordLlama.load`` looks for the tokenizer under ``<package>/tokenizer/`` (a folder
    the wheel does not have), then under ``<cache_dir>/tokenizers/``, then downloads.
    The wheel ships ``<package>/tokenizers/`` and ``<package>/weights/``, so passing the
    package folder as ``cache_dir`` with downloads disabled finds both locally, and a
    missing file is an error instead of a network request.
    """

    name = "wordllama-l2_supercat-256"
    dim = 256

    def __init__(self) -> None:
        wordllama = _import_wordllama()
        folder = Path(wordllama.__file__).parent
        try:
            model = wordllama.WordLlama.load(
                config="l2_supercat", dim=self.dim, cache_dir=folder, disable_download=True
            )
        except (FileNotFoundError, OSError) as exc:
            raise EncoderUnavailable(f"wordllama model files missing in {folder}: {exc}") from exc
        self._tokenizer = model.tokenizer
        self._tokenizer.no_padding()  # one text at a time: no padding to mask out
        # Kept in float16 as shipped (16 MB instead of WordLlama's 32 MB float32 copy);
        # the few rows of a text are widened when averaged.
        self._table = model.embedding.astype(np.float16)

    def prepare(self, text: str) -> str:
        return content_words(text)

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        last = len(self._table) - 1
        for i, text in enumerate(texts):
            ids = self._tokenizer.encode(text, add_special_tokens=False).ids
            if ids:
                mean = self._table[np.clip(ids, 0, last)].mean(axis=0, dtype=np.float32)
                norm = float(np.sqrt(mean @ mean))
                out[i] = mean / norm if norm else mean  # an empty text stays the zero vector
        return out


class UseEncoder:
    """Universal Sentence Encoder multilingual v3, 512-d (``mbs.nlu.use_model``).

    Contextual (word n-grams through a CNN, then a deep averaging network, trained on
    question/answer and translation pairs): it puts "hors de prix" near "trop cher" and
    "vous êtes humaine ?" near "je parle à un robot ?", where averaged word vectors see
    different words. Sees the whole plain text, function words and negations included:
    it encodes them itself (removing them cost 5 to 10 points of top-1 on the
    development set). About 1.5 ms per utterance.
    """

    name = "use-multilingual-v3-latin"
    dim = 512

    def __init__(self) -> None:
        from mbs.nlu.use_model import ModelUnavailable, UseModel

        try:
            self._model = UseModel()
        except ModelUnavailable as exc:
            raise EncoderUnavailable(str(exc)) from exc

    def prepare(self, text: str) -> str:
        return _use_text(text)

    def encode(self, texts: Sequence[str]) -> Vectors:
        from mbs.nlu.use_model import clean

        cleaned = [clean(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        rows = [i for i, t in enumerate(cleaned) if t]
        if rows:  # an empty text stays the zero vector: similar to nothing
            out[rows] = self._model.encode([cleaned[i] for i in rows])
        return _normalise_rows(out)


class UseWordsEncoder:
    """USE distilled into static word vectors (``mbs.nlu.use_words``), 512-d: USE's
    knowledge of words at WordLlama's cost. Sees the content words like WordLlama; a
    text is the mean of its words' rows (by lemma), unknown words add nothing."""

    name = "use-words-v1"
    dim = 512

    def __init__(self) -> None:
        from mbs.nlu.use_model import ModelUnavailable
        from mbs.nlu.use_words import WordTable

        try:
            self._table = WordTable()
        except (ModelUnavailable, ImportError) as exc:
            raise EncoderUnavailable(str(exc)) from exc

    def prepare(self, text: str) -> str:
        return _use_words_text(text)

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self._table.row_ids(text.split())
            if ids:
                mean = self._table.rows(ids).mean(axis=0)
                norm = float(np.sqrt(mean @ mean))
                out[i] = mean / norm if norm else mean  # nothing known: the zero vector
        return out


@functools.lru_cache(maxsize=8192)
def _use_words_text(text: str) -> str:
    from mbs.nlu.use_model import clean

    return clean(content_words(text))


@functools.lru_cache(maxsize=8192)
def _use_text(text: str) -> str:
    from mbs.nlu.use_model import clean

    return clean(plain_text(text))


# The encoders ``nlu.hybrid`` knows by name (its ``encoder`` setting).
ENCODERS: dict[str, Callable[[], Encoder]] = {
    "use": UseEncoder,
    "use-words": UseWordsEncoder,
    "wordllama": WordLlamaEncoder,
}

_lock = threading.Lock()
_shared: dict[str, Encoder] = {}


def default_encoder(kind: str = DEFAULT_ENCODER) -> Encoder:
    """The process-wide encoder of this kind (one of ``ENCODERS``), loaded on first use
    (thread-safe)."""
    found = _shared.get(kind)
    if found is None:
        with _lock:
            found = _shared.get(kind)
            if found is None:
                if kind not in ENCODERS:
                    known = ", ".join(sorted(ENCODERS))
                    raise EncoderUnavailable(f"unknown encoder {kind!r} (known: {known})")
                found = _shared[kind] = ENCODERS[kind]()
    return found


def default_encoder_loaded() -> bool:
    """Whether a shared model is in memory (``mbs --help`` must leave it unloaded)."""
    return bool(_shared)
