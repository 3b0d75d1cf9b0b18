"""CSV files as tables for the command line: column choice, the target, preprocessing fitted on training rows.

``backprop train FILE.csv`` reads the file with :func:`backprop.data.tabular.read_table`
(delimiter and header sniffed), picks the feature columns (``--features``, ``--drop``),
and, once the training rows are known, fits a
:class:`~backprop.data.tabular.TablePreprocessor` on them alone. ``predict`` and
``evaluate`` apply a model's stored preprocessing to a raw file, matching columns by name.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from ..core.validation import ValidationError
from ..data.tabular import Table, TablePreprocessor, TableWarning, read_table
from ..labels import label_codes
from ..tables import table_target, target_column
from ._data import Data

__all__ = ["TABLE_EXTENSIONS", "is_table_file", "load_training_table", "fit_features", "model_table_data",
           "split_rows"]

TABLE_EXTENSIONS = (".csv", ".tsv", ".txt", ".data", "")


def is_table_file(spec: Any) -> bool:
    return isinstance(spec, str) and os.path.isfile(spec) and os.path.splitext(spec)[1].lower() in TABLE_EXTENSIONS


def _delimiter(spec: str, option: str | None) -> str | None:
    if option is not None:
        text = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(option, option)
        if len(text) != 1:
            raise ValidationError(f"--delimiter: expected one character (',', ';', 'tab', '|'), received {option!r}")
        return text
    return "\t" if spec.lower().endswith(".tsv") else None


def load_training_table(spec: str, opts: dict[str, Any]) -> tuple[Data, Table, list[str]]:
    """(Data with the target and no features yet, the table of feature rows, the feature columns)."""
    table = read_table(spec, delimiter=_delimiter(spec, opts.get("delimiter")))
    if len(table.names) < 2:
        raise ValidationError(f"data: {spec!r} has one column (read with delimiter sniffing; force one with "
                              "--delimiter), so there is no feature beside the target")
    name = target_column(table, opts.get("target"), "--target")
    y = table.column(name)
    if y.dtype.kind == "f" and table.integer[table.index(name)]:
        beyond = np.flatnonzero(np.abs(np.nan_to_num(y)) >= 2.0**63)
        if beyond.size:
            row = int(beyond[0])
            raise ValidationError(f"{spec}: line {row + 1 + int(table.header)}, column {name!r}: the integer "
                                  f"{_cell(spec, table, row, name)} does not fit in 64 bits")
    table, name, features, y = table_target(table, name, opts.get("features"), opts.get("drop"), "--target")
    empty = np.empty((len(y), 0))
    if y.dtype.kind == "f":
        data = Data(empty, y, [], name, spec, False, None)
    else:  # text labels, or integers (classes unless --task regression)
        data = Data(empty, y, [], name, spec, True, np.unique(y))
    return data, table, features


def _cell(spec: str, table: Table, row: int, column: str) -> str:
    """The text of a cell as written (re-read: the table holds it as a float)."""
    import csv

    with open(spec, encoding="utf-8-sig", newline="") as handle:
        lines = [r for r in csv.reader(handle, delimiter=table.delimiter) if r and any(c.strip() for c in r)]
    return lines[row + int(table.header)][table.index(column)].strip()


def split_rows(n: int, targets: np.ndarray, fraction: float, seed: int, classes: Any) -> tuple[np.ndarray, np.ndarray]:
    """(kept rows, held-out rows) exactly as ``train_test_split(X, targets, fraction, seed=seed, stratify=…)``
    splits ``backprop train``'s data (stratified when every class has two examples)."""
    from ..data import train_test_split

    counts = np.bincount(targets) if classes is not None else None
    stratify = counts is not None and counts.min() >= 2
    kept, held, _, _ = train_test_split(np.arange(n, dtype=np.float64)[:, None], targets, fraction, seed=seed,
                                        stratify=stratify)
    return kept[:, 0].astype(np.int64), held[:, 0].astype(np.int64)


def targets_of(data: Data, classes: Any) -> np.ndarray:
    return label_codes(data.y, classes) if classes is not None else data.y.astype(np.float64)


def fit_features(data: Data, table: Table, features: list[str], opts: dict[str, Any], classes: Any) -> TablePreprocessor:
    """Fit the preprocessing on the rows that will train (not the validation rows) and set ``data.X``."""
    n = table.n_rows
    train_rows = np.arange(n)
    if opts.get("validation_split"):
        train_rows, _ = split_rows(n, targets_of(data, classes), opts["validation_split"], opts["seed"], classes)
    pre = TablePreprocessor(opts.get("impute") or "median", unknown=opts.get("unknown") or "zeros")
    pre.fit(table.rows(np.sort(train_rows)), features)
    data.X = pre.transform(table)
    data.feature_names = pre.feature_names_
    return pre


def model_table_data(path: str, model: Any, target: Any, delimiter: str | None, need_target: bool) -> Data:
    """A raw CSV file through a model's stored preprocessing: Data with X (n, n_inputs) and y (or None)."""
    table = read_table(path, delimiter=_delimiter(path, delimiter))
    pre: TablePreprocessor = model.preprocessor
    name = None
    if target is not None:
        name = target_column(table, target, "--target")
    elif model.target_name is not None and model.target_name in table.names:
        name = model.target_name
    if need_target and name is None:
        raise ValidationError(f"data: {path!r} has no target column {model.target_name!r} to evaluate against "
                              "(name it with --target, or use 'backprop predict')")
    y = None
    if name is not None:
        col = table.column(name)
        missing = np.isnan(col) if col.dtype.kind == "f" else np.array([v is None for v in col.tolist()], dtype=bool)
        if need_target and missing.any():
            warnings.warn(f"{int(missing.sum())} rows have no value in the target column {name!r}; they are left out",
                          TableWarning, stacklevel=2)
            table, col = table.rows(np.flatnonzero(~missing)), col[~missing]
        if need_target:
            if col.dtype.kind == "f" and model.classes is not None:
                if np.array(model.classes).dtype.kind in "iu" or np.all(col == np.round(col)):
                    col = col.astype(np.int64)
            y = np.array(col.tolist(), dtype=str) if col.dtype == object else col
            if model.classes is not None and y.dtype.kind in "iu" and np.array(model.classes).dtype.kind in "U":
                y = y.astype(str)
    X = pre.transform(table)
    return Data(X, y, pre.feature_names_, name, path, model.classes is not None,
                None if model.classes is None else np.asarray(model.classes))


def model_and_data(args: Any, need_target: bool) -> tuple[Any, Any, Data]:
    """``predict``/``evaluate``: the model file, the network to predict with (a ``--standardize``
    checkpoint's scaling folded in, as in the final model) and the data: a raw table through the
    model's own preprocessing, or numbers."""
    from .. import io as model_io
    from ._data import load_data

    model = model_io.read_model(args.model)
    net = model.predictor()
    if model.preprocessor is not None and is_table_file(args.data):
        data = model_table_data(args.data, model, args.target, args.delimiter, need_target=need_target)
    else:
        data = load_data(args.data, target=args.target, n_samples=args.samples, seed=args.data_seed,
                         n_inputs=net.layer_sizes[0], target_name=model.target_name,
                         feature_names=model.feature_names)
    return model, net, data
