"""Loss and accuracy of a network on prepared data, in inference mode, in chunks (bounded memory).

:func:`evaluate` needs no trainer: ``Network.evaluate`` and the trainer's validation both use it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..core.network import Engine
from ..core.validation import DivergenceError
from .batches import BatchBuffers
from .data import rows_of

if TYPE_CHECKING:
    from .data import TrainingData

__all__ = ["count_correct", "evaluate"]

_EVAL_CHUNK = 8192  # examples per forward pass when evaluating (bounds memory)


def count_correct(net: Engine, A: np.ndarray, labels: np.ndarray | None) -> float:
    """How many examples (columns) the output A classifies right: ``labels`` are the true classes
    (multiclass, shape (m,)) or which targets are positive (binary and multilabel, like A); 0 for regression."""
    task = net.task
    if task == "regression":
        return 0.0
    if task == "multiclass":
        # right when the true class's output is the column's maximum (an arg max over axis 0
        # would copy A; these are (m,) vectors)
        true_score = A[labels, np.arange(A.shape[1])]
        return float(np.count_nonzero(true_score >= np.maximum.reduce(A, axis=0)))
    hits = np.equal(A > 0.5, labels)
    return float(np.count_nonzero(hits.all(axis=0)) if task == "multilabel" else np.count_nonzero(hits))


def evaluate(net: Engine, data: TrainingData, buffers: BatchBuffers | None = None) -> dict[str, float]:
    """{"loss": mean data cost (no L2 term), "accuracy": fraction right (classifiers)} on ``data``.

    Inference mode (no dropout), ``_EVAL_CHUNK`` examples per forward pass. ``buffers``: reused
    caches (a trainer passes its own). Raises :class:`DivergenceError` when the cost overflows
    (inputs or weights far too large).
    """
    buffers = BatchBuffers(net) if buffers is None else buffers
    cost = correct = 0.0
    total = float(data.m if data.w is None else data.w.sum())
    with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
        for start in range(0, data.m, _EVAL_CHUNK):
            idx = None if data.m <= _EVAL_CHUNK else slice(start, min(start + _EVAL_CHUNK, data.m))
            A0, Y, w = buffers.batch(data, idx)
            coef = 1.0 / total if w is None else w / total
            cache = net.forward_columns(A0, buffers.cache(A0.shape[1]))
            cost += net.cost_columns(cache, Y, coef)
            correct += count_correct(net, cache.A[net.n_layers], rows_of(data.labels, idx))
    if not math.isfinite(cost):
        raise DivergenceError(
            f"evaluating the loss overflowed to {cost} (|X| up to {float(np.max(np.abs(data.X))):.3g}, "
            f"|parameters| up to {float(np.max(np.abs(net.params))):.3g}): scale the inputs or lower the "
            "learning rate; the parameters were kept"
        )
    logs = {"loss": cost}
    if net.task != "regression":
        logs["accuracy"] = correct / data.m
    return logs
