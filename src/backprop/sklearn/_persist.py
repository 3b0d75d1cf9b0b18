"""The estimators in model files: ``est.save(path)`` and ``backprop.load(path)`` giving a working estimator.

A fitted estimator is saved as an ordinary model file (see :mod:`backprop.io`): its
``network_``, the labels (``classes``), the column names it was fitted on and, in the
metadata under ``"estimator"``, its class, its parameters (``get_params()``) and the
fitted attributes prediction needs. Nothing is pickled. ``backprop.load`` reads such a
file back as the estimator; the network alone is its ``network_``.

What a model file does not keep: the optimizer's state (Adam's moments, L-BFGS memory),
so ``warm_start``/``partial_fit`` after loading start a new optimizer run; callables or
objects given as parameters (a custom ``optimizer`` or ``schedule`` object) are refused
at saving. ``pickle``/``joblib`` still keep everything, with their usual risk: loading
a pickle runs code from the file.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.validation import InputTypeError
from ..io.archive import ModelFileError

__all__ = ["save_estimator", "estimator_from_model"]

_FITTED = ("n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_",
           "n_features_in_")


def _plain(value: Any, name: str) -> Any:
    """``value`` as JSON (numpy scalars and arrays as numbers and lists); anything else refused."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}  # inf / nan, which JSON cannot hold
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, name) for v in value]
    raise InputTypeError(f"save: the estimator's {name} is {type(value).__name__}, which a model file cannot hold "
                         "without pickle; use plain values (names, numbers) or pickle/joblib")


def _unplain(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"float"} and value["float"] in ("inf", "-inf", "nan"):
        return float(value["float"])
    if isinstance(value, list):
        return [_unplain(v) for v in value]
    return value


def save_estimator(est: Any, path: Any) -> str:
    """Write the fitted estimator ``est`` to ``path`` (a model file; atomic; never pickled)."""
    from sklearn.utils.validation import check_is_fitted

    from .. import io as model_io

    check_is_fitted(est)
    params = {key: _plain(value, f"parameter {key!r}") for key, value in est.get_params(deep=False).items()}
    fitted = {key: _plain(getattr(est, key, None), key) for key in _FITTED}
    classes = None
    kind = "regressor"
    if getattr(est, "_is_classifier", False):
        kind = est._label_binarizer.y_type_  # 'binary', 'multiclass' or 'multilabel-indicator'
        fitted["classes_"] = _plain(est.classes_, "classes_")
        if kind in ("binary", "multiclass") and np.asarray(est.classes_).dtype.kind in "iufUSO":
            classes = np.asarray(est.classes_)  # (bool labels live in the metadata only)
    names = getattr(est, "feature_names_in_", None)
    metadata = {"estimator": {"class": type(est).__name__, "target_type": kind, "params": params, "fitted": fitted}}
    return model_io.save(est.network_, path, metadata=metadata, classes=classes,
                         feature_names=None if names is None else [str(n) for n in names],
                         preprocessing=getattr(est.network_, "preprocessor_", None))


def _binarizer(labels: Any, target_type: Any, model: Any, bad: Any) -> Any:
    """The classifier's fitted LabelBinarizer, from the stored labels; they must fit the network."""
    from sklearn.preprocessing import LabelBinarizer

    if not isinstance(labels, list) or not labels:
        raise bad("'fitted.classes_' must be a non-empty list of labels")
    if target_type == "multilabel-indicator":
        binarizer = LabelBinarizer().fit(np.eye(max(len(labels), 2), dtype=np.int64))
    elif target_type in ("binary", "multiclass"):
        binarizer = LabelBinarizer().fit(np.asarray(labels))
        if binarizer.y_type_ != target_type:
            raise bad(f"'target_type' {target_type!r} does not fit {len(labels)} classes")
        if model.classes is not None and np.asarray(model.classes).tolist() != np.asarray(labels).tolist():
            raise bad("'fitted.classes_' differ from the file's 'classes'")
    else:
        raise bad(f"'target_type' must be 'binary', 'multiclass' or 'multilabel-indicator', received {target_type!r}")
    expected = 1 if target_type == "binary" else len(labels)
    n_out = model.net.layer_sizes[-1]
    if n_out != expected:
        raise bad(f"{len(labels)} classes need {expected} outputs, the network has {n_out}")
    return binarizer


def estimator_from_model(model: Any, path: str, classes: dict[str, type]) -> Any:
    """The estimator a model file (:class:`backprop.io.ModelFile`) describes; its fields checked.

    ``classes``: estimator class name -> class (the ones a file may name).
    """
    spec = model.metadata.get("estimator")

    def bad(what: str) -> ModelFileError:
        return ModelFileError(f"{path}: config field 'metadata.estimator': {what}")

    if not isinstance(spec, dict) or set(spec) != {"class", "target_type", "params", "fitted"}:
        raise bad("expected an object with 'class', 'target_type', 'params' and 'fitted'")
    if spec["class"] not in classes:
        raise bad(f"expected the class 'NeuralNetClassifier' or 'NeuralNetRegressor', received {spec['class']!r}")
    cls = classes[spec["class"]]
    if not isinstance(spec["params"], dict) or not isinstance(spec["fitted"], dict):
        raise bad("'params' and 'fitted' must be JSON objects")
    allowed = set(cls().get_params(deep=False))
    unknown = sorted(set(spec["params"]) - allowed)
    if unknown:
        raise bad(f"unknown parameters {unknown}")
    params = {k: _unplain(v) for k, v in spec["params"].items()}
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    try:
        est = cls(**params)
        est._check_params()
    except (ValueError, TypeError) as exc:
        raise bad(f"'params': {exc}") from None
    net = model.net
    fitted = {k: _unplain(v) for k, v in spec["fitted"].items()}
    n_in = fitted.get("n_features_in_")
    if n_in != net.layer_sizes[0]:
        raise bad(f"'fitted.n_features_in_' is {n_in!r}, the network takes {net.layer_sizes[0]} inputs")
    for key in _FITTED:
        value = fitted.get(key)
        if key == "loss_curve_" and value is not None:
            value = [float(v) for v in value] if isinstance(value, list) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) else None
            if value is None:
                raise bad("'fitted.loss_curve_' must be a list of numbers")
        setattr(est, key, value)
    target_type = spec["target_type"]
    is_classifier = bool(getattr(cls, "_is_classifier", False))
    if is_classifier:
        binarizer = _binarizer(fitted.get("classes_"), target_type, model, bad)
        est._label_binarizer = binarizer
        est.classes_ = binarizer.classes_
    elif target_type != "regressor":
        raise bad(f"'target_type' of a regressor must be 'regressor', received {target_type!r}")
    est.network_ = net
    net.classes_ = None  # the estimator maps labels itself (the network gives codes inside it)
    est.n_outputs_ = net.layer_sizes[-1]
    est.n_layers_ = len(net.layer_sizes)
    est.out_activation_ = ("softmax" if target_type == "multiclass" else "logistic") if is_classifier else "identity"
    if model.feature_names is not None:
        est.feature_names_in_ = np.asarray(model.feature_names, dtype=object)
    from ..train.history import History

    est.history_ = History()
    est._solver = None
    est._no_improvement_count = 0
    est._best_params = None
    est.validation_loss_curve_ = None if fitted.get("validation_scores_") is None else []
    return est

