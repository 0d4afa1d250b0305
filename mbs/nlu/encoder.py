"""Sentence encoders for the semantic half of the hybrid NLU.

An :class:`Encoder` turns texts into unit vectors; two texts that mean the same thing
should have a high dot product. The default is WordLlama's 256-dimension static token
embeddings (``wordllama``, MIT, weights and tokenizer inside its wheel, numpy only): an
utterance costs a few hundredths of a millisecond. A stronger encoder (an ONNX sentence
encoder, an Ollama embedding model) plugs in the same way, by implementing the protocol
and being passed to ``HybridClassifier`` / ``HybridMatcher``; nothing downloads at run
time: an encoder loads what is installed or fails.

The WordLlama model is loaded once per process, lazily (on the first program built with
the hybrid NLU), and shared by every classifier: ``mbs --help`` never pays for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EncoderUnavailable(RuntimeError):
    """The encoder's model files are not installed (nothing is ever downloaded)."""


@runtime_checkable
class Encoder(Protocol):
    """Texts -> one L2-normalised float32 row each (shape ``(len(texts), dim)``)."""

    name: str  # identifies the model in cache keys and calibration data
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def _normalise_rows(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0  # an empty text stays the zero vector: similar to nothing
    out: Vectors = (vectors / norms).astype(np.float32, copy=False)
    return out


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

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self._tokenizer.encode(text, add_special_tokens=False).ids
            if ids:
                rows = self._table[np.clip(ids, 0, len(self._table) - 1)]
                out[i] = rows.mean(axis=0, dtype=np.float32)
        return _normalise_rows(out)


_lock = threading.Lock()
_shared: Encoder | None = None


def default_encoder() -> Encoder:
    """The process-wide WordLlama encoder, loaded on first use (thread-safe)."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = WordLlamaEncoder()
    return _shared


def default_encoder_loaded() -> bool:
    """Whether the shared model is in memory (``mbs --help`` must leave it unloaded)."""
    return _shared is not None
