"""Backpropagation against finite differences: every activation, every loss it is valid with, depths 1-4."""

import zlib

import numpy as np
import pytest

import backprop as bp
from backprop.core.activations import ACTIVATIONS

ACTIVATION_NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu", "softmax"]
LOSS_NAMES = ["binary_crossentropy", "categorical_crossentropy", "mse", "mae", "huber"]
KINKED = {"relu", "leaky_relu", "elu"}


def _targets(loss, n_out, m, rng):
    if loss == "binary_crossentropy":
        return (rng.random((m, n_out)) > 0.5).astype(float)
    if loss == "categorical_crossentropy":
        return np.eye(n_out)[rng.integers(0, n_out, m)]
    return rng.normal(size=(m, n_out))


def _output_activation(activation, loss):
    """The activation under test at the output when the loss accepts it, else the canonical one."""
    if bp.get_loss(loss).needs_probabilities and not ACTIVATIONS[activation].outputs_probabilities:
        return "sigmoid" if loss == "binary_crossentropy" else "softmax"
    return activation


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_backprop_matches_finite_differences(activation, loss, depth):
    rng = np.random.default_rng(zlib.crc32(f"{activation}-{loss}-{depth}".encode()))
    n_out = 3
    sizes = [4] + [5] * (depth - 1) + [n_out]
    acts = [activation] * (depth - 1) + [_output_activation(activation, loss)]
    net = bp.Network(sizes, acts, loss, init="glorot_normal", seed=rng)
    for b in net.biases:  # non-zero biases: checked too, and no unit sits exactly on a kink
        b[...] = rng.normal(scale=0.1, size=b.shape)
    X = rng.normal(size=(6, 4))
    Y = _targets(loss, n_out, 6, rng)
    _, cache = net.forward(X)
    if activation in KINKED:  # finite differences are only valid away from the kink at z = 0
        assert min(np.abs(cache.Z[l]).min() for l in range(1, depth + 1)) > 1e-5
    if loss == "mae":
        assert np.abs(cache.A[depth].T - Y).min() > 1e-5
    # eps = 1e-6 balances truncation (O(eps²)) against rounding (O(1e-16 J / eps)); per layer the
    # bound is looser because a deep stack of saturating units (sigmoid, softmax) makes the
    # first layers' gradients tiny, so the same absolute rounding is a larger relative one.
    result = bp.check_gradients(net, X, Y, eps=1e-6)
    assert result.relative_difference < 1e-7, str(result)
    assert all(d < 1e-6 for d in result.per_layer), str(result)
    assert result.passed


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_sample_weights_and_l2_match_finite_differences(loss, rng):
    out = "softmax" if loss == "categorical_crossentropy" else ("sigmoid" if loss == "binary_crossentropy" else "identity")
    net = bp.Network([3, 4, 2], ["tanh", out], loss, seed=1)
    X = rng.normal(size=(8, 3))
    Y = _targets(loss, 2, 8, rng)
    w = rng.random(8) + 0.1
    result = bp.check_gradients(net, X, Y, sample_weight=w, l2=0.7)
    assert result.relative_difference < 1e-7, str(result)


def test_gradcheck_catches_a_wrong_derivative(rng):
    """The check must be able to fail: a derivative off by a factor of 2 is caught."""
    wrong = bp.register_activation("wrong_tanh_for_test", np.tanh, lambda z, a: 2 * (1 - a * a), overwrite=True)
    net = bp.Network([3, 4, 1], [wrong, "sigmoid"], "binary_crossentropy", seed=0)
    X, Y = rng.normal(size=(5, 3)), rng.integers(0, 2, (5, 1))
    result = bp.check_gradients(net, X, Y)
    assert not result.passed
    assert result.per_layer[0] > 1e-3  # the bad layer
    assert result.per_layer[1] < 1e-7  # the output layer is still right
    assert "FAIL" in str(result)


def test_float32_network_is_checked_in_float64_without_being_modified(rng):
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", dtype=np.float32, seed=0)
    before = net.params.copy()
    result = bp.check_gradients(net, rng.normal(size=(4, 2)), rng.integers(0, 2, 4))
    assert result.analytic.dtype == np.float64
    assert result.relative_difference < 1e-7
    np.testing.assert_array_equal(net.params, before)
