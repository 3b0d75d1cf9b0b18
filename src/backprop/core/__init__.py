"""The math of backpropagation; imports numpy only.

- :mod:`~backprop.core.activations`: g and its backward pass, a registry by name
- :mod:`~backprop.core.losses`: the cost J, dJ/dA, and the fused output error of canonical pairs
- :mod:`~backprop.core.init`: weight initialisers with their formulas
- :mod:`~backprop.core.network`: the network over one flat parameter vector; forward, backward
- :mod:`~backprop.core.gradcheck`: finite-difference gradient checking
- :mod:`~backprop.core.validation`: the library's exceptions and input checks
"""

from .activations import ACTIVATIONS, Activation, get_activation, register_activation
from .gradcheck import GradientCheck, check_gradients, relative_difference
from .init import INITIALIZERS, get_initializer
from .losses import LOSSES, Loss, get_loss
from .network import Cache, Engine, Network
from .validation import (
    BackpropError,
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
)

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "BackpropError",
    "Cache",
    "DivergenceError",
    "GradientCheck",
    "INITIALIZERS",
    "InputTypeError",
    "LOSSES",
    "Loss",
    "Engine",
    "Network",
    "ShapeError",
    "ValidationError",
    "check_gradients",
    "get_activation",
    "get_initializer",
    "get_loss",
    "register_activation",
    "relative_difference",
]
