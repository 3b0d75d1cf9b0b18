"""Real tables in: CSV files (sniffed delimiter and header) and pandas DataFrames, made into features.

Two steps, the same for the command line and for Python:

1. :func:`read_table` (a CSV path) or :meth:`Table.from_dataframe` gives a :class:`Table`:
   named columns, each either numeric (float64, NaN where a cell is missing) or text
   (str, None where a cell is missing). Missing cells are empty ones and ``NA``, ``N/A``,
   ``NaN``, ``null``, ``None``, ``?``.
2. :class:`TablePreprocessor` is fitted on the training rows only and then turns any table
   with the same column names (in any order, extra columns ignored) into the network's
   input matrix X (n_samples, n_features):

   - a numeric column is copied; its missing cells get the training median (``impute=
     "median"``, the default), mean or most frequent value, and when the training rows had
     missing cells, an indicator feature ``NAME=missing`` (1 where the cell was missing);
   - a text column is one-hot encoded: one 0/1 feature ``NAME=VALUE`` per value seen in
     training (sorted); a missing cell gets the most frequent value plus the indicator
     ``NAME=missing``. A value never seen in training gives an all-zero group and a
     warning (``unknown="zeros"``, the default), or an error (``unknown="error"``).

Everything fitted is in :meth:`TablePreprocessor.get_config` (plain JSON), which model files
store; :meth:`TablePreprocessor.from_config` validates every field (types, ranges,
finiteness), so a hand-edited file fails with the field named.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.validation import InputTypeError, ShapeError, ValidationError, describe
from .table import (  # noqa: F401 (MISSING, read_table, select_columns, looks_like_identifier: re-exported)
    _IMPUTE,
    _MAX_CATEGORIES,
    _MAX_COLUMNS,
    _UNKNOWN,
    MISSING,
    Table,
    TableWarning,
    _as_numbers,
    as_table,
    looks_like_identifier,
    read_table,
    select_columns,
)

__all__ = ["MISSING", "Table", "TablePreprocessor", "TableWarning", "read_table", "select_columns",
           "looks_like_identifier"]

# --------------------------------------------------------------------------- the preprocessor


@dataclass
class _Column:
    name: str
    kind: str  # "numeric" or "categorical"
    fill: Any  # float (numeric) or str (categorical): what a missing cell becomes
    indicator: bool  # a NAME=missing feature follows
    categories: list[str] | None = None  # categorical only, sorted

    def feature_names(self) -> list[str]:
        out = [self.name] if self.kind == "numeric" else [f"{self.name}={c}" for c in self.categories]
        return out + ([f"{self.name}=missing"] if self.indicator else [])

    def to_dict(self) -> dict[str, Any]:
        entry = {"name": self.name, "kind": self.kind, "fill": self.fill, "indicator": self.indicator}
        if self.kind == "categorical":
            entry["categories"] = list(self.categories)
        return entry


class TablePreprocessor:
    """Columns of a table → the network's features: imputation, missing indicators, one-hot encoding.

    Parameters
    ----------
    impute : "median", "mean" or "most_frequent"
        What a missing cell of a numeric column becomes (text columns: always the most
        frequent value). A column with missing training cells also gets a 0/1 indicator
        feature ``NAME=missing`` when ``missing_indicator`` is True (the default).
    unknown : "zeros" or "error"
        A text value not seen in training: an all-zero one-hot group and a
        :class:`TableWarning` (default), or a ValidationError.
    max_categories : int
        A text column with more distinct values than this is refused (an identifier or free
        text, not a category); drop it.

    Fitted attributes: ``columns_`` (input column names, in order), ``feature_names_``
    (n_features names), ``n_features_``.
    """

    def __init__(self, impute: str = "median", *, missing_indicator: bool = True, unknown: str = "zeros",
                 max_categories: int = 1000):
        if impute not in _IMPUTE:
            raise ValidationError(f"impute: expected one of {list(_IMPUTE)}, received {impute!r}")
        if unknown not in _UNKNOWN:
            raise ValidationError(f"unknown: expected one of {list(_UNKNOWN)}, received {unknown!r}")
        if isinstance(max_categories, bool) or not isinstance(max_categories, (int, np.integer)) or max_categories < 1:
            raise ValidationError(f"max_categories: expected a positive integer, received {max_categories!r}")
        self.impute = impute
        self.missing_indicator = bool(missing_indicator)
        self.unknown = unknown
        self.max_categories = int(max_categories)
        self._columns: list[_Column] | None = None
        self.summary_: str = ""

    # ---------------------------------------------------------------- fitting

    def fit(self, X: Any, columns: Sequence[str] | None = None) -> TablePreprocessor:
        """Learn the fill values and categories of ``columns`` (default: all) from the rows of ``X``.

        X: a :class:`Table` or a pandas DataFrame, the TRAINING rows only.
        """
        table = _table_of(X)
        names = list(table.names) if columns is None else list(columns)
        if table.n_rows == 0:
            raise ValidationError("X: expected at least one row to fit on, received none")
        fitted = []
        for name in names:
            col = table.column(name)
            if col.dtype.kind == "f":
                missing = np.isnan(col)
                present = col[~missing]
                if present.size == 0:
                    raise ValidationError(f"X: column {name!r} has no values in the training rows; drop it")
                if self.impute == "median":
                    fill = float(np.median(present))
                elif self.impute == "mean":
                    fill = float(np.mean(present))
                else:
                    values, counts = np.unique(present, return_counts=True)
                    fill = float(values[np.argmax(counts)])
                fitted.append(_Column(name, "numeric", fill, bool(missing.any()) and self.missing_indicator))
            else:
                present = [c for c in col.tolist() if c is not None]
                if not present:
                    raise ValidationError(f"X: column {name!r} has no values in the training rows; drop it")
                counts = Counter(present)
                if len(counts) > self.max_categories:
                    raise ValidationError(f"X: the text column {name!r} has {len(counts)} distinct values, more than "
                                          f"max_categories={self.max_categories}; drop it (an identifier or free text?)")
                fill = min(counts, key=lambda c: (-counts[c], c))  # most frequent, ties by name
                indicator = len(present) < len(col) and self.missing_indicator
                fitted.append(_Column(name, "categorical", fill, indicator, sorted(counts)))
        self._columns = fitted
        self.summary_ = self._summary(table)
        return self

    def _summary(self, table: Table) -> str:
        cols = self._columns
        numeric = [c.name for c in cols if c.kind == "numeric"]
        parts = [f"{len(numeric)} numeric" + (f" ({_names(numeric)})" if numeric else "")]
        encoded = [f"{c.name} ({len(c.categories)} values)" for c in cols if c.kind == "categorical"]
        if encoded:
            parts.append(f"one-hot: {_names(encoded)}")
        imputed = []
        for c in cols:
            col = table.column(c.name)
            n_missing = int(np.isnan(col).sum()) if col.dtype.kind == "f" else sum(v is None for v in col.tolist())
            if n_missing:
                how = self.impute if c.kind == "numeric" else "most frequent"
                imputed.append(f"{c.name} ({n_missing} missing, {how} {_short(c.fill)}"
                               f"{' + indicator' if c.indicator else ''})")
        if imputed:
            parts.append(f"imputed: {_names(imputed)}")
        return f"columns: {'; '.join(parts)} -> {self.n_features_} features"

    def describe(self) -> str:
        """One line: the columns in, what each becomes, the features out (no training counts)."""
        cols = self._check_fitted()
        parts = []
        for c in cols:
            what = "number" if c.kind == "numeric" else f"one-hot of {len(c.categories)} values"
            if c.indicator:
                what += f", missing -> {_short(c.fill)} + indicator"
            parts.append(f"{c.name} ({what})")
        return f"{_names(parts, 8)} -> {self.n_features_} features; unseen text values: {self.unknown}"

    def _check_fitted(self) -> list[_Column]:
        if self._columns is None:
            raise ValidationError("TablePreprocessor: not fitted; call fit(X) first")
        return self._columns

    @property
    def columns_(self) -> list[str]:
        return [c.name for c in self._check_fitted()]

    @property
    def feature_names_(self) -> list[str]:
        return [f for c in self._check_fitted() for f in c.feature_names()]

    @property
    def n_features_(self) -> int:
        return len(self.feature_names_)

    def column_features(self) -> dict[str, list[int]]:
        """Per original column, the indices of the model features it feeds (a one-hot group, an indicator).

        Summing attributions over each list gives one attribution per original column.
        """
        out, start = {}, 0
        for c in self._check_fitted():
            k = len(c.feature_names())
            out[c.name] = list(range(start, start + k))
            start += k
        return out

    # ---------------------------------------------------------------- transforming

    def transform(self, X: Any) -> np.ndarray:
        """The features (n_samples, n_features_) of the table or DataFrame ``X``; columns matched by name."""
        columns = self._check_fitted()
        table = _table_of(X)
        absent = [c.name for c in columns if c.name not in table.names]
        if absent:
            raise ValidationError(f"X: the columns {absent} the model was trained on are missing from {table.name!r} "
                                  f"(its columns: {table.names})")
        blocks = []
        for c in columns:
            col = table.column(c.name)
            if c.kind == "numeric":
                if col.dtype.kind != "f":
                    numbers = _as_numbers(col)
                    if numbers is None:
                        bad = next(v for v in col.tolist() if v is not None and _as_numbers(np.array([v], dtype=object)) is None)
                        raise ValidationError(f"X: column {c.name!r} was numeric in training, {table.name!r} holds "
                                              f"the text {bad!r}")
                    col = numbers
                missing = np.isnan(col)
                block = [np.where(missing, c.fill, col)]
                if c.indicator:
                    block.append(missing.astype(np.float64))
            else:
                cells = [None if v is None else (_number_text(v) if isinstance(v, float) else str(v))
                         for v in col.tolist()]
                missing = np.array([v is None for v in cells], dtype=bool)
                lookup = {value: k for k, value in enumerate(c.categories)}
                onehot = np.zeros((len(cells), len(c.categories)))
                unseen = []
                for i, value in enumerate(cells):
                    k = lookup.get(c.fill if value is None else value)
                    if k is None:
                        unseen.append(value)
                    else:
                        onehot[i, k] = 1.0
                if unseen:
                    shown = sorted(set(unseen))[:5]
                    if self.unknown == "error":
                        raise ValidationError(f"X: column {c.name!r} holds values not seen in training: {shown}")
                    warnings.warn(f"column {c.name!r}: {len(unseen)} rows hold values not seen in training "
                                  f"({', '.join(map(repr, shown))}); their one-hot features are all zero",
                                  TableWarning, stacklevel=2)
                block = [onehot]
                if c.indicator:
                    block.append(missing.astype(np.float64)[:, None])
            blocks.extend(b if b.ndim == 2 else b[:, None] for b in block)
        return np.hstack(blocks) if blocks else np.zeros((table.n_rows, 0))

    def fit_transform(self, X: Any, columns: Sequence[str] | None = None) -> np.ndarray:
        return self.fit(X, columns).transform(X)

    # ---------------------------------------------------------------- storing

    def get_config(self) -> dict[str, Any]:
        """Everything fitted, as plain JSON (what a model file stores)."""
        return {"impute": self.impute, "missing_indicator": self.missing_indicator, "unknown": self.unknown,
                "max_categories": self.max_categories,
                "columns": [c.to_dict() for c in self._check_fitted()]}

    @classmethod
    def from_config(cls, config: Any, where: str = "preprocessing") -> TablePreprocessor:
        """A fitted preprocessor from :meth:`get_config`'s dict; every field is checked (the error names it)."""
        def fail(field: str, expected: str, value: Any) -> ValidationError:
            return ValidationError(f"{where}.{field}: expected {expected}, received {describe(value)}")

        if not isinstance(config, Mapping):
            raise fail("", "a JSON object", config)
        keys = {"impute", "missing_indicator", "unknown", "max_categories", "columns"}
        if set(config) != keys:
            raise ValidationError(f"{where}: expected the fields {sorted(keys)}, received {sorted(config)}")
        if config["impute"] not in _IMPUTE:
            raise fail("impute", f"one of {list(_IMPUTE)}", config["impute"])
        if config["unknown"] not in _UNKNOWN:
            raise fail("unknown", f"one of {list(_UNKNOWN)}", config["unknown"])
        if not isinstance(config["missing_indicator"], bool):
            raise fail("missing_indicator", "true or false", config["missing_indicator"])
        mc = config["max_categories"]
        if isinstance(mc, bool) or not isinstance(mc, int) or not 1 <= mc <= _MAX_CATEGORIES:
            raise fail("max_categories", f"an integer in [1, {_MAX_CATEGORIES}]", mc)
        entries = config["columns"]
        if not isinstance(entries, list) or not 1 <= len(entries) <= _MAX_COLUMNS:
            raise fail("columns", f"a list of 1 to {_MAX_COLUMNS} column objects", entries)
        columns: list[_Column] = []
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            columns.append(_column_from_config(entry, f"{where}.columns[{i}]", mc, seen))
            seen.add(columns[-1].name)
        pre = cls(config["impute"], missing_indicator=config["missing_indicator"], unknown=config["unknown"],
                  max_categories=mc)
        pre._columns = columns
        return pre

    def __repr__(self) -> str:
        state = f"{len(self._columns)} columns -> {self.n_features_} features" if self._columns else "not fitted"
        return f"TablePreprocessor(impute={self.impute!r}, unknown={self.unknown!r}; {state})"


def _column_from_config(entry: Any, where: str, max_categories: int, seen: set[str]) -> _Column:
    """One column of :meth:`TablePreprocessor.get_config`, every field checked (``where`` names it)."""
    def fail(field: str, expected: str, value: Any) -> ValidationError:
        return ValidationError(f"{where}{field}: expected {expected}, received {describe(value)}")

    if not isinstance(entry, Mapping):
        raise fail("", "a JSON object", entry)
    kind = entry.get("kind")
    if kind not in ("numeric", "categorical"):
        raise fail(".kind", "'numeric' or 'categorical'", kind)
    expected = {"name", "kind", "fill", "indicator"} | ({"categories"} if kind == "categorical" else set())
    if set(entry) != expected:
        raise ValidationError(f"{where}: expected the fields {sorted(expected)}, received {sorted(entry)}")
    name = entry["name"]
    if not isinstance(name, str) or not name or len(name) > 10_000:
        raise fail(".name", "a non-empty string", name)
    if name in seen:
        raise ValidationError(f"{where}.name: the column {name!r} appears twice")
    if not isinstance(entry["indicator"], bool):
        raise fail(".indicator", "true or false", entry["indicator"])
    fill = entry["fill"]
    if kind == "numeric":
        if isinstance(fill, bool) or not isinstance(fill, (int, float)) or not math.isfinite(fill):
            raise fail(".fill", "a finite number", fill)
        return _Column(name, kind, float(fill), entry["indicator"])
    cats = entry["categories"]
    if not isinstance(cats, list) or not 1 <= len(cats) <= max_categories or not all(isinstance(c, str) for c in cats):
        raise fail(".categories", f"a list of 1 to {max_categories} strings", cats)
    if cats != sorted(set(cats)):
        raise fail(".categories", "distinct strings in sorted order", cats)
    if not isinstance(fill, str) or fill not in cats:
        raise fail(".fill", "one of the column's categories", fill)
    return _Column(name, kind, fill, entry["indicator"], list(cats))


def _table_of(X: Any) -> Table:
    table = as_table(X)
    if table is None:
        raise InputTypeError(f"X: expected a pandas DataFrame or a backprop Table, received {describe(X)}")
    return table


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def _names(items: list[str], limit: int = 6) -> str:
    return ", ".join(items[:limit]) + (f", … ({len(items)} in all)" if len(items) > limit else "")


def check_features(pre: TablePreprocessor, n_inputs: int) -> None:
    """The preprocessor gives ``n_inputs`` features, or a ShapeError."""
    if pre.n_features_ != n_inputs:
        raise ShapeError(f"preprocessing: gives {pre.n_features_} features, the network takes {n_inputs}")
