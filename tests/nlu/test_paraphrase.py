"""The paraphrase map (``mbs.nlu.paraphrase``): a linear map of a static encoder's
vectors, fitted on the library's phrasing groups, shipped per encoder and applied to
every vector the encoder makes."""

from __future__ import annotations

import numpy as np
import pytest

from mbs.nlu.encoder import UseWordsEncoder, WordLlamaEncoder, default_encoder
from mbs.nlu.paraphrase import FitSettings, apply, fit, shipped_map


def _nearest_right(vectors: np.ndarray, groups: np.ndarray) -> float:
    """Share of rows whose nearest other row is of the same group."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(groups[sims.argmax(axis=1)] == groups))


def _topics_and_meanings(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Texts whose group (what they mean) lives in 4 dimensions and whose wording, twice
    as strong and unrelated to the group, lives in 12 others: nearest neighbours by
    cosine find texts worded alike, not texts that mean the same."""
    rng = np.random.default_rng(seed)
    meanings = rng.normal(size=(6, 4))
    rows, groups = [], []
    for g in range(6):
        for _ in range(20):
            wording = rng.normal(size=12) * 2
            rows.append(np.concatenate([meanings[g] + rng.normal(scale=0.3, size=4), wording]))
            groups.append(g)
    return np.array(rows, dtype=np.float32), np.array(groups, dtype=np.int64)


def test_fit_learns_the_directions_that_carry_meaning() -> None:
    train, groups = _topics_and_meanings(1)
    # other meanings and topics, in the same dimensions: the map must carry over to
    # groups it never saw (a customer's own objections)
    unseen, unseen_groups = _topics_and_meanings(2)
    before = _nearest_right(unseen, unseen_groups)
    matrix = fit(train, groups, FitSettings(epochs=60, batch=64, learning_rate=1e-2))
    after = _nearest_right(apply(unseen, matrix), unseen_groups)
    # (the meaning's 4 dimensions alone put 0.87 of the nearest neighbours right)
    assert before < 0.35 and after > 0.55, (before, after)


def test_fit_is_deterministic_and_texts_of_no_group_only_compete() -> None:
    train, groups = _topics_and_meanings(3)
    groups[:10] = -1  # never an anchor, never a right answer
    settings = FitSettings(epochs=3, batch=32)
    first, second = fit(train, groups, settings), fit(train, groups, settings)
    assert np.array_equal(first, second)
    assert first.shape == (16, 16) and np.isfinite(first).all()
    with pytest.raises(ValueError):
        fit(train, groups[:-1], settings)


def test_apply_gives_unit_rows_and_keeps_nothing_as_nothing() -> None:
    vectors = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)
    out = apply(vectors, np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32))
    assert np.allclose(out[0], [3 / np.hypot(3, 8), 8 / np.hypot(3, 8)])
    assert not out[1].any()


@pytest.mark.parametrize("encoder", [WordLlamaEncoder, UseWordsEncoder])
def test_every_static_encoder_ships_a_map_and_uses_it(encoder: type) -> None:
    matrix = shipped_map(encoder.base)
    assert matrix is not None and matrix.shape == (encoder.dim, encoder.dim)
    assert np.isfinite(matrix).all()
    # the map moves the geometry, it does not replace it: close to the identity
    assert np.linalg.norm(matrix - np.eye(encoder.dim)) < np.linalg.norm(np.eye(encoder.dim))


def test_the_default_encoder_maps_what_it_encodes() -> None:
    encoder = default_encoder("wordllama")
    assert encoder.name.endswith("+paraphrase")  # caches of encoded phrasings are rekeyed
    texts = [encoder.prepare(t) for t in ("c'est trop cher pour moi", "rappelez demain")]
    expected = apply(encoder.encode_plain(texts), shipped_map(encoder.base))  # type: ignore[attr-defined]
    assert np.allclose(encoder.encode(texts), expected)
    assert not encoder.encode([""]).any()
