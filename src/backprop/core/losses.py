"""Costs ``J`` and their gradient ``dJ/dA`` with respect to the network's output.

Arrays are (n_outputs, m), one column per example. The cost is a weighted sum of
per-example losses, ``J = Σ_i c_i ℓ(a_i, y_i)``, where the coefficients ``c`` carry the
mean: ``c_i = 1/m`` by default, ``c_i = w_i / Σ_j w_j`` with sample weights. This is the
one place the factor 1/m enters, and it enters exactly once: ``dJ/dA`` already holds it,
so the backward pass never divides by m again.

``coef`` is a Python float (one coefficient for every example) or an array of shape (m,).

Each per-example loss sums over the output units (one unit for a single output):

=====================  ===================================================  ==============
name                   ℓ(a, y)                                              canonical g
=====================  ===================================================  ==============
binary_crossentropy    −Σ_k [y_k log a_k + (1 − y_k) log(1 − a_k)]          sigmoid
categorical_crossent.  −Σ_k y_k log a_k                                     softmax
mse                    ½ Σ_k (a_k − y_k)²                                   identity
mae                    Σ_k |a_k − y_k|
huber                  Σ_k ½ r_k² if |r_k| ≤ δ else δ(|r_k| − ½δ), r = a − y
=====================  ===================================================  ==============

With its canonical output activation a loss's ``g'`` cancels and the output error is
``dZ[L] = c ⊙ (A − Y)`` (see :meth:`Loss.fused_output_error`): cheaper, and stable when
the output saturates. The cross-entropies then also evaluate the cost from the logits
``Z[L]`` (log-sum-exp), so extreme pre-activations give finite, exact costs.
"""

from __future__ import annotations

import numpy as np

from .validation import InputTypeError, ValidationError

__all__ = ["Loss", "LOSSES", "get_loss"]


def _weighted_sum(per_example: np.ndarray, coef: float | np.ndarray) -> float:
    """J = Σ_i c_i ℓ_i for per-example losses ℓ of shape (m,)."""
    if isinstance(coef, float) or np.ndim(coef) == 0:
        return float(coef) * float(per_example.sum())
    return float(per_example @ coef)


def _weighted_total(S: np.ndarray, coef: float | np.ndarray) -> float:
    """Σ_i c_i Σ_k S_ki for element-wise losses S of shape (n_outputs, m)."""
    if isinstance(coef, float) or np.ndim(coef) == 0:
        return float(coef) * float(S.sum())
    return float(S.sum(axis=0) @ coef)


def _weighted_inner(Y: np.ndarray, Z: np.ndarray, coef: float | np.ndarray) -> float:
    """Σ_i c_i Σ_k Y_ki Z_ki without a temporary of their shape when both are C-contiguous."""
    if (isinstance(coef, float) or np.ndim(coef) == 0) and Y.flags.c_contiguous and Z.flags.c_contiguous:
        return float(coef) * float(np.vdot(Y, Z))
    return float(np.einsum("ij,ij->j", Y, Z) @ np.broadcast_to(coef, Y.shape[1:]))


class Loss:
    """A cost function: value ``J``, gradient ``dJ/dA``, and its canonical activation.

    ``coef`` is a scalar (usually 1/m) or an array of shape (m,) holding ``c_i``.
    """

    name: str = ""
    canonical_activation: str | None = None
    needs_probabilities: bool = False

    def per_example(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """ℓ(a_i, y_i) for every column, shape (m,)."""
        raise NotImplementedError

    def value(self, A: np.ndarray, Y: np.ndarray, coef: float | np.ndarray) -> float:
        """J = Σ_i c_i ℓ(a_i, y_i)."""
        return _weighted_sum(self.per_example(A, Y), coef)

    def value_from_logits(
        self, Z: np.ndarray, Y: np.ndarray, coef: float | np.ndarray, scratch: np.ndarray | None = None
    ) -> float:
        """J computed from the canonical activation's input ``Z`` (stable form).

        ``scratch``, a buffer of Z's shape, spares the temporaries (the training loop passes one).
        """
        raise NotImplementedError

    def gradient(
        self, A: np.ndarray, Y: np.ndarray, coef: float | np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """dJ/dA, shape (n_outputs, m)."""
        raise NotImplementedError

    def fused_output_error(
        self, A: np.ndarray, Y: np.ndarray, coef: float | np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """dZ[L] = c ⊙ (A − Y): valid only with the canonical output activation."""
        out = np.subtract(A, Y, out=out)
        out *= coef
        return out

    def __repr__(self) -> str:
        return f"<loss {self.name!r}>"


def _clipped(A: np.ndarray) -> np.ndarray:
    eps = np.finfo(A.dtype).eps
    return np.clip(A, eps, 1 - eps)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy, one independent Bernoulli per output unit (multi-label too)."""

    name = "binary_crossentropy"
    canonical_activation = "sigmoid"
    needs_probabilities = True

    def per_example(self, A, Y):
        P = _clipped(A)
        return -(Y * np.log(P) + (1 - Y) * np.log1p(-P)).sum(axis=0)

    def value_from_logits(self, Z, Y, coef, scratch=None):
        # −[y log σ(z) + (1 − y) log σ(−z)] = softplus(z) − y z, finite for any z, with
        # softplus(z) = max(z, 0) + log1p(e^(−|z|)) (e^(−|z|) ≤ 1 cannot overflow): six cheap
        # vectorised passes instead of np.logaddexp, which numpy runs element by element
        # (measured: benchmarks/proposals/ENGINE.md, section 7).
        S = np.maximum(Z, 0, out=scratch)
        positive_part = _weighted_total(S, coef)
        np.abs(Z, out=S)
        np.negative(S, out=S)
        np.exp(S, out=S)
        np.log1p(S, out=S)
        return positive_part + _weighted_total(S, coef) - _weighted_inner(Y, Z, coef)

    def gradient(self, A, Y, coef, out=None):
        # (a − y) / (a(1 − a)): only for non-canonical outputs; the denominator is clipped.
        P = _clipped(A)
        out = np.subtract(A, Y, out=out)
        out /= P * (1 - P)
        out *= coef
        return out


class CategoricalCrossEntropy(Loss):
    """Categorical cross-entropy over the output units (Y one-hot or class probabilities)."""

    name = "categorical_crossentropy"
    canonical_activation = "softmax"
    needs_probabilities = True

    def per_example(self, A, Y):
        return -(Y * np.log(_clipped(A))).sum(axis=0)

    def value_from_logits(self, Z, Y, coef, scratch=None):
        # −Σ_k y_k log softmax(z)_k = (Σ_k y_k) logsumexp(z) − Σ_k y_k z_k, with max-shift.
        z_max = Z.max(axis=0, keepdims=True)
        shifted = np.subtract(Z, z_max, out=scratch)
        np.exp(shifted, out=shifted)
        log_sum = np.log(shifted.sum(axis=0)) + z_max[0]  # shape (m,)
        return _weighted_sum(log_sum * Y.sum(axis=0), coef) - _weighted_inner(Y, Z, coef)

    def gradient(self, A, Y, coef, out=None):
        out = np.divide(Y, _clipped(A), out=out)
        out *= -1
        out *= coef
        return out


class MeanSquaredError(Loss):
    """Half squared error, summed over outputs, mean over examples: equation 1's ½‖Ŷ − Y‖²/m."""

    name = "mse"
    canonical_activation = "identity"

    def per_example(self, A, Y):
        R = A - Y
        return 0.5 * np.einsum("ij,ij->j", R, R)

    def value_from_logits(self, Z, Y, coef, scratch=None):
        R = np.subtract(Z, Y, out=scratch)
        return 0.5 * _weighted_inner(R, R, coef)

    def gradient(self, A, Y, coef, out=None):
        return self.fused_output_error(A, Y, coef, out=out)


class MeanAbsoluteError(Loss):
    """Absolute error summed over outputs; dJ/dA = c sign(a − y) (0 at a = y)."""

    name = "mae"

    def per_example(self, A, Y):
        return np.abs(A - Y).sum(axis=0)

    def gradient(self, A, Y, coef, out=None):
        out = np.subtract(A, Y, out=out)
        np.sign(out, out=out)
        out *= coef
        return out


class Huber(Loss):
    """Huber loss with threshold δ (default 1): quadratic near 0, linear beyond δ.

    dJ/dA = c clip(a − y, −δ, δ).
    """

    name = "huber"

    def __init__(self, delta: float = 1.0):
        if not delta > 0:
            raise ValidationError(f"delta: expected a number > 0, received {delta!r}")
        self.delta = float(delta)

    def per_example(self, A, Y):
        R = np.abs(A - Y)
        quadratic = np.minimum(R, self.delta)
        return (0.5 * quadratic**2 + self.delta * (R - quadratic)).sum(axis=0)

    def gradient(self, A, Y, coef, out=None):
        out = np.subtract(A, Y, out=out)
        np.clip(out, -self.delta, self.delta, out=out)
        out *= coef
        return out


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (BinaryCrossEntropy(), CategoricalCrossEntropy(), MeanSquaredError(), MeanAbsoluteError(), Huber())
}
_ALIASES = {
    "bce": "binary_crossentropy",
    "binary_cross_entropy": "binary_crossentropy",
    "log_loss": "binary_crossentropy",
    "cce": "categorical_crossentropy",
    "crossentropy": "categorical_crossentropy",
    "cross_entropy": "categorical_crossentropy",
    "categorical_cross_entropy": "categorical_crossentropy",
    "squared_error": "mse",
    "mean_squared_error": "mse",
    "absolute_error": "mae",
    "mean_absolute_error": "mae",
}


def get_loss(spec: str | Loss) -> Loss:
    """The loss named ``spec`` (see ``LOSSES``), or ``spec`` itself if it is a :class:`Loss`."""
    if isinstance(spec, Loss):
        return spec
    if not isinstance(spec, str):
        raise InputTypeError(f"loss: expected a name or a Loss, received {spec!r}")
    key = _ALIASES.get(spec.lower(), spec.lower())
    if key not in LOSSES:
        raise ValidationError(f"loss: unknown name {spec!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[key]
