"""A stored table preprocessing with text columns, as the front of an ONNX graph.

A model trained on a table with text (categorical) columns takes, in ONNX, **one input per
column of the table**, named as the column: a text column as ``tensor(string)`` of shape
(N, 1), a numeric column as a float tensor (N, 1) of the export dtype with NaN for a missing
cell. The graph then does what :meth:`backprop.data.tabular.TablePreprocessor.transform`
does, in the same feature order:

- numeric column: ``Where(IsNaN(x), fill, x)``, then ``Cast(IsNaN(x))`` as the
  ``NAME=missing`` indicator when the model has one;
- text column with categories c_0 … c_{k-1}: one ``LabelEncoder`` (``ai.onnx.ml``) maps each
  category to its index, a missing cell (``""``, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``,
  ``?`` in their usual capitalisations) to k and anything else to −1; a missing cell takes the
  index of the training's most frequent value; the one-hot group is ``Equal(index, [0 … k−1])``,
  so a value never seen in training gives an all-zero group (``unknown="zeros"``; a graph cannot
  raise, so a model fitted with ``unknown="error"`` is reported as not fully in the graph).

Text is matched exactly: backprop strips spaces around cells when it reads a table, and
:func:`onnx_inputs` does the same for the feeds it builds.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..core.validation import InputTypeError, ValidationError, describe
from ..data.table import MISSING, Table, as_table, read_table
from ..data.tabular import _number_text

__all__ = ["has_text_columns", "table_front", "onnx_inputs"]

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 2  # LabelEncoder with keys_strings / values_int64


def _missing_spellings() -> list[str]:
    """The cells backprop reads as missing, in the capitalisations a file or DataFrame holds them."""
    out: set[str] = set()
    for token in MISSING:
        out |= {token, token.upper(), token.title(), token.capitalize()}
    out |= {"NaN", "nA"}
    return sorted(out)


def has_text_columns(config: dict[str, Any] | None) -> bool:
    """Whether a stored TablePreprocessor config one-hot encodes a text column."""
    return bool(config) and any(c["kind"] != "numeric" for c in config["columns"])


def table_front(g: Any, config: dict[str, Any]) -> tuple[list[tuple[str, bool]], str, list[str]]:
    """Write the preprocessing of ``config`` (TablePreprocessor.get_config()) into the builder ``g``.

    Returns ([(input name, is_text)] in the table's column order, the features tensor's name
    (N, n_features), what the graph does differently from backprop, one sentence each).
    """
    columns = config["columns"]
    g.reserve(c["name"] for c in columns)
    elem = 1 if g.dtype == np.float32 else 11  # TensorProto.FLOAT / DOUBLE
    inputs, pieces = [], []
    for c in columns:
        name = c["name"]
        if c["kind"] == "numeric":
            inputs.append((name, False))
            nan = g.op("IsNaN", [name], f"{name}__missing")
            pieces.append(g.op("Where", [nan, g.scalar(float(c["fill"])), name], f"{name}__imputed"))
            if c["indicator"]:
                pieces.append(g.op("Cast", [nan], f"{name}__indicator", to=elem))
            continue
        inputs.append((name, True))
        categories = list(c["categories"])
        k = len(categories)
        spellings = _missing_spellings()
        flat = g.op("Reshape", [name, g.const("flat_shape", np.array([-1], dtype=np.int64))], f"{name}__cells")
        index = g.op("LabelEncoder", [flat], f"{name}__index", domain=ML_DOMAIN, keys_strings=categories + spellings,
                     values_int64s=list(range(k)) + [k] * len(spellings), default_int64=-1)
        is_missing = g.op("Equal", [index, g.const(f"{name}__missing_code", np.array(k, dtype=np.int64))],
                          f"{name}__is_missing")
        fill = g.const(f"{name}__fill_index", np.array(categories.index(c["fill"]), dtype=np.int64))
        filled = g.op("Where", [is_missing, fill, index], f"{name}__filled")
        column = g.op("Unsqueeze", [filled, g.const("axis_1", np.array([1], dtype=np.int64))], f"{name}__column")
        onehot = g.op("Equal", [column, g.const(f"{name}__categories", np.arange(k, dtype=np.int64))], f"{name}__onehot_bool")
        pieces.append(g.op("Cast", [onehot], f"{name}__onehot", to=elem))
        if c["indicator"]:
            flag = g.op("Unsqueeze", [is_missing, g.const("axis_1", np.array([1], dtype=np.int64))], f"{name}__flag")
            pieces.append(g.op("Cast", [flag], f"{name}__indicator", to=elem))
    features = g.op("Concat", pieces, "X_features", axis=1)
    differs = []
    if config.get("unknown") == "error":
        differs.append("table preprocessing: unknown='error' (a text value not seen in training is refused) cannot "
                       "be expressed in a graph: the graph gives such a value an all-zero one-hot group")
    return inputs, features, differs


def onnx_inputs(model: Any, data: Any) -> dict[str, np.ndarray]:
    """The feed ``{input name: array}`` for ``onnxruntime.InferenceSession(...).run(None, feed)``.

    Parameters
    ----------
    model : onnx.ModelProto or a path to an ``.onnx`` file
        A graph written by :func:`backprop.export.to_onnx`.
    data : pandas DataFrame, backprop Table, mapping {column: 1-D values}, CSV path, or array
        For a graph with one input per table column, the table (columns matched by name, in
        any order, extra columns ignored; text cells stripped, missing cells as ``""`` or NaN).
        For a graph with the one input ``X``, an array (N, n_features) or a table whose
        numeric columns are the graph's (in the order of ``backprop.table_columns``).

    Returns
    -------
    dict of str to numpy.ndarray
        Text inputs as object arrays of str (N, 1); numeric ones in the graph's float dtype.
    """
    import onnx

    if isinstance(model, (str, os.PathLike)) and not isinstance(model, bool):
        model = onnx.load(os.fspath(model))
    if not isinstance(model, onnx.ModelProto):
        raise InputTypeError(f"model: expected an onnx.ModelProto or the path of an .onnx file, received {describe(model)}")
    from onnx import TensorProto

    graph_inputs = [(i.name, i.type.tensor_type.elem_type) for i in model.graph.input]
    floats = {TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64}
    table = _as_table(data)
    if [name for name, _ in graph_inputs] == ["X"]:
        dtype = floats[graph_inputs[0][1]]
        if table is None:
            return {"X": np.ascontiguousarray(np.asarray(data, dtype=dtype))}
        import json

        props = {p.key: p.value for p in model.metadata_props}
        names = json.loads(props.get("backprop.table_columns", "null")) or table.names
        return {"X": np.column_stack([_numeric(table, n, dtype) for n in names]) if names else
                np.zeros((table.n_rows, 0), dtype)}
    if table is None:
        raise InputTypeError("data: this graph takes one input per table column "
                             f"({[name for name, _ in graph_inputs]}): expected a DataFrame, a Table, a mapping of "
                             f"columns or a CSV path, received {describe(data)}")
    absent = [name for name, _ in graph_inputs if name not in table.names]
    if absent:
        raise ValidationError(f"data: the columns {absent} the graph takes are missing (the data's columns: {table.names})")
    feed = {}
    for name, elem in graph_inputs:
        if elem == TensorProto.STRING:
            feed[name] = np.array([["" if v is None else _text(v)] for v in table.column(name).tolist()], dtype=object)
        else:
            feed[name] = _numeric(table, name, floats[elem])[:, None]
    return feed


def _as_table(data: Any) -> Table | None:
    if isinstance(data, (str, os.PathLike)) and not isinstance(data, bool):
        return read_table(data)
    if isinstance(data, dict):
        return Table.from_arrays(data)
    return as_table(data, "data")


def _text(value: Any) -> str:
    # a column whose cells all look like numbers is read as numbers: give them back as the preprocessor does
    return _number_text(value) if isinstance(value, float) else str(value).strip()


def _numeric(table: Table, name: str, dtype: Any) -> np.ndarray:
    col = table.column(name)
    if col.dtype.kind != "f":
        raise ValidationError(f"data: column {name!r} should be numeric, it holds text (e.g. "
                              f"{next((v for v in col.tolist() if v is not None), None)!r})")
    return col.astype(dtype)
