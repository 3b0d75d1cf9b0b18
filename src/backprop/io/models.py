"""Model files: save a network, read it back validated, build the network from what was validated.

Networks are built as the class the library registers (:func:`use_network_class`):
``backprop.Network`` (with ``fit`` and ``save``), registered when :mod:`backprop.model` is
imported, which importing ``backprop`` always does. This module itself knows only the
engine (:class:`backprop.core.Engine`), so ``io`` never imports ``model``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.network import Engine
from ..core.folding import fold_standardization
from ..core.validation import BackpropError, InputTypeError, describe
from .archive import ModelFileError, _little_endian, _write_archive, read_archive
from .atomic import PathLike, atomic_write
from .schema import expected_arrays, model_config, validate_config
from .training_state import read_state

__all__ = ["ModelFile", "load", "read_config", "read_model", "save", "use_network_class"]

_network_class: type[Engine] = Engine


def use_network_class(cls: type[Engine]) -> None:
    """Build the networks read from files (and from torch state dicts) as ``cls``, a subclass of the engine."""
    global _network_class
    if not (isinstance(cls, type) and issubclass(cls, Engine)):
        raise InputTypeError(f"cls: expected a subclass of backprop.core.Engine, received {describe(cls)}")
    _network_class = cls


def network_class() -> type[Engine]:
    """The class networks are built as (``backprop.Network`` once :mod:`backprop.model` is imported)."""
    return _network_class


@dataclass
class ModelFile:
    """Everything a model file holds.

    ``net``: the network; ``classes``: the original labels (n_classes,) or None;
    ``feature_names``: list of n_inputs names or None; ``target_name``: str or None;
    ``metadata``: the free-form dict given to :func:`save`; ``config``: the validated JSON
    config; ``state``: the training state (checkpoints only, else None).
    """

    net: Any
    classes: np.ndarray | None = None
    feature_names: list[str] | None = None
    target_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None
    preprocessor: Any = None  # a fitted backprop.data.tabular.TablePreprocessor, or None

    def predictor(self) -> Any:
        """The network to predict with, on the features as they are given (raw, or out of
        ``preprocessor``): ``net`` itself, except for a checkpoint of a run with
        ``--standardize``, whose network works on standardised inputs: then a copy with the
        training data's scaling folded into its first layer (:func:`~backprop.core.folding.fold_standardization`),
        as the final model file holds it. The attributes (``classes_``, ``metadata_``, …) are kept."""
        spec = self.metadata.get("standardize") if self.config.get("kind") == "checkpoint" else None
        if not spec:
            return self.net
        try:
            folded = fold_standardization(self.net, spec["mean"], spec["scale"])
        except (KeyError, TypeError, ValueError, BackpropError) as exc:
            raise ModelFileError(f"metadata 'standardize' of this checkpoint should hold 'mean' and 'scale' lists of "
                                 f"{self.net.layer_sizes[0]} numbers ({exc})") from None
        folded.__dict__.update({k: v for k, v in vars(self.net).items() if k.endswith("_") and not k.startswith("_")})
        return folded


def save(
    net: Any,
    path: PathLike,
    *,
    metadata: Mapping[str, Any] | None = None,
    classes: Any = None,
    feature_names: Sequence[str] | None = None,
    target_name: str | None = None,
    preprocessing: Any = None,
) -> str:
    """Save ``net`` to ``path`` (written exactly there; no extension is added), atomically.

    ``classes``: the original labels, shape (n_classes,) (2 for one sigmoid output, n_L for
    softmax), so predictions can be mapped back; ``feature_names``: n_0 strings;
    ``metadata``: a JSON-able dict (training options, history, …). Each defaults to the
    network's ``classes_``, ``feature_names_``, ``target_name_`` or ``metadata_`` attribute
    when it has one. ``preprocessing``: a fitted :class:`~backprop.data.tabular.TablePreprocessor`
    (or its config), default ``net.preprocessor_``: the steps that turn a raw table into
    the network's inputs, stored so that a loaded model applies them again. Returns the path. A failure (disk full, crash) leaves an existing file
    at ``path`` intact.
    """
    config = model_config(net, "model", metadata, classes, feature_names, target_name, preprocessing)
    params = _little_endian(net.params)
    return atomic_write(path, lambda handle: _write_archive(handle, config, {"params": params}))


def _read_validated(path: PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(config, arrays) of a model or checkpoint file, every field and member checked."""
    return read_archive(path, lambda config, where: expected_arrays(validate_config(config, where), where))


def _build_network(config: dict[str, Any], params: np.ndarray) -> Any:
    """The network a validated config describes, holding ``params``."""
    net = _network_class(config["layer_sizes"], config["activations"], config["loss"], dtype=config["dtype"],
                         init=None)
    net.params = params
    return net


def read_config(path: PathLike) -> dict[str, Any]:
    """The validated JSON config of a model or checkpoint file (the arrays are checked too)."""
    config, _ = _read_validated(path)
    return config


def read_model(path: PathLike) -> ModelFile:
    """Everything in a model (or checkpoint) file, validated: see :class:`ModelFile`."""
    config, arrays = _read_validated(path)
    net = _build_network(config, arrays["params"])
    classes = None if config["classes"] is None else np.array(config["classes"])
    state = None
    if config["kind"] == "checkpoint":
        state = read_state(config["state"], arrays, os.fspath(path), config["n_params"])  # every field checked
    preprocessor = None
    if config.get("preprocessing") is not None:
        from ..data.tabular import TablePreprocessor

        preprocessor = TablePreprocessor.from_config(config["preprocessing"])
    model = ModelFile(net, classes, config["feature_names"], config["target_name"], config["metadata"], config, state,
                      preprocessor)
    net.preprocessor_ = preprocessor
    net.classes_ = classes
    net.feature_names_ = config["feature_names"]
    net.target_name_ = config["target_name"]
    net.metadata_ = config["metadata"]
    return model


def load(path: PathLike) -> Any:
    """Load the network saved at ``path`` by :func:`save` (or :func:`save_checkpoint`).

    Returns a ``backprop.Network`` of the saved dtype with the saved parameters, bit for
    bit — except a checkpoint of a ``--standardize`` run, whose network is returned with the
    training data's scaling folded into its first layer, so that it takes raw features like the
    final model (see :meth:`ModelFile.predictor`; :func:`load_checkpoint` gives it as saved,
    for resuming) — (a file written by a scikit-learn estimator's ``save`` gives that estimator back,
    fitted). The label mapping and the other fields are attached as ``net.classes_`` (array
    of the original labels, or None), ``net.feature_names_``, ``net.target_name_`` and
    ``net.metadata_``. Raises :class:`ModelFileError` for any problem with the file and
    ``FileNotFoundError`` when there is none.
    """
    model = read_model(path)
    if "estimator" in model.metadata:  # saved by a scikit-learn estimator's save(): give the estimator back
        import importlib

        try:
            estimators = importlib.import_module("backprop.sklearn")
        except ImportError:
            raise ImportError(f"{os.fspath(path)!r} holds a scikit-learn estimator; loading it needs scikit-learn: "
                              "pip install 'backprop-mlp[sklearn]' (or read the network alone with "
                              "backprop.io.read_model(path).net)") from None
        return estimators._estimator_from_model(model, os.fspath(path))
    return model.predictor()
