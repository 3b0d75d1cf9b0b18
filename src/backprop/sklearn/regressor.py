"""``NeuralNetRegressor``: single- and multi-output regression."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ..core.tasks import loss_name
from . import _docs
from ._base import BaseNeuralNet

__all__ = ["NeuralNetRegressor"]

_LOSSES = ("squared_error", "absolute_error", "huber")  # scikit-learn's names, aliases of backprop's losses


class NeuralNetRegressor(RegressorMixin, BaseNeuralNet):
    __doc__ = (
        """A feed-forward neural network regressor trained by backprop, a drop-in for scikit-learn's
    ``MLPRegressor``: the same parameters with the same meaning, the same fitted attributes, plus
    per-layer activations, dropout, a learning-rate ``schedule`` for every solver, ``dtype``,
    ``clip_norm`` and robust losses.

    The output layer is linear ("identity"), one unit per target column.
"""
        + _docs.PARAMETERS
        + """    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        ½(ŷ − y)² (scikit-learn's), |ŷ − y|, or Huber's with δ = 1, summed over outputs.
"""
        + _docs.ATTRIBUTES
        + _docs.NOTES
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from backprop.sklearn import NeuralNetRegressor
    >>> X = np.linspace(-1, 1, 50)[:, None]
    >>> reg = NeuralNetRegressor((16,), activation="tanh", solver="lbfgs", random_state=0).fit(X, X[:, 0] ** 2)
    >>> reg.predict(X[:2]).shape
    (2,)
"""
    )

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        schedule=None,
        optimizer=None,
        clip_norm=None,
        dtype=None,
        init="sklearn",
        backend="auto",
    ):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose, warm_start=warm_start,
            momentum=momentum, nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, dropout=dropout, schedule=schedule,
            optimizer=optimizer, clip_norm=clip_norm, dtype=dtype, init=init, backend=backend,
        )
        self.loss = loss

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetRegressor:
        """Train on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_outputs) for up to
        ``max_iter`` epochs; ``sample_weight`` (n_samples,)."""
        return self._fit(X, y, sample_weight)

    @available_if(lambda self: not self._is_lbfgs())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetRegressor:
        """One epoch over (X, y), continuing the run (optimizer state included)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions (n_samples,) for one output, (n_samples, n_outputs) for several."""
        out = self._forward(X)
        return out[:, 0] if out.shape[1] == 1 else out

    # ------------------------------------------------------------ hooks
    def _check_params(self) -> None:
        super()._check_params()
        if self.loss not in _LOSSES:
            raise ValueError(f"loss: expected one of {sorted(_LOSSES)}, received {self.loss!r}")

    def _output_layer(self) -> tuple[str, str, str]:
        return "identity", "identity", loss_name(self.loss)

    def _encode_targets(self, y: np.ndarray, continuing: bool, incremental: bool, classes: Any) -> np.ndarray:
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if continuing and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y: expected {self.n_outputs_} output(s) as in the previous fit, received {Y.shape[1]}")
        return Y

    def _validation_score(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        out = self._forward(X, validate=False)
        if not np.isfinite(out).all():
            return float("nan")
        return float(r2_score(y, out[:, 0] if out.shape[1] == 1 else out, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"multioutput": True}
