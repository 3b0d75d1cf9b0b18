"""The gradient check is right about itself: no right gradient FAILs, a wrong derivative does.

Covers every built-in data set (the CLI's defaults), every loss, every activation, and every
example of ``backprop gradcheck --help``; and the error estimate it reports beside the difference.
"""

import os
import shlex
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main
from backprop.cli._data import data_names
from backprop.cli.gradcheck import EXAMPLES
from backprop.data import planar_flower


def run_cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize("data", data_names())
def test_every_builtin_data_set_passes_with_default_settings(data, capsys):
    assert main(["gradcheck", "--data", data]) == 0, capsys.readouterr().out
    assert "finite-difference error ≈" in capsys.readouterr().out


def _help_examples():
    return [shlex.split(line.split("#")[0])[2:] for line in EXAMPLES.splitlines() if line.strip().startswith("backprop gradcheck")]


def test_every_help_example_passes(tmp_path):
    examples = _help_examples()
    assert len(examples) >= 4
    assert run_cli("train", "moons", "--epochs", "3", "--out", "model.npz", "--quiet", cwd=tmp_path).returncode == 0
    for args in examples:
        result = run_cli("gradcheck", *args, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        assert result.stdout.rstrip().endswith("PASS")


HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu"]
LOSS_OUTPUTS = [("binary_crossentropy", "sigmoid"), ("categorical_crossentropy", "softmax"), ("mse", "identity"),
                ("mse", "sigmoid"), ("mae", "identity"), ("huber", "identity"), ("huber", "tanh")]


@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_loss_and_activation_passes(hidden, loss, output):
    rng = np.random.default_rng(7)
    n_out = 3 if output == "softmax" else 2
    net = bp.Network([3, 5, 4, n_out], [hidden, hidden, output], loss, seed=1)
    net.params = rng.normal(scale=0.7, size=net.n_params)  # non-zero biases: no pre-activation exactly at a kink
    X = rng.normal(size=(12, 3))
    if loss == "categorical_crossentropy":
        Y = rng.integers(0, n_out, 12)
    elif loss == "binary_crossentropy":
        Y = (rng.random((12, n_out)) > 0.5).astype(float)
    else:
        Y = 10 * rng.normal(size=(12, n_out))  # a large cost scale: the case that cried wolf
    result = bp.check_gradients(net, X, Y)
    assert result.passed, str(result)
    assert result.relative_difference < 1e-4  # passing is not vacuous: the estimate stays small too
    assert result.error_estimate < 1e-4


def test_an_exact_kink_shows_as_a_large_estimate_not_as_a_fail():
    """ReLU's Z = 0 exactly (a dead layer before it, zero bias): finite differences see the mean of the two slopes."""
    net = bp.Network([2, 3, 1], ["relu", "identity"], "mse", seed=0)
    net.weights[0][...] = -1.0  # every unit of layer 1 dead for positive inputs …
    net.biases[0][...] = 0.0  # … so Z[1] = −(x1 + x2) < 0, and with x = 0 exactly Z[1] = 0
    X = np.array([[0.0, 0.0], [1.0, 2.0], [0.5, 0.5]])
    result = bp.check_gradients(net, X, np.ones(3))
    assert result.per_layer[0] > 1e-2  # a real disagreement, at the kink …
    assert result.per_layer_estimate[0] > result.per_layer[0] / 2  # … that the estimate accounts for
    assert result.passed


def test_a_wrong_derivative_still_fails():
    bad = bp.register_activation("tanh_wrong_derivative", np.tanh, lambda Z, A: 1 - A, overwrite=True)
    try:
        net = bp.Network([2, 4, 1], [bad, "sigmoid"], "binary_crossentropy", seed=0)
        X, y = planar_flower()
        result = bp.check_gradients(net, X[:16], y[:16])
        assert not result.passed
        assert result.per_layer_passed == (False, True)
        assert result.relative_difference > 1e-3 > result.error_estimate
    finally:
        bp.ACTIVATIONS.pop("tanh_wrong_derivative")


def test_cli_fails_on_a_registered_activation_with_a_wrong_derivative(monkeypatch, capsys):
    from backprop.core import activations

    monkeypatch.setitem(activations.ACTIVATIONS, "wrongtanh",
                        activations._UserActivation("wrongtanh", np.tanh, lambda Z, A: 1 - A, False))
    assert main(["gradcheck", "--activation", "wrongtanh"]) == 1
    assert capsys.readouterr().out.rstrip().endswith("FAIL")


def test_the_estimate_follows_the_cost_scale_and_the_step():
    """Rounding grows like u|J|/h: a cost 1e6 times larger, or a 100 times smaller step, raises the estimate."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(10, 3))
    Y = rng.normal(size=(10, 1))
    net = bp.Network([3, 4, 1], ["tanh", "identity"], "mse", seed=0)
    small = bp.check_gradients(net, X, Y)
    large = bp.check_gradients(net, X, 1e3 * Y)  # |J| ~ 1e6 times larger, |g| ~ 1e3 times
    assert large.error_estimate > 30 * small.error_estimate
    tiny_step = bp.check_gradients(net, X, Y, eps=1e-9)
    assert tiny_step.error_estimate > 10 * small.error_estimate
    for check in (small, large, tiny_step):
        assert check.passed
        # the estimate bounds the real error of the finite differences (against the exact analytic gradient)
        assert check.relative_difference <= 2 * check.error_estimate + 1e-12


def test_repr_is_short_and_html_has_the_table():
    net = bp.Network([4, 8, 8, 3], ["relu", "relu", "softmax"], "categorical_crossentropy", seed=0)
    rng = np.random.default_rng(0)
    result = bp.check_gradients(net, rng.normal(size=(20, 4)), rng.integers(0, 3, 20))
    text, page = repr(result), result._repr_html_()
    assert text.startswith("GradientCheck(PASS") and len(text) < 200
    assert "<table" in page and page.count(">PASS<") == 4 and len(page) < 4000
    assert "layer 3 (W[3], b[3])" in str(result)
