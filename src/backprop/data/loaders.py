"""Loading labelled data from CSV and NPZ files into a :class:`LoadedData`.

CSV files are read with the standard library's :mod:`csv` module, one line at a time;
NPZ archives with ``np.load(..., allow_pickle=False)`` so that loading a file never runs
code from it. Problems with a file's contents raise :class:`ValidationError` naming the
file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral
from typing import Any, Union

import numpy as np

from backprop.core.validation import (
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    describe,
)

from ..io.archive import read_npz
from ..io.paths import check_input_file, open_input
from ._common import check_float_dtype, split_counts

__all__ = ["LoadedData", "Dataset", "load_csv", "load_npz"]

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True, eq=False)
class LoadedData:
    """A loaded data set.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), floating point
    y : ndarray of shape (n_samples,)
        Integer codes ``0 .. len(classes) - 1`` when ``classes`` is set; otherwise the
        target as read (int64 when every value is written as an integer, else float).
    feature_names : list of str, length n_features
    target_name : str
    classes : ndarray of shape (n_classes,) or None
        The sorted original labels when the target held strings (``classes[y]`` gives
        them back); None for numeric targets.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    classes: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Number of rows of ``X``."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of columns of ``X``."""
        return int(self.X.shape[1])


Dataset = LoadedData  # the name before 0.x (backprop.train has its own TrainingData)


# --------------------------------------------------------------------------- helpers


def _check_path(path: Any, name: str = "path") -> str:
    return check_input_file(path, name)  # a regular file: never a FIFO (open would block) or /dev/zero


def _check_shard(shard: Any) -> tuple[int, int] | None:
    if shard is None:
        return None
    expected = "shard: expected a pair (rank, size) of ints with 0 <= rank < size"
    if not isinstance(shard, (tuple, list)) or len(shard) != 2:
        raise InputTypeError(f"{expected}, received {describe(shard)}")
    rank, size = shard
    for value in (rank, size):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
            raise InputTypeError(f"{expected}, received {describe(shard)}")
    if not 0 <= rank < size:
        raise ValidationError(f"{expected}, received {describe(tuple(shard))}")
    return int(rank), int(size)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)


def _is_int(cell: str) -> bool:
    try:
        int(cell)
    except ValueError:
        return False
    return True


@contextmanager
def _records(path: str, delimiter: str) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """Yield an iterator of ``(line_number, stripped_cells)`` over the non-blank rows."""
    # open_input, not open(): a FIFO swapped in after the path was checked is refused, never waited on
    with io.TextIOWrapper(open_input(path), newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)

        def rows() -> Iterator[tuple[int, list[str]]]:
            try:
                for row in reader:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # blank line
                    yield reader.line_num, [cell.strip() for cell in row]
            except csv.Error as exc:
                raise ValidationError(f"{path}: line {reader.line_num}: malformed CSV ({exc})") from None
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"path: {path!r} is not UTF-8 text ({exc.reason} at byte {exc.start})"
                ) from None

        yield rows()


@dataclass
class _Layout:
    path: str
    names: list[str]
    has_header: bool
    target: int  # column index of the target
    first_line: int  # line of the first row (the header, or the first data row)

    @property
    def n_columns(self) -> int:
        return len(self.names)

    def where(self, line: int, column: int) -> str:
        return f"{self.path}: line {line}, column {self.names[column]!r} (index {column})"


def _detect_header(first: list[str], second: list[str] | None) -> bool:
    """A first row is a header when some column holds text in it but a number below.

    A lone row is a header only when none of its cells is a number. This rule, unlike
    "any non-numeric cell", is not fooled by a string-valued target column; an empty
    cell is a missing value, not a name, so it is no evidence either way.
    """
    if second is None:
        return not any(_is_number(cell) for cell in first)
    return any(a and not _is_number(a) and _is_number(b) for a, b in zip(first, second))


def _resolve_target(target: Any, names: list[str], has_header: bool) -> int:
    n = len(names)
    if target is None:
        return n - 1
    if isinstance(target, (bool, np.bool_)):
        raise InputTypeError(f"target: expected a column name or index, received {target!r}")
    if isinstance(target, Integral):
        if not -n <= target < n:
            raise ValidationError(
                f"target: expected a column index in [{-n}, {n}), received {int(target)}"
            )
        return int(target) % n
    if isinstance(target, str):
        matches = [i for i, name in enumerate(names) if name == target]
        if not matches:
            note = "" if has_header else " (the file has no header row, so columns are named col0, col1, ...)"
            raise ValidationError(
                f"target: expected one of the column names {names}, received {target!r}{note}"
            )
        if len(matches) > 1:
            raise ValidationError(
                f"target: the name {target!r} is ambiguous: columns {matches} all carry it"
            )
        return matches[0]
    raise InputTypeError(f"target: expected a column name or index, received {describe(target)}")


def _read_layout(path: str, delimiter: str, header: Any, target: Any) -> _Layout:
    with _records(path, delimiter) as rows:
        first = next(rows, None)
        second = next(rows, None)
    if first is None:
        raise ValidationError(f"path: {path!r} holds no rows")
    line, cells = first
    has_header = _detect_header(cells, None if second is None else second[1]) if header == "auto" else header
    if has_header:
        names = [cell or f"col{i}" for i, cell in enumerate(cells)]
    else:
        names = [f"col{i}" for i in range(len(cells))]
    if len(names) < 2:
        raise ValidationError(
            f"path: expected at least 2 columns (features and a target) in {path!r}, "
            f"received {len(names)} on line {line}"
        )
    return _Layout(path, names, bool(has_header), _resolve_target(target, names, bool(has_header)), line)


@dataclass
class _Scan:
    n_rows: int = 0
    features: list[list[float]] | None = None  # kept rows only
    targets: list[str] | None = None  # kept rows only
    text_labels: set[str] | None = None  # every non-numeric target value in the file
    saw_number: bool = False  # some target value is a number
    all_int: bool = True  # every numeric target value is written as an integer


def _note_label(label: str, where: str, out: _Scan) -> None:
    """Check one target cell and record what kind of value it is (number, 64-bit integer, text)."""
    if not label:
        raise ValidationError(f"{where}: missing target value (empty cell)")
    if not _is_number(label):
        out.text_labels.add(label)
        return
    if not math.isfinite(float(label)):
        raise ValidationError(f"{where}: expected a finite target, received {label!r}")
    out.saw_number = True
    if not _is_int(label):
        out.all_int = False
    elif not _INT64_MIN <= int(label) <= _INT64_MAX:
        raise ValidationError(
            f"{where}: the integer target {label} does not fit in 64 bits; "
            "if the column is an identifier, choose another target column"
        )


def _scan(layout: _Layout, delimiter: str, keep: range, *, validate_all: bool) -> _Scan:
    """Read the data rows, parsing those with index in ``keep`` (and all, if validate_all).

    Only the rows in ``keep`` are stored, so memory is proportional to ``len(keep)``.
    """
    out = _Scan(features=[], targets=[], text_labels=set())
    t = layout.target
    feature_columns = [j for j in range(layout.n_columns) if j != t]
    with _records(layout.path, delimiter) as rows:
        for line, cells in rows:
            if layout.has_header and line == layout.first_line:
                continue
            index = out.n_rows
            out.n_rows += 1
            kept = index in keep
            if not (kept or validate_all):
                if index >= keep.stop:
                    break
                continue
            if len(cells) != layout.n_columns:
                raise ValidationError(
                    f"{layout.path}: line {line} has {len(cells)} fields, expected "
                    f"{layout.n_columns} like line {layout.first_line}"
                )
            values = []
            for j in feature_columns:
                cell = cells[j]
                if not cell:
                    raise ValidationError(f"{layout.where(line, j)}: missing value (empty cell)")
                try:
                    value = float(cell)
                except ValueError:
                    hint = ""
                    if index == 0 and not layout.has_header:
                        hint = "; if this line is a header, pass header=True"
                    raise ValidationError(
                        f"{layout.where(line, j)}: expected a number, received {cell!r} "
                        f"(string features are not supported{hint})"
                    ) from None
                if not math.isfinite(value):
                    raise ValidationError(f"{layout.where(line, j)}: expected a finite number, received {cell!r}")
                values.append(value)
            label = cells[t]
            _note_label(label, layout.where(line, t), out)
            if kept:
                out.features.append(values)
                out.targets.append(label)
    return out


def _all_labels(layout: _Layout, delimiter: str) -> set[str]:
    """Every distinct target value in the file (for a target mixing numbers and text)."""
    labels: set[str] = set()
    with _records(layout.path, delimiter) as rows:
        for line, cells in rows:
            if not (layout.has_header and line == layout.first_line):
                labels.add(cells[layout.target])
    return labels


# --------------------------------------------------------------------------- public API


def first_row(path: PathLike, delimiter: str = ",") -> list[str]:
    """The first non-blank row of a CSV file, its cells stripped ([] for a file of blank lines).

    Read like :func:`load_csv` reads (UTF-8 with or without BOM; any other encoding is an error
    naming the file).
    """
    path = _check_path(path)
    with _records(path, delimiter) as rows:
        for _, cells in rows:
            return cells
    return []


def load_csv(
    path: PathLike,
    target: str | int | None = None,
    *,
    delimiter: str = ",",
    header: bool | str = "auto",
    dtype: Any = np.float64,
    shard: tuple[int, int] | None = None,
) -> LoadedData:
    """Load a numeric CSV file with one target column into a :class:`LoadedData`.

    Parameters
    ----------
    path : str or os.PathLike
        A UTF-8 text file (a byte-order mark is ignored). Blank lines are skipped;
        cells are stripped of surrounding spaces; quoting follows the :mod:`csv` module.
    target : str, int or None
        The target column, by header name or by index (negative counts from the end);
        default: the last column. Without a header the columns are named ``col0``,
        ``col1``, ...
    delimiter : str
        One character.
    header : "auto", True or False
        With ``"auto"`` the first row is a header when some column is non-numeric in it
        but numeric in the second row (a lone row is a header when it holds no number).
    dtype : floating dtype
        The dtype of ``X`` and of a non-integer numeric target.
    shard : (rank, size) or None
        Return only the ``rank``-th of ``size`` contiguous, nearly equal parts of the data
        rows, with ``np.array_split`` semantics (the first ``n % size`` parts have one
        row more; a part may be empty when ``size`` exceeds the number of rows). The file
        is read line by line twice: first to count and validate every row (so every rank
        raises the same error for a bad file and agrees on the classes), then to keep
        only this rank's rows; other ranks' rows are never held in memory.

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_columns - 1); ``y`` of shape (n_rows,). A target with
        any non-numeric value is treated as class labels: ``classes`` holds the distinct
        values sorted as strings and ``y`` their int64 codes. Otherwise ``y`` is int64
        when every value is written as an integer (``"3"``, not ``"3.0"``), else ``dtype``.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValidationError
        For ragged rows, empty cells, non-numeric or non-finite feature values, an
        unknown target, or a file without data rows; the message names line and column.
    InputTypeError
        For arguments of the wrong type.
    """
    path = _check_path(path)
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise InputTypeError(f"delimiter: expected a one-character string, received {describe(delimiter)}")
    if not (header == "auto" if isinstance(header, str) else isinstance(header, bool)):
        raise ValidationError(f"header: expected 'auto', True or False, received {describe(header)}")
    dt = check_float_dtype(dtype)
    shard = _check_shard(shard)

    layout = _read_layout(path, delimiter, header, target)
    if shard is None:
        scan = _scan(layout, delimiter, range(sys.maxsize), validate_all=True)
        start = 0
    else:
        rank, size = shard
        whole = _scan(layout, delimiter, range(0), validate_all=True)
        counts = split_counts(whole.n_rows, size)
        start = sum(counts[:rank])
        scan = _scan(layout, delimiter, range(start, start + counts[rank]), validate_all=False)
        scan.n_rows = whole.n_rows
        scan.text_labels, scan.saw_number, scan.all_int = whole.text_labels, whole.saw_number, whole.all_int
    if scan.n_rows == 0:
        raise ValidationError(f"path: {path!r} holds a header but no data rows")

    n_features = layout.n_columns - 1
    X = np.array(scan.features, dtype=dt).reshape(len(scan.features), n_features)
    classes = None
    if scan.text_labels:
        if scan.saw_number:  # mixed numbers and text: every value is a label
            labels = set(scan.targets) if shard is None else _all_labels(layout, delimiter)
        else:
            labels = scan.text_labels
        classes = np.array(sorted(labels))
        codes = {label: code for code, label in enumerate(classes.tolist())}
        y = np.array([codes[label] for label in scan.targets], dtype=np.int64)
    elif scan.all_int:
        y = np.array([int(label) for label in scan.targets], dtype=np.int64)
    else:
        y = np.array([float(label) for label in scan.targets], dtype=dt)

    names = [name for j, name in enumerate(layout.names) if j != layout.target]
    return LoadedData(X=X, y=y, feature_names=names, target_name=layout.names[layout.target], classes=classes)


def load_npz(path: PathLike, x_key: str = "X", y_key: str = "y") -> LoadedData:
    """Load features and targets from an ``.npz`` archive (as written by ``np.savez``).

    The archive is opened with ``allow_pickle=False``: arrays of Python objects are
    refused. ``archive[x_key]`` must be a numeric array of shape (n_samples, n_features)
    (integers become float64, floating dtypes are kept); ``archive[y_key]`` of shape
    (n_samples,) or (n_samples, 1). A string ``y`` is encoded like :func:`load_csv` does
    (``classes`` sorted, ``y`` int64 codes); integer and boolean ``y`` become int64; a
    floating ``y`` must be finite and keeps its dtype.

    Returns a :class:`LoadedData` with ``feature_names`` ``x0, x1, ...`` and
    ``target_name == y_key``.
    """
    path = _check_path(path)
    arrays = read_npz(path, {"x_key": x_key, "y_key": y_key})  # the model loader's checks: no pickle, sizes bounded
    X_raw, y_raw = arrays["x_key"], arrays["y_key"]

    X = as_float_matrix(X_raw, f"x_key ({x_key!r} in {path!r})")
    y_name = f"y_key ({y_key!r} in {path!r})"
    if y_raw.ndim == 2 and y_raw.shape[1] == 1:
        y_raw = y_raw[:, 0]
    if y_raw.ndim != 1:
        raise ShapeError(f"{y_name}: expected shape (n_samples,) or (n_samples, 1), received shape {y_raw.shape}")
    if len(y_raw) != len(X):
        raise ShapeError(f"{y_name}: expected {len(X)} values to match the rows of X, received {len(y_raw)}")

    classes = None
    kind = y_raw.dtype.kind
    if kind in "US":
        classes, codes = np.unique(y_raw, return_inverse=True)
        y = codes.astype(np.int64).reshape(-1)
    elif kind in "biu":
        y = y_raw.astype(np.int64)
    elif kind == "f":
        if not np.isfinite(y_raw).all():
            raise ValidationError(f"{y_name}: expected finite values, received NaN or inf")
        y = y_raw
    else:
        raise InputTypeError(f"{y_name}: expected numbers or strings, received {describe(y_raw)}")
    names = [f"x{i}" for i in range(X.shape[1])]
    return LoadedData(X=X, y=y, feature_names=names, target_name=y_key, classes=classes)
