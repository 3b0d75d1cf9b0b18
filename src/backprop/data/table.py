"""Tables in: CSV files (sniffed delimiter and header) and pandas DataFrames as named columns,
and the choice of columns (``--features``, ``--drop``, identifier-like columns).

A :class:`Table` holds named columns, each either numeric (float64, NaN where a cell is missing)
or text (str, None where a cell is missing). Missing cells are empty ones and ``NA``, ``N/A``,
``NaN``, ``null``, ``None``, ``?``. :mod:`backprop.data.tabular` turns tables into features.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..core.validation import InputTypeError, ValidationError, describe
from ..io.paths import open_input

__all__ = ["MISSING", "Table", "TableWarning", "read_table", "as_table", "select_columns", "looks_like_identifier"]


#: Cells read as missing (compared after stripping spaces, case-insensitively).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})

_DELIMITERS = ",;\t|"

_IMPUTE = ("median", "mean", "most_frequent")

_UNKNOWN = ("zeros", "error")

_MAX_COLUMNS = 100_000

_MAX_CATEGORIES = 100_000


class TableWarning(UserWarning):
    """Something about a table the user should know (an identifier column, an unseen category, …)."""


# --------------------------------------------------------------------------- tables


@dataclass
class Table:
    """Named columns of equal length: numeric ones float64 (NaN = missing), text ones object (None = missing).

    ``integer``: per column, True when every present value is written as an integer.
    """

    names: list[str]
    columns: list[np.ndarray]
    integer: list[bool]
    name: str = "table"
    header: bool = False  # the file's first line named the columns (for line numbers in errors)
    delimiter: str = ","

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def index(self, column: str) -> int:
        if column not in self.names:
            raise ValidationError(f"{self.name}: no column {column!r}; the columns are {self.names}")
        return self.names.index(column)

    def column(self, column: str) -> np.ndarray:
        return self.columns[self.index(column)]

    def is_numeric(self, column: str) -> bool:
        return self.column(column).dtype.kind == "f"

    def rows(self, index: Any) -> Table:
        """The rows ``index`` (an integer array or a slice) of every column."""
        return replace(self, columns=[c[index] for c in self.columns])

    def without(self, names: Sequence[str]) -> Table:
        keep = [i for i, n in enumerate(self.names) if n not in set(names)]
        return replace(self, names=[self.names[i] for i in keep], columns=[self.columns[i] for i in keep],
                       integer=[self.integer[i] for i in keep])

    @classmethod
    def from_dataframe(cls, frame: Any, name: str = "DataFrame") -> Table:
        """A pandas DataFrame as a Table: numeric and boolean columns numeric, the others text."""
        if not hasattr(frame, "columns") or not hasattr(frame, "dtypes") or not hasattr(frame, "iloc"):
            raise InputTypeError(f"X: expected a pandas DataFrame, received {describe(frame)}")
        names = [str(c) for c in frame.columns]
        if len(set(names)) != len(names):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValidationError(f"X: column names must be distinct, {duplicated} appear more than once")
        columns, integer = [], []
        for position in range(frame.shape[1]):
            series = frame.iloc[:, position]
            kind = getattr(series.dtype, "kind", "O")
            if kind in "iufb":
                values = series.to_numpy(dtype=np.float64, na_value=np.nan)
                columns.append(values)
                integer.append(kind in "iub" or bool(np.all(np.isnan(values) | (values == np.round(values)))))
            else:
                cells = series.to_numpy(dtype=object)
                columns.append(_text_column(cells))
                integer.append(False)
        return cls(names, _typed(columns), integer, name)

    @classmethod
    def from_arrays(cls, columns: Mapping[str, Any], name: str = "table") -> Table:
        """A Table from ``{name: 1-D values}`` (numbers, or text with None/'' missing)."""
        names, cols, integer = [], [], []
        for key, values in columns.items():
            values = np.asarray(values)
            names.append(str(key))
            if values.dtype.kind in "iufb":
                cols.append(values.astype(np.float64))
                integer.append(values.dtype.kind in "iub")
            else:
                col = _text_column(values.astype(object))
                cols.append(col)
                integer.append(False)
        return cls(names, _typed(cols), integer, name)


def _text_column(cells: np.ndarray) -> np.ndarray:
    out = np.empty(len(cells), dtype=object)
    for i, cell in enumerate(cells.tolist()):
        if cell is None or (isinstance(cell, float) and math.isnan(cell)):
            out[i] = None
        else:
            text = str(cell).strip()
            out[i] = None if text.lower() in MISSING else text
    return out


def _typed(columns: list[np.ndarray]) -> list[np.ndarray]:
    """Text columns whose present values are all numbers become numeric columns."""
    out = []
    for col in columns:
        if col.dtype == object:
            numbers = _as_numbers(col)
            out.append(numbers if numbers is not None else col)
        else:
            out.append(col)
    return out


def _as_numbers(col: np.ndarray) -> np.ndarray | None:
    values = np.empty(len(col), dtype=np.float64)
    for i, cell in enumerate(col.tolist()):
        if cell is None:
            values[i] = np.nan
            continue
        try:
            value = float(cell)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(value):
            return None  # 'inf' is not a measurement: keep the column as text
        values[i] = value
    return values


def _is_int_text(cell: str) -> bool:
    try:
        int(cell)
    except ValueError:
        return False
    return True


def _sniff(sample: str, delimiter: str | None) -> str:
    if delimiter is not None:
        return delimiter
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        pass
    # the delimiter that splits every line into the same number (> 1) of fields, most fields first
    best, best_fields = ",", 1
    for d in _DELIMITERS:
        counts = {len(next(csv.reader([line], delimiter=d))) for line in lines}
        if len(counts) == 1 and (n := counts.pop()) > best_fields:
            best, best_fields = d, n
    return best


def _looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    """A header when some cell is text while the cells below it are numbers, or no cell is a number
    and the row's values do not occur again below (a text table's names)."""
    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    if not rest:
        return not any(number(c) for c in first if c)
    for j, cell in enumerate(first):
        below = [r[j] for r in rest if j < len(r) and r[j].strip().lower() not in MISSING]
        if cell and not number(cell) and below and all(number(b) for b in below):
            return True
    if any(number(c) for c in first if c):
        return False
    # every cell text: a header unless its values are values of the column below
    for j, cell in enumerate(first):
        below = {r[j] for r in rest if j < len(r)}
        if cell in below:
            return False
    return True


def read_table(path: Any, *, delimiter: str | None = None, header: bool | None = None) -> Table:
    """Read a CSV file into a :class:`Table`.

    ``delimiter``: None sniffs it among ``, ; TAB |``; ``header``: None detects it (a first
    row of names), else say. UTF-8 with or without a byte-order mark; any other encoding is
    an error naming the file and the byte. Without a header the columns are named
    ``col0``, ``col1``, …
    """
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path, received {describe(path)}")
    path = os.fspath(path)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n"):
        raise ValidationError(f"delimiter: expected one character (e.g. ',' or ';' or '\\t'), received {delimiter!r}")
    with open_input(path) as handle:  # a regular file (a FIFO or /dev/zero is refused, never read)
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"path: {path!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                              "save it as UTF-8 (with or without BOM)") from None
    delimiter = _sniff(text[:65536], delimiter)
    try:
        rows = [[cell.strip() for cell in row] for row in csv.reader(text.splitlines(), delimiter=delimiter)
                if row and not (len(row) == 1 and not row[0].strip())]
    except csv.Error as exc:
        raise ValidationError(f"{path}: malformed CSV ({exc})") from None
    if not rows:
        raise ValidationError(f"{path}: the file holds no rows")
    has_header = _looks_like_header(rows[0], rows[1:50]) if header is None else bool(header)
    width = len(rows[0])
    if width > _MAX_COLUMNS:
        raise ValidationError(f"{path}: {width} columns, more than {_MAX_COLUMNS}")
    names = rows[0] if has_header else [f"col{j}" for j in range(width)]
    body = rows[1:] if has_header else rows
    if has_header:
        names = [n if n else f"col{j}" for j, n in enumerate(names)]
        if len(set(names)) != len(names):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValidationError(f"{path}: the header names {duplicated} more than once")
    if not body:
        raise ValidationError(f"{path}: the file holds a header but no data rows")
    for k, row in enumerate(body):
        if len(row) != width:
            line = k + 1 + int(has_header)
            hint = "" if width > 1 else f" (read with delimiter {delimiter!r}; force another with --delimiter)"
            raise ValidationError(f"{path}: row {line} has {len(row)} fields, expected {width}{hint}")
    cells = np.array(body, dtype=object).reshape(len(body), width)
    columns, integer = [], []
    for j in range(width):
        col = _text_column(cells[:, j])
        numbers = _as_numbers(col)
        columns.append(col if numbers is None else numbers)
        integer.append(numbers is not None and all(_is_int_text(c) for c in col.tolist() if c is not None))
    return Table(names, columns, integer, path, has_header, delimiter)


def as_table(X: Any, name: str = "X") -> Table | None:
    """X as a :class:`Table` when it is one or a DataFrame; None for anything else (an array)."""
    if isinstance(X, Table):
        return X
    module = type(X).__module__ or ""
    if module.startswith("pandas") and hasattr(X, "columns"):
        return Table.from_dataframe(X, name)
    return None


# --------------------------------------------------------------------------- choosing columns


def _column_refs(refs: Any, names: list[str], option: str) -> list[str]:
    """Column names from names or indices (a list, or one comma-separated string)."""
    if isinstance(refs, str):
        refs = [r for r in (part.strip() for part in refs.split(",")) if r]
    if not isinstance(refs, Sequence):
        raise InputTypeError(f"{option}: expected column names or indices, received {describe(refs)}")
    out = []
    for ref in refs:
        if isinstance(ref, str) and ref in names:
            out.append(ref)
        elif isinstance(ref, (int, np.integer)) and not isinstance(ref, bool) or (
                isinstance(ref, str) and ref.lstrip("-").isdigit()):
            i = int(ref)
            if not -len(names) <= i < len(names):
                raise ValidationError(f"{option}: column index {i} is out of range for {len(names)} columns")
            out.append(names[i])
        else:
            raise ValidationError(f"{option}: no column {ref!r}; the columns are {names}")
    return out


def select_columns(table: Table, target: str | None, features: Any = None, drop: Any = None) -> list[str]:
    """The feature columns: ``features`` (names or indices) or every column, less ``drop`` and the target."""
    names = table.names
    chosen = _column_refs(features, names, "features") if features is not None else list(names)
    dropped = set(_column_refs(drop, names, "drop")) if drop is not None else set()
    out = [n for n in chosen if n not in dropped and n != target]
    if not out:
        raise ValidationError(f"features: no feature columns left (columns {names}, target {target!r}, "
                              f"dropped {sorted(dropped)})")
    return out


def looks_like_identifier(table: Table, column: str) -> bool:
    """A column that holds a different integer or text value in every row (of at least 20)."""
    col = table.column(column)
    n = len(col)
    if n < 20:
        return False
    if col.dtype.kind == "f":
        if not table.integer[table.index(column)] or np.isnan(col).any():
            return False
        return len(np.unique(col)) == n
    present = [c for c in col.tolist() if c is not None]
    return len(present) == n and len(set(present)) == n


