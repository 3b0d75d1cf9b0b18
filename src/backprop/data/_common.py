"""Private helpers shared by the data modules: seeds, even splits, dtype checks."""

from __future__ import annotations

from numbers import Integral
from typing import Union

import numpy as np

from backprop.core.validation import InputTypeError, ValidationError, describe

#: What every sampling function of :mod:`backprop.data` accepts as ``seed``.
SeedLike = Union[int, np.integer, np.random.Generator, None]


def as_generator(seed: SeedLike, name: str = "seed") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    ``None`` gives a fresh, unpredictable generator; a non-negative int gives
    ``np.random.default_rng(seed)``; a ``Generator`` is used as is (and advanced), so a
    caller can thread one generator through several calls. The global ``np.random`` state
    is never read or written.
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int_seed(seed, name))


def check_int_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as a non-negative Python int, rejecting bools and other types."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, Integral):
        raise InputTypeError(
            f"{name}: expected an int, None or a numpy.random.Generator, received {describe(seed)}"
        )
    if seed < 0:
        raise ValidationError(f"{name}: expected a non-negative int, received {seed}")
    return int(seed)


def split_counts(n: int, parts: int) -> list[int]:
    """Sizes of ``parts`` nearly equal parts of ``n`` items (``np.array_split`` semantics).

    The first ``n % parts`` parts get one item more than the others.
    """
    base, extra = divmod(n, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def check_float_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """Return ``np.dtype(dtype)``, requiring a floating-point dtype."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise InputTypeError(f"{name}: expected a floating-point dtype, received {describe(dtype)}") from None
    if dt.kind != "f":
        raise InputTypeError(f"{name}: expected a floating-point dtype, received {dt}")
    return dt
