"""Weight initialisers: each fills ``W[l]`` of shape (fan_out, fan_in); biases start at zero.

An initialiser is ``f(fan_out, fan_in, rng, dtype) -> array``. ``rng`` is a
``numpy.random.Generator``; nothing here touches numpy's global random state.

==============  ==================================================
name            W_ij drawn from
==============  ==================================================
course          0.01 · N(0, 1)           (the course's small random weights)
glorot_normal   N(0, 2 / (fan_in + fan_out))
glorot_uniform  U(−√(6 / (fan_in + fan_out)), +√(6 / (fan_in + fan_out)))
he_normal       N(0, 2 / fan_in)
he_uniform      U(−√(6 / fan_in), +√(6 / fan_in))
==============  ==================================================

``"auto"`` (the :class:`~backprop.Network` default) picks He for ReLU-family layers and
Glorot otherwise. ``"seed"``, the 0.1 name of ``"course"``, is still accepted with a
``DeprecationWarning`` (``seed`` now only ever means the random seed).
"""

from __future__ import annotations

from collections.abc import Callable

import warnings

import numpy as np

from .validation import InputTypeError, ValidationError

__all__ = ["INITIALIZERS", "get_initializer", "auto_initializer"]

Initializer = Callable[[int, int, np.random.Generator, np.dtype], np.ndarray]


def course_normal(fan_out: int, fan_in: int, rng: np.random.Generator, dtype: np.dtype) -> np.ndarray:
    """W ~ 0.01 · N(0, 1): the course's ``np.random.randn(n_h, n_x) * 0.01``."""
    return (0.01 * rng.standard_normal((fan_out, fan_in))).astype(dtype, copy=False)


def glorot_normal(fan_out, fan_in, rng, dtype):
    """W ~ N(0, σ²) with σ² = 2 / (fan_in + fan_out) (Glorot & Bengio, 2010)."""
    return (np.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal((fan_out, fan_in))).astype(dtype, copy=False)


def glorot_uniform(fan_out, fan_in, rng, dtype):
    """W ~ U(−r, r) with r = √(6 / (fan_in + fan_out))."""
    r = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-r, r, (fan_out, fan_in)).astype(dtype, copy=False)


def he_normal(fan_out, fan_in, rng, dtype):
    """W ~ N(0, σ²) with σ² = 2 / fan_in (He et al., 2015), for ReLU layers."""
    return (np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_out, fan_in))).astype(dtype, copy=False)


def he_uniform(fan_out, fan_in, rng, dtype):
    """W ~ U(−r, r) with r = √(6 / fan_in)."""
    r = np.sqrt(6.0 / fan_in)
    return rng.uniform(-r, r, (fan_out, fan_in)).astype(dtype, copy=False)


INITIALIZERS: dict[str, Initializer] = {
    "course": course_normal,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "xavier_normal": glorot_normal,
    "xavier_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}

# Old names still accepted, with a warning: {old: new}.
_DEPRECATED_NAMES = {"seed": "course"}

_RELU_FAMILY = {"relu", "leaky_relu", "elu", "gelu", "silu"}


def auto_initializer(activation_name: str) -> Initializer:
    """He normal for ReLU-family activations, Glorot uniform for the rest."""
    return he_normal if activation_name in _RELU_FAMILY else glorot_uniform


def get_initializer(spec: str | Initializer) -> Initializer:
    """The initialiser named ``spec`` (see ``INITIALIZERS``), or ``spec`` if it is callable."""
    if callable(spec):
        return spec
    if not isinstance(spec, str):
        raise InputTypeError(f"init: expected a name or a callable, received {spec!r}")
    if spec.lower() in _DEPRECATED_NAMES:
        new = _DEPRECATED_NAMES[spec.lower()]
        warnings.warn(f"init={spec!r} is deprecated, use init={new!r} (the same 0.01 · N(0, 1) weights)",
                      DeprecationWarning, stacklevel=2)
        spec = new
    if spec.lower() not in INITIALIZERS:
        raise ValidationError(f"init: unknown name {spec!r}; expected 'auto' or one of {sorted(INITIALIZERS)}")
    return INITIALIZERS[spec.lower()]
