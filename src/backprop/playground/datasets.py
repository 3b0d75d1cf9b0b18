"""The playground's data: the built-in data sets and an uploaded CSV file."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.validation import ValidationError
from ..data import blobs, circles, moons, planar_flower, spirals, xor

__all__ = ["DATASETS", "CsvData", "builtin_dataset", "parse_csv"]

# name -> (title, task, default noise, default number of points)
DATASETS: dict[str, tuple[str, str, float, int]] = {
    "flower": ("flower (the course's)", "binary", 0.2, 400),
    "circles": ("circles", "binary", 0.1, 300),
    "moons": ("moons", "binary", 0.15, 300),
    "xor": ("XOR", "binary", 0.35, 300),
    "spirals": ("spirals, 3 classes", "multiclass", 0.2, 300),
    "blobs": ("blobs, 3 classes", "multiclass", 1.0, 300),
    "wave": ("wave: regression", "regression", 0.1, 300),
}


def builtin_dataset(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a built-in data set: X (n, 2); y (n,) class labels, or values for ``wave``."""
    if name == "flower":
        return planar_flower(n, noise=noise, seed=seed)
    if name == "circles":
        return circles(n, noise=noise, factor=0.5, seed=seed)
    if name == "moons":
        return moons(n, noise=noise, seed=seed)
    if name == "xor":
        return xor(n, noise=noise, seed=seed)
    if name == "spirals":
        return spirals(n, n_classes=3, noise=noise, seed=seed)
    if name == "blobs":
        centers = np.array([[-2.0, -1.5], [2.0, -1.0], [0.0, 2.0]])
        return blobs(n, centers=centers, cluster_std=max(noise, 1e-3) * 0.8, seed=seed)
    if name == "wave":  # regression: y = sin x₁ · cos x₂ + noise
        rng = np.random.default_rng(seed)
        X = rng.uniform(-3, 3, size=(n, 2))
        return X, np.sin(X[:, 0]) * np.cos(X[:, 1]) + rng.normal(scale=noise, size=n)
    raise ValidationError(f"dataset: expected one of {sorted(DATASETS)}, received {name!r}")


@dataclass
class CsvData:
    """An uploaded CSV: features (standardized later on the training part), target, names."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    task: str
    classes: list[Any] | None


def parse_csv(text: str, target: str | int | None = None) -> CsvData:
    """Parse CSV text with :func:`backprop.data.load_csv`; the task from the target column."""
    from ..data import load_csv

    if not isinstance(text, str) or not text.strip():
        raise ValidationError("csv: expected the text of a CSV file, received an empty file")
    if len(text) > 20_000_000:
        raise ValidationError(f"csv: expected at most 20 MB, received {len(text) / 1e6:.1f} MB")
    handle, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
        data = load_csv(path, target=target)
    finally:
        os.unlink(path)
    if data.n_samples < 10:
        raise ValidationError(f"csv: expected at least 10 rows, received {data.n_samples}")
    if data.n_features < 1:
        raise ValidationError("csv: expected at least one feature column besides the target")
    y = data.y
    if data.classes is not None:
        classes = [c.item() if hasattr(c, "item") else c for c in data.classes]
        task = "binary" if len(classes) == 2 else "multiclass"
    elif y.dtype.kind in "iu" and len(np.unique(y)) <= 10:
        values = np.unique(y)
        classes = [int(v) for v in values]
        y = np.searchsorted(values, y)
        task = "binary" if len(classes) == 2 else "multiclass"
    else:
        classes, task = None, "regression"
    if task != "regression" and len(classes) < 2:
        raise ValidationError(f"csv: the target {data.target_name!r} has a single class; expected at least 2")
    X = np.asarray(data.X, dtype=np.float64)
    return CsvData(X, np.asarray(y), list(data.feature_names), data.target_name, task,
                   classes if task != "regression" else None)
