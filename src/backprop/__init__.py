"""backprop: feed-forward neural networks with explicit, readable backpropagation.

>>> import backprop
>>> net = backprop.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
"""

from ._version import __version__
from .core import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    Activation,
    BackpropError,
    DivergenceError,
    GradientCheck,
    InputTypeError,
    Loss,
    ShapeError,
    ValidationError,
    check_gradients,
    get_activation,
    get_loss,
    register_activation,
)

# Eager: importing the submodule backprop.attribute would otherwise leave the module, not the
# function, as the package's attribute "attribute".
from .attribute import attribute
from .io import ModelFileError, from_torch_state_dict, load, save, to_torch_state_dict
from .model import Network
from .train import Callback, History


__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "ModelFileError",
    "Activation",
    "BackpropError",
    "Callback",
    "DivergenceError",
    "GradientCheck",
    "History",
    "InputTypeError",
    "Loss",
    "Network",
    "ShapeError",
    "ValidationError",
    "__version__",
    "attribute",
    "check_backprop",
    "check_gradients",
    "explain",
    "fit_table",
    "from_torch_state_dict",
    "get_activation",
    "get_loss",
    "load",
    "register_activation",
    "save",
    "to_torch_state_dict",
]


# The learner's and practitioner's tools, imported on first use so that ``import backprop`` stays light.
_LAZY_FUNCTIONS = {"check_backprop": "check", "explain": "explanation", "fit_table": "tables"}


def __getattr__(name: str):
    """``bp.plot``, ``bp.data``, ``bp.shallow``, ``bp.reference`` and the tools of ``_LAZY_FUNCTIONS``
    without importing them first (loaded on first use)."""
    import importlib

    if name in ("data", "plot", "reference", "shallow"):
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_FUNCTIONS:
        function = getattr(importlib.import_module(f".{_LAZY_FUNCTIONS[name]}", __name__), name)
        globals()[name] = function  # later lookups skip this hook
        return function
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")
