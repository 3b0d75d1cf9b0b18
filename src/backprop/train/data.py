"""Training data prepared once for the fit loop: rows, targets, weights, class weights, validation split.

:class:`TrainingData` holds X as rows (m, n_0), the targets as columns (n_L, m) and the
per-example weights; the loop gathers mini-batches from it (see :mod:`.batches`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.network import Engine
from ..core.validation import (
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    as_generator,
    check_nonnegative_float,
    check_probability,
    check_weight_sum,
    describe,
    reject_masked,
)
from .comm import Communicator

__all__ = ["TrainingData", "Dataset", "class_weights", "prepare_validation", "rows_of"]


class TrainingData:
    """Training data prepared once: rows X (m, n_0), targets Y (n_L, m), weights w (m,) or None.

    With ``shard_comm`` (a communicator of size > 1) the rows are this rank's part of a data
    set split across the ranks in rank order (as ``load_csv(..., shard=(rank, size))`` gives):
    ``m`` is then the size of the whole data set, ``rows`` the number held here, ``offset``
    the global index of the first, and ``w_all`` every rank's weights (batch totals need
    them). Single-process training on the concatenation of the shards, with the same seed,
    draws exactly the same batches.
    """

    m: int  # examples in the data set (all ranks' with sharded data)
    rows: int  # examples held here
    offset: int  # global index of the first row held here
    sharded: bool
    X: np.ndarray  # (rows, n_0), C-contiguous
    Y: np.ndarray  # (n_L, rows), C-contiguous: batches are gathered by column
    labels: np.ndarray | None  # what accuracy compares with (see __init__)
    w: np.ndarray | None  # (rows,) weights of the rows held here
    w_all: np.ndarray | None  # (m,) weights of every row (== w without sharding)

    def __init__(self, net: Engine, X: Any, Y: Any, sample_weight: Any = None, class_weight: Any = None,
                 names: tuple[str, str] = ("X", "Y"), *, shard_comm: Communicator | None = None):
        A0 = net._columns(X, names[0])
        self.m = self.rows = A0.shape[1]
        self.offset = 0
        self.sharded = shard_comm is not None and shard_comm.size > 1
        self.X = np.ascontiguousarray(A0.T)
        self.Y = net.targets(Y, self.m, names[1])
        # What accuracy compares with, prepared once: the class of each example (multiclass) or
        # which targets are positive (binary, multilabel); None for regression.
        task = net.task
        self.labels = (self.Y.argmax(axis=0) if task == "multiclass"
                       else None if task == "regression" else self.Y > 0.5)
        w = None
        if sample_weight is not None:
            Engine.coefficients(self.m, sample_weight)  # validates
            w = as_float_matrix(sample_weight, "sample_weight", ndim=1, dtype=net.dtype).copy()
        if class_weight is not None:
            cw = class_weights(net, self.Y, class_weight, shard_comm if self.sharded else None)
            with np.errstate(over="ignore"):  # an overflowing product is refused just below
                w = cw if w is None else w * cw
        if w is not None:
            check_weight_sum(w, "sample_weight and class_weight" if sample_weight is not None and class_weight
                             is not None else "class_weight" if class_weight is not None else "sample_weight")
        self.w = self.w_all = w
        if self.sharded:
            from .parallel import share_shard_sizes

            share_shard_sizes(self, shard_comm)


Dataset = TrainingData  # the name before 0.x; kept for code that imports it


def class_weights(net: Engine, Y: np.ndarray, class_weight: Any, comm: Communicator | None = None) -> np.ndarray:
    """Per-example weights from {class: weight} or "balanced" (w_k = m / (K · count_k)).

    With ``comm`` (sharded data) the class counts are those of all ranks' rows together.
    """
    if net.task not in ("binary", "multiclass"):
        raise ValidationError(f"class_weight: needs a binary or multiclass network, this one is {net.task}")
    labels = Y.argmax(axis=0) if Y.shape[0] > 1 else (Y[0] > 0.5).astype(np.intp)
    n_classes = max(Y.shape[0], 2)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValidationError(f"class_weight: expected a dict or 'balanced', received {class_weight!r}")
        counts = np.bincount(labels, minlength=n_classes).astype(float)
        if comm is not None:
            comm.allreduce_(counts)
        table = np.where(counts > 0, counts.sum() / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
    elif isinstance(class_weight, dict):
        table = np.ones(n_classes)
        for k, v in class_weight.items():
            if not isinstance(k, (int, np.integer)) or not 0 <= k < n_classes:
                raise ValidationError(f"class_weight: keys must be class indices in [0, {n_classes - 1}], received {k!r}")
            table[k] = check_nonnegative_float(v, f"class_weight[{k}]")
    else:
        raise InputTypeError(f"class_weight: expected a dict or 'balanced', received {describe(class_weight)}")
    too_large = table > np.finfo(net.dtype).max
    if too_large.any():
        k = int(np.argmax(too_large))
        raise ValidationError(f"class_weight[{k}]: {table[k]:.3g} exceeds the {net.dtype} range of the network")
    return table[labels].astype(net.dtype)


def rows_of(labels: np.ndarray | None, rows: np.ndarray | slice | None) -> np.ndarray | None:
    """The accuracy targets (:attr:`TrainingData.labels`, examples along the last axis) of ``rows``."""
    return labels if labels is None or rows is None else labels[..., rows]


def prepare_validation(net: Engine, X: Any, Y: Any, validation_data: Any, validation_split: float, seed: Any,
                       sample_weight: Any = None) -> tuple[Any, Any, Any, TrainingData | None]:
    """Split off validation data: ``validation_data=(X_val, Y_val)`` or a seeded random fraction.

    Returns (X, Y, sample_weight) of the training part and the validation data (or None).
    """
    validation_split = check_probability(validation_split, "validation_split")
    if validation_data is not None and validation_split:
        raise ValidationError("validation_data and validation_split: give one, not both")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise InputTypeError(f"validation_data: expected (X_val, Y_val[, sample_weight]), received {describe(validation_data)}")
        return X, Y, sample_weight, TrainingData(net, *validation_data[:2], *validation_data[2:],
                                                 names=("validation_data[0]", "validation_data[1]"))
    if not validation_split:
        return X, Y, sample_weight, None
    X = as_float_matrix(X, "X", dtype=net.dtype)
    m = X.shape[0]
    n_val = int(round(m * validation_split))
    if n_val < 1 or n_val >= m:
        raise ValidationError(f"validation_split: {validation_split} of {m} examples leaves no training or no validation data")
    order = as_generator(seed).permutation(m)  # a Generator seed is used (and advanced) as is
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    reject_masked(Y, "Y")
    reject_masked(sample_weight, "sample_weight")
    Y = np.asarray(Y)
    if Y.shape[:1] != (m,):
        raise ShapeError(f"Y: expected {m} rows to match X, received shape {Y.shape}")
    sw = None if sample_weight is None else np.asarray(sample_weight)
    validation = TrainingData(net, X[val], Y[val], None if sw is None else sw[val])
    return X[train], Y[train], None if sw is None else sw[train], validation
