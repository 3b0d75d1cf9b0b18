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

__all__ = ["accuracy", "classification_report", "confusion_matrix", "mean_absolute_error", "mean_squared_error", "r2_score", "regression_scores",
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
    else:  # the engine's loss and accuracy on targets as given (codes), whatever the network class
        from .train.data import TrainingData
        from .train.evaluation import evaluate

        result = evaluate(net, TrainingData(net, X, targets))
    if net.task == "regression":
        prediction = net.predict(X) if len(X) else np.zeros(np.shape(targets))
        extra = regression_scores(targets, prediction, comm)
        result.update({key: extra[key] for key in regression})
    return result


def confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None) -> np.ndarray:
    """C (K, K) of counts: ``C[i, j]`` examples of class ``labels[i]`` predicted as ``labels[j]``.

    ``labels``: the classes in order (default: the sorted union of both); labels are compared as given.
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.ndim != 1 or p.shape != t.shape:
        raise ShapeError(f"y_pred: expected 1-D labels of shape {t.shape} like y_true, received {p.shape}")
    classes = np.unique(np.concatenate([t, p])) if labels is None else np.asarray(labels)
    index = {c: k for k, c in enumerate(classes.tolist())}
    C = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for a, b in zip(t.tolist(), p.tolist()):
        if a not in index or b not in index:
            raise ValidationError(f"y_true/y_pred: the label {a if a not in index else b!r} is not in labels {classes.tolist()[:10]}")
        C[index[a], index[b]] += 1
    return C


def classification_report(y_true: Any, y_pred: Any, labels: Any = None) -> dict[str, Any]:
    """Accuracy, per-class precision, recall, F1 and support, and the confusion matrix.

        precision_k = C[k, k] / Σ_i C[i, k]     recall_k = C[k, k] / Σ_j C[k, j]
        F1_k = 2 precision_k recall_k / (precision_k + recall_k)

    (0 where a denominator is 0, as scikit-learn's ``zero_division=0``). Returns
    {"accuracy", "classes", "precision", "recall", "f1", "support" (lists, one per class),
    "confusion_matrix" (K, K) int array}.
    """
    t = np.asarray(y_true)
    classes = np.unique(np.concatenate([t, np.asarray(y_pred)])) if labels is None else np.asarray(labels)
    C = confusion_matrix(y_true, y_pred, classes)
    if C.sum() == 0:
        raise ValidationError("y_true: expected at least one value, received none")
    right = np.diag(C).astype(np.float64)
    predicted, actual = C.sum(axis=0), C.sum(axis=1)
    precision = np.divide(right, predicted, out=np.zeros_like(right), where=predicted > 0)
    recall = np.divide(right, actual, out=np.zeros_like(right), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(right), where=both > 0)
    return {"accuracy": float(right.sum() / C.sum()), "classes": classes.tolist(), "precision": precision.tolist(),
            "recall": recall.tolist(), "f1": f1.tolist(), "support": actual.tolist(), "confusion_matrix": C}
