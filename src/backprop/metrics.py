"""Scores of predictions: accuracy for classifiers; MSE, RMSE, MAE and R² for regression.

One module for every place that reports a score (``backprop train``, ``backprop evaluate``,
Python users). Arrays are (n_samples,) or (n_samples, n_outputs); R² is computed over all
entries together. With ``comm`` (a communicator whose ranks each hold some of the rows) the
sums are taken over all ranks' rows, as one process holding them all would (collective).

    MSE = (1/N) Σ (y − ŷ)²      RMSE = √MSE      MAE = (1/N) Σ |y − ŷ|
    R²  = 1 − Σ (y − ŷ)² / Σ (y − ȳ)²   (nan when every y is the same)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .core.validation import ShapeError, ValidationError
from .train.comm import Communicator

__all__ = ["accuracy", "mean_absolute_error", "mean_squared_error", "r2_score", "regression_scores",
           "root_mean_squared_error", "scores"]


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if p.shape != t.shape and p.size == t.size:
        p = p.reshape(t.shape)  # (n,) against (n, 1)
    if p.shape != t.shape:
        raise ShapeError(f"y_pred: expected shape {t.shape} like y_true, received {p.shape}")
    return t, p


def _summed(values: list[float], comm: Communicator | None) -> list[float]:
    if comm is None or comm.size == 1:
        return values
    sums = np.array(values, dtype=np.float64)
    comm.allreduce_(sums)
    return sums.tolist()


def regression_scores(y_true: Any, y_pred: Any, comm: Communicator | None = None) -> dict[str, float]:
    """{"mse", "rmse", "mae", "r2"} of the predictions (over all ranks' rows with ``comm``)."""
    t, p = _pair(y_true, y_pred)
    residual = t - p
    squares, absolute, total, n = _summed([float(np.sum(residual**2)), float(np.sum(np.abs(residual))),
                                           float(np.sum(t)), float(t.size)], comm)
    if n == 0:
        raise ValidationError("y_true: expected at least one value, received none")
    (spread,) = _summed([float(np.sum((t - total / n) ** 2))], comm)  # around the mean of all rows
    mse = squares / n
    return {"mse": mse, "rmse": math.sqrt(mse), "mae": absolute / n,
            "r2": 1.0 - squares / spread if spread > 0 else float("nan")}


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """(1/N) Σ (y − ŷ)²."""
    return regression_scores(y_true, y_pred)["mse"]


def root_mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """√((1/N) Σ (y − ŷ)²)."""
    return regression_scores(y_true, y_pred)["rmse"]


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """(1/N) Σ |y − ŷ|."""
    return regression_scores(y_true, y_pred)["mae"]


def r2_score(y_true: Any, y_pred: Any) -> float:
    """1 − Σ (y − ŷ)² / Σ (y − ȳ)² (nan when every y is the same)."""
    return regression_scores(y_true, y_pred)["r2"]


def accuracy(y_true: Any, y_pred: Any) -> float:
    """The fraction of examples predicted right (rows of a 2-D multilabel array must match whole)."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if p.shape != t.shape:
        raise ShapeError(f"y_pred: expected shape {t.shape} like y_true, received {p.shape}")
    if t.shape[0] == 0:
        raise ValidationError("y_true: expected at least one value, received none")
    right = t == p if t.ndim == 1 else (t == p).all(axis=tuple(range(1, t.ndim)))
    return float(np.count_nonzero(right)) / t.shape[0]


def scores(net: Any, X: Any, targets: Any, *, regression: tuple[str, ...] = ("mse", "mae", "r2"),
           comm: Communicator | None = None) -> dict[str, float]:
    """``net``'s mean loss and accuracy (classifiers), or its loss and the ``regression`` scores.

    ``targets`` as ``net.evaluate`` takes them (class codes or one-hot for classifiers). With
    ``comm``, over all ranks' rows (collective; a rank may hold none).
    """
    if comm is not None and comm.size > 1:
        from .distributed.helpers import evaluate

        result = evaluate(net, X, targets, comm)
    else:
        result = dict(net.evaluate(X, targets))
    if net.task == "regression":
        prediction = net.predict(X) if len(X) else np.zeros(np.shape(targets))
        extra = regression_scores(targets, prediction, comm)
        result.update({key: extra[key] for key in regression})
    return result
