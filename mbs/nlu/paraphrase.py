"""A paraphrase map: a linear map of an encoder's sentence vectors, learned from the
library's phrasings, under which paraphrases come closer than texts on one topic.

A static encoder's vector (the mean of word vectors) mixes what a sentence says with
what it is about and how it is worded. Two phrasings of one objection ("c'est trop
cher", "j'ai pas les moyens") share no word, while two objections on one topic ("trop
cher", "les prix vont baisser") share many. The library holds thousands of phrasings
grouped by what they mean (the phrasings of each objection, the examples of each
intent): a map ``W`` fitted so that a phrasing's nearest neighbours under ``x @ W`` are
the other phrasings of its group, with the ordinary answers (``mbs.nlu.ordinary``) as
texts that belong to no group, learns which directions carry meaning. Being linear, it
applies to an utterance for one matrix product (a few microseconds) and maps the mean of
words as it would map each word: nothing about the encoder changes but its geometry.

Fitted offline (``scripts/fit_paraphrase_map.py``) by ``fit``: a supervised contrastive
loss (each phrasing's softmax over every other text, at temperature ``tau``, should put
its mass on its group), Adam, a pull towards the identity so that directions the
library never exercises stay as the encoder made them. The fitted map ships beside this
module as ``paraphrase-<encoder>.npy``; an encoder without one is used as it is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Matrix = npt.NDArray[np.float64]


def map_file(encoder_name: str) -> str:
    """The shipped map's file name for an encoder (its ``name``, version included)."""
    return f"paraphrase-{encoder_name}.npy"


@functools.cache
def shipped_map(encoder_name: str) -> Vectors | None:
    """The map shipped for this encoder, or None (the encoder is used as it is)."""
    found = resources.files("mbs.nlu").joinpath(map_file(encoder_name))
    if not found.is_file():
        return None
    with found.open("rb") as handle:
        matrix = np.load(handle, allow_pickle=False)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{map_file(encoder_name)}: a square matrix is expected")
    out: Vectors = matrix.astype(np.float32)
    out.flags.writeable = False
    return out


def apply(vectors: Vectors, matrix: Vectors) -> Vectors:
    """``vectors @ matrix`` with unit rows; a zero row (nothing known) stays zero."""
    mapped = vectors @ matrix
    norms = np.linalg.norm(mapped, axis=1, keepdims=True)
    out: Vectors = np.divide(mapped, norms, out=np.zeros_like(mapped), where=norms > 0).astype(
        np.float32
    )
    return out


@dataclass(frozen=True)
class FitSettings:
    """How ``fit`` learns (chosen on the development split, see docs/nlu.md)."""

    tau: float = 0.1  # softmax temperature over cosines
    epochs: int = 20
    batch: int = 512
    learning_rate: float = 1e-3
    identity_pull: float = 1e-3  # weight of ||W - I||² in the loss
    seed: int = 0


def _unit(z: Matrix) -> tuple[Matrix, Matrix]:
    norms = np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)
    return z / norms, norms


def _unit_backward(grad: Matrix, unit: Matrix, norms: Matrix) -> Matrix:
    """Gradient through ``z / |z|``."""
    out: Matrix = (grad - unit * np.sum(grad * unit, axis=1, keepdims=True)) / norms
    return out


def fit(
    vectors: Vectors,
    groups: npt.NDArray[np.int64],
    settings: FitSettings = FitSettings(),
    on_epoch: object = None,
) -> Vectors:
    """Fit the map on labelled texts: ``vectors`` (n × d, one text per row) and their
    ``groups`` (n: a group id, or -1 for a text of no group, which only ever appears as
    a wrong answer). Deterministic for a given seed. ``on_epoch(epoch, loss)``, when
    given, is called after every epoch."""
    x = vectors.astype(np.float64)
    n, dim = x.shape
    if groups.shape != (n,):
        raise ValueError("one group per vector is expected")
    rng = np.random.default_rng(settings.seed)
    weights = np.eye(dim)
    first = np.zeros_like(weights)
    second = np.zeros_like(weights)
    beta1, beta2, steps = 0.9, 0.999, 0
    anchors = np.flatnonzero(groups >= 0)
    for epoch in range(settings.epochs):
        losses = []
        order = rng.permutation(anchors)
        for start in range(0, len(order), settings.batch):
            idx = order[start : start + settings.batch]
            unit_all, norms_all = _unit(x @ weights)
            unit_a = unit_all[idx]
            logits = unit_a @ unit_all.T / settings.tau
            logits[np.arange(len(idx)), idx] = -np.inf  # a text is not its own neighbour
            positive = groups[idx][:, None] == groups[None, :]
            positive[np.arange(len(idx)), idx] = False
            has_positive = positive.any(axis=1)
            logits, positive = logits[has_positive], positive[has_positive]
            idx, unit_a = idx[has_positive], unit_a[has_positive]
            top = logits.max(axis=1, keepdims=True)
            every = np.exp(logits - top)
            kept = np.where(positive, every, 0.0)
            total, right = every.sum(axis=1), kept.sum(axis=1)
            losses.append(float(np.mean(np.log(total) - np.log(right))))
            # d loss / d logits: softmax over all minus softmax over the positives
            grad_logits = (every / total[:, None] - kept / right[:, None]) / len(idx)
            grad_logits /= settings.tau
            grad_unit = grad_logits.T @ unit_a  # through the columns (every text)
            grad_unit[idx] += grad_logits @ unit_all  # and through the rows (anchors)
            grad_z = _unit_backward(grad_unit, unit_all, norms_all)
            grad = x.T @ grad_z + 2 * settings.identity_pull * (weights - np.eye(dim))
            steps += 1
            first = beta1 * first + (1 - beta1) * grad
            second = beta2 * second + (1 - beta2) * grad**2
            step_first = first / (1 - beta1**steps)
            step_second = second / (1 - beta2**steps)
            weights -= settings.learning_rate * step_first / (np.sqrt(step_second) + 1e-8)
        if callable(on_epoch):
            on_epoch(epoch, float(np.mean(losses)) if losses else 0.0)
    out: Vectors = weights.astype(np.float32)
    return out
