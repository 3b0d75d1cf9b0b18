"""The playground's configuration: its choices, limits and preset (the course's network on the
course's data), and :func:`normalize_config`, which validates what the page sends.
:mod:`backprop.playground.session` re-exports the public names.
"""

from __future__ import annotations

import math
from typing import Any

from ..core.activations import ACTIVATIONS
from ..core.validation import ValidationError
from ..optim import OPTIMIZERS
from .datasets import DATASETS

__all__ = ["DEFAULT_CONFIG", "normalize_config", "LIMITS", "HIDDEN_ACTIVATIONS", "LOSSES_BY_TASK", "OPTIMIZER_NAMES",
           "INITS"]

LIMITS = {"hidden_layers": 12, "units": 64, "points": 2000, "speed": 500}
HIDDEN_ACTIVATIONS = [name for name in ACTIVATIONS if name != "softmax"]
LOSSES_BY_TASK = {
    "binary": ["binary_crossentropy", "categorical_crossentropy", "mse"],
    "multiclass": ["categorical_crossentropy", "mse"],
    "regression": ["mse", "mae", "huber"],
}
OPTIMIZER_NAMES = list(OPTIMIZERS)
INITS = ["course", "auto", "glorot_uniform", "he_normal"]

# The course's network on the course's data: 2 -> 4 tanh -> 1 sigmoid, cross-entropy,
# full-batch gradient descent at 1.2, weights 0.01·randn drawn after np.random.seed(2).
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": "flower",
    "noise": 0.2,
    "points": 400,
    "test_split": 0.2,
    "data_seed": 1,
    "hidden": [4],
    "activations": ["tanh"],
    "loss": "binary_crossentropy",
    "optimizer": "sgd",
    "learning_rate": 1.2,
    "batch_size": 0,  # 0: the whole training set (full-batch gradient descent)
    "l2": 0.0,
    "dropout": 0.0,
    "init": "course",
    "seed": 2,
    "speed": 10,  # epochs per frame while playing
}


def _num(value: Any, name: str, low: float, high: float, integer: bool = False) -> float | int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name}: expected a number, received {value!r}") from None
    if not math.isfinite(number) or number < low or number > high:
        raise ValidationError(f"{name}: expected a number in [{low}, {high}], received {value!r}")
    if integer:
        if number != int(number):
            raise ValidationError(f"{name}: expected an integer, received {value!r}")
        return int(number)
    return number


def normalize_config(raw: dict[str, Any], csv_loaded: bool = False) -> dict[str, Any]:
    """A complete, validated configuration from ``raw`` (missing keys from the preset)."""
    if not isinstance(raw, dict):
        raise ValidationError(f"config: expected a JSON object, received {type(raw).__name__}")
    unknown = set(raw) - set(DEFAULT_CONFIG) - {"x_column", "y_column", "target"}
    if unknown:
        raise ValidationError(f"config: unknown keys {sorted(unknown)}; expected some of {sorted(DEFAULT_CONFIG)}")
    cfg = dict(DEFAULT_CONFIG)
    cfg.update({k: v for k, v in raw.items() if v is not None})
    names = list(DATASETS) + (["csv"] if csv_loaded else [])
    if cfg["dataset"] not in names:
        raise ValidationError(f"dataset: expected one of {names}, received {cfg['dataset']!r}")
    cfg["noise"] = _num(cfg["noise"], "noise", 0.0, 5.0)
    cfg["points"] = _num(cfg["points"], "points", 10, LIMITS["points"], integer=True)
    cfg["test_split"] = _num(cfg["test_split"], "test_split", 0.05, 0.9)
    cfg["data_seed"] = _num(cfg["data_seed"], "data_seed", 0, 2**31 - 1, integer=True)
    cfg["seed"] = _num(cfg["seed"], "seed", 0, 2**31 - 1, integer=True)
    for key in ("x_column", "y_column"):
        if key in cfg:
            cfg[key] = _num(cfg[key], key, 0, 10_000, integer=True)
    hidden = cfg["hidden"]
    if isinstance(hidden, str):
        hidden = [h for h in hidden.split(",") if h.strip()]
    if not isinstance(hidden, (list, tuple)) or len(hidden) > LIMITS["hidden_layers"]:
        raise ValidationError(f"hidden: expected a list of at most {LIMITS['hidden_layers']} layer sizes, received {hidden!r}")
    cfg["hidden"] = [_num(h, f"hidden[{k}]", 1, LIMITS["units"], integer=True) for k, h in enumerate(hidden)]
    acts = cfg["activations"]
    if isinstance(acts, str):
        acts = [a for a in acts.split(",") if a.strip()]
    acts = list(acts)[: len(cfg["hidden"])]
    acts += [acts[-1] if acts else "tanh"] * (len(cfg["hidden"]) - len(acts))
    for k, a in enumerate(acts):
        if a not in HIDDEN_ACTIVATIONS:
            raise ValidationError(f"activations[{k}]: expected one of {HIDDEN_ACTIVATIONS}, received {a!r}")
    cfg["activations"] = acts
    if cfg["optimizer"] not in OPTIMIZER_NAMES:
        raise ValidationError(f"optimizer: expected one of {OPTIMIZER_NAMES}, received {cfg['optimizer']!r}")
    cfg["learning_rate"] = _num(cfg["learning_rate"], "learning_rate", 1e-12, 1e300)
    if cfg["learning_rate"] <= 0:
        raise ValidationError(f"learning_rate: expected a number > 0, received {cfg['learning_rate']!r}")
    cfg["batch_size"] = _num(cfg["batch_size"], "batch_size", 0, 100_000, integer=True)
    cfg["l2"] = _num(cfg["l2"], "l2", 0.0, 100.0)
    cfg["dropout"] = _num(cfg["dropout"], "dropout", 0.0, 0.9)
    if cfg["init"] not in INITS:
        raise ValidationError(f"init: expected one of {INITS}, received {cfg['init']!r}")
    cfg["speed"] = _num(cfg["speed"], "speed", 1, LIMITS["speed"], integer=True)
    if not isinstance(cfg["loss"], str):
        raise ValidationError(f"loss: expected a name, received {cfg['loss']!r}")
    return cfg
