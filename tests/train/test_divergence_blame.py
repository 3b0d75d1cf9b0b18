"""A DivergenceError at the first step names what is out of scale, not the learning rate (issue 19).

Before any update the cost and the gradient depend only on the data, the initial parameters
and λ. Cases: features and targets of growing magnitude, λ far too large, in float64 and
float32, with several activations and losses, through ``fit`` and the command line; and the
controls where the learning rate is the cause (a huge rate on good data) and is still named.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main


def _data(m=24, n=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    return X, (X[:, 0] > 0).astype(float)


def _fit(X, y, *, loss="mse", activation="relu", out="identity", dtype="float64", **options):
    net = bp.Network([X.shape[1], 5, 1], [activation, out], loss, seed=0, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(bp.DivergenceError) as info:
            net.fit(X, y, epochs=3, batch_size=8, seed=0, **options)
    return str(info.value)


@pytest.mark.parametrize("scale", [1e100, 1e150, 1e200, 1e250, 1e300])
@pytest.mark.parametrize("activation", ["relu", "identity", "leaky_relu"])
def test_huge_features_are_named(scale, activation):
    X, y = _data()
    message = _fit(X * scale, y, activation=activation)
    assert "before the learning rate acted" in message and "the features reach |x|" in message, message
    assert "learning rate may be too high" not in message


@pytest.mark.parametrize("scale", [1e160, 1e200, 1e250, 1e300])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_huge_targets_are_named(scale, dtype):
    X, y = _data()
    message = _fit(X, y * scale, dtype=dtype) if dtype == "float64" else _fit(X, y * min(scale, 1e38), dtype=dtype)
    assert "the targets reach |y|" in message and "before the learning rate acted" in message, message


@pytest.mark.parametrize("l2", [1e300, 1e305, 1e308])
def test_a_huge_l2_penalty_is_named(l2):
    X, y = _data()
    message = _fit(X, y, l2=l2)
    assert "L2 penalty λ" in message and "lower --l2" in message, message
    assert "learning rate may be too high" not in message


@pytest.mark.parametrize("scale", [1e20, 1e25, 1e30, 1e35])
def test_float32_networks_name_features_beyond_their_range(scale):
    X, y = _data()
    message = _fit(X * scale, y, dtype="float32")
    assert "the features reach |x|" in message, message


@pytest.mark.parametrize("scale", [1e250, 1e300])
def test_classifiers_name_the_features_too(scale):
    X, y = _data()
    message = _fit(X * scale, y, loss="bce", activation="relu", out="sigmoid")
    assert "the features reach |x|" in message, message


@pytest.mark.parametrize("lr", [1e300, 1e308])
def test_a_first_update_that_overflows_on_good_data_still_names_the_learning_rate(lr):
    X, y = _data()
    message = _fit(X, y, optimizer="sgd", learning_rate=lr)
    assert "learning rate" in message and "features reach" not in message and "before the learning rate" not in message


@pytest.mark.parametrize("scale", [1e100, 1e150])
def test_a_later_divergence_with_huge_features_names_both(scale):
    """sigmoid outputs saturate, so the first step can stay finite; the features are still named."""
    X, y = _data(m=64)
    net = bp.Network([3, 5, 1], ["relu", "sigmoid"], "bce", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(bp.DivergenceError) as info:
            net.fit(X * scale, y, epochs=50, batch_size=8, seed=0, optimizer="sgd", learning_rate=1.0)
    message = str(info.value)
    assert "the features reach |x|" in message, message
    if net.trainer_.step > 0:
        assert "the learning rate may be too high, or the features reach" in message


def test_a_later_divergence_still_names_the_learning_rate():
    X, y = _data(m=200)
    message = _fit(X * 10, y * 10, optimizer="sgd", learning_rate=1e3)
    assert "learning rate may be too high" in message and "epoch" in message, message


def test_the_command_line_names_the_features(tmp_path):
    X, y = _data()
    path = tmp_path / "huge.csv"
    np.savetxt(path, np.column_stack([X * 1e300, y]), delimiter=",", header="a,b,c,y", comments="", fmt="%.6g")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["train", str(path), "--task", "regression", "--epochs", "2", "--out", str(tmp_path / "m.npz")])
    assert code == 1 and "the features reach |x|" in err.getvalue() and "standardize" in err.getvalue(), err.getvalue()
