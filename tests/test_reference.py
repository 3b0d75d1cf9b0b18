"""backprop.reference (the equations in plain numpy) against the fast engine, and against the course's code."""

import zlib

import numpy as np
import pytest

import backprop as bp
from backprop import reference

ELEMENTWISE = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu"]
# (loss, output activations it may take)
PAIRS = [
    ("binary_crossentropy", ["sigmoid"]),
    ("categorical_crossentropy", ["softmax"]),
    ("mse", ["identity", "tanh", "sigmoid", "softmax"]),
    ("mae", ["identity", "tanh"]),
    ("huber", ["identity", "softplus"]),
]


def _as_dict(net):
    p = {}
    for l in range(1, net.n_layers + 1):
        p[f"W{l}"] = net.weights[l - 1].copy()
        p[f"b{l}"] = net.biases[l - 1].copy()
    return p


def _targets(loss, n_out, m, rng):
    if loss == "binary_crossentropy":
        return (rng.random((n_out, m)) > 0.5).astype(float)
    if loss == "categorical_crossentropy":
        return np.eye(n_out)[rng.integers(0, n_out, m)].T
    return rng.normal(size=(n_out, m))


@pytest.mark.parametrize("hidden", ELEMENTWISE)
@pytest.mark.parametrize("loss, outputs", PAIRS)
def test_engine_equals_reference(hidden, loss, outputs):
    rng = np.random.default_rng(zlib.crc32(f"{hidden}/{loss}".encode()))
    for output in outputs:
        n_out = 3 if output == "softmax" else 2
        sizes = [3, 5, 4, n_out]
        acts = [hidden, "tanh" if hidden == "identity" else hidden, output]
        net = bp.Network(sizes, acts, loss, seed=rng, dtype=np.float64)
        net.params = rng.normal(scale=0.5, size=net.n_params)
        m = 7
        X = rng.normal(size=(sizes[0], m))
        Y = _targets(loss, n_out, m, rng)
        AL, caches = reference.L_model_forward(X, _as_dict(net), acts)
        J = reference.compute_cost(AL, Y, loss)
        grads = reference.L_model_backward(AL, Y, caches, acts, loss)
        cost, grad = net.cost_and_gradient(X.T, Y.T)
        assert cost == pytest.approx(J, rel=1e-12, abs=1e-300), (output, cost, J)
        dW, db = net.unflatten(grad)
        for l in range(1, net.n_layers + 1):
            np.testing.assert_allclose(dW[l - 1], grads[f"dW{l}"], rtol=1e-12, atol=1e-14 * np.abs(grads[f"dW{l}"]).max(),
                                       err_msg=f"dW{l} {hidden}/{output}/{loss}")
            np.testing.assert_allclose(db[l - 1], grads[f"db{l}"], rtol=1e-12, atol=1e-14 * np.abs(grads[f"db{l}"]).max(),
                                       err_msg=f"db{l} {hidden}/{output}/{loss}")


def test_reference_is_the_courses_two_layer_backward():
    """The 2-layer case equals the course's backward_propagation (course 1, week 3), written out here."""
    rng = np.random.default_rng(4)
    p = {"W1": rng.normal(size=(4, 2)), "b1": rng.normal(size=(4, 1)), "W2": rng.normal(size=(1, 4)), "b2": rng.normal(size=(1, 1))}
    X, Y = rng.normal(size=(2, 9)), (rng.random((1, 9)) > 0.5).astype(float)
    AL, caches = reference.L_model_forward(X, p, ["tanh", "sigmoid"])
    grads = reference.L_model_backward(AL, Y, caches, ["tanh", "sigmoid"])
    m = X.shape[1]  # the course's code, line for line
    A1 = np.tanh(p["W1"] @ X + p["b1"])
    A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
    dZ2 = A2 - Y
    dZ1 = p["W2"].T @ dZ2 * (1 - A1**2)
    expected = {"dW2": dZ2 @ A1.T / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
                "dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-12)


def test_reference_is_short_and_plain():
    import inspect

    source = inspect.getsource(reference)
    assert len(source.splitlines()) < 100
    assert "out=" not in source  # no buffers


def test_update_parameters_is_gradient_descent():
    p = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    g = {"dW1": np.full((2, 2), 2.0), "db1": np.ones((2, 1))}
    new = reference.update_parameters(p, g, 0.5)
    np.testing.assert_array_equal(new["W1"], np.zeros((2, 2)))
    np.testing.assert_array_equal(new["b1"], -0.5 * np.ones((2, 1)))
    assert p["W1"][0, 0] == 1.0
