"""Folding an input standardisation into the first layer: a network on raw inputs that equals a
network on standardised ones.

W[1] (x − μ)/σ + b[1] = (W[1] / σ) x + (b[1] − (W[1] / σ) μ).

``backprop train --standardize`` and :func:`backprop.fit_table` save the folded network, so a
model file takes raw features; a checkpoint saved during such a run holds the network on
standardised inputs, and :meth:`backprop.io.ModelFile.predictor` folds it when it is loaded
for prediction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import ShapeError

__all__ = ["fold_standardization"]


def fold_standardization(net: Any, mean: Any, scale: Any) -> Any:
    """A network on raw inputs equal to ``net`` on standardized ones ((x − μ)/σ, as a fitted
    :class:`~backprop.data.StandardScaler` gives them): the scaling folded into the first layer.

    W[1] (x − μ)/σ + b[1] = (W[1] / σ) x + (b[1] − (W[1] / σ) μ).

    ``mean`` and ``scale`` have shape (n_0,). Returns a new network of ``net``'s class and
    dtype; ``net`` is unchanged.
    """
    mean = np.asarray(mean, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    n_in = net.layer_sizes[0]
    if mean.shape != (n_in,) or scale.shape != (n_in,):
        raise ShapeError(f"mean, scale: expected shape ({n_in},) (one per input), received {mean.shape}, {scale.shape}")
    folded = type(net)(net.layer_sizes, net.activations, net.loss, dtype=net.dtype, init=None)
    folded.params = net.params
    W = net.weights[0].astype(np.float64) / scale[None, :]
    b = net.biases[0].astype(np.float64) - W @ mean[:, None]
    folded.weights[0][...] = W
    folded.biases[0][...] = b
    return folded
