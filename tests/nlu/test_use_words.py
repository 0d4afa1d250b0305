"""USE distilled into word vectors (``mbs.nlu.use_words``, encoder ``use-words``): each
word's row is USE's vector of that word alone, centred; a text is the mean of its
words' rows; the table is built once per machine without the network and survives bad
cache files."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from mbs.nlu import use_words
from mbs.nlu.encoder import Encoder, UseWordsEncoder
from mbs.nlu.use_model import RowFile, UseModel, clean
from mbs.program import Program
from mbs.runtime.builtins.hybrid import HybridNlu


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def built(folder: Path) -> UseWordsEncoder:
    """The encoder with its table built in a fresh cache folder, the network refused."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MBS_CACHE_DIR", str(folder))

        def refuse(*args: object, **kwargs: object) -> None:
            raise OSError("network access attempted")

        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        first = UseWordsEncoder()
        assert len(list(folder.glob("use-words-*.npy"))) == 1
        # read back from the cache, its words too (not gathered from the dictionary)
        patch.setattr(use_words, "dictionary_lemmas", lambda: pytest.fail("gathered again"))
        again = UseWordsEncoder()
    assert isinstance(again._table._rows, RowFile)
    texts = ["trop cher", "rappelez moi demain"]
    assert np.allclose(first.encode(texts), again.encode(texts), atol=1e-6)
    return again


def test_centring_removes_the_mean_and_the_top_components() -> None:
    rng = np.random.default_rng(7)
    reference = (rng.normal(size=(200, 16)) + 5.0).astype(np.float32)
    reference[:, 0] *= 10  # a dominant direction
    out = use_words.centred(reference, reference, top=2)
    assert np.allclose(out.mean(axis=0), 0.0, atol=1e-3)
    mean = reference.mean(axis=0)
    _, _, components = np.linalg.svd(reference - mean, full_matrices=False)
    assert np.allclose(out @ components[:2].T, 0.0, atol=1e-3)
    # what is left of the other directions is untouched
    rest = components[2:]
    assert np.allclose(out @ rest.T, (reference - mean) @ rest.T, atol=1e-3)


def test_a_word_is_uses_vector_of_it_alone_centred_on_the_library(
    built: UseWordsEncoder, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MBS_CACHE_DIR", str(folder))  # USE's table, built with ours
    model = UseModel()
    library = use_words.library_words()
    reference = model.encode(library)
    words = ["cher", "banquier", "rappeler"]
    expected = use_words.centred(model.encode(words), reference)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    got = built.encode(words)
    assert np.all(np.sum(expected * got, axis=1) > 0.999)


def test_words_are_looked_up_by_lemma_and_unknown_ones_add_nothing(
    built: UseWordsEncoder,
) -> None:
    assert isinstance(built, Encoder)
    assert built.prepare("Euh, je n'ai PAS le temps là !") == "pas temps"
    plural, singular = built.encode(["banquiers", "banquier"])
    assert float(plural @ singular) > 0.999  # both are the lemma's row
    known, with_noise = built.encode(["trop cher", "trop cher xqzwvk"])
    assert float(known @ with_noise) > 0.999
    empty = built.encode(["", "xqzwvk", built.prepare("🙂🙂")])
    assert not empty.any()


def test_paraphrases_are_nearer_than_unrelated_answers(built: UseWordsEncoder) -> None:
    texts = ["c'est hors de prix", "c'est trop cher", "j'habite à Nantes depuis dix ans"]
    price, expensive, home = built.encode([built.prepare(t) for t in texts])
    assert float(price @ expensive) > float(price @ home) + 0.3


def test_a_damaged_or_unwritable_cache_is_rebuilt_or_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def build() -> use_words.Vectors:
        calls.append(1)
        return np.arange(12, dtype=np.float32).reshape(3, 4)

    monkeypatch.setenv("MBS_CACHE_DIR", str(tmp_path / "cache"))
    first = use_words._cached("k", (3, 8), build)
    assert isinstance(first, RowFile) and calls == [1]
    (path,) = (tmp_path / "cache").glob("use-words-k.npy")
    path.write_bytes(path.read_bytes()[:100])  # truncated
    again = use_words._cached("k", (3, 8), build)
    assert calls == [1, 1]
    row = again[np.array([2])].view(np.float16).astype(np.float32)
    assert use_words._cached("k", (3, 8), build) is not None and calls == [1, 1]  # read
    use_words._cached("k", (4, 8), build)  # a file of another shape is not taken
    assert calls == [1, 1, 1]
    assert row.tolist() == [[8.0, 9.0, 10.0, 11.0]]
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("MBS_CACHE_DIR", str(blocker / "cache"))
    in_memory = use_words._cached("k", (3, 8), build)
    assert not isinstance(in_memory, RowFile)
    assert in_memory[np.array([1])].view(np.float16).tolist() == [[4.0, 5.0, 6.0, 7.0]]


def test_the_builtin_takes_it_with_its_own_calibration(
    stdlib_program: Program, built: UseWordsEncoder, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mbs.nlu.calibration import calibration

    monkeypatch.setenv("MBS_CACHE_DIR", str(folder))  # the table built above: not twice
    nlu = HybridNlu(stdlib_program, {"encoder": "use-words"})
    assert nlu.intents._scorer._space.encoder.name == UseWordsEncoder.name
    assert calibration("use-words").encoder == UseWordsEncoder.name
    assert nlu.objections.match("c'est vraiment hors de prix pour nous").objection is not None
    assert clean(nlu.intents.classify("").intent or "") == ""
