"""The course's own functions: a 2-layer network (tanh hidden, sigmoid output) in the course's terms.

Names, dictionary keys and shapes are those of the deeplearning.ai Deep Learning
Specialization, course 1, "Planar data classification with one hidden layer": ``X`` is (n_x, m) with one example per
column, ``Y`` is (1, m), parameters are ``{"W1", "b1", "W2", "b2"}``, the cache is
``{"Z1", "A1", "Z2", "A2"}`` and gradients are ``{"dW1", "db1", "dW2", "db2"}``.

This module holds no second copy of the equations: each function hands its arrays to
:class:`backprop.core.Engine` (``forward_columns``, ``backward_columns``,
``cost_columns``) and returns the results in the course's dictionaries. In float64 each call
equals the course's code to rounding (about 1e-15 relative): the only difference is that the
engine applies 1/m to dZ2 instead of to dW and db.

How far that agreement carries, honestly: ``nn_model(X, Y, n_h=4)`` on the course's flower data
prints the course's costs to all six digits up to iteration 7000 (0.693048, 0.288083, …,
0.217504), but at iterations 8000 and 9000 it prints 0.219406 and 0.218544 where the course
notebook shows 0.219454 and 0.218607. Nothing is computed differently: with learning rate 1.2
the trajectory is sensitive (the cost goes back up after iteration 7000), so differences of
1e-16 per step, from the order of floating-point sums, grow to the 4th digit over thousands of
steps. The course's own printed numbers differ in the same place between its versions and
machines (0.219454, 0.219467, 0.219471 at iteration 8000). Compare single calls, or early
iterations, to the last digit; compare late iterations to about 1e-3.

Randomness follows the course: ``initialize_parameters(..., seed=2)`` draws
``np.random.randn(n_h, n_x) * 0.01`` from ``np.random.RandomState(seed)``, the same
numbers as ``np.random.seed(seed)`` would give, without touching the global state.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .core.losses import get_loss
from .core.network import Cache, Engine
from .core.validation import (
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    check_int,
    check_positive_float,
    check_seed,
)

__all__ = [
    "layer_sizes",
    "initialize_parameters",
    "forward_propagation",
    "compute_cost",
    "backward_propagation",
    "update_parameters",
    "nn_model",
    "predict",
]

_PARAM_KEYS = ("W1", "b1", "W2", "b2")


def layer_sizes(X: Any, Y: Any, n_h: int = 4) -> tuple[int, int, int]:
    """(n_x, n_h, n_y): the sizes of the input, hidden and output layers, as the course's ``layer_sizes``.

    X has shape (n_x, m) and Y (n_y, m), one example per column; the hidden layer has
    ``n_h`` units (the course fixes 4).
    """
    if np.ndim(X) != 2:
        raise ShapeError(f"X: expected shape (n_x, m), one example per column, received {np.shape(X)}")
    if np.ndim(Y) != 2:
        raise ShapeError(f"Y: expected shape (n_y, m), e.g. (1, m) for labels, received {np.shape(Y)}")
    if np.shape(Y)[1] != np.shape(X)[1]:
        raise ShapeError(f"Y: expected {np.shape(X)[1]} columns (one per example, as X {np.shape(X)}), "
                         f"received {np.shape(Y)}")
    return int(np.shape(X)[0]), check_int(n_h, "n_h"), int(np.shape(Y)[0])


def initialize_parameters(n_x: int, n_h: int, n_y: int, seed: int | None = 2) -> dict[str, np.ndarray]:
    """W1 (n_h, n_x) and W2 (n_y, n_h) from 0.01·N(0, 1); b1 (n_h, 1) and b2 (n_y, 1) zero.

    ``seed`` seeds a ``numpy.random.RandomState`` (the course's ``np.random.seed(2)``).
    """
    n_x, n_h, n_y = (check_int(v, name) for v, name in ((n_x, "n_x"), (n_h, "n_h"), (n_y, "n_y")))
    rs = np.random.RandomState(None if seed is None else check_seed(seed, below=2**32))
    W1 = rs.randn(n_h, n_x) * 0.01
    W2 = rs.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def _check_keys(value: Any, name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``value`` itself, required to be a dict holding ``keys``."""
    if not isinstance(value, dict):
        got = "None" if value is None else f"a {type(value).__name__}"
        raise InputTypeError(f"{name}: expected a dict with keys {list(keys)}, received {got}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise ValidationError(
            f"{name}: expected a dict with keys {list(keys)}, received {sorted(map(str, value))} "
            f"(missing {', '.join(f'{name}[{k!r}]' for k in missing)})"
        )
    return value


def _network(parameters: dict[str, np.ndarray]) -> Engine:
    """A float64 core network holding a copy of the course's parameters."""
    _check_keys(parameters, "parameters", _PARAM_KEYS)
    W1 = as_float_matrix(parameters["W1"], "parameters['W1']", dtype=np.float64)
    W2 = as_float_matrix(parameters["W2"], "parameters['W2']", dtype=np.float64)
    n_h, n_x = W1.shape
    n_y = W2.shape[0]
    expected = {"b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    for key, shape in expected.items():
        if np.shape(parameters[key]) != shape:
            raise ShapeError(f"parameters[{key!r}]: expected shape {shape}, received {np.shape(parameters[key])}")
    b1 = as_float_matrix(parameters["b1"], "parameters['b1']", dtype=np.float64)
    b2 = as_float_matrix(parameters["b2"], "parameters['b2']", dtype=np.float64)
    net = Engine([n_x, n_h, n_y], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    for l, (W, b) in enumerate(((W1, b1), (W2, b2))):
        net.weights[l][...] = W
        net.biases[l][...] = b
    return net


def _columns(X: Any, n_x: int) -> np.ndarray:
    X = as_float_matrix(X, "X", dtype=np.float64)
    if X.shape[0] != n_x:
        raise ShapeError(f"X: expected shape ({n_x}, m) (examples as columns, as in the course), received {X.shape}")
    return X


def _labels(Y: Any, m: int, n_y: int = 1, X_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Y (n_y, m) of labels in [0, 1]; ``X_shape`` lets the message spot a transposed X."""
    Y = as_float_matrix(Y, "Y", dtype=np.float64)
    if Y.shape != (n_y, m):
        hint = ""
        if X_shape is not None and Y.shape[-1] == X_shape[0]:
            hint = f"; X of shape {X_shape} looks transposed: the course's functions take X of shape (n_x, m)"
        raise ShapeError(f"Y: expected shape ({n_y}, {m}) to match X's {m} examples, received {Y.shape}{hint}")
    if Y.min() < 0 or Y.max() > 1:
        raise ValidationError(f"Y: expected labels in [0, 1], received values in [{Y.min()}, {Y.max()}]")
    return Y


def forward_propagation(X: Any, parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Z1 = W1 X + b1, A1 = tanh(Z1), Z2 = W2 A1 + b2, A2 = σ(Z2).

    X is (n_x, m). Returns A2 (1, m) and the cache ``{"Z1", "A1", "Z2", "A2"}``.
    """
    net = _network(parameters)
    cache = net.forward_columns(_columns(X, net.layer_sizes[0]))
    return cache.A[2], {"Z1": cache.Z[1], "A1": cache.A[1], "Z2": cache.Z[2], "A2": cache.A[2]}


def compute_cost(A2: Any, Y: Any) -> float:
    """Cross-entropy J = −(1/m) Σ_i [y log a + (1 − y) log(1 − a)] for A2 and Y of shape (1, m)."""
    A2 = as_float_matrix(A2, "A2", dtype=np.float64)
    if A2.min() < 0 or A2.max() > 1:
        raise ValidationError(
            f"A2: expected probabilities in [0, 1] (the sigmoid's output, not Z2), "
            f"received values in [{A2.min()}, {A2.max()}]"
        )
    m = A2.shape[1]
    Y = _labels(Y, m, A2.shape[0])
    return get_loss("binary_crossentropy").value(A2, Y, 1.0 / m)


def backward_propagation(
    parameters: dict[str, np.ndarray], cache: dict[str, np.ndarray], X: Any, Y: Any
) -> dict[str, np.ndarray]:
    """The course's backward pass, by the core engine.

    dZ2 = A2 − Y;  dW2 = (1/m) dZ2 A1ᵀ;  db2 = (1/m) Σ dZ2;
    dZ1 = W2ᵀ dZ2 ⊙ (1 − A1²);  dW1 = (1/m) dZ1 Xᵀ;  db1 = (1/m) Σ dZ1.

    parameters: W1, b1, W2, b2; cache: Z1, A1, Z2, A2 from :func:`forward_propagation`;
    X (n_x, m); Y (1, m). Returns ``{"dW1", "db1", "dW2", "db2"}`` with the shapes of the
    parameters.
    """
    net = _network(parameters)
    X = _columns(X, net.layer_sizes[0])
    m = X.shape[1]
    Y = _labels(Y, m, net.layer_sizes[2])
    _check_keys(cache, "cache", ("Z1", "A1", "Z2", "A2"))
    core_cache = Cache(net.layer_sizes, m, net.dtype)
    core_cache.A[0] = X
    for l in (1, 2):
        Z = as_float_matrix(cache[f"Z{l}"], f"cache['Z{l}']", dtype=np.float64)
        A = as_float_matrix(cache[f"A{l}"], f"cache['A{l}']", dtype=np.float64)
        if Z.shape != (net.layer_sizes[l], m) or A.shape != Z.shape:
            raise ShapeError(f"cache['Z{l}'], cache['A{l}']: expected shape {(net.layer_sizes[l], m)}, received {Z.shape}, {A.shape}")
        core_cache.Z[l], core_cache.G[l], core_cache.A[l] = Z, A, A
    grad = net.backward_columns(core_cache, Y, 1.0 / m)
    (dW1, dW2), (db1, db2) = net.unflatten(grad)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float = 1.2
) -> dict[str, np.ndarray]:
    """One gradient-descent step, θ ← θ − α dθ, returned as a new dict (inputs unchanged)."""
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    _network(parameters)  # validates the parameters
    _check_keys(grads, "grads", tuple("d" + key for key in _PARAM_KEYS))
    updated = {}
    for key in _PARAM_KEYS:
        if np.shape(grads["d" + key]) != np.shape(parameters[key]):
            raise ShapeError(f"grads['d{key}']: expected shape {np.shape(parameters[key])}, received {np.shape(grads['d' + key])}")
        grad = as_float_matrix(grads["d" + key], f"grads['d{key}']", dtype=np.float64)
        updated[key] = parameters[key] - learning_rate * grad
    return updated


def nn_model(
    X: Any,
    Y: Any,
    n_h: int,
    num_iterations: int = 10000,
    learning_rate: float = 1.2,
    print_cost: bool = False,
    seed: int | None = 2,
) -> dict[str, np.ndarray]:
    """Train the course's network: initialise, then forward, cost, backward, update, repeated.

    X (n_x, m), Y (1, m). Prints the cost every 1000 iterations when ``print_cost``: on the
    course's flower data the same as the course notebook up to iteration 7000; the printed
    costs of iterations 8000–9000 differ in the 4th digit (rounding, amplified by the
    learning rate 1.2; see the module notes).
    Returns the learned parameters. Raises :class:`~backprop.DivergenceError` when an
    iteration overflows; its ``parameters`` attribute holds the last finite parameters.
    """
    X = as_float_matrix(X, "X", dtype=np.float64)
    Y = _labels(Y, X.shape[1], np.shape(Y)[0] if np.ndim(Y) == 2 else 1, X.shape)
    num_iterations = check_int(num_iterations, "num_iterations", minimum=0)
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed=seed)
    for i in range(num_iterations):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
            A2, cache = forward_propagation(X, parameters)
            cost = compute_cost(A2, Y) if _finite(cache) else math.nan
            grads = backward_propagation(parameters, cache, X, Y) if math.isfinite(cost) else {}
            updated = update_parameters(parameters, grads, learning_rate) if _finite(grads) and grads else {}
        if not (updated and _finite(updated)):
            error = DivergenceError(
                f"nn_model: iteration {i} overflowed (cost {cost}); the learning rate {learning_rate} may be "
                "too high. The last finite parameters are in this error's .parameters"
            )
            error.parameters = parameters
            raise error
        parameters = updated
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {cost:f}")
    return parameters


def _finite(arrays: dict[str, Any]) -> bool:
    return all(np.isfinite(a).all() for a in arrays.values())


def predict(parameters: dict[str, np.ndarray], X: Any) -> np.ndarray:
    """Class predictions (1, m): 1 where A2 > 0.5, else 0."""
    A2, _ = forward_propagation(X, parameters)
    return (A2 > 0.5).astype(np.int64)
