"""Where the command line's data comes from: built-in data sets, scikit-learn's bundled ones, CSV and NPZ files.

A data argument is either an existing file (``.csv``/``.tsv``/``.txt`` read by
:func:`backprop.data.load_csv`, ``.npz`` by :func:`backprop.data.load_npz`) or the name of a
built-in data set. Every loader gives a :class:`Data`: ``X`` (n_samples, n_features) and
``y`` (n_samples,) holding the ORIGINAL labels for classification (strings or integers),
numbers for regression, or None when the file has no target column.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.validation import ShapeError, ValidationError
from ..data import blobs, circles, load_csv, load_npz, loaders, moons, planar_flower, spirals, xor

__all__ = ["Data", "BUILTIN", "SKLEARN", "load_data", "label_codes", "data_names", "model_targets", "predicted_labels"]


@dataclass
class Data:
    """Features X (n_samples, n_features); targets y (n_samples,) or None; their names; where from.

    ``categorical``: y holds class labels (strings, or integers meant as classes);
    ``classes``: the label set in the order the data defines (sorted), or None.
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None
    name: str
    categorical: bool
    classes: np.ndarray | None = None


def _toy(function: Callable[..., tuple[np.ndarray, np.ndarray]], default_seed: int) -> Callable[..., Data]:
    def load(name: str, n_samples: int | None, seed: int | None) -> Data:
        kwargs: dict[str, Any] = {"seed": default_seed if seed is None else seed}
        if n_samples is not None:
            kwargs["n_samples"] = n_samples
        X, y = function(**kwargs)
        names = [f"x{i + 1}" for i in range(X.shape[1])]
        return Data(X, y, names, "class", name, True, np.unique(y))

    return load


#: Built-in data sets (numpy only): name -> loader(name, n_samples, seed).
BUILTIN: dict[str, Callable[..., Data]] = {
    "flower": _toy(planar_flower, 1),  # random seed 1, as in the course: the course's exact data
    "moons": _toy(moons, 0),
    "circles": _toy(circles, 0),
    "spirals": _toy(spirals, 0),
    "xor": _toy(xor, 0),
    "blobs": _toy(blobs, 0),
}

#: scikit-learn's bundled data sets (no download): name -> is it classification?
SKLEARN = {"iris": True, "wine": True, "breast_cancer": True, "digits": True, "diabetes": False}


def data_names() -> list[str]:
    """Every data set name the command line knows."""
    return list(BUILTIN) + list(SKLEARN)


def _sklearn(name: str, n_samples: int | None) -> Data:
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(f"the data set {name!r} comes with scikit-learn: pip install 'backprop-mlp[sklearn]'") from None
    bunch = getattr(sklearn.datasets, f"load_{name}")()
    X = np.asarray(bunch.data, dtype=np.float64)
    target = np.asarray(bunch.target)
    names = [str(n) for n in getattr(bunch, "feature_names", [f"x{i + 1}" for i in range(X.shape[1])])]
    if SKLEARN[name]:
        classes = np.asarray(bunch.target_names)
        y = classes[target]
        data = Data(X, y, names, "target", name, True, classes)
    else:
        data = Data(X, target.astype(np.float64), names, "target", name, False)
    if n_samples is not None:
        data.X, data.y = data.X[:n_samples], data.y[:n_samples]
    return data


def _target_arg(target: str | None) -> str | int | None:
    if target is None:
        return None
    text = target.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def _from_csv(path: str, target: str | None, n_inputs: int | None, target_name: str | None, delimiter: str,
              shard: tuple[int, int] | None = None) -> Data:
    if target is None and n_inputs is not None:
        first_row = loaders.first_row(path, delimiter)
        if target_name is not None and target_name in first_row:
            target = target_name
        elif len(first_row) == n_inputs:  # no target column: features only
            ds = load_csv(path, delimiter=delimiter, shard=shard)
            if ds.classes is not None:
                raise ValidationError(
                    f"{path}: the last column {ds.target_name!r} holds text, but a model with {n_inputs} "
                    "inputs expects every column to be a feature"
                )
            X = np.column_stack([ds.X, ds.y.astype(ds.X.dtype)])
            return Data(X, None, ds.feature_names + [ds.target_name], None, path, False)
    ds = load_csv(path, target=_target_arg(target), delimiter=delimiter, shard=shard)
    return _as_data(ds, path, local_classes=shard is None)


def _as_data(ds: Any, path: str, local_classes: bool = True) -> Data:
    """A loaded data set as :class:`Data`; integer labels' classes from these rows unless ``local_classes`` is False."""
    categorical = ds.classes is not None or ds.y.dtype.kind in "iu"
    y = ds.classes[ds.y] if ds.classes is not None else ds.y
    classes = ds.classes if ds.classes is not None else (np.unique(y) if categorical and local_classes else None)
    return Data(ds.X, y, ds.feature_names, ds.target_name, path, categorical, classes)


def _from_npz(path: str, target: str | None) -> Data:
    return _as_data(load_npz(path, y_key=target or "y"), path)


def _rows_of(data: Data, shard: tuple[int, int]) -> Data:
    """Part ``rank`` of ``size`` of the rows (``np.array_split``); ``classes`` stay those of all rows."""
    rank, size = shard
    rows = np.array_split(np.arange(len(data.X)), size)[rank]
    data.X = data.X[rows]
    if data.y is not None:
        data.y = data.y[rows]
    return data


def load_data(
    spec: str,
    *,
    target: str | None = None,
    n_samples: int | None = None,
    seed: int | None = None,
    n_inputs: int | None = None,
    target_name: str | None = None,
    feature_names: list[str] | None = None,
    shard: tuple[int, int] | None = None,
) -> Data:
    """Load ``spec`` (a file or a data set name).

    For a model's data (``n_inputs`` given): a CSV whose columns number ``n_inputs`` is read
    as features only (y None); ``target_name`` picks the target column when present; and
    columns named like the model's ``feature_names`` are put in the model's order.

    ``shard=(rank, size)``: only part ``rank`` of ``size`` of the rows, in order
    (``np.array_split`` semantics), for training on several processes. A CSV file is read
    with ``load_csv(..., shard=...)``, which never holds the other parts; an NPZ file or a
    data set is loaded whole, its classes found, and then cut. From a CSV part, text labels
    keep the classes of the whole file, but integer labels get ``classes`` None (a part
    may lack some: the caller gathers them from every part, as
    :func:`backprop.distributed.unique_labels` does).
    """
    if os.path.isfile(spec):
        extension = os.path.splitext(spec)[1].lower()
        if extension == ".npz":
            data = _from_npz(spec, target)
            if shard is not None:
                data = _rows_of(data, shard)
        elif extension in (".csv", ".tsv", ".txt", ".data", ""):
            delimiter = "\t" if extension == ".tsv" else ","
            data = _from_csv(spec, target, n_inputs, target_name, delimiter, shard)
        else:
            raise ValidationError(f"data: expected a .csv, .tsv or .npz file, received {spec!r}")
    elif target is not None and (spec in BUILTIN or spec in SKLEARN):
        raise ValidationError(f"--target: the data set {spec!r} has a fixed target; --target picks a column of a "
                              f".csv/.npz file, received {target!r}")
    elif spec in BUILTIN or spec in SKLEARN:
        data = BUILTIN[spec](spec, n_samples, seed) if spec in BUILTIN else _sklearn(spec, n_samples)
        if shard is not None:
            data = _rows_of(data, shard)
    else:
        raise ValidationError(f"data: expected an existing .csv/.npz file or one of {data_names()}, received {spec!r}")
    if feature_names is not None and data.feature_names != feature_names and set(feature_names) <= set(data.feature_names):
        order = [data.feature_names.index(name) for name in feature_names]
        data.X, data.feature_names = data.X[:, order], list(feature_names)
    if n_inputs is not None and data.X.shape[1] != n_inputs:
        raise ShapeError(
            f"data: the model expects {n_inputs} features, {data.name!r} has {data.X.shape[1]} "
            f"({', '.join(data.feature_names[:8])}{', …' if data.X.shape[1] > 8 else ''})"
        )
    return data


def label_codes(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
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


def model_targets(net: Any, classes: np.ndarray | None, y: np.ndarray) -> np.ndarray:
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


def predicted_labels(net: Any, classes: np.ndarray | None, X: np.ndarray) -> np.ndarray:
    """``net.predict(X)`` mapped back to the original labels when the model has them."""
    prediction = net.predict(X)
    if classes is not None and net.task in ("binary", "multiclass"):
        return classes[prediction]
    return prediction
