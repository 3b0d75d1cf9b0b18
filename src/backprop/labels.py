"""Between a data set's original labels and a network's targets and predictions.

A classifier's model file stores its ``classes`` (the original labels, in code order):
:func:`label_codes` turns labels into the codes 0 … K − 1 the network trains on,
:func:`targets_for` gives any network its targets from original labels (codes, or numbers
for regression), and :func:`predicted_labels` maps predictions back to the labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core.validation import ValidationError

__all__ = ["label_codes", "predicted_labels", "targets_for"]


def label_codes(y: Any, classes: np.ndarray) -> np.ndarray:
    """Integer codes (n_samples,) of the labels ``y`` in ``classes``; unknown labels are an error."""
    lookup = {str(c): i for i, c in enumerate(classes.tolist())}
    codes = np.empty(len(y), dtype=np.int64)
    for i, label in enumerate(np.asarray(y).tolist()):
        key = str(label)
        if key not in lookup:
            shown = classes.tolist()
            raise ValidationError(f"y: the label {label!r} is not one of the model's classes {shown[:10]}")
        codes[i] = lookup[key]
    return codes


def targets_for(net: Any, classes: np.ndarray | None, y: Any) -> np.ndarray:
    """Targets for ``net`` from original labels ``y`` (n_samples,): class codes, or numbers for regression.

    Without a label mapping, a classifier's labels must already be codes 0 … n_classes − 1.
    """
    if net.task == "regression":
        if np.asarray(y).dtype.kind not in "iuf":
            raise ValidationError("y: a regression model needs a numeric target, the data holds text labels")
        return np.asarray(y, dtype=np.float64)
    if classes is not None:
        return label_codes(y, classes)
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise ValidationError("y: the model has no label mapping, so its targets must be integer class codes")
    return y.astype(np.int64)


def predicted_labels(net: Any, classes: np.ndarray | None, X: Any) -> np.ndarray:
    """``net.predict(X)`` mapped back to the original labels when the model has them."""
    from .core.network import Network as _Engine

    prediction = _Engine.predict(net, X) if isinstance(net, _Engine) else net.predict(X)  # codes, not labels
    if classes is not None and net.task in ("binary", "multiclass"):
        return classes[prediction]
    return prediction
