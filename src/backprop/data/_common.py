"""Private helpers shared by the data modules: seeds, even splits, dtype checks.

``as_generator`` (None, an int or a Generator; the global ``np.random`` state is never
touched) lives in :mod:`backprop.core.validation`, shared with the network and the trainer.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from backprop.core.validation import (  # noqa: F401 (as_generator is re-exported)
    InputTypeError,
    as_generator,
    check_memory,
    check_positive_int,
    check_seed,
    describe,
)

#: What every sampling function of :mod:`backprop.data` accepts as ``seed``.
SeedLike = Union[int, np.integer, np.random.Generator, None]


def check_int_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as a non-negative Python int, rejecting bools and other types."""
    return check_seed(seed, name)


def check_n_samples(n_samples: object, n_features: int = 2, *, minimum: int = 1) -> int:
    """``n_samples`` as an int >= ``minimum``, refused up front when the float64 data set of
    ``n_features`` columns and its int64 labels would not fit in this machine's memory."""
    n = check_positive_int(n_samples, "n_samples", minimum=minimum)
    check_memory(n * 8 * (n_features + 1), "n_samples", f"{n} samples of {n_features} features and their labels")
    return n


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
