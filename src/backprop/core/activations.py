"""Activation functions ``g``: forward ``A = g(Z)`` and backward ``dZ = dA ⊙ g'(Z)``.

Arrays are (n_units, m): one column per example, as in the course. Element-wise
activations take ``g'`` from what the forward pass cached (tanh' = 1 − A²,
σ' = A(1 − A), ReLU' from the sign of Z), so nothing is recomputed. Softmax couples
the units of a column, so its backward is the Jacobian-vector product
``dZ = A ⊙ (dA − Σ_k A_k dA_k)`` instead of an element-wise ``g'``.

Every method writes into ``out`` when one is given (the training loop passes
preallocated buffers); ``out`` must not alias an input unless stated.

Add your own with :func:`register_activation`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .validation import InputTypeError, ValidationError

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "get_activation",
    "register_activation",
]

_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))


def _buffer(like: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    return np.empty_like(like) if out is None else out


class Activation:
    """An activation function with its derivative.

    Subclasses implement :meth:`forward` and :meth:`derivative` (``g'(Z)``, given ``Z``
    and the cached ``A = g(Z)``); :meth:`backward` multiplies it by ``dA``.
    ``outputs_probabilities`` marks activations whose outputs lie in (0, 1), the ones
    the cross-entropy losses accept.
    """

    name: str = ""
    elementwise: bool = True
    outputs_probabilities: bool = False

    def forward(self, Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``A = g(Z)``, same shape as ``Z``."""
        raise NotImplementedError

    def derivative(self, Z: np.ndarray, A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``g'(Z)`` element-wise, from ``Z`` and/or ``A = g(Z)``."""
        raise NotImplementedError

    def backward(
        self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``dZ = dA ⊙ g'(Z)``; ``out`` may be ``dA`` itself only if ``g'`` does not need a scratch copy."""
        dZ = self.derivative(Z, A, out=_buffer(Z, out))
        np.multiply(dZ, dA, out=dZ)
        return dZ

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.forward(np.asarray(Z))

    def __repr__(self) -> str:
        return f"<activation {self.name!r}>"


class Identity(Activation):
    """g(z) = z, g'(z) = 1."""

    name = "identity"

    def forward(self, Z, out=None):
        if out is None:
            return Z.copy()
        np.copyto(out, Z)
        return out

    def derivative(self, Z, A, out=None):
        out = _buffer(Z, out)
        out.fill(1)
        return out

    def backward(self, dA, Z, A, out=None):
        if out is None:
            return dA.copy()
        if out is not dA:
            np.copyto(out, dA)
        return out


class Sigmoid(Activation):
    """g(z) = 1 / (1 + e^(−z)) = ½(1 + tanh(z/2)), g'(z) = A(1 − A).

    Computed by the tanh form: no overflow for any z (tanh saturates), absolute error
    ≤ 1.2e-16, and 4–8× faster than ``exp(−logaddexp(0, −z))``. Its relative precision
    fades in the far negative tail (σ(−40) ≈ 4e-18 comes out as 0), which no cost
    sees: the cross-entropy of a sigmoid output is computed from the logits.
    """

    name = "sigmoid"
    outputs_probabilities = True

    def forward(self, Z, out=None):
        out = np.multiply(Z, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out

    def derivative(self, Z, A, out=None):
        out = np.subtract(1, A, out=out)
        return np.multiply(out, A, out=out)


class Tanh(Activation):
    """g(z) = tanh z, g'(z) = 1 − A²."""

    name = "tanh"

    def forward(self, Z, out=None):
        return np.tanh(Z, out=out)

    def derivative(self, Z, A, out=None):
        out = np.multiply(A, A, out=out)
        return np.subtract(1, out, out=out)


class ReLU(Activation):
    """g(z) = max(z, 0), g'(z) = 1 if z > 0 else 0 (0 at the kink)."""

    name = "relu"

    def forward(self, Z, out=None):
        return np.maximum(Z, 0, out=out)

    def derivative(self, Z, A, out=None):
        return np.greater(Z, 0, out=_buffer(Z, out))

    def backward(self, dA, Z, A, out=None):
        # relu'(z) = 1[z > 0] = sign(A): from the cache, in the float dtype (no boolean buffer).
        out = np.sign(A, out=out)
        return np.multiply(out, dA, out=out)


class LeakyReLU(Activation):
    """g(z) = z if z > 0 else α z, g'(z) = 1 if z > 0 else α (α = 0.01 by default)."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        self.alpha = float(alpha)

    def forward(self, Z, out=None):
        out = np.multiply(Z, self.alpha, out=out)
        return np.maximum(Z, out, out=out)

    def derivative(self, Z, A, out=None):
        out = _buffer(Z, out)
        out[...] = np.where(Z > 0, 1.0, self.alpha)
        return out


class ELU(Activation):
    """g(z) = z if z > 0 else α(e^z − 1), g'(z) = 1 if z > 0 else A + α (α = 1)."""

    name = "elu"

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def forward(self, Z, out=None):
        out = np.minimum(Z, 0, out=out)  # e^z only where z <= 0: it cannot overflow
        np.expm1(out, out=out)
        out *= self.alpha
        return _select(Z > 0, Z, out)

    def derivative(self, Z, A, out=None):
        out = np.add(A, self.alpha, out=out)
        return _select(Z > 0, 1.0, out)


def _select(mask: np.ndarray, where_true, out: np.ndarray) -> np.ndarray:
    """``out[mask] = where_true[mask]`` in place (where_true an array or a scalar)."""
    np.copyto(out, where_true, where=mask)
    return out


class Softplus(Activation):
    """g(z) = log(1 + e^z) (computed as logaddexp(0, z)), g'(z) = σ(z)."""

    name = "softplus"

    def forward(self, Z, out=None):
        return np.logaddexp(0, Z, out=out)

    def derivative(self, Z, A, out=None):
        return SIGMOID.forward(Z, out=out)


class GELU(Activation):
    """Gaussian error linear unit, tanh approximation (as PyTorch ``approximate='tanh'``).

    g(z) = ½ z (1 + tanh u), u = √(2/π)(z + 0.044715 z³);
    g'(z) = ½(1 + tanh u) + ½ z (1 − tanh² u) √(2/π)(1 + 3·0.044715 z²).
    The tanh form is used because numpy has no erf; it differs from the exact form
    by less than 5e-4. Beyond |z| = 10, tanh u is ±1 to the last bit (float32 and float64),
    so u and g' are computed from z clipped to [−10, 10]: the same numbers, without z³
    overflowing (and 0 · ∞ giving NaN in g') for huge z.
    """

    name = "gelu"

    @staticmethod
    def _tanh_u(Z):
        Z = np.clip(Z, -10.0, 10.0)
        return np.tanh(_SQRT_2_OVER_PI * (Z + 0.044715 * Z**3))

    def forward(self, Z, out=None):
        out = np.add(1, self._tanh_u(Z), out=out)
        out *= 0.5  # before z: ½(1 + tanh u) z cannot overflow for finite z
        out *= Z
        return out

    def derivative(self, Z, A, out=None):
        Zc = np.clip(Z, -10.0, 10.0)
        t = self._tanh_u(Zc)
        du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * Zc**2)
        out = np.add(1, t, out=out)
        out += Zc * (1 - t * t) * du
        out *= 0.5
        return out


class SiLU(Activation):
    """g(z) = z σ(z) (swish), g'(z) = σ(z)(1 + z(1 − σ(z)))."""

    name = "silu"

    def forward(self, Z, out=None):
        out = SIGMOID.forward(Z, out=out)
        return np.multiply(out, Z, out=out)

    def derivative(self, Z, A, out=None):
        s = SIGMOID.forward(Z)
        out = np.subtract(1, s, out=out)
        out *= Z
        out += 1
        out *= s
        return out


class Softmax(Activation):
    """A_k = e^(Z_k − max Z) / Σ_j e^(Z_j − max Z) over the units of each column.

    Backward is the Jacobian-vector product of J = diag(A) − A Aᵀ:
    dZ = A ⊙ (dA − Σ_k A_k dA_k), never the full (n × n) Jacobian.
    """

    name = "softmax"
    elementwise = False
    outputs_probabilities = True

    def forward(self, Z, out=None):
        out = np.subtract(Z, Z.max(axis=0, keepdims=True), out=out)  # max-shift: no overflow
        np.exp(out, out=out)
        out /= out.sum(axis=0, keepdims=True)
        return out

    def derivative(self, Z, A, out=None):
        raise TypeError("softmax has no element-wise derivative; use backward (its Jacobian-vector product)")

    def backward(self, dA, Z, A, out=None):
        out = np.multiply(A, dA, out=out)
        weighted = np.add.reduce(out, axis=0)  # Σ_k A_k dA_k, one per column, shape (m,)
        np.subtract(dA, weighted, out=out)
        return np.multiply(out, A, out=out)


class _UserActivation(Activation):
    """An element-wise activation built from two user functions."""

    def __init__(self, name, function, derivative, outputs_probabilities):
        self.name = name
        self._function = function
        self._derivative = derivative
        self.outputs_probabilities = outputs_probabilities

    def forward(self, Z, out=None):
        A = np.asarray(self._function(Z), dtype=Z.dtype)
        if A.shape != Z.shape:
            raise ValidationError(
                f"activation {self.name!r}: function returned shape {A.shape} for input of shape {Z.shape}"
            )
        if out is None:
            return A
        np.copyto(out, A)
        return out

    def derivative(self, Z, A, out=None):
        d = np.asarray(self._derivative(Z, A), dtype=Z.dtype)
        out = _buffer(Z, out)
        np.copyto(out, np.broadcast_to(d, Z.shape))
        return out


SIGMOID = Sigmoid()

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (Identity(), SIGMOID, Tanh(), ReLU(), LeakyReLU(), ELU(), Softplus(), GELU(), SiLU(), Softmax())
}
_ALIASES = {"linear": "identity", "logistic": "sigmoid", "swish": "silu"}


def get_activation(spec: str | Activation) -> Activation:
    """The activation named ``spec`` (see ``ACTIVATIONS``), or ``spec`` itself if it is one."""
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise InputTypeError(f"activation: expected a name or an Activation, received {spec!r}")
    key = _ALIASES.get(spec.lower(), spec.lower())
    if key not in ACTIVATIONS:
        raise ValidationError(
            f"activation: unknown name {spec!r}; expected one of {sorted(ACTIVATIONS)}"
        )
    return ACTIVATIONS[key]


def register_activation(
    name: str,
    function: Callable[[np.ndarray], np.ndarray] | Activation,
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    *,
    outputs_probabilities: bool = False,
    overwrite: bool = False,
) -> Activation:
    """Add an activation to the registry so networks can name it.

    ``function(Z) -> A`` and ``derivative(Z, A) -> g'(Z)`` act element-wise on arrays of
    shape (n_units, m). Alternatively pass an :class:`Activation` instance as
    ``function``. Check the pair with :func:`backprop.check_gradients`.
    """
    if not isinstance(name, str) or not name:
        raise InputTypeError(f"name: expected a non-empty string, received {name!r}")
    key = name.lower()
    if (key in ACTIVATIONS or key in _ALIASES) and not overwrite:
        raise ValidationError(f"name: activation {name!r} already exists; pass overwrite=True to replace it")
    if isinstance(function, Activation):
        activation = function
    else:
        if not callable(function) or not callable(derivative):
            raise InputTypeError("function and derivative: expected two callables (or an Activation)")
        activation = _UserActivation(key, function, derivative, outputs_probabilities)
    ACTIVATIONS[key] = activation
    return activation
