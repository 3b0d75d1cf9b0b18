"""Warnings about a run that finished without an error but should not be trusted as it is.

Each function returns the warning's text, or None when all is well; the caller decides how
to say it (``backprop train`` prints ``backprop: warning: …`` lines).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["many_integer_classes", "scale_spread", "loss_trouble"]

#: Feature scales (standard deviations) further apart than this factor call for standardising.
SCALE_RATIO = 1000.0


def many_integer_classes(y: Any, n_rows: int) -> str | None:
    """An integer target with many distinct values for its rows (more than 10 and more than 5 % of
    the rows) is more likely a measurement than a set of classes."""
    values = np.asarray(y)
    if values.dtype.kind not in "iu" or n_rows == 0:
        return None
    k = len(np.unique(values))
    if k > 10 and k > 0.05 * n_rows:
        return (f"the integer target has {k} distinct values in {n_rows} rows, so it is being treated as {k} "
                "classes; if it is a quantity, pass --task regression")
    return None


def scale_spread(X: np.ndarray, names: Sequence[str]) -> str | None:
    """Feature standard deviations more than :data:`SCALE_RATIO` apart (constant features ignored)."""
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 2:
        return None
    std = np.std(np.asarray(X, dtype=np.float64), axis=0)
    varying = np.flatnonzero(std > 0)
    if varying.size < 2:
        return None
    high, low = varying[np.argmax(std[varying])], varying[np.argmin(std[varying])]
    ratio = std[high] / std[low]
    if not ratio > SCALE_RATIO:
        return None
    return (f"feature scales differ by a factor of {ratio:.3g} ({names[high]!r}: std {std[high]:.3g}, "
            f"{names[low]!r}: std {std[low]:.3g}); training is usually better with --standardize")


def loss_trouble(initial: float, losses: Sequence[float], learning_rate: Any) -> str | None:
    """The training loss ended far above where it started (more than twice), or never fell below it."""
    values = [float(v) for v in losses]
    if not values or not math.isfinite(initial):
        return None
    rate = "" if learning_rate is None else (f" ({learning_rate:g})" if isinstance(learning_rate, (int, float))
                                             else f" ({learning_rate})")
    final = values[-1]
    if not math.isfinite(final) or final > 2.0 * initial + 1e-12:
        return (f"the training loss ended at {final:.4g}, far above where it started ({initial:.4g}): the "
                f"learning rate{rate} is probably too high; try one ten times smaller")
    if len(values) >= 3 and min(values) >= initial:
        return (f"the training loss never fell below where it started ({initial:.4g}; at the end {final:.4g}): the "
                f"learning rate{rate} may be too high (or too low); try another")
    return None
