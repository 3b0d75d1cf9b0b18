"""The library's exceptions and the input checks every public entry point shares.

Every error names the argument, what was expected and what was received, so a user can
fix the call without reading our code. The classes subclass ``ValueError`` or
``TypeError`` so that code written for numpy or scikit-learn catches them too.
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "BackpropError",
    "ValidationError",
    "ShapeError",
    "InputTypeError",
    "DivergenceError",
    "as_float_matrix",
    "reject_masked",
    "check_memory",
    "check_weight_sum",
    "check_positive_int",
    "check_positive_float",
    "check_probability",
    "check_seed",
    "as_generator",
    "describe",
]


class BackpropError(Exception):
    """Base class of every error this library raises on purpose."""


class ValidationError(BackpropError, ValueError):
    """An argument has the right type but a value the function cannot use."""


class ShapeError(ValidationError):
    """An array has the wrong number of dimensions or the wrong size along one."""


class InputTypeError(BackpropError, TypeError):
    """An argument has a type the function cannot use (strings, objects, complex...)."""


class DivergenceError(BackpropError, FloatingPointError):
    """A computation overflowed to inf or NaN from finite inputs.

    In training: the cost, the gradient or an update became non-finite; the last finite
    parameters were kept. In forward, predict, cost and cost_and_gradient: the inputs or the
    weights are too large for the network's dtype.
    """


def describe(value: Any) -> str:
    """A short description of a received value for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) <= 60:
        return text
    if isinstance(value, (list, tuple, dict)):  # e.g. a tuple of arrays: its type says more than its start
        return f"{type(value).__name__} of length {len(value)}"
    return text[:57] + "..."


def reject_masked(value: Any, name: str) -> None:
    """Refuse a numpy masked array with masked entries: converting it would silently use the
    values under the mask. A masked array with nothing masked is plain data and passes."""
    if isinstance(value, np.ma.MaskedArray):
        masked = int(np.ma.count_masked(value))
        if masked:
            raise ValidationError(
                f"{name}: received a masked array with {masked} masked entries; masks are not used, so "
                f"fill them ({name}.filled(value)) or drop those rows ({name}[~{name}.mask.any(axis=1)])"
            )


def _memory_limit() -> int:
    """Bytes of physical memory on this machine (2**40 where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 1 << 40


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.4g} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover


def check_memory(n_bytes: int, name: str, what: str) -> None:
    """Refuse, before allocating, what needs more bytes than this machine's physical memory.

    ``n_bytes`` is a Python int (it cannot overflow); the error names the argument ``name``
    and says what the memory is for and how much it would be.
    """
    limit = _memory_limit()
    if n_bytes > limit:
        raise ValidationError(
            f"{name}: {what} would need {_bytes(n_bytes)}, more than this machine's memory ({_bytes(limit)})"
        )


def check_weight_sum(w: np.ndarray, name: str) -> float:
    """Σw in ``w``'s dtype, refused when it overflows: every coefficient w_i / Σw would be 0 and
    training would learn nothing while reporting a loss of 0."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = w.sum()
    if not np.isfinite(total):
        raise ValidationError(
            f"{name}: the per-example weights sum to {float(total)} in {w.dtype} (largest {float(w.max()):.3g}); "
            "only their ratios matter, so divide them by their largest value"
        )
    return float(total)


def as_float_matrix(
    X: Any,
    name: str = "X",
    *,
    dtype: np.dtype | type | None = None,
    ndim: int = 2,
    allow_1d: bool = False,
) -> np.ndarray:
    """Convert ``X`` to a finite floating-point array of ``ndim`` dimensions.

    Integers and booleans are converted to ``dtype`` (float64 when ``dtype`` is None and
    ``X`` is not already floating point); strings, objects and complex numbers are
    rejected with :class:`InputTypeError`; empty arrays, NaN and inf with
    :class:`ValidationError`. With ``allow_1d`` a 1-D array becomes one column.
    """
    if X is None:
        raise InputTypeError(f"{name}: expected an array of numbers, received None")
    reject_masked(X, name)
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise InputTypeError(f"{name}: expected a rectangular array of numbers ({exc})") from None
    if arr.dtype.kind in "OUSVMm" or arr.dtype.kind == "c":
        # a dict or a str becomes a 0-d object/str array: echo what the caller passed
        received = X if arr.ndim == 0 and not isinstance(X, np.ndarray) else arr
        raise InputTypeError(
            f"{name}: expected numbers (int or float), received {describe(received)}"
        )
    if arr.ndim == 1 and allow_1d and ndim == 2:
        arr = arr.reshape(-1, 1)
    if arr.ndim != ndim:
        hint = ""
        if arr.ndim == 1 and ndim == 2:
            hint = "; use X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one sample"
        raise ShapeError(
            f"{name}: expected a {ndim}-D array, received shape {arr.shape}{hint}"
        )
    if arr.size == 0:
        raise ValidationError(f"{name}: expected a non-empty array, received shape {arr.shape}")
    if dtype is not None:
        target = np.dtype(dtype)
    elif arr.dtype.kind == "f":
        target = arr.dtype
    else:
        target = np.dtype(np.float64)
    if target.kind != "f":
        raise InputTypeError(f"dtype: expected a floating-point dtype, received {target}")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > target.itemsize:
        _check_fits(arr, target, name)
    with np.errstate(over="ignore"):  # a value beyond the target's range is reported by _check_fits
        arr = arr.astype(target, copy=False)
    # A finite sum means every entry is finite (NaN and ±inf propagate through it): one pass and no
    # temporary of X's size (np.isfinite(X).all() would allocate a boolean per entry). A sum that
    # overflows is checked again entry by entry (max and min propagate NaN and expose ±inf).
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(arr, axis=None)
    if not (np.isfinite(total) or (np.isfinite(arr.max()) and np.isfinite(arr.min()))):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValidationError(f"{name}: expected finite values, received {bad} NaN or inf entries")
    return arr


def _check_fits(arr: np.ndarray, target: np.dtype, name: str) -> None:
    """Refuse finite values that a narrower float dtype cannot hold (1e39 in float32 would become inf)."""
    limit = float(np.finfo(target).max)
    hi, lo = float(arr.max()), float(arr.min())  # two reductions, no temporary of X's size
    if -limit <= lo and hi <= limit:
        return
    finite = np.abs(arr[np.isfinite(arr)])  # only when something is out of range or not finite
    too_large = finite[finite > limit]
    if too_large.size:
        raise ValidationError(
            f"{name}: {too_large.size} values exceed the {target} range (largest magnitude "
            f"{float(too_large.max()):.3g} > {limit:.3g}): rescale the data, or use dtype='float64'"
        )


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, requiring ``value >= minimum``; bools are rejected."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise InputTypeError(f"{name}: expected an integer >= {minimum}, received {describe(value)}")
    if value < minimum:
        raise ValidationError(f"{name}: expected an integer >= {minimum}, received {value}")
    return int(value)


def check_positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise InputTypeError(f"{name}: expected a number, received {describe(value)}")
    value = _as_float(value, name)
    bound = ">= 0" if allow_zero else "> 0"
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValidationError(f"{name}: expected a finite number {bound}, received {value}")
    return value


def _as_float(value: Real, name: str) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range, e.g. 10**400
        raise ValidationError(f"{name}: expected a finite number, received {describe(value)}") from None


def check_probability(value: Any, name: str) -> float:
    """Return ``value`` as a float in [0, 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise InputTypeError(f"{name}: expected a number in [0, 1), received {describe(value)}")
    value = _as_float(value, name)
    if not 0.0 <= value < 1.0:
        raise ValidationError(f"{name}: expected a number in [0, 1), received {value}")
    return value


def check_seed(seed: Any, name: str = "seed", *, below: int | None = None) -> int:
    """Return ``seed`` as a non-negative Python int (``< below`` when given); bools and other types are rejected."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, Integral):
        raise InputTypeError(
            f"{name}: expected an int, None or a numpy.random.Generator, received {describe(seed)}"
        )
    if seed < 0 or (below is not None and seed >= below):
        bound = "a non-negative int" if below is None else f"an int in [0, {below})"
        raise ValidationError(f"{name}: expected {bound}, received {seed}")
    return int(seed)


def as_generator(seed: Any, name: str = "seed") -> np.random.Generator:
    """A :class:`numpy.random.Generator` for ``seed``: None (fresh randomness), an int, or a Generator (used as is).

    The global ``np.random`` state is never read or written.
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_seed(seed, name))
