"""The Network API: a hand-worked gradient, the flat vector, dtypes, extremes and bad input."""

import numpy as np
import pytest

import backprop as bp


def test_hand_worked_gradient():
    """2 → 1 ReLU → 1 identity, squared error, two examples; worked out by hand.

    W1 = [0.5, −0.25], b1 = 0.1, W2 = 2, b2 = 0.3.
    Example 1: x = (1, 2), y = 1:  z1 = 0.5 − 0.5 + 0.1 = 0.1, a1 = 0.1, ŷ = 2·0.1 + 0.3 = 0.5,
               ℓ = ½(0.5 − 1)² = 0.125;  dz2 = ŷ − y = −0.5, dz1 = W2·dz2·relu'(0.1) = −1.
    Example 2: x = (0, 1), y = 0:  z1 = −0.25 + 0.1 = −0.15, a1 = 0, ŷ = 0.3,
               ℓ = ½·0.09 = 0.045;  dz2 = 0.3, dz1 = 2·0.3·relu'(−0.15) = 0.
    Mean over m = 2:  J = (0.125 + 0.045)/2 = 0.085
    dW2 = (−0.5·0.1 + 0.3·0)/2 = −0.025          db2 = (−0.5 + 0.3)/2 = −0.1
    dW1 = (−1·(1, 2) + 0·(0, 1))/2 = (−0.5, −1)   db1 = (−1 + 0)/2 = −0.5
    Flat layout [W1, W2, b1, b2]: (−0.5, −1, −0.025, −0.5, −0.1).
    """
    net = bp.Network([2, 1, 1], ["relu", "identity"], "mse", init=None)
    net.params[:] = [0.5, -0.25, 2.0, 0.1, 0.3]
    X = np.array([[1.0, 2.0], [0.0, 1.0]])
    Y = np.array([1.0, 0.0])
    cost, grad = net.cost_and_gradient(X, Y)
    assert cost == pytest.approx(0.085, abs=1e-15)
    np.testing.assert_allclose(grad, [-0.5, -1.0, -0.025, -0.5, -0.1], atol=1e-15)


def test_params_is_one_contiguous_vector_and_weights_are_views():
    net = bp.Network([3, 4, 2], ["tanh", "softmax"], "cce", seed=0)
    assert net.params.ndim == 1 and net.params.flags.c_contiguous
    assert net.n_params == 3 * 4 + 4 * 2 + 4 + 2
    assert [W.shape for W in net.weights] == [(4, 3), (2, 4)]
    assert [b.shape for b in net.biases] == [(4, 1), (2, 1)]
    net.params[:] = np.arange(net.n_params)
    np.testing.assert_array_equal(net.weights[0].ravel(), np.arange(12))
    np.testing.assert_array_equal(net.biases[1].ravel(), [24, 25])
    net.weights[1][0, 0] = -7.0
    assert net.params[12] == -7.0
    net.params = np.zeros(net.n_params)  # assignment writes into the same buffer
    assert not net.weights[0].any()
    with pytest.raises(bp.ShapeError, match=r"params: expected shape \(26,\)"):
        net.params = np.zeros(3)


def test_gradient_layout_matches_params(rng):
    net = bp.Network([3, 5, 2], ["tanh", "sigmoid"], "bce", seed=1)
    X, Y = rng.normal(size=(4, 3)), rng.integers(0, 2, (4, 2))
    _, grad = net.cost_and_gradient(X, Y)
    (dW1, dW2), (db1, db2) = net.unflatten(grad)
    # Perturbing W2[1, 3] changes the cost at the rate grad says, through that entry of the layout.
    i = net.layer_slices()[1][0].start + 1 * 5 + 3
    e = np.zeros(net.n_params)
    e[i] = 1e-6
    base = net.params.copy()
    net.params = base + e
    plus = net.cost(X, Y)
    net.params = base - e
    minus = net.cost(X, Y)
    assert (plus - minus) / 2e-6 == pytest.approx(dW2[1, 3], rel=1e-6)


def test_backward_is_idempotent_and_returns_fresh_arrays(rng):
    net = bp.Network([2, 3, 1], ["relu", "sigmoid"], "bce", seed=0)
    X, Y = rng.normal(size=(5, 2)), rng.integers(0, 2, 5)
    out, cache = net.forward(X)
    g1 = net.backward(cache, Y)
    g2 = net.backward(cache, Y)
    np.testing.assert_array_equal(g1, g2)
    assert g1 is not g2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_in_every_buffer(dtype, rng):
    net = bp.Network([3, 4, 3], ["tanh", "softmax"], "cce", dtype=dtype, seed=0)
    X = rng.normal(size=(5, 3))  # float64 input to a float32 network is converted once
    out, cache = net.forward(X, training=True, dropout=[0.5], rng=rng)
    grad = net.backward(cache, [0, 1, 2, 1, 0])
    arrays = [net.params, *net.weights, *net.biases, out, grad]
    arrays += [a for a in cache.A + cache.Z + cache.G + cache.dZ + cache.dA + cache.mask if a is not None]
    assert {a.dtype for a in arrays} == {np.dtype(dtype)}
    assert net.predict_proba(X).dtype == dtype
    cost, grad = net.cost_and_gradient(X, [0, 1, 2, 1, 0], l2=0.1)
    assert grad.dtype == dtype and np.isfinite(cost)


@pytest.mark.parametrize(
    "acts, loss, n_out, y",
    [
        (["tanh", "sigmoid"], "bce", 1, [[0.0], [1.0]]),
        (["tanh", "softmax"], "cce", 3, [0, 2]),
        (["tanh", "sigmoid"], "mse", 1, [[0.0], [1.0]]),
        (["tanh", "softmax"], "bce", 3, [[0, 1, 0], [1, 0, 0]]),
        (["tanh", "sigmoid"], "cce", 2, [[0, 1], [1, 0]]),
    ],
)
@pytest.mark.parametrize("z", [1e4, -1e4])
def test_extreme_preactivations_give_finite_costs_and_gradients(acts, loss, n_out, y, z):
    net = bp.Network([1, 2, n_out], acts, loss, init=None)
    net.weights[0][...] = 1.0  # hidden units saturate at ±1
    net.weights[1][...] = z * np.linspace(-1, 1, 2 * n_out).reshape(n_out, 2) if n_out > 1 else z
    X = np.array([[50.0], [-50.0]])
    cost, grad = net.cost_and_gradient(X, y)
    assert np.isfinite(cost) and np.isfinite(grad).all()
    assert np.isfinite(net.predict_proba(X)).all()


def test_extreme_logits_give_the_exact_cross_entropy():
    """From the logits: −log σ(−1e4) = softplus(1e4) = 1e4, not a clipped log(eps)."""
    net = bp.Network([1, 1], "sigmoid", "bce", init=None)
    net.weights[0][...] = 1e4
    cost, grad = net.cost_and_gradient([[1.0]], [0.0])
    assert cost == pytest.approx(1e4, rel=1e-12)
    np.testing.assert_allclose(grad, [1.0, 1.0])  # dZ = σ(z) − y = 1; dW = dZ·x, db = dZ
    net = bp.Network([1, 3], "softmax", "cce", init=None)
    net.weights[0][...] = [[1e4], [0.0], [-1e4]]
    assert net.cost([[1.0]], [2]) == pytest.approx(2e4, rel=1e-12)


def test_sample_weights_of_two_equal_duplicating_rows(rng):
    net = bp.Network([3, 4, 2], ["tanh", "softmax"], "cce", seed=0)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    w = np.array([1, 2, 1, 2, 1, 1.0])
    cost_w, grad_w = net.cost_and_gradient(X, y, sample_weight=w, l2=0.3)
    rows = np.repeat(np.arange(6), w.astype(int))
    cost_d, grad_d = net.cost_and_gradient(X[rows], y[rows], l2=0.3)
    assert cost_w == pytest.approx(cost_d, rel=1e-13)
    np.testing.assert_allclose(grad_w, grad_d, rtol=1e-12, atol=1e-15)


def test_predict_by_task(rng):
    X = rng.normal(size=(5, 2))
    assert bp.Network([2, 1], "sigmoid", "bce", seed=0).predict(X).shape == (5,)
    assert set(bp.Network([2, 3], "sigmoid", "bce", seed=0).predict(X).ravel()) <= {0, 1}
    net = bp.Network([2, 3], "softmax", "cce", seed=0)
    np.testing.assert_array_equal(net.predict(X), net.predict_proba(X).argmax(axis=1))
    assert bp.Network([2, 1], "identity", "mse", seed=0).predict(X).shape == (5,)
    assert bp.Network([2, 2], "identity", "mse", seed=0).predict(X).shape == (5, 2)


def test_seed_makes_initialisation_reproducible():
    a = bp.Network([4, 8, 3], ["relu", "softmax"], "cce", seed=7)
    b = bp.Network([4, 8, 3], ["relu", "softmax"], "cce", seed=7)
    c = bp.Network([4, 8, 3], ["relu", "softmax"], "cce", seed=8)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    assert not any(b.any() for b in a.biases)


def test_course_initialiser_draws_the_courses_small_weights_and_seed_is_a_deprecated_name():
    # init="course": W = 0.01 · N(0, 1), drawn from the network's generator (seed=5), biases zero
    net = bp.Network([3, 4, 2], "tanh", "mse", init="course", seed=5)
    z = np.random.default_rng(5).standard_normal
    np.testing.assert_array_equal(net.weights[0], 0.01 * z((4, 3)))
    assert all(not b.any() for b in net.biases)
    with pytest.warns(DeprecationWarning, match="init='seed' is deprecated, use init='course'"):
        old = bp.Network([3, 4, 2], "tanh", "mse", init="seed", seed=5)
    np.testing.assert_array_equal(old.params, net.params)
    assert "seed" not in bp.INITIALIZERS and "course" in bp.INITIALIZERS


def test_register_activation_and_use_it(rng):
    cube = bp.register_activation("cube_for_test", lambda z: z**3, lambda z, a: 3 * z**2, overwrite=True)
    net = bp.Network([2, 3, 1], ["cube_for_test", "identity"], "mse", seed=0)
    assert net.activations[0] is cube
    assert bp.check_gradients(net, rng.normal(size=(4, 2)), rng.normal(size=4), eps=1e-6).passed
    with pytest.raises(ValueError, match="already exists"):
        bp.register_activation("tanh", np.tanh, lambda z, a: 1 - a * a)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: bp.Network([2, 0, 1], "tanh", "mse"), bp.ValidationError, r"layer_sizes\[1\]: expected an integer >= 1, received 0"),
        (lambda: bp.Network([2], "tanh", "mse"), bp.ValidationError, "at least 2 sizes"),
        (lambda: bp.Network("2,3", "tanh", "mse"), bp.InputTypeError, "layer_sizes"),
        (lambda: bp.Network([2, 2.5, 1], "tanh", "mse"), bp.InputTypeError, r"layer_sizes\[1\]"),
        (lambda: bp.Network([2, 3, 1], ["tanh"], "mse"), bp.ValidationError, r"activations: expected one per layer \(2\)"),
        (lambda: bp.Network([2, 3, 1], "tanhh", "mse"), bp.ValidationError, "unknown name 'tanhh'"),
        (lambda: bp.Network([2, 3, 1], "tanh", "cross_entropyy"), bp.ValidationError, "loss: unknown name"),
        (lambda: bp.Network([2, 3, 1], "tanh", "bce"), bp.ValidationError, "needs outputs in \\(0, 1\\)"),
        (lambda: bp.Network([2, 3, 1], ["tanh", "softmax"], "cce"), bp.ValidationError, "softmax output needs at least 2"),
        (lambda: bp.Network([2, 3, 1], "tanh", "mse", dtype=np.float16), bp.ValidationError, "dtype: expected float32 or float64"),
        (lambda: bp.Network([2, 3, 1], "tanh", "mse", init="nope"), bp.ValidationError, "init: unknown name"),
    ],
)
def test_bad_construction_is_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "X, Y, error, match",
    [
        (np.zeros((4, 3)), np.zeros(4), bp.ShapeError, r"X: expected 2 features"),
        (np.zeros((2, 4)), np.zeros(4), bp.ShapeError, "looks transposed"),
        (np.zeros(4), np.zeros(4), bp.ShapeError, "expected a 2-D array"),
        (np.zeros((4, 2)), np.zeros(5), bp.ShapeError, "Y: expected 4 rows"),
        (np.zeros((4, 2)), np.zeros((4, 2)), bp.ShapeError, r"Y: expected 1 outputs"),
        (np.array([[0.0, np.nan]] * 4), np.zeros(4), bp.ValidationError, "received 4 NaN or inf"),
        (np.zeros((4, 2)), [0, 1, np.inf, 0], bp.ValidationError, "Y: expected finite"),
        (np.array([["a", "b"]] * 4), np.zeros(4), bp.InputTypeError, "X: expected numbers"),
        (np.zeros((0, 2)), np.zeros(0), bp.ValidationError, "non-empty"),
        ([[1, 2], [3]], [0, 1], bp.InputTypeError, "rectangular"),
        (None, [0], bp.InputTypeError, "received None"),
    ],
)
def test_bad_data_is_named(X, Y, error, match):
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    with pytest.raises(error, match=match):
        net.cost_and_gradient(X, Y)


def test_bad_class_labels_and_weights_are_named():
    net = bp.Network([2, 3], "softmax", "cce", seed=0)
    X = np.zeros((3, 2))
    with pytest.raises(bp.ValidationError, match=r"class labels in \[0, 2\], received values in \[0.0, 3.0\]"):
        net.cost(X, [0, 1, 3])
    with pytest.raises(bp.ValidationError, match="integer class labels"):
        net.cost(X, [0, 1.5, 1])
    with pytest.raises(bp.ValidationError, match="sample_weight: expected non-negative"):
        net.cost(X, [0, 1, 2], sample_weight=[1, -1, 1])
    with pytest.raises(bp.ShapeError, match="sample_weight: expected 3 weights"):
        net.cost(X, [0, 1, 2], sample_weight=[1, 1])
    with pytest.raises(bp.InputTypeError, match="cache: expected the Cache"):
        net.backward({"A1": 0}, [0, 1, 2])


def test_errors_are_value_and_type_errors():
    assert issubclass(bp.ValidationError, ValueError) and issubclass(bp.ShapeError, ValueError)
    assert issubclass(bp.InputTypeError, TypeError)
    assert issubclass(bp.DivergenceError, bp.BackpropError)


@pytest.mark.parametrize("copier", ["pickle", "deepcopy"])
def test_pickled_network_keeps_weights_as_views_of_params(copier, rng):
    import copy
    import pickle

    net = bp.Network([3, 4, 2], ["tanh", "softmax"], "cce", seed=0)
    clone = pickle.loads(pickle.dumps(net)) if copier == "pickle" else copy.deepcopy(net)
    np.testing.assert_array_equal(clone.params, net.params)
    assert all(np.shares_memory(W, clone.params) for W in clone.weights + clone.biases)
    net.cost_and_gradient(rng.normal(size=(2, 3)), [0, 1])  # fills the gradient-views memo
    assert pickle.loads(pickle.dumps(net))._grad_memo is None
    clone.params[:] = 0  # a change of the flat vector is a change of the network
    np.testing.assert_array_equal(clone.predict_proba(rng.normal(size=(2, 3))), np.full((2, 2), 0.5))


def test_finiteness_check_survives_a_sum_that_overflows():
    """Inputs are checked by one sum (finite sum ⟹ finite entries); a sum that overflows on
    finite inputs falls back to an exact check instead of rejecting them."""
    from backprop.core.validation import as_float_matrix

    huge = np.full((3, 2), np.finfo(np.float32).max, dtype=np.float32)  # Σ = inf, every entry finite
    assert as_float_matrix(huge, "X") is huge
    for bad in (np.inf, -np.inf, np.nan):
        X = huge.copy()
        X[1, 0] = bad
        with pytest.raises(bp.ValidationError, match="X: expected finite values, received 1 NaN or inf entries"):
            as_float_matrix(X, "X")
    mixed = np.array([[np.inf, 1.0], [-np.inf, 2.0]])  # inf − inf = NaN in the sum: still caught, both counted
    with pytest.raises(bp.ValidationError, match="received 2 NaN or inf"):
        as_float_matrix(mixed, "X")
