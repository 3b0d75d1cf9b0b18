"""A network from a table in one call, as ``backprop train FILE.csv`` builds one: :func:`fit_table`.

    >>> net = backprop.fit_table(df, "cost", task="regression", drop=["id"])   # doctest: +SKIP
    >>> net.predict(new_df)          # raw rows: the same imputation and one-hot encoding
    >>> net.save("cost.npz")         # the preprocessing goes into the model file

The table (a pandas DataFrame, a :class:`~backprop.data.tabular.Table` or a CSV path) is
split into the target column and the feature columns (``features``, less ``drop``); a
:class:`~backprop.data.tabular.TablePreprocessor` is fitted on the rows given (pass the
training rows only) and kept as ``net.preprocessor_``; ``classes_`` keeps the labels.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .core.tasks import output_layer
from .core.validation import ValidationError
from .data.preprocessing import StandardScaler, fold_standardization
from .data.tabular import (
    Table,
    TablePreprocessor,
    TableWarning,
    as_table,
    looks_like_identifier,
    read_table,
    select_columns,
)
from .model import Network
from .train import diagnostics

__all__ = ["fit_table", "table_target", "target_column"]


def target_column(table: Table, target: Any, option: str = "target") -> str:
    """The name of the target column: ``target`` by name or index (None: the last column)."""
    names = table.names
    if target is None:
        return names[-1]
    if isinstance(target, str) and target in names:
        return target
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) or (
            isinstance(target, str) and target.strip().lstrip("-").isdigit()):
        i = int(target)
        if not -len(names) <= i < len(names):
            raise ValidationError(f"{option}: column index {i} is out of range for {len(names)} columns")
        return names[i]
    raise ValidationError(f"{option}: no column {target!r}; the columns are {names}")


def table_target(table: Table, target: Any, features: Any = None, drop: Any = None, option: str = "target",
                 ) -> tuple[Table, str, list[str], np.ndarray]:
    """(the rows that have a target, the target's name, the feature columns, the target values).

    ``target``: a column name or index (None: the last column). Text targets come back as
    str, targets written as integers as int64, others as float64. Warns about identifier-like
    feature columns and rows without a target (left out).
    """
    name = target_column(table, target, option)
    chosen = select_columns(table, name, features, drop)
    for column in chosen:
        if looks_like_identifier(table, column):
            warnings.warn(f"column {column!r} holds a different value in every row, like an identifier; it is used "
                          f"as a feature (drop it: --drop {column}, or drop=[{column!r}] in Python)", TableWarning,
                          stacklevel=3)
    y = table.column(name)
    missing = np.isnan(y) if y.dtype.kind == "f" else np.array([v is None for v in y.tolist()], dtype=bool)
    if missing.all():
        raise ValidationError(f"target: the column {name!r} has no values")
    if missing.any():
        warnings.warn(f"{int(missing.sum())} rows have no value in the target column {name!r}; they are left out",
                      TableWarning, stacklevel=3)
        table, y = table.rows(np.flatnonzero(~missing)), y[~missing]
    if y.dtype.kind == "f" and table.integer[table.index(name)] and np.all(np.abs(y) < 2.0**63):
        y = y.astype(np.int64)
    elif y.dtype == object:
        y = np.array(y.tolist(), dtype=str)
    return table, name, chosen, y


def fit_table(
    data: Any,
    target: Any = None,
    *,
    task: str = "auto",
    features: Any = None,
    drop: Any = None,
    hidden: Sequence[int] = (16, 16),
    activation: str = "relu",
    standardize: bool = True,
    impute: str = "median",
    unknown: str = "zeros",
    seed: int = 0,
    epochs: int = 100,
    **fit_options: Any,
) -> Network:
    """Train a :class:`~backprop.Network` on a table, the way ``backprop train FILE.csv`` does.

    Parameters
    ----------
    data : pandas DataFrame, Table or CSV path
        The training rows (the preprocessing is fitted on them).
    target : column name or index (default: the last column)
    task : "auto", "classification" or "regression"
        auto: text targets and integer targets classify (with a warning when the integers are
        many for the rows: pass ``task="regression"``), other numbers regress.
    features, drop : column names or indices
        The feature columns (default: all but the target), and columns to leave out.
    hidden, activation : the hidden layers' sizes and activation.
    standardize : bool
        Train on standardised features (mean 0, std 1 over these rows); the scaling is folded
        into the first layer, so the returned network takes the preprocessed raw features.
    impute, unknown : as :class:`~backprop.data.tabular.TablePreprocessor`.
    seed, epochs, fit_options : passed to :meth:`Network.fit` (``optimizer``, ``learning_rate``, …).

    Returns
    -------
    Network with ``preprocessor_`` (its ``summary_`` says what was done to which columns),
    ``classes_`` (classifiers), ``feature_names_``, ``target_name_`` and ``history_``:
    ``predict``/``predict_proba``/``evaluate`` take raw DataFrames, and ``save`` stores it all.
    """
    if task not in ("auto", "classification", "regression"):
        raise ValidationError(f"task: expected 'auto', 'classification' or 'regression', received {task!r}")
    if isinstance(data, (str, os.PathLike)):
        table = read_table(data)
    else:
        table = as_table(data)
        if table is None:
            raise ValidationError(f"data: expected a pandas DataFrame, a Table or a CSV path, received "
                                  f"{type(data).__name__}")
    table, name, chosen, y = table_target(table, target, features, drop)
    classify = task == "classification" or (task == "auto" and y.dtype.kind in "iuU")
    if task == "auto" and classify:
        note = diagnostics.many_integer_classes(y, len(y))
        if note:
            warnings.warn(note.replace("pass --task regression", "pass task='regression'"), TableWarning, stacklevel=2)
    if not classify and y.dtype.kind not in "iuf":
        raise ValidationError(f"task: regression needs a numeric target, {name!r} holds text labels")
    pre = TablePreprocessor(impute, unknown=unknown).fit(table, chosen)
    X = pre.transform(table)
    n_classes = len(np.unique(y)) if classify else None
    out = output_layer(n_classes)
    sizes = [X.shape[1], *[int(h) for h in hidden], out.n_outputs]
    net = Network(sizes, [activation] * len(hidden) + [out.activation], out.loss, seed=seed)
    targets: Any = y if classify else y.astype(np.float64)
    if classify:
        net.classes_ = np.unique(y)  # integer labels need not be codes 0 … K − 1
    scaler = StandardScaler().fit(X) if standardize else None
    history = net.fit(X if scaler is None else scaler.transform(X), targets, epochs=epochs, seed=seed, **fit_options)
    if scaler is not None:
        trained = net
        net = fold_standardization(trained, scaler.mean_, scaler.scale_)
        net.classes_, net.history_, net.trainer_ = trained.classes_, history, trained.trainer_
    net.preprocessor_ = pre
    net.feature_names_ = pre.feature_names_
    net.target_name_ = name
    return net
