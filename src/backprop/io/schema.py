"""What a model file's JSON config must hold: the format, the architecture, labels, names, metadata.

The config holds the format name and version, the architecture (``layer_sizes``,
``activations``, ``loss``, ``dtype``), ``n_params``, the SHA-256 of the params bytes, the
label mapping ``classes`` (the original labels, so predictions can be given back in
them), ``feature_names``, ``target_name`` and free-form ``metadata``; a checkpoint also
its training ``state`` (JSON, with its arrays as separate hashed members, ``arrays``).
Every field is validated on reading; a problem raises :class:`ModelFileError` naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._version import __version__
from ..core.activations import ACTIVATIONS
from ..core.losses import LOSSES
from ..core.network import Engine
from ..core.tasks import n_classes_of, task_of
from ..core.validation import BackpropError, InputTypeError, ValidationError, describe
from .archive import ModelFileError, _fail, _json_default, _little_endian, _sha256

__all__ = ["FORMAT", "FORMAT_VERSION", "STATE_ELEMENTS_PER_PARAM", "STATE_SLACK", "expected_arrays", "model_config",
           "validate_config"]

#: The ``format`` field of every model file's config.
FORMAT = "backprop-model"

#: The version of the layout described in this module's docstring; bump on any change.
FORMAT_VERSION = 1

#: Checkpoint state arrays may hold at most this many elements per parameter, in total
#: (Adam keeps 2, L-BFGS a few dozen), plus :data:`STATE_SLACK` elements.
STATE_ELEMENTS_PER_PARAM = 128

STATE_SLACK = 65536

_MAX_LAYERS = 10_000

_MAX_PARAMS = 2**34

_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8")}

_STATE_DTYPES = {
    np.dtype(t).newbyteorder("<").str
    for t in ("f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?")
}

_MODEL_KEYS = {
    "format", "version", "kind", "library", "layer_sizes", "activations", "loss", "dtype",
    "n_params", "params_sha256", "classes", "feature_names", "target_name", "metadata",
}

_CHECKPOINT_KEYS = _MODEL_KEYS | {"state", "arrays"}

#: Fields a config may hold or leave out (files written before they existed lack them).
_OPTIONAL_KEYS = {"preprocessing"}

_ARRAY_REF = "__ndarray__"


def _check_metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InputTypeError(f"metadata: expected a dict of JSON-able values, received {describe(metadata)}")
    try:
        return json.loads(json.dumps(dict(metadata), default=_json_default))
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"metadata: expected JSON-able values (str, numbers, lists, dicts), {exc}") from None


def _check_classes(classes: Any, name: str = "classes") -> list[Any] | None:
    """Original labels as a JSON list of one type (str, int or finite float), all distinct."""
    if classes is None:
        return None
    values = np.asarray(classes).tolist() if isinstance(classes, np.ndarray) else classes
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InputTypeError(f"{name}: expected a list of labels, received {describe(classes)}")
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    if len(values) < 1:
        raise ValidationError(f"{name}: expected at least one label, received none")
    kinds = {("str" if isinstance(v, str) else "bool" if isinstance(v, bool) else "int" if isinstance(v, int)
              else "float" if isinstance(v, float) else type(v).__name__) for v in values}
    if len(kinds) != 1 or not kinds <= {"str", "int", "float"}:
        raise InputTypeError(f"{name}: expected labels all of one type (str, int or float), received types {sorted(kinds)}")
    if kinds == {"float"} and not all(math.isfinite(v) for v in values):
        raise ValidationError(f"{name}: expected finite labels, received {values}")
    if len(set(values)) != len(values):
        raise ValidationError(f"{name}: expected distinct labels, received {values}")
    return list(values)


def _check_feature_names(names: Any, n_in: int) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, np.ndarray):
        names = names.tolist()
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise InputTypeError(f"feature_names: expected a list of strings, received {describe(names)}")
    if len(names) != n_in:
        raise ValidationError(f"feature_names: expected {n_in} names (one per input), received {len(names)}")
    return list(names)


def _check_classes_fit(classes: list[Any] | None, task: str, n_out: int, error: type = ValidationError) -> None:
    if classes is None:
        return
    if task == "regression":
        raise error(f"classes: a regression network ({n_out} outputs, no classes) cannot have labels, received {classes}")
    expected = n_classes_of(task, n_out)
    if len(classes) != expected:
        raise error(f"classes: expected {expected} labels for a {task} network with {n_out} outputs, received {len(classes)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_header(config: dict[str, Any], path: str, bad: Any) -> None:
    """The format, its version, the kind of file and the set of fields."""
    if config.get("format") != FORMAT:
        raise _fail(path, f"not a backprop model file: config field 'format' is {describe(config.get('format'))}, expected {FORMAT!r}")
    version = config.get("version")
    if not _is_int(version):
        raise bad("version", "an integer")
    if version != FORMAT_VERSION:
        newer = " (written by a newer backprop: upgrade to read it)" if version > FORMAT_VERSION else ""
        raise _fail(path, f"format version {version} is not supported; this backprop reads version {FORMAT_VERSION}{newer}")
    kind = config.get("kind")
    if kind not in ("model", "checkpoint"):
        raise bad("kind", "'model' or 'checkpoint'")
    allowed = _MODEL_KEYS if kind == "model" else _CHECKPOINT_KEYS
    missing = sorted(allowed - set(config))
    unknown = sorted(set(config) - allowed - _OPTIONAL_KEYS)
    if missing:
        raise _fail(path, f"config: missing fields {missing}")
    if unknown:
        raise _fail(path, f"config: unexpected fields {unknown}")
    if not isinstance(config["library"], str):
        raise bad("library", "a string")


def validate_config(config: dict[str, Any], path: str) -> dict[str, Any]:
    """Check every field; returns the config with ``layer_sizes`` etc. as validated values."""

    def bad(field_name: str, expected: str) -> ModelFileError:
        return _fail(path, f"config field {field_name!r}: expected {expected}, received {describe(config.get(field_name))}")

    _check_header(config, path, bad)

    sizes = config["layer_sizes"]
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= _MAX_LAYERS
            or not all(_is_int(n) and 1 <= n <= 2**31 for n in sizes)):
        raise bad("layer_sizes", "a list of 2 or more positive integers")
    L = len(sizes) - 1
    activations = config["activations"]
    if not isinstance(activations, list) or len(activations) != L or not all(isinstance(a, str) for a in activations):
        raise bad("activations", f"a list of {L} activation names")
    for a in activations:
        if a not in ACTIVATIONS:
            raise _fail(path, f"config field 'activations': unknown activation {a!r}; known: {sorted(ACTIVATIONS)}")
    if not isinstance(config["loss"], str) or config["loss"] not in LOSSES:
        raise _fail(path, f"config field 'loss': expected one of {sorted(LOSSES)}, received {describe(config['loss'])}")
    if not isinstance(config["dtype"], str) or config["dtype"] not in _DTYPES:
        raise bad("dtype", "'float32' or 'float64'")
    n_params = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, L + 1))
    if n_params > _MAX_PARAMS:
        raise _fail(path, f"config field 'layer_sizes': {sizes} implies {n_params} parameters, more than {_MAX_PARAMS}")
    if config["n_params"] != n_params or not _is_int(config["n_params"]):
        raise _fail(path, f"config field 'n_params': expected {n_params} (implied by layer_sizes {sizes}), received {describe(config['n_params'])}")
    digest = config["params_sha256"]
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise bad("params_sha256", "64 lowercase hexadecimal digits")
    try:
        classes = _check_classes(config["classes"])
        _check_classes_fit(classes, task_of(config["loss"], sizes[-1]), sizes[-1], ModelFileError)
        _check_feature_names(config["feature_names"], sizes[0])
    except BackpropError as exc:  # ValidationError, InputTypeError, ModelFileError
        raise _fail(path, f"config: {exc}") from None
    if config["target_name"] is not None and not isinstance(config["target_name"], str):
        raise bad("target_name", "a string or null")
    if not isinstance(config["metadata"], dict):
        raise bad("metadata", "a JSON object")
    _check_preprocessing(config.get("preprocessing"), sizes[0], config["feature_names"], path)
    return config


def _check_preprocessing(value: Any, n_in: int, feature_names: Any, path: str) -> Any:
    """The stored table preprocessing (or None), every field checked; it must give ``n_in`` features."""
    if value is None:
        return None
    from ..data.tabular import TablePreprocessor

    try:
        pre = TablePreprocessor.from_config(value, "config field 'preprocessing'")
    except BackpropError as exc:
        raise _fail(path, str(exc)) from None
    if pre.n_features_ != n_in:
        raise _fail(path, f"config field 'preprocessing': gives {pre.n_features_} features, the network takes {n_in}")
    if feature_names is not None and feature_names != pre.feature_names_:
        raise _fail(path, "config field 'preprocessing': its feature names differ from field 'feature_names'")
    return pre


def expected_arrays(config: dict[str, Any], path: str) -> dict[str, tuple[tuple[int, ...], np.dtype, str]]:
    """name -> (shape, dtype, sha256) for every array member the config implies."""
    arrays = {"params": ((config["n_params"],), _DTYPES[config["dtype"]], config["params_sha256"])}
    if config["kind"] != "checkpoint":
        return arrays
    declared = config["arrays"]
    if not isinstance(declared, dict):
        raise _fail(path, f"config field 'arrays': expected a JSON object, received {describe(declared)}")
    budget = STATE_ELEMENTS_PER_PARAM * config["n_params"] + STATE_SLACK
    total = 0
    if set(declared) != {f"state_{i}" for i in range(len(declared))}:
        raise _fail(path, f"config field 'arrays': expected names state_0 … state_{len(declared) - 1}, received {sorted(declared)}")
    for name, spec in declared.items():
        where = f"config field 'arrays' entry {name!r}"
        if not isinstance(spec, dict) or set(spec) != {"shape", "dtype", "sha256"}:
            raise _fail(path, f"{where}: expected an object with 'shape', 'dtype' and 'sha256'")
        shape, dtype, digest = spec["shape"], spec["dtype"], spec["sha256"]
        if not isinstance(shape, list) or len(shape) > 8 or not all(_is_int(n) and n >= 0 for n in shape):
            raise _fail(path, f"{where}: expected a shape of at most 8 non-negative integers, received {describe(shape)}")
        if not isinstance(dtype, str) or dtype not in _STATE_DTYPES:
            raise _fail(path, f"{where}: expected a numeric dtype, received {describe(dtype)}")
        if not isinstance(digest, str) or len(digest) != 64:
            raise _fail(path, f"{where}: expected a SHA-256 hex digest")
        total += math.prod(shape)
        if total > budget:
            raise _fail(path, f"config field 'arrays': the state arrays declare more than {budget} elements "
                              f"({STATE_ELEMENTS_PER_PARAM} per parameter), refusing to allocate them")
        arrays[name] = (tuple(shape), np.dtype(dtype), digest)
    return arrays


def _network_config(net: Any) -> dict[str, Any]:
    if not isinstance(net, Engine):
        raise InputTypeError(f"net: expected a backprop.Network, received {describe(net)}")
    for a in net.activations:
        if ACTIVATIONS.get(a.name) is not a:
            raise ValidationError(
                f"net: activation {a.name!r} is not the registered one of that name (custom parameters "
                "are not stored in model files); register it with backprop.register_activation"
            )
    if LOSSES.get(net.loss.name) is not net.loss:
        raise ValidationError(f"net: loss {net.loss.name!r} has custom parameters, which model files do not store")
    if not np.isfinite(net.params).all():
        raise ValidationError("net: the parameters hold NaN or inf; refusing to save a diverged network")
    config = net.get_config()
    return {key: config[key] for key in ("layer_sizes", "activations", "loss", "dtype")}


def model_config(
    net: Any, kind: str, metadata: Any, classes: Any, feature_names: Any, target_name: Any, preprocessing: Any = None
) -> dict[str, Any]:
    arch = _network_config(net)
    if classes is None:
        classes = getattr(net, "classes_", None)
    if feature_names is None:
        feature_names = getattr(net, "feature_names_", None)
    if target_name is None:
        target_name = getattr(net, "target_name_", None)
    if metadata is None:
        metadata = getattr(net, "metadata_", None)
    if preprocessing is None:
        preprocessing = getattr(net, "preprocessor_", None)
    if preprocessing is not None and hasattr(preprocessing, "get_config"):
        preprocessing = preprocessing.get_config()
    classes = _check_classes(classes)
    _check_classes_fit(classes, net.task, net.layer_sizes[-1])
    if target_name is not None and not isinstance(target_name, str):
        raise InputTypeError(f"target_name: expected a string, received {describe(target_name)}")
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "kind": kind,
        "library": f"backprop {__version__}",
        **arch,
        "n_params": int(net.n_params),
        "params_sha256": _sha256(_little_endian(net.params)),
        "classes": classes,
        "feature_names": _check_feature_names(feature_names, net.layer_sizes[0]),
        "target_name": target_name,
        "metadata": _check_metadata(metadata),
        **_preprocessing_field(preprocessing, net.layer_sizes[0], feature_names),
    }


def _preprocessing_field(preprocessing: Any, n_in: int, feature_names: Any) -> dict[str, Any]:
    if preprocessing is None:
        return {}
    try:
        pre = _check_preprocessing(json.loads(json.dumps(preprocessing, default=_json_default)), n_in, None, "")
    except ModelFileError as exc:
        raise ValidationError(str(exc).split(": ", 1)[-1]) from None
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"preprocessing: expected a JSON-able dict, {exc}") from None
    return {"preprocessing": pre.get_config()}


# --------------------------------------------------------------------------- training state


def encode_state(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """JSON-able copy of ``value`` with every ndarray moved into ``arrays`` (state_0, …)."""
    if isinstance(value, np.ndarray):
        if value.dtype.newbyteorder("<").str not in _STATE_DTYPES:
            raise InputTypeError(f"trainer state {where}: expected a numeric array, received {describe(value)}")
        name = f"state_{len(arrays)}"
        arrays[name] = _little_endian(value)
        return {_ARRAY_REF: name}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputTypeError(f"trainer state {where}: expected string keys, received {describe(key)}")
            if key == _ARRAY_REF:
                raise ValidationError(f"trainer state {where}: the key {_ARRAY_REF!r} is reserved")
            out[key] = encode_state(item, arrays, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [encode_state(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]
    if hasattr(value, "to_dict"):
        return encode_state(value.to_dict(), arrays, where)
    raise InputTypeError(f"trainer state {where}: expected JSON-able values or numpy arrays, received {describe(value)}")


def decode_state(value: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY_REF}:
            name = value[_ARRAY_REF]
            if name not in arrays or name == "params":
                raise _fail(path, f"config field 'state': refers to an unknown array {describe(name)}")
            return arrays[name].copy()
        return {key: decode_state(item, arrays, path) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_state(item, arrays, path) for item in value]
    return value
