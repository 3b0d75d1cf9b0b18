"""Splitting, feature scaling and label encoding.

Conventions: ``X`` has shape (n_samples, n_features); ``y`` has shape (n_samples,)
(``train_test_split`` also accepts (n_samples, k), e.g. one-hot targets).
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

from backprop.core.validation import (
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    check_int,
    describe,
    reject_masked,
)

from ..core.folding import fold_standardization  # noqa: F401 (re-exported: the public name was here first)
from ._common import SeedLike, as_generator, check_float_dtype

__all__ = ["train_test_split", "StandardScaler", "fold_standardization", "one_hot", "encode_labels"]


def _label_vector(y: Any, name: str = "y") -> np.ndarray:
    """``y`` as a non-empty 1-D array; strings, numbers and booleans are accepted."""
    if y is None:
        raise InputTypeError(f"{name}: expected a 1-D array of labels, received None")
    reject_masked(y, name)
    arr = np.asarray(y)
    if arr.ndim != 1:
        hint = "; use y.ravel() for a column or row vector" if arr.ndim == 2 and 1 in arr.shape else ""
        raise ShapeError(f"{name}: expected a 1-D array of shape (n_samples,), received shape {arr.shape}{hint}")
    if arr.size == 0:
        raise ValidationError(f"{name}: expected a non-empty array, received shape {arr.shape}")
    if arr.dtype.kind in "cVMm":
        raise InputTypeError(f"{name}: expected numbers or strings, received {describe(arr)}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValidationError(f"{name}: expected finite labels, received NaN or inf")
    return arr


# --------------------------------------------------------------------------- splitting


def _test_count(test_size: Any, n: int) -> int:
    if isinstance(test_size, (bool, np.bool_)) or not isinstance(test_size, Real):
        raise InputTypeError(
            f"test_size: expected a fraction in (0, 1) or a count, received {describe(test_size)}"
        )
    if isinstance(test_size, Integral):
        n_test = int(test_size)
    else:
        if not 0.0 < test_size < 1.0:
            raise ValidationError(f"test_size: expected a fraction in (0, 1), received {test_size}")
        # ceil like scikit-learn, ignoring rounding noise such as 0.7 * 10 = 7.000000000000001
        n_test = math.ceil(float(test_size) * n - 1e-9)
    if not 1 <= n_test <= n - 1:
        raise ValidationError(
            f"test_size: expected to leave at least one sample in each part of {n} samples, "
            f"received {test_size} ({n_test} test samples)"
        )
    return n_test


def _stratified_test_counts(counts: np.ndarray, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """Test samples per class: ``n_test * counts / n`` rounded by largest remainder.

    Each count is the floor or the ceiling of its ideal share and they sum to ``n_test``;
    ties in the remainders are broken at random.
    """
    ideal = n_test * counts / counts.sum()
    taken = np.floor(ideal).astype(np.int64)
    remainder = ideal - taken
    order = np.lexsort((rng.random(len(counts)), -remainder))
    taken[order[: n_test - int(taken.sum())]] += 1
    return taken


def train_test_split(
    X: Any,
    y: Any,
    test_size: float | int = 0.25,
    *,
    seed: SeedLike = None,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the samples and split them into a training and a test part.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Converted with the library's float rules (float32 stays float32).
    y : array of shape (n_samples,) or (n_samples, k)
    test_size : float in (0, 1) or int
        The fraction of samples (rounded up, as scikit-learn does) or the number of
        samples to put in the test part; both parts must be non-empty.
    seed : int, None or numpy.random.Generator
    stratify : bool
        Keep the class proportions of ``y`` (1-D) in both parts: each class contributes
        the floor or the ceiling of its share of ``n_test``. Every class needs at least
        two samples.

    Returns
    -------
    X_train (n_train, n_features), X_test (n_test, n_features), y_train (n_train, ...),
    y_test (n_test, ...), each in shuffled order, with ``n_train + n_test == n_samples``.
    """
    X = as_float_matrix(X, "X")
    if y is None:
        raise InputTypeError("y: expected an array with one entry per row of X, received None")
    y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise ShapeError(f"y: expected shape (n_samples,) or (n_samples, k), received shape {y.shape}")
    n = X.shape[0]
    if y.shape[0] != n:
        raise ShapeError(f"y: expected {n} entries to match the rows of X, received {y.shape[0]}")
    if not isinstance(stratify, (bool, np.bool_)):
        raise InputTypeError(f"stratify: expected True or False, received {describe(stratify)}")
    n_test = _test_count(test_size, n)
    rng = as_generator(seed)

    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        labels = _label_vector(y, "y")
        classes, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
        codes = codes.reshape(-1)
        if counts.min() < 2:
            rare = classes[np.argmin(counts)]
            raise ValidationError(
                f"y: stratified splitting needs at least 2 samples of every class, "
                f"received 1 sample of class {rare!r}"
            )
        per_class = _stratified_test_counts(counts, n_test, rng)
        test_parts, train_parts = [], []
        for c, k in enumerate(per_class):
            members = rng.permutation(np.flatnonzero(codes == c))
            test_parts.append(members[:k])
            train_parts.append(members[k:])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return X[train], X[test], y[train], y[test]


# --------------------------------------------------------------------------- scaling


class StandardScaler:
    """Standardize features: ``(X - mean_) / scale_`` column by column.

    ``mean_`` and ``scale_`` (the population standard deviation, ``ddof=0``) have shape
    (n_features,) and are computed in float64. A feature with zero variance (up to
    rounding: ``std <= n_samples * eps * |mean|``) keeps ``scale_ == 1`` so it is only
    centred. Outputs keep the floating dtype of the input (float32 stays float32;
    integers give float64).
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.n_features_in_: int | None = None

    def __repr__(self) -> str:
        state = "unfitted" if self.mean_ is None else f"n_features_in_={self.n_features_in_}"
        return f"StandardScaler({state})"

    def fit(self, X: Any) -> "StandardScaler":
        """Learn ``mean_`` and ``scale_`` from ``X`` of shape (n_samples, n_features)."""
        X64 = as_float_matrix(X, "X", dtype=np.float64)
        mean = X64.mean(axis=0)
        std = X64.std(axis=0)
        constant = std <= X64.shape[0] * np.finfo(np.float64).eps * np.abs(mean)
        self.mean_ = mean
        self.scale_ = np.where(constant, 1.0, std)
        self.n_features_in_ = X64.shape[1]
        return self

    def _checked(self, X: Any, method: str) -> np.ndarray:
        if self.mean_ is None:
            raise ValidationError(f"StandardScaler.{method}: this scaler is not fitted yet; call fit(X) first")
        X = as_float_matrix(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ShapeError(
                f"X: expected {self.n_features_in_} features as seen in fit, received shape {X.shape}"
            )
        return X

    def transform(self, X: Any) -> np.ndarray:
        """Return ``(X - mean_) / scale_``, shape (n_samples, n_features), dtype of ``X``."""
        X = self._checked(X, "transform")
        return ((X - self.mean_) / self.scale_).astype(X.dtype, copy=False)

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Return ``X * scale_ + mean_``, undoing :meth:`transform`."""
        X = self._checked(X, "inverse_transform")
        return (X * self.scale_ + self.mean_).astype(X.dtype, copy=False)


# --------------------------------------------------------------------------- labels


def one_hot(y: Any, n_classes: int | None = None, *, dtype: Any = np.float64) -> np.ndarray:
    """One-hot encode integer class codes.

    ``y`` has shape (n_samples,) with integers ``0 .. n_classes - 1`` (booleans, and
    floats holding whole numbers, are accepted; use :func:`encode_labels` first for
    other labels). ``n_classes`` defaults to ``max(y) + 1``. Returns an array of shape
    (n_samples, n_classes) and floating ``dtype`` with a single 1 per row, so that
    ``one_hot(y).argmax(axis=1) == y``.
    """
    y = _label_vector(y, "y")
    kind = y.dtype.kind
    if kind == "f":
        fractional = y != np.round(y)
        if fractional.any():
            raise ValidationError(
                f"y: expected whole-number class codes, received {y[fractional][0]} "
                f"at index {int(np.argmax(fractional))}"
            )
    elif kind not in "biu":
        raise InputTypeError(
            f"y: expected integer class codes, received {describe(y)}; "
            "encode other labels with encode_labels(y) first"
        )
    codes = y.astype(np.int64)
    if codes.min() < 0:
        raise ValidationError(f"y: expected class codes >= 0, received {int(codes.min())}")
    top = int(codes.max())
    if n_classes is None:
        n_classes = top + 1
    else:
        n_classes = check_int(n_classes, "n_classes")
        if top >= n_classes:
            raise ValidationError(
                f"n_classes: expected more than the largest code in y ({top}), received {n_classes}"
            )
    dt = check_float_dtype(dtype)
    out = np.zeros((codes.shape[0], n_classes), dtype=dt)
    out[np.arange(codes.shape[0]), codes] = 1
    return out


def encode_labels(y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Map arbitrary labels to integer codes.

    ``y`` has shape (n_samples,) of numbers or strings. Returns ``(codes, classes)``:
    ``classes`` the sorted distinct labels, shape (n_classes,); ``codes`` int64 of shape
    (n_samples,) with ``classes[codes] == y``.
    """
    y = _label_vector(y, "y")
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError as exc:  # object arrays mixing incomparable types
        raise InputTypeError(f"y: expected labels of one comparable type, received {describe(y)} ({exc})") from None
    return codes.reshape(-1).astype(np.int64), classes
