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

from .attribute import attribute
from .check import check_backprop
from .explanation import explain
from .io import ModelFileError, from_torch_state_dict, load, save, to_torch_state_dict
from .model import Network
from .tables import fit_table
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


def __getattr__(name: str):
    """``bp.plot``, ``bp.data``, ``bp.shallow``, ``bp.reference`` without importing them first (loaded on first use)."""
    if name in ("data", "plot", "reference", "shallow"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")
