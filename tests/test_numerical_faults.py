"""Numerical faults: overflow-prone inputs and huge learning rates never give a silent NaN.

Each case either returns finite results or raises the documented :class:`DivergenceError`
with the last finite parameters kept (``np.isfinite(net.params).all()`` afterwards).
Regression tests for the faults this hardening found sit at the end.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp


def test_update_k_uses_the_schedules_rate_for_step_k():
    """Regression: after the first update the trainer used the rate of step k − 1."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    net = bp.Network([3, 1], "sigmoid", "bce", seed=0)
    manual = net.copy()
    seen = []
    h = net.fit(X, y, optimizer="sgd", learning_rate=lambda s: seen.append(s) or 0.1 / (1 + s), epochs=3,
                batch_size=None)
    for k in range(3):
        _, g = manual.cost_and_gradient(X, y)
        manual.params -= 0.1 / (1 + k) * g
    np.testing.assert_allclose(net.params, manual.params, rtol=1e-14)
    assert h["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])  # the logged rate is the one used
    assert sorted(set(seen)) == [0, 1, 2]


# ============================================================ huge learning rates, every optimizer
OPTIMIZERS = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]
HUGE_RATES = [1e3, 1e30, 1e300, 1e307]
# (hidden activation, output activation, loss): every activation appears, every loss with a compatible output
ARCHITECTURES = [
    ("tanh", "sigmoid", "binary_crossentropy"),
    ("relu", "identity", "mse"),
    ("gelu", "softmax", "categorical_crossentropy"),
    ("elu", "tanh", "mae"),
    ("silu", "identity", "huber"),
    ("leaky_relu", "sigmoid", "mse"),
    ("softplus", "softmax", "binary_crossentropy"),
    ("sigmoid", "sigmoid", "categorical_crossentropy"),
    ("identity", "softplus", "huber"),
]


def _problem(output: str, loss: str, dtype, rng, X=None):
    X = rng.normal(size=(40, 3)) * 3 if X is None else X
    m = X.shape[0]
    n_out = 3 if output == "softmax" else 1
    if loss == "categorical_crossentropy" and output != "softmax":
        n_out = 3
    if loss in ("binary_crossentropy", "categorical_crossentropy"):
        labels = rng.integers(0, n_out if n_out > 1 else 2, m)
        Y = np.eye(n_out)[labels] if n_out > 1 else labels
    else:
        Y = X[:, :1] * 5 + 1
    return X.astype(dtype), Y, n_out


def _train_or_diverge(net, X, Y, **options):
    """fit; return 'finite' or 'diverged', asserting the parameters are finite either way."""
    try:
        history = net.fit(X, Y, **options)
    except bp.DivergenceError:
        outcome = "diverged"
    else:
        assert np.isfinite(history.history.get("loss", [])).all()  # L-BFGS may converge before an iteration
        outcome = "finite"
    assert np.isfinite(net.params).all(), "non-finite parameters left behind"
    assert net.params.dtype == net.dtype
    return outcome


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("arch", ARCHITECTURES, ids=["-".join(a) for a in ARCHITECTURES])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_huge_learning_rates_keep_the_last_finite_parameters(optimizer, arch, dtype):
    hidden, output, loss = arch
    rng = np.random.default_rng(1)
    X, Y, n_out = _problem(output, loss, dtype, rng)
    for lr in HUGE_RATES:
        net = bp.Network([3, 5, n_out], [hidden, output], loss, seed=0, dtype=dtype)
        _train_or_diverge(net, X, Y, optimizer=optimizer, learning_rate=lr, epochs=20, batch_size=8, seed=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_lbfgs_on_overflowing_data_keeps_finite_parameters(dtype):
    pytest.importorskip("scipy")
    rng = np.random.default_rng(2)
    for scale in (1.0, 1e4, 1e30, 1e150 if dtype == np.float64 else 1e30):
        X = (rng.normal(size=(30, 3)) * scale).astype(dtype)
        for hidden, output, loss in ARCHITECTURES[:4]:
            _, Y, n_out = _problem(output, loss, dtype, rng, X)
            net = bp.Network([3, 4, n_out], [hidden, output], loss, seed=0, dtype=dtype)
            _train_or_diverge(net, X, Y, optimizer="lbfgs", epochs=15, batch_size=None)


def test_adamw_overflow_keeps_the_parameters_before_the_update():
    """Regression: AdamW's decay θ ← θ(1 − αλ) with a huge α left inf/NaN parameters behind.
    Now the optimizer checks its step before applying it: three finite updates are kept, the
    fourth (α = 1e307) is refused."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    net = bp.Network([3, 4, 1], ["tanh", "sigmoid"], "bce", seed=0)
    reference = net.copy()
    with pytest.raises(bp.DivergenceError, match="step 3: the update at learning rate 1e\\+307 overflows"):
        net.fit(X, y, optimizer="adamw", learning_rate=lambda s: 0.01 if s < 3 else 1e307, epochs=5, batch_size=None)
    reference.fit(X, y, optimizer="adamw", learning_rate=0.01, epochs=3, batch_size=None)
    np.testing.assert_array_equal(net.params, reference.params)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_a_schedule_returning_a_bad_rate_stops_before_the_update(bad):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    net = bp.Network([3, 4, 1], ["tanh", "sigmoid"], "bce", seed=0)
    with pytest.raises(bp.ValidationError, match="learning_rate: the schedule returned .* at step 3"):
        net.fit(X, y, optimizer="sgd", learning_rate=lambda s: 0.1 if s < 3 else bad, epochs=10, batch_size=None)
    assert np.isfinite(net.params).all()
    assert net.trainer_.step == 3


def test_the_epoch_loss_is_a_mean_that_cannot_overflow():
    """Regression: the epoch's loss was Σ cost·b / Σ b, which overflowed to inf for finite costs near 1e306."""
    rng = np.random.default_rng(1)
    X, Y, _ = _problem("sigmoid", "binary_crossentropy", np.float64, rng)
    X = np.clip(X, -1, 1)
    net = bp.Network([3, 1], "sigmoid", "binary_crossentropy", seed=0)
    net.weights[0][...] = 1e307 * np.sign(net.weights[0])  # |z| up to 3e307: batch costs near 1e307
    h = net.fit(X, Y, optimizer="sgd", learning_rate=1e-3, epochs=3, batch_size=8, seed=0)
    assert max(h["loss"]) > 1e305 and np.isfinite(h["loss"]).all()


@pytest.mark.parametrize("scale", [1e-300, 1.0, 1e3])
@pytest.mark.parametrize("lr", [1e3, 1e300, 1e307])
def test_the_courses_nn_model_stops_with_divergence_error_and_the_last_finite_parameters(scale, lr):
    """Regression: with a huge rate nn_model failed with 'cache['Z1']: expected finite values'."""
    from backprop import shallow
    from backprop.data import planar_flower

    X, y = planar_flower(120)
    try:
        parameters = shallow.nn_model(X.T * scale, y.reshape(1, -1), 4, num_iterations=60, learning_rate=lr)
    except bp.DivergenceError as error:
        parameters = error.parameters
    assert set(parameters) == {"W1", "b1", "W2", "b2"}
    assert all(np.isfinite(v).all() for v in parameters.values())


# ============================================================ overflow-prone pre-activations
DTYPES = [np.float32, np.float64]


def _extremes(dtype):
    big = float(np.finfo(dtype).max) / 4
    return [1e4, 1e20, 1e30, big] if dtype == np.float32 else [1e4, 1e30, 1e154, 1e200, 1e300, big]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(bp.ACTIVATIONS))
def test_every_activation_and_its_backward_stay_finite_at_extreme_inputs(name, dtype):
    """Regression (GELU): g'(z) was NaN beyond |z| ≈ 1e154 (1e19 in float32), z³ overflowing times 0."""
    activation = bp.ACTIVATIONS[name]
    for magnitude in _extremes(dtype):
        Z = np.array([[magnitude, -magnitude, 0.5], [-magnitude, magnitude, -0.5]], dtype=dtype)
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):  # no overflow on the way
            A = activation.forward(Z.copy())
            dZ = activation.backward(np.ones_like(Z), Z, A)
        assert A.dtype == dtype and dZ.dtype == dtype
        assert np.isfinite(A).all() and np.isfinite(dZ).all(), (magnitude, A, dZ)


def _pairs():
    """(output activation, loss) for every loss with every output activation it accepts."""
    pairs = []
    for loss in sorted(bp.LOSSES):
        for name in sorted(bp.ACTIVATIONS):
            if bp.LOSSES[loss].needs_probabilities and not bp.ACTIVATIONS[name].outputs_probabilities:
                continue
            pairs.append((name, loss))
    return pairs


PAIRS = _pairs()


def _targets(loss, m, rng):
    if loss == "binary_crossentropy":
        return rng.integers(0, 2, (m, 3)).astype(float)
    if loss == "categorical_crossentropy":
        return np.eye(3)[rng.integers(0, 3, m)]
    return rng.normal(size=(m, 3))


def _signs(m, rng):
    return np.where(rng.random((m, 3)) < 0.5, -1.0, 1.0)


def _finite_or_divergence(call):
    """Run ``call``: a finite result, or DivergenceError; never a silent NaN or inf."""
    try:
        result = call()
    except bp.DivergenceError:
        return "diverged"
    values = result if isinstance(result, tuple) else (result,)
    assert all(np.isfinite(v).all() for v in values), f"silent non-finite result {values}"
    return "finite"


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("output,loss", PAIRS, ids=[f"{o}-{l}" for o, l in PAIRS])
def test_output_pre_activations_of_1e4_through_every_activation_and_loss(output, loss, dtype):
    """Z[L] = ±1e4 exactly (identity weights): finite cost, gradient and predictions; beyond, finite or
    DivergenceError."""
    rng = np.random.default_rng(3)
    net = bp.Network([3, 3], [output], loss, init=None, dtype=dtype)
    net.weights[0][...] = np.eye(3)
    m = 8
    Y = _targets(loss, m, rng)
    for magnitude in _extremes(dtype):
        X = _signs(m, rng) * magnitude
        if magnitude == 1e4:
            cost, grad = net.cost_and_gradient(X, Y)
            P = net.predict_proba(X)
            assert np.isfinite(cost) and np.isfinite(grad).all() and np.isfinite(P).all()
            assert grad.dtype == dtype and P.dtype == dtype
        else:
            _finite_or_divergence(lambda: net.cost_and_gradient(X, Y))
            _finite_or_divergence(lambda: net.predict_proba(X))
            _finite_or_divergence(lambda: net.forward(X)[0])


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("hidden", sorted(a for a in bp.ACTIVATIONS if a != "softmax") + ["softmax"])
def test_hidden_pre_activations_of_1e4_through_every_activation(hidden, dtype):
    rng = np.random.default_rng(4)
    for output, loss in [("sigmoid", "binary_crossentropy"), ("identity", "mse"), ("softmax", "categorical_crossentropy")]:
        net = bp.Network([3, 3, 3], [hidden, output], loss, seed=0, dtype=dtype)
        net.weights[0][...] = np.eye(3)
        net.weights[1][...] *= 1e-3
        Y = _targets(loss, 8, rng)
        for magnitude in _extremes(dtype):
            X = _signs(8, rng) * magnitude
            if magnitude == 1e4:
                cost, grad = net.cost_and_gradient(X, Y)
                assert np.isfinite(cost) and np.isfinite(grad).all() and np.isfinite(net.predict(X)).all()
            else:
                _finite_or_divergence(lambda: net.cost_and_gradient(X, Y))
                _finite_or_divergence(lambda: net.predict_proba(X))


def test_evaluate_and_the_validation_loss_raise_instead_of_logging_inf():
    """Regression: evaluate returned {'loss': inf} and fit logged val_loss = inf, silently."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    net = bp.Network([3, 4, 1], ["relu", "identity"], "mse", seed=0)
    with pytest.raises(bp.DivergenceError, match="evaluating the loss overflowed"):
        net.evaluate(X * 1e200, y)
    with pytest.raises(bp.DivergenceError, match="evaluating the loss overflowed"):
        net.fit(X, y, epochs=3, validation_data=(X * 1e200, y))
    assert np.isfinite(net.params).all()
    assert np.isfinite(net.evaluate(X, y)["loss"])
