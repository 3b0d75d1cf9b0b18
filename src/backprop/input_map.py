"""The map from a user's original columns to a network's input features (for attribution).

An :class:`InputMap` tells :func:`backprop.attribute.attribute` how the columns a user passes
become the features the network sees (standardisation, one-hot groups), so that attributions
computed on the features can be brought back to the columns. ``backprop.attribute`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core.validation import InputTypeError, ShapeError, ValidationError, as_float_matrix, check_int, describe

__all__ = ["InputMap"]

class InputMap:
    """How the user's original columns become the network's input features.

    ``transform(X)`` maps X (n_samples, n_columns) to the network's inputs F (n_samples,
    n_features). Column j feeds the features ``groups[j]`` (every feature belongs to exactly
    one column). ``slopes[k]`` is ``∂F_k/∂x_j``, a constant, for a feature that is the only
    one of its column and an affine function of it (standardisation: 1/σ_j); NaN for the
    features of a column that is not differentiable, such as a one-hot group.

    Attributions are computed on F and brought back to the columns:

    - an affine column (one feature k, finite slope s): the chain rule, ``∂f/∂x_j = s ∂f/∂F_k``,
      so ``gradient`` and ``gradient_x_input`` are those of the raw column, and
      integrated gradients along the straight line in F equal those along the straight
      line in x exactly (an affine map keeps straight lines);
    - a group (several features, or a NaN slope): the sum of its features'
      attributions. For ``gradient`` and ``gradient_x_input`` that sum is
      ``Σ_k F_k ∂f/∂F_k``, the derivative along the group's own features (for a
      one-hot group: ∂f/∂(the active indicator)); for integrated gradients it keeps
      completeness.

    ``baseline`` (n_features,), optional: the default baseline in the feature space (the
    training mean: zeros after standardisation; category frequencies for one-hot).
    ``names``: the n_columns column names.
    """

    def __init__(
        self,
        transform: Callable[[np.ndarray], np.ndarray],
        groups: Sequence[Sequence[int]],
        slopes: Any,
        *,
        names: Sequence[str] | None = None,
        baseline: Any = None,
    ):
        if not callable(transform):
            raise InputTypeError(f"transform: expected a function of X, received {describe(transform)}")
        if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence):
            raise InputTypeError(f"groups: expected one sequence of feature indices per column, received {describe(groups)}")
        try:
            slopes = np.asarray(slopes, dtype=np.float64)  # NaN marks the features of a group
        except (TypeError, ValueError):
            raise InputTypeError(f"slopes: expected one number (or NaN) per feature, received {describe(slopes)}") from None
        if slopes.ndim != 1 or slopes.size == 0:
            raise ShapeError(f"slopes: expected a 1-D array of one number (or NaN) per feature, received shape {slopes.shape}")
        n_features = slopes.shape[0]
        column_of = np.full(n_features, -1, dtype=np.intp)
        for j, group in enumerate(groups):
            indices = np.asarray(group)
            if indices.ndim != 1 or indices.size == 0 or indices.dtype.kind not in "iu":
                raise ValidationError(f"groups[{j}]: expected a non-empty list of feature indices, received {group!r}")
            if indices.min() < 0 or indices.max() >= n_features:
                raise ValidationError(f"groups[{j}]: expected indices in [0, {n_features - 1}], received {list(indices)}")
            if (column_of[indices] >= 0).any() or len(set(indices.tolist())) != indices.size:
                raise ValidationError(f"groups[{j}]: a feature may belong to one column only, received {list(indices)}")
            column_of[indices] = j
        if (column_of < 0).any():
            raise ValidationError(f"groups: features {np.flatnonzero(column_of < 0).tolist()} belong to no column")
        n_columns = len(groups)
        sizes = np.bincount(column_of, minlength=n_columns)
        if names is None:
            names = [f"x{j + 1}" for j in range(n_columns)]
        names = [str(n) for n in names]
        if len(names) != n_columns:
            raise ValidationError(f"names: expected {n_columns} column names, received {len(names)}")
        self.transform = transform
        self.groups = [np.asarray(g, dtype=np.intp) for g in groups]
        self.slopes = slopes
        self.names = names
        self.n_columns, self.n_features = n_columns, n_features
        self.column_of = column_of
        # Affine one-feature columns use the chain rule; every other feature is summed into its group.
        self.affine = (sizes[column_of] == 1) & np.isfinite(slopes)
        self.one_to_one = n_features == n_columns and np.array_equal(column_of, np.arange(n_columns))
        self.sum_matrix = np.zeros((n_features, n_columns))
        self.sum_matrix[np.arange(n_features), column_of] = 1.0
        self.baseline = None if baseline is None else as_float_matrix(baseline, "baseline", ndim=1)
        if self.baseline is not None and self.baseline.shape[0] != n_features:
            raise ShapeError(f"baseline: expected {n_features} feature values, received {self.baseline.shape[0]}")

    @classmethod
    def identity(cls, n: int, names: Sequence[str] | None = None, baseline: Any = None) -> "InputMap":
        """The network's inputs are the columns (a model file's network: its scaling is folded in)."""
        n = check_int(n, "n")
        return cls(_copy, [[j] for j in range(n)], np.ones(n), names=names, baseline=baseline)

    @classmethod
    def standardize(cls, mean: Any, scale: Any, names: Sequence[str] | None = None) -> "InputMap":
        """``F = (x − mean) / scale`` column by column; slopes 1/scale; default baseline the mean (F = 0)."""
        mean = as_float_matrix(mean, "mean", ndim=1)
        scale = as_float_matrix(scale, "scale", ndim=1)
        if scale.shape != mean.shape:
            raise ShapeError(f"scale: expected {mean.shape[0]} values like mean, received {scale.shape[0]}")
        if (scale <= 0).any():
            raise ValidationError(f"scale: expected positive values, received a minimum of {float(scale.min())}")
        n = mean.shape[0]
        return cls(lambda X: (X - mean) / scale, [[j] for j in range(n)], 1.0 / scale, names=names, baseline=np.zeros(n))

    @classmethod
    def from_scaler(cls, scaler: Any, names: Sequence[str] | None = None) -> "InputMap":
        """From a fitted ``backprop.data.StandardScaler`` or scikit-learn ``StandardScaler``."""
        mean, scale = getattr(scaler, "mean_", None), getattr(scaler, "scale_", None)
        standard = hasattr(scaler, "transform") and hasattr(scaler, "mean_") and hasattr(scaler, "scale_")
        if not standard or (mean is None and scale is None):  # MinMaxScaler, RobustScaler: no mean_
            raise InputTypeError(f"preprocessing: expected a fitted StandardScaler or an InputMap, received {describe(scaler)}")
        n = len(mean) if mean is not None else len(scale)
        mean = np.zeros(n) if mean is None or getattr(scaler, "with_mean", True) is False else np.asarray(mean, float)
        scale = np.ones(n) if scale is None or getattr(scaler, "with_std", True) is False else np.asarray(scale, float)
        return cls.standardize(mean, scale, names=names)

    def __repr__(self) -> str:
        return f"InputMap({self.n_columns} columns -> {self.n_features} features)"


def _copy(X: np.ndarray) -> np.ndarray:
    return X
