"""Saying why training diverged: before its first step the learning rate cannot be the cause.

The cost and the gradient of the first step depend only on the data, the initial parameters
and the L2 penalty λ; the learning rate has not acted yet. When they are not finite there,
:func:`explain_divergence` names what is out of scale (features, targets, λ, the parameters)
instead of the learning rate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.validation import DivergenceError

__all__ = ["LARGE", "explain_divergence"]

#: A magnitude this large (features, targets, λ/m) is named as a likely cause.
LARGE = 1e6


def _largest(array: Any) -> float:
    if array is None:
        return 0.0
    a = np.asarray(array)
    if a.size == 0 or a.dtype.kind not in "fiu":
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.max(np.abs(a)))


def explain_divergence(exc: DivergenceError, trainer: Any, data: Any, cost: float) -> DivergenceError:
    """A DivergenceError that says what is out of scale: at the run's first step instead of the learning
    rate (which has not acted yet); after it, besides the learning rate (``exc`` unchanged when nothing is).

    ``data``: the :class:`~backprop.train.TrainingData` being trained on; ``cost``: the step's
    cost. When the cost and the gradient were finite and the first update overflowed, the
    learning rate did act: it is named with whatever else is out of scale.
    """
    net = trainer.net
    x = _largest(getattr(data, "X", None))
    y = _largest(getattr(data, "Y", None)) if net.task == "regression" else 0.0
    theta = _largest(net.params)
    m = max(int(getattr(data, "m", 1) or 1), 1)
    l2 = float(trainer.l2 or 0.0)
    causes = []
    if x >= LARGE:
        causes.append(f"the features reach |x| = {x:.3g}: standardize them (--standardize, backprop.data.StandardScaler)")
    if y >= LARGE:
        causes.append(f"the targets reach |y| = {y:.3g}: scale them (divide by their largest value)")
    with np.errstate(over="ignore", invalid="ignore"):
        l2_grad = l2 / m * theta
    if l2 and (l2 / m >= LARGE or not math.isfinite(l2_grad)):
        causes.append(f"the L2 penalty λ = {l2:.3g} (λ/m = {l2 / m:.3g}) is far too large: lower --l2 (l2=)")
    if not causes and theta >= LARGE:
        causes.append(f"the initial parameters reach |θ| = {theta:.3g}")
    if trainer.step != 0:  # the learning rate has acted; data or λ far out of scale may still be why
        if not causes or causes[-1].startswith("the initial parameters"):
            return exc
        text, blame = str(exc), "the learning rate may be too high"
        if blame in text:
            return DivergenceError(text.replace(blame, f"{blame}, or " + "; ".join(causes), 1))
        return DivergenceError(f"{text.rstrip('. ')}; or: " + "; ".join(causes))
    text = str(exc)
    detail = text.split(": ", 1)[1] if text.startswith("training diverged at") else text
    for blame in ("; the learning rate may be too high", " the learning rate may be too high."):
        detail = detail.replace(blame, "")
    detail = detail.replace(" The parameters of the last finite step were kept.", "").rstrip(". ")
    grad = getattr(trainer, "_grad", None)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = math.isfinite(cost) and grad is not None and math.isfinite(float(grad @ grad))
    if finite:  # the first update overflowed: the learning rate acted, and may be one cause of several
        if not causes:
            return exc
        return DivergenceError(f"training diverged at its first update: {detail}; " + "; ".join(causes)
                               + " (or the learning rate is too high)")
    if not causes:
        return DivergenceError(
            f"training diverged at its first step, before the learning rate acted: {detail}; the features reach "
            f"|x| = {x:.3g}, the targets |y| = {y:.3g}, λ = {l2:.3g}, the parameters |θ| = {theta:.3g}; "
            "the parameters were left as they were"
        )
    return DivergenceError(f"training diverged at its first step, before the learning rate acted: {detail}; "
                           + "; ".join(causes) + "; the parameters were left as they were")
