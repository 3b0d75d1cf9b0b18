"""Parameter and input checks of the estimators, raising the errors scikit-learn's own raise."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["_assign", "_check_int", "_check_number", "_check_sample_weight"]


def _assign(targets: list[np.ndarray], values: list[np.ndarray], name: str) -> None:
    if len(values) != len(targets) or any(v.shape != t.shape for v, t in zip(values, targets)):
        raise ValueError(f"{name}: expected shapes {[t.T.shape if name == 'coefs_' else t.shape[:1] for t in targets]}")
    for target, value in zip(targets, values):
        target[...] = value


def _check_sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    """None, or float64 weights (n,): finite, non-negative, not all zero."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n, float(sample_weight))
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"sample_weight.shape == {w.shape}, expected ({n},)!")
    if not np.isfinite(w).all():
        raise ValueError("sample_weight: expected finite weights")
    if (w < 0).any():
        raise ValueError("sample_weight: negative weights are not supported")
    if not w.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return w


def _check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                  low_open: bool = False, high_open: bool = False) -> None:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not _finite(value):
        raise TypeError(f"{name}: expected a finite number, received {value!r:.60}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name}: expected a number {'>' if low_open else '>='} {low}, received {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name}: expected a number {'<' if high_open else '<='} {high}, received {value!r}")


def _finite(value: numbers.Real) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range, e.g. 10**400
        return False


def _check_int(value: Any, name: str, low: int) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name}: expected an int, received {value!r}")
    if value < low:
        raise ValueError(f"{name}: expected an int >= {low}, received {value!r}")
