"""backprop: feed-forward neural networks with explicit, readable backpropagation.

>>> import backprop
>>> net = backprop.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
"""

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

from .model import Network
from .train import Callback, History

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
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
    "check_gradients",
    "get_activation",
    "get_loss",
    "register_activation",
]
