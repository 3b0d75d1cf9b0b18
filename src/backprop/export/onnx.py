"""ONNX export: a trained network as an ONNX graph that computes what the engine computes.

:func:`to_onnx` turns a :class:`backprop.Network`, a fitted
:class:`~backprop.sklearn.NeuralNetClassifier` / :class:`~backprop.sklearn.NeuralNetRegressor`,
or a model file into an ``onnx.ModelProto``, in float32 or float64. :func:`backprop.export.register_skl2onnx`
lets ``skl2onnx.to_onnx`` convert those estimators inside a scikit-learn ``Pipeline``.
Needs ``pip install 'backprop-mlp[onnx]'``; onnx is imported only when an export runs.

The graph, for an input ``X`` of shape (N, n_0) (one example per row, as ``predict`` takes it):

- each layer l is ``Z = MatMul(A, W[l]ᵀ) + b[l]ᵀ`` followed by its activation, written with
  the engine's own formula (see :mod:`backprop.core.activations`):

  - identity: ``z``;
  - sigmoid: ``½ tanh(z/2) + ½`` (the engine's tanh form, not ONNX ``Sigmoid``);
  - tanh: ``Tanh``; every Tanh of the graph is clipped to [−1, 1], as onnxruntime's float32
    Tanh can return 1.0000001 where numpy's never leaves [−1, 1];
  - relu: ``Relu``, max(z, 0);
  - leaky_relu: ``Max(z, α z)`` with α in the export dtype (ONNX ``LeakyRelu`` keeps α in float32);
  - elu: ``Where(z > 0, z, α expm1(min(z, 0)))`` with expm1(m) = 2t / (1 − t), t = tanh(m/2),
    exact to a few ulps near 0, where ``exp(m) − 1`` would cancel;
  - softplus: ``max(z, 0) + log1p(exp(−|z|))`` (numpy's ``logaddexp(0, z)``), with log1p(e)
    computed as ``e log(1 + e) / ((1 + e) − 1)``, and e itself where 1 + e rounds to 1;
  - gelu: ``½ (1 + tanh(√(2/π)(c + 0.044715 c³))) z`` with c = clip(z, −10, 10);
  - silu: ``z σ(z)`` with the tanh-form σ;
  - softmax: ``exp(z − max z) / Σ exp(z − max z)`` along each row.

- classifiers end like skl2onnx's MLPClassifier converter: ``label`` (N,) and
  ``probabilities`` (N, n_classes). A binary network (one sigmoid unit p) gives the two
  columns ``[1 − p, p]`` and the label of ``p > 0.5``; a multi-class network the arg max of
  its outputs; a multi-label network (several sigmoid units) gives ``label`` (N, n_labels),
  the 0/1 matrix of ``outputs > 0.5``, as ``predict`` does. Labels are the model's stored
  classes (strings → tensor(string), integers → int64) when it has them, else class indices
  (int64). Regressors give ``variable`` (N, n_outputs).

What a model file or network holds beside the weights:

- **standardisation**: ``backprop train --standardize`` folds the scaler into the first
  layer's weights (W/σ, b − W μ/σ) before saving, so a model file's network already takes
  raw features and the graph is exactly that network; the metadata says so. A *checkpoint*
  saved during such a run holds the network on standardised inputs, so its export (from the
  checkpoint's path or :class:`~backprop.io.ModelFile`) puts ``(x − mean) / scale`` (Sub, Div)
  in front of the first layer. A bare ``Network`` object does not say which it is: it is taken
  to be a model file's (folded), as ``backprop.load`` of a model file gives.
- **table preprocessing** (a model trained on a CSV or DataFrame): numeric columns only: the
  input is ``X`` (the table's numeric columns), missing cells (NaN) are imputed and the
  missing-value indicators computed in the graph. With text columns, the graph takes one
  input per table column, named as the column, and one-hot encodes the text ones
  (:mod:`backprop.export._onnx_table`); :func:`onnx_inputs` builds that feed from a DataFrame.
- **feature names, target name, classes, training metadata**: kept in the model's
  ``metadata_props`` (keys ``backprop.*``, JSON values).
- anything else (a model-file field or metadata entry the exporter does not know, e.g.
  preprocessing added by a later version) is **not** in the graph: the export warns with
  :class:`ONNXExportWarning` and lists it in ``metadata_props["backprop.not_in_graph"]``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from ..core.network import Network as _CoreNetwork
from ..core.validation import InputTypeError, ValidationError, describe
from ._onnx_table import ML_DOMAIN, ML_OPSET, has_text_columns, onnx_inputs, table_front
from ._onnx_ops import (
    _INSTALL,
    SUPPORTED_ACTIVATIONS,
    _check_activations,
    _forward,
    _head,
    _label_array,
    _Standalone,
    _standardize,
)

__all__ = [
    "DEFAULT_OPSET",
    "MIN_OPSET",
    "SUPPORTED_ACTIVATIONS",
    "ONNXExportWarning",
    "onnx_inputs",
    "to_onnx",
]

#: The opset :func:`to_onnx` targets by default (onnxruntime ≥ 1.13 runs it).
DEFAULT_OPSET = 17
#: The oldest opset the graph can be written in (``ReduceSum`` with its axes as an input).
MIN_OPSET = 13
_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}

#: The metadata entries ``backprop train`` writes that describe the run, not a transformation of X.
_INFORMATIONAL_METADATA = frozenset({
    "data", "task", "options", "n_train", "n_validation", "created", "epochs", "history",
    "gradient_norms", "scores", "command",
})
#: Large training records left out of ``metadata_props["backprop.metadata"]`` (they stay in the model file).
_BULKY_METADATA = ("history", "gradient_norms")
#: The config fields of a model file the exporter knows (anything else is reported as not in the graph).
_KNOWN_CONFIG = frozenset({
    "preprocessing",
    "format", "version", "kind", "library", "layer_sizes", "activations", "loss", "dtype", "n_params",
    "params_sha256", "classes", "feature_names", "target_name", "metadata", "state", "arrays",
})
#: The attributes a network carries besides its weights, all understood here.
_KNOWN_NET_ATTRIBUTES = frozenset({"preprocessor_", "trainer_", "history_", "classes_", "feature_names_", "target_name_", "metadata_"})


class ONNXExportWarning(UserWarning):
    """Part of what a model holds (e.g. a preprocessing step) could not be put in the ONNX graph."""


def _import_onnx() -> Any:
    try:
        import onnx  # noqa: F401
        from onnx import helper, numpy_helper  # noqa: F401
    except ImportError:
        raise ImportError(f"ONNX export needs the onnx package: {_INSTALL}") from None
    return onnx


# --------------------------------------------------------------------------- what is exported


@dataclass
class _Source:
    """The network to export and what comes with it."""

    net: Any
    what: str  # "network", "estimator", "model file", "checkpoint"
    classes: list[Any] | None = None
    feature_names: list[str] | None = None
    target_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    extra_config: list[str] = field(default_factory=list)  # model-file fields the exporter does not know
    extra_attributes: list[str] = field(default_factory=list)
    table: dict[str, Any] | None = None  # the stored table preprocessing (TablePreprocessor.get_config())


def _as_list(values: Any) -> list[Any] | None:
    if values is None:
        return None
    values = np.asarray(values).tolist() if isinstance(values, np.ndarray) else list(values)
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _estimator_module() -> Any:
    """backprop.sklearn's base module if it was imported (an estimator exists only then)."""
    return sys.modules.get("backprop.sklearn._base")


def _source(model: Any) -> _Source:
    from ..io import ModelFile, read_model

    if isinstance(model, (str, os.PathLike)) and not isinstance(model, bool):
        model = read_model(model)
    if isinstance(model, ModelFile):
        kind = model.config.get("kind", "model")
        return _Source(
            model.net, "checkpoint" if kind == "checkpoint" else "model file", _as_list(model.classes),
            model.feature_names, model.target_name, dict(model.metadata or {}),
            extra_config=sorted(k for k in set(model.config) - _KNOWN_CONFIG if model.config[k] is not None),
            table=model.config.get("preprocessing"),
        )
    if isinstance(model, _CoreNetwork):
        extra = sorted(k for k, v in vars(model).items()
                       if k.endswith("_") and not k.startswith("_") and k not in _KNOWN_NET_ATTRIBUTES and v is not None)
        pre = getattr(model, "preprocessor_", None)
        return _Source(
            model, "network", _as_list(getattr(model, "classes_", None)), getattr(model, "feature_names_", None),
            getattr(model, "target_name_", None), dict(getattr(model, "metadata_", None) or {}),
            extra_attributes=extra, table=None if pre is None else pre.get_config(),
        )
    base = _estimator_module()
    if base is not None and isinstance(model, base.BaseNeuralNet):
        if not hasattr(model, "network_"):
            raise ValidationError(f"model: the {type(model).__name__} is not fitted; call fit before exporting it")
        names = getattr(model, "feature_names_in_", None)
        classes = _as_list(getattr(model, "classes_", None))
        return _Source(model.network_, "estimator", classes, _as_list(names), None, {})
    raise InputTypeError(
        "model: expected a backprop.Network, a fitted backprop.sklearn estimator or the path of a model file, "
        f"received {describe(model)}"
    )


def _check_dtype(dtype: Any) -> np.dtype:
    if dtype is None:  # np.dtype(None) would be float64 without a word
        raise InputTypeError("dtype: expected 'float32' or 'float64', received None")
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise InputTypeError(f"dtype: expected 'float32' or 'float64', received {dtype!r}") from None
    if resolved not in _DTYPES.values():
        raise ValidationError(f"dtype: expected 'float32' or 'float64', received {dtype!r}")
    return resolved


def _check_opset(opset: Any, onnx: Any) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        return min(DEFAULT_OPSET, newest)
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise InputTypeError(f"opset: expected an integer or None, received {describe(opset)}")
    if not MIN_OPSET <= int(opset) <= newest:
        raise ValidationError(
            f"opset: expected an ONNX opset from {MIN_OPSET} to {newest} (this onnx's newest), received {int(opset)}"
        )
    return int(opset)


# --------------------------------------------------------------------------- preprocessing and notes


def _standardisation(src: _Source) -> tuple[tuple[np.ndarray, np.ndarray] | None, str | None]:
    """(mean, scale) to put in the graph (checkpoints only), and the note saying what was done."""
    spec = src.metadata.get("standardize")
    if spec is None:
        return None, None
    n_in = src.net.layer_sizes[0]
    try:
        mean = np.asarray(spec["mean"], dtype=np.float64)
        scale = np.asarray(spec["scale"], dtype=np.float64)
        ok = mean.shape == scale.shape == (n_in,) and np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()
    except (TypeError, KeyError, ValueError, IndexError):
        ok = False
    if not ok:
        raise ValidationError(
            f"model: metadata 'standardize' should hold 'mean' and 'scale' lists of {n_in} finite numbers "
            f"(scale > 0), received {describe(spec)}"
        )
    if src.what == "checkpoint":
        return (mean, scale), (f"standardisation of the {n_in} features, (x - mean) / scale with the training "
                               "data's mean and scale, is in the graph (Sub, Div) before the first layer")
    note = (f"standardisation of the {n_in} features (metadata 'standardize') was folded into the first "
            "layer's weights by 'backprop train' (W / scale, b - W mean / scale): the graph takes raw features")
    if src.what == "network":  # a Network object does not say whether it came from a model file or a checkpoint
        note += " (as in a model file; a checkpoint's network is not folded: export a checkpoint by its path)"
    return None, note


def _table_preprocessing(src: _Source) -> tuple[list[tuple[float, bool]] | None, str | None]:
    """A stored table of numeric columns only, as ((fill, indicator) per input column, a note): NaN
    cells take the training's fill value, and a column with an indicator gets its ``NAME=missing``
    feature after it. None when there is nothing to do, or when text columns make the graph take
    one input per column (:mod:`backprop.export._onnx_table`)."""
    pre = src.table
    if not pre or has_text_columns(pre):
        return None, None
    columns = pre["columns"]
    spec = [(float(c["fill"]), bool(c["indicator"])) for c in columns]
    if not any(indicator for _, indicator in spec):  # no missing cells in training: X is the features as they are
        return None, None
    note = (f"X holds the table's {len(columns)} numeric columns; missing cells (NaN) take the training's "
            f"{pre['impute']}, and the missing-value indicator features are computed")
    return spec, note


def _table_note(pre: dict[str, Any]) -> str:
    text = [c["name"] for c in pre["columns"] if c["kind"] != "numeric"]
    return (f"one input per table column ({len(pre['columns'])}: text columns {text} as tensor(string) (N, 1), the "
            f"others as numbers (N, 1), NaN for a missing cell); the graph imputes missing cells (training's "
            f"{pre['impute']} / most frequent value), adds the missing-value indicators and one-hot encodes the text "
            "columns (a value not seen in training: an all-zero group); backprop.export.onnx_inputs builds the feed")


def _impute(g: Any, x: str, spec: list[tuple[float, bool]]) -> str:
    """The model's features from raw numeric columns: Where(IsNaN(X), fills, X), with Cast(IsNaN(X_j))
    after each column that has a missing-value indicator (the TablePreprocessor's feature order)."""
    nan = g.op("IsNaN", [x], "X_is_missing")
    fills = np.array([fill for fill, _ in spec])
    imputed = g.op("Where", [nan, g.const("imputation_fills", fills.astype(g.dtype)), x], "X_imputed")
    elem = 1 if g.dtype == np.float32 else 11  # TensorProto.FLOAT / DOUBLE
    flags = g.op("Cast", [nan], "X_missing_flags", to=elem)
    pieces = []
    for j, (_, indicator) in enumerate(spec):
        index = g.const(f"column_{j}", np.array([j], dtype=np.int64))
        pieces.append(g.op("Gather", [imputed, index], f"feature_{j}", axis=1))
        if indicator:
            pieces.append(g.op("Gather", [flags, index], f"feature_{j}_missing", axis=1))
    return g.op("Concat", pieces, "X_features", axis=1)


def _not_in_graph(src: _Source) -> list[str]:
    """Everything the model holds that the graph does not compute, one sentence each."""
    missing = []
    for key in src.extra_config:
        missing.append(f"model-file field {key!r}: unknown to this exporter (backprop {__version__}), not applied; "
                       "if it describes preprocessing, apply it to the inputs before the ONNX model")
    for key in src.extra_attributes:
        missing.append(f"network attribute {key!r}: unknown to this exporter, not applied; if it describes "
                       "preprocessing, apply it to the inputs before the ONNX model")
    for key in sorted(set(src.metadata) - _INFORMATIONAL_METADATA - {"standardize"}):
        missing.append(f"metadata entry {key!r}: unknown to this exporter, not applied (kept in "
                       "metadata_props); if it describes preprocessing, apply it to the inputs before the ONNX model")
    return missing


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _json(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _check_classes(src: _Source) -> None:
    """The stored classes must fit the network's outputs (a wrong count would index past them at run time)."""
    if src.classes is None:
        return
    task, n_out = src.net.task, src.net.layer_sizes[-1]
    if task == "regression":
        raise ValidationError(f"classes: a regression network ({n_out} outputs) has no classes, received {src.classes}")
    expected = 2 if task == "binary" else n_out
    if len(src.classes) != expected:
        raise ValidationError(f"classes: expected {expected} labels for a {task} network with {n_out} outputs, "
                              f"received {len(src.classes)}: {src.classes}")


# --------------------------------------------------------------------------- the public functions


def to_onnx(model: Any, path: str | os.PathLike | None = None, *, dtype: Any = "float32", opset: int | None = None) -> Any:
    """The ONNX graph of a network: an ``onnx.ModelProto``, also written to ``path`` when given.

    Parameters
    ----------
    model : backprop.Network, fitted NeuralNetClassifier / NeuralNetRegressor, or a path
        The network; a path (or :class:`backprop.io.ModelFile`) is read with
        :func:`backprop.io.read_model`, so a checkpoint's standardisation can be included.
    path : str, os.PathLike or None
        Where to write the ``.onnx`` file (atomically: a failure leaves an existing file as it was).
    dtype : "float32" or "float64"
        The dtype of the input ``X``, the weights and every computation in the graph.
    opset : int or None
        The ONNX opset (``MIN_OPSET`` … the installed onnx's newest); None: ``DEFAULT_OPSET``.

    Returns
    -------
    onnx.ModelProto
        Input ``X`` (N, n_0) of ``dtype`` — or, for a model trained on a table with text
        columns, one (N, 1) input per table column (string or ``dtype``). Outputs: classifiers ``label`` (N,) — the stored
        classes (string or int64) or class indices — and ``probabilities`` (N, n_classes),
        two columns ``[1 − p, p]`` for one sigmoid unit; multi-label networks ``label``
        (N, n_labels) of 0/1; regressors ``variable`` (N, n_outputs). ``metadata_props``
        holds ``backprop.*`` entries: the task, classes, feature and target names, the
        preprocessing in the graph and, in ``backprop.not_in_graph`` (a JSON list), what is not.

    Warns
    -----
    ONNXExportWarning
        When the model holds something the graph does not compute (see the module notes).

    Raises
    ------
    ImportError
        onnx is missing (``pip install 'backprop-mlp[onnx]'``).
    InputTypeError, ValidationError
        An unsupported model, dtype, opset or activation (user-registered activations are Python code).
    """
    onnx = _import_onnx()
    from onnx import TensorProto, helper

    src = _source(model)
    dtype = _check_dtype(dtype)
    opset = _check_opset(opset, onnx)
    if path is not None and (isinstance(path, bool) or not isinstance(path, (str, os.PathLike))):
        raise InputTypeError(f"path: expected a file path (str or os.PathLike) or None, received {describe(path)}")
    net = src.net
    _check_activations(net)
    _check_classes(src)
    scaler, scaler_note = _standardisation(src)
    fills, table_note = _table_preprocessing(src)
    text_table = has_text_columns(src.table)
    missing = _not_in_graph(src)
    labels, label_note = _label_array(src.classes, strict=False)
    multilabel = net.task == "multilabel"

    g = _Standalone(dtype, opset)
    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    n_in, n_out = net.layer_sizes[0], net.layer_sizes[-1]
    if text_table:
        columns, x, differs = table_front(g, src.table)
        missing += differs
        table_note = _table_note(src.table)
        inputs = [helper.make_tensor_value_info(name, TensorProto.STRING if text else elem, ["N", 1])
                  for name, text in columns]
    else:
        x = "X" if fills is None else _impute(g, "X", fills)
        inputs = [helper.make_tensor_value_info("X", elem, ["N", n_in if fills is None else len(fills)])]
        if src.feature_names:
            inputs[0].doc_string = "features, in this order: " + ", ".join(src.feature_names)
    x = x if scaler is None else _standardize(g, x, *scaler)
    a = _forward(g, net, x)
    if net.task == "regression":
        names = {"variable": "variable"}
        outputs = [helper.make_tensor_value_info("variable", elem, ["N", n_out])]
    else:
        names = {"label": "label", "probabilities": "probabilities"}
        n_proba = 2 if net.task == "binary" else n_out
        if multilabel:
            label_info = helper.make_tensor_value_info("label", TensorProto.INT64, ["N", n_out])
        else:
            label_elem = (TensorProto.INT64 if labels is None or labels.dtype == np.int64
                          else TensorProto.STRING if labels.dtype == object else TensorProto.DOUBLE)
            label_info = helper.make_tensor_value_info("label", label_elem, ["N"])
        outputs = [label_info, helper.make_tensor_value_info("probabilities", elem, ["N", n_proba])]
    _head(g, net, a, labels, names)

    described = f"backprop network {' -> '.join([str(n_in)] + [f'{n} {f.name}' for n, f in zip(net.layer_sizes[1:], net.activations)])}"
    graph = helper.make_graph(g.nodes, "backprop_network", inputs, outputs, initializer=g.initializers,
                              doc_string=described)
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(ML_DOMAIN, ML_OPSET)] if text_table else [])
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="backprop",
                              producer_version=__version__, doc_string=f"{described} (task: {net.task}, {dtype.name})")
    proto.ir_version = helper.find_min_ir_version_for(list(proto.opset_import))

    notes = [n for n in (table_note, scaler_note, label_note) if n]
    shown_metadata = {k: v for k, v in src.metadata.items() if k not in _BULKY_METADATA}
    props = {
        "backprop.source": src.what,
        "backprop.task": net.task,
        "backprop.dtype": dtype.name,
        "backprop.layer_sizes": _json(list(net.layer_sizes)),
        "backprop.activations": _json([f.name for f in net.activations]),
        "backprop.loss": net.loss.name,
        "backprop.classes": _json(src.classes),
        "backprop.feature_names": _json(src.feature_names),
        "backprop.table_columns": _json([c["name"] for c in src.table["columns"]] if src.table else None),
        "backprop.target_name": _json(src.target_name),
        "backprop.preprocessing": _json(notes),
        "backprop.not_in_graph": _json(missing),
        "backprop.metadata": _json(shown_metadata),
    }
    helper.set_model_props(proto, props)
    onnx.checker.check_model(proto, full_check=True)
    for sentence in missing:
        warnings.warn(f"ONNX export: {sentence}", ONNXExportWarning, stacklevel=2)
    if path is not None:
        from ..io import atomic_write

        data = proto.SerializeToString()
        atomic_write(path, lambda handle: handle.write(data))
    return proto
