"""Seeded toy data sets for classification: flower, moons, circles, spirals, xor, blobs.

Every function returns ``(X, y)`` with ``X`` of shape ``(n_samples, n_features)``
(``n_features == 2`` except for :func:`blobs`) and dtype float64, and ``y`` of shape
``(n_samples,)`` and dtype int64 holding class labels ``0 .. n_classes - 1``.

Samples are grouped by class (all of class 0 first, then class 1, ...), which keeps the
constructions readable and comparable with their reference implementations; shuffle with
:func:`backprop.data.train_test_split` or a permutation before mini-batch training.

``seed`` is an int, ``None`` (fresh randomness) or a :class:`numpy.random.Generator`
(used and advanced in place). The global ``np.random`` state is never touched.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from backprop.core.validation import (
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    check_positive_float,
    check_positive_int,
    describe,
)

from ._common import SeedLike, as_generator, check_int_seed, check_n_samples, split_counts

__all__ = ["planar_flower", "moons", "circles", "spirals", "xor", "blobs"]


def _labels(counts: list[int]) -> np.ndarray:
    """``[0]*counts[0] + [1]*counts[1] + ...`` as an int64 array of shape (sum(counts),)."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def planar_flower(
    n_samples: int = 400, noise: float = 0.2, seed: SeedLike = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The two-class "flower" of the Coursera deep-learning course (``load_planar_dataset``).

    Class ``j`` (j = 0, 1) lies on the petals of the rose curve ``r = 4 sin(4 t)`` for
    angles ``t`` spread over ``[3.12 j, 3.12 (j + 1)]``; Gaussian noise of standard
    deviation ``noise`` is added to both ``t`` and ``r``.

    With an int ``seed`` the numbers come from ``np.random.RandomState(seed)``, which is the
    same stream as the course's ``np.random.seed(seed)`` followed by ``np.random.randn``,
    so the defaults reproduce the course's data exactly (the course returns the
    transposes: ``X.T`` of shape (2, 400) and ``y.reshape(1, -1)``). With a
    :class:`numpy.random.Generator` (or ``None``, a fresh one) the construction is the
    same but the numbers differ from the course's.

    An odd ``n_samples`` is split as evenly as possible: class 0 gets the extra sample.
    (The course code assumes an even count.)

    Returns ``X`` of shape (n_samples, 2) float64 and ``y`` of shape (n_samples,) int64.
    """
    n_samples = check_n_samples(n_samples, minimum=2)
    noise = check_positive_float(noise, "noise", allow_zero=True)
    if seed is None or isinstance(seed, np.random.Generator):
        randn = as_generator(seed).standard_normal
    else:
        int_seed = check_int_seed(seed)
        if int_seed >= 2**32:
            raise ValidationError(f"seed: expected an int below 2**32, received {int_seed}")
        randn = np.random.RandomState(int_seed).randn

    a = 4  # maximum ray of the flower
    counts = split_counts(n_samples, 2)
    parts = []
    for j, n in enumerate(counts):
        # Same operations in the same order as the course, so the floats match bit for bit.
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + randn(n) * noise
        r = a * np.sin(4 * t) + randn(n) * noise
        parts.append(np.c_[r * np.sin(t), r * np.cos(t)])
    return np.concatenate(parts).astype(np.float64, copy=False), _labels(counts)


def moons(
    n_samples: int = 200, noise: float = 0.1, seed: SeedLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons`` construction).

    Class 0 is the upper half of the unit circle; class 1 is the lower half shifted to
    centre ``(1, 0.5)``. Points are evenly spaced along each arc and Gaussian noise of
    standard deviation ``noise`` is added to both coordinates. For an odd ``n_samples``
    class 1 gets the extra sample, as in scikit-learn. With ``noise=0`` the points equal
    ``make_moons(n_samples, shuffle=False)`` exactly.

    Returns ``X`` of shape (n_samples, 2) float64 and ``y`` of shape (n_samples,) int64.
    """
    n_samples = check_n_samples(n_samples, minimum=2)
    noise = check_positive_float(noise, "noise", allow_zero=True)
    rng = as_generator(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.append(np.cos(outer), 1 - np.cos(inner)),
            np.append(np.sin(outer), 1 - np.sin(inner) - 0.5),
        ]
    ).T
    X = X + rng.normal(scale=noise, size=X.shape)
    return X, _labels([n_out, n_in])


def circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: SeedLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """A circle inside another (scikit-learn's ``make_circles`` construction).

    Class 0 lies on the unit circle, class 1 on the concentric circle of radius
    ``factor`` (0 < factor < 1), evenly spaced in angle; Gaussian noise of standard
    deviation ``noise`` is added to both coordinates. For an odd ``n_samples`` class 1
    gets the extra sample. With ``noise=0`` the points equal
    ``make_circles(n_samples, shuffle=False, factor=factor)`` exactly.

    Returns ``X`` of shape (n_samples, 2) float64 and ``y`` of shape (n_samples,) int64.
    """
    n_samples = check_n_samples(n_samples, minimum=2)
    noise = check_positive_float(noise, "noise", allow_zero=True)
    factor = check_positive_float(factor, "factor")
    if factor >= 1:
        raise ValidationError(f"factor: expected a number in (0, 1), received {factor}")
    rng = as_generator(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.append(np.cos(outer), np.cos(inner) * factor),
            np.append(np.sin(outer), np.sin(inner) * factor),
        ]
    ).T
    X = X + rng.normal(scale=noise, size=X.shape)
    return X, _labels([n_out, n_in])


def spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: SeedLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Spiral arms, one per class (the CS231n "spiral" data).

    Class ``j`` has points at radii evenly spaced over ``[0, 1]`` and angles evenly
    spaced over ``[4 j, 4 (j + 1)]`` plus Gaussian noise of standard deviation ``noise``
    (noise moves points along their circle only: every radius is exact). Point
    ``(r sin t, r cos t)``. ``n_samples`` is split as evenly as possible over the
    classes, the first classes getting one more.

    Returns ``X`` of shape (n_samples, 2) float64 and ``y`` of shape (n_samples,) int64.
    """
    n_samples = check_n_samples(n_samples, minimum=2)
    n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
    if n_samples < n_classes:
        raise ValidationError(
            f"n_samples: expected at least n_classes={n_classes} samples, received {n_samples}"
        )
    noise = check_positive_float(noise, "noise", allow_zero=True)
    rng = as_generator(seed)
    counts = split_counts(n_samples, n_classes)
    parts = []
    for j, n in enumerate(counts):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(j * 4, (j + 1) * 4, n) + rng.standard_normal(n) * noise
        parts.append(np.c_[r * np.sin(t), r * np.cos(t)])
    return np.concatenate(parts), _labels(counts)


def xor(
    n_samples: int = 200, noise: float = 0.1, seed: SeedLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at ``(±1, ±1)`` labelled like exclusive-or.

    A cluster centred at ``(cx, cy)`` has label 1 when ``cx * cy < 0`` (the signs
    differ, "true XOR false") and 0 when ``cx * cy > 0``. Each cluster is isotropic with
    standard deviation ``noise``. The clusters, in order ``(-1,-1)`` [label 0],
    ``(-1,1)`` [1], ``(1,1)`` [0], ``(1,-1)`` [1], share ``n_samples`` as evenly as
    possible (earlier clusters get one more), so the classes differ in size by at most one.

    Returns ``X`` of shape (n_samples, 2) float64 and ``y`` of shape (n_samples,) int64.
    """
    n_samples = check_n_samples(n_samples, minimum=4)
    noise = check_positive_float(noise, "noise", allow_zero=True)
    rng = as_generator(seed)
    centers = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
    counts = split_counts(n_samples, 4)
    X = np.repeat(centers, counts, axis=0) + rng.normal(scale=noise, size=(n_samples, 2))
    y = (np.repeat(centers[:, 0] * centers[:, 1], counts) < 0).astype(np.int64)
    return X, y


def blobs(
    n_samples: int = 300,
    centers: int | Any = 3,
    n_features: int | None = None,
    cluster_std: float = 1.0,
    seed: SeedLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, one class per centre.

    ``centers`` is either the number of clusters, whose centres are then drawn uniformly
    from the box ``[-10, 10] ** n_features`` (``n_features`` defaults to 2), or an array
    of shape (n_centers, n_features) giving them (``n_features`` is then inferred; if
    given it must agree). Each cluster has standard deviation ``cluster_std`` along every
    axis. ``n_samples`` is split as evenly as possible, the first clusters getting one more.

    Returns ``X`` of shape (n_samples, n_features) float64 and ``y`` of shape
    (n_samples,) int64 with the index of each sample's centre.
    """
    cluster_std = check_positive_float(cluster_std, "cluster_std", allow_zero=True)
    if n_features is not None:
        n_features = check_positive_int(n_features, "n_features")
    n_samples = check_n_samples(n_samples, 2 if n_features is None else n_features)
    rng = as_generator(seed)

    if isinstance(centers, Integral) and not isinstance(centers, (bool, np.bool_)):
        n_centers = check_positive_int(centers, "centers")
        dim = 2 if n_features is None else n_features
        center_array = rng.uniform(-10.0, 10.0, size=(n_centers, dim))
    elif isinstance(centers, (bool, np.bool_, str, bytes)) or centers is None:
        raise InputTypeError(
            "centers: expected an int or an array of shape (n_centers, n_features), "
            f"received {describe(centers)}"
        )
    else:
        center_array = as_float_matrix(centers, "centers", dtype=np.float64)
        if n_features is not None and center_array.shape[1] != n_features:
            raise ShapeError(
                f"centers: expected {n_features} columns to match n_features={n_features}, "
                f"received shape {center_array.shape}"
            )
    if n_samples < len(center_array):
        raise ValidationError(
            f"n_samples: expected at least one sample per centre ({len(center_array)}), "
            f"received {n_samples}"
        )
    counts = split_counts(n_samples, len(center_array))
    X = np.repeat(center_array, counts, axis=0)
    X = X + rng.normal(scale=cluster_std, size=X.shape)
    return X, _labels(counts)
