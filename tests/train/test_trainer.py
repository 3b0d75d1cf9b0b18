"""Training with fit/partial_fit: regularisation, dropout, stopping, faults, reproducibility, real data."""

import os
import signal
import tracemalloc

import numpy as np
import pytest

import backprop as bp
from backprop.train import Callback


@pytest.fixture
def blobs3(rng):
    centers = np.array([[0, 0], [3, 3], [0, 4]])
    y = rng.integers(0, 3, 120)
    return centers[y] + rng.normal(scale=0.8, size=(120, 2)), y


def test_full_batch_sgd_is_the_courses_loop(rng):
    """fit(optimizer="sgd", batch_size=None) is θ ← θ − α ∇J, step for step."""
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, 30)
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "bce", seed=1)
    manual = net.copy()
    h = net.fit(X, y, optimizer="sgd", learning_rate=0.5, epochs=20, batch_size=None)
    costs = []
    for _ in range(20):
        cost, grad = manual.cost_and_gradient(X, y)
        costs.append(cost)
        manual.params -= 0.5 * grad
    np.testing.assert_allclose(net.params, manual.params, rtol=1e-13)
    np.testing.assert_allclose(h["loss"], costs, rtol=1e-13)  # the loss before each update, as the course prints it


def test_l2_step_uses_the_penalised_gradient(rng):
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 2, 10)
    net = bp.Network([3, 4, 1], ["tanh", "sigmoid"], "bce", seed=0)
    manual = net.copy()
    h = net.fit(X, y, optimizer="sgd", learning_rate=0.1, epochs=1, batch_size=None, l2=0.5)
    cost, grad = manual.cost_and_gradient(X, y, l2=0.5)
    np.testing.assert_allclose(net.params, manual.params - 0.1 * grad, rtol=1e-14)
    assert h["loss"][0] == pytest.approx(cost, rel=1e-14)
    assert bp.check_gradients(manual, X, y, l2=0.5).passed


def test_dropout_masks_differ_preserve_expectation_and_never_reach_predict(rng):
    net = bp.Network([5, 50, 1], ["relu", "identity"], "mse", seed=0)
    X = rng.normal(size=(40, 5))
    gen = np.random.default_rng(0)
    _, c1 = net.forward(X, training=True, dropout=[0.3], rng=gen)
    m1 = c1.mask[1].copy()
    _, c2 = net.forward(X, training=True, dropout=[0.3], rng=gen)
    assert not np.array_equal(m1, c2.mask[1])
    np.testing.assert_allclose(np.unique(m1), [0.0, 1 / 0.7], rtol=1e-15)
    # E[mask] = 1, so the expected dropped activation equals the plain one.
    masks = np.stack([net.forward(X, training=True, dropout=[0.3], rng=gen)[1].mask[1] for _ in range(400)])
    assert masks.mean() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(net.predict(X), net.predict(X))
    _, c3 = net.forward(X)
    assert c3.mask[1] is None and c3.A[1] is c3.G[1]
    # and the gradient with a fixed mask is still the true gradient of that masked network
    net.fit(X, X[:, 0], epochs=3, batch_size=8, dropout=0.5, seed=1)
    assert np.isfinite(net.params).all()


def test_dropout_gradient_matches_finite_differences_with_the_mask_fixed(rng):
    net = bp.Network([3, 6, 2], ["tanh", "identity"], "mse", seed=0)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    _, cache = net.forward(X, training=True, dropout=[0.5], rng=np.random.default_rng(3))
    grad = net.backward(cache, Y)
    mask = cache.mask[1].copy()

    def cost(theta):
        saved = net.params.copy()
        net.params = theta
        c = net.forward_columns(X.T)
        c.A[1] = c.G[1] * mask  # same mask, recompute the output by hand
        out = net.weights[1] @ c.A[1] + net.biases[1]
        net.params = saved
        return 0.5 * ((out - Y.T) ** 2).sum() / 5

    theta = net.params.copy()
    numeric = np.array([(cost(theta + e) - cost(theta - e)) / 2e-6 for e in np.eye(theta.size) * 1e-6])
    assert bp.core.relative_difference(grad, numeric) < 1e-7


def test_early_stopping_restores_the_best_epoch(blobs3):
    X, y = blobs3
    snapshots = []

    class Snap(Callback):
        def on_epoch_end(self, epoch, logs):
            snapshots.append(net.params.copy())

    net = bp.Network([2, 8, 3], ["tanh", "softmax"], "cce", seed=0)
    # a large learning rate makes the validation loss bounce, so the best epoch is not the last
    h = net.fit(X, y, optimizer="sgd", learning_rate=3.0, epochs=60, batch_size=8, seed=0, validation_split=0.3,
                early_stopping=True, patience=3, callbacks=[Snap()])
    best = int(np.argmin(h["val_loss"]))
    assert h.best_epoch == best
    np.testing.assert_array_equal(net.params, snapshots[best])
    if h.stopped_early:
        assert len(h) == best + 4  # patience 3: stop after three epochs without improvement


def test_partial_fit_n_times_equals_fit_n_epochs(blobs3):
    X, y = blobs3
    a = bp.Network([2, 8, 3], ["relu", "softmax"], "cce", seed=0)
    b = a.copy()
    ha = a.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=4, batch_size=16, seed=5, dropout=0.2)
    for _ in range(4):
        hb = b.partial_fit(X, y, optimizer="adam", learning_rate=0.01, batch_size=16, seed=5, dropout=0.2)
    np.testing.assert_array_equal(a.params, b.params)
    assert hb.epoch == [0, 1, 2, 3]
    np.testing.assert_array_equal(ha["loss"], hb["loss"])


def test_adam_state_survives_partial_fit_and_fit_starts_fresh(blobs3):
    X, y = blobs3
    net = bp.Network([2, 8, 3], ["relu", "softmax"], "cce", seed=0)
    net.partial_fit(X, y, batch_size=40)
    opt = net.trainer_.optimizer
    moments = opt.state_dict()["state"]["exp_avg"].copy()
    assert opt.t == 3 and np.abs(moments).sum() > 0
    net.partial_fit(X, y)
    assert net.trainer_.optimizer is opt and opt.t == 6
    assert not np.array_equal(opt.state_dict()["state"]["exp_avg"], moments)
    with pytest.raises(bp.ValidationError, match=r"partial_fit: \['batch_size'\] differ"):
        net.partial_fit(X, y, batch_size=8)
    net.fit(X, y, epochs=1, batch_size=40)
    assert net.trainer_.optimizer is not opt and net.trainer_.optimizer.t == 3


def test_fit_continues_from_current_weights_unless_reinitialised(blobs3):
    X, y = blobs3
    net = bp.Network([2, 8, 3], ["relu", "softmax"], "cce", seed=0)
    first = net.fit(X, y, epochs=10, seed=0)
    second = net.fit(X, y, epochs=1, seed=0)
    assert second["loss"][0] < first["loss"][0]
    fresh = net.fit(X, y, epochs=1, seed=0, reinitialize=True)
    assert fresh["loss"][0] > second["loss"][0]


def test_same_seed_gives_bit_identical_parameters(blobs3):
    X, y = blobs3
    runs = []
    for _ in range(2):
        net = bp.Network([2, 8, 8, 3], ["relu", "tanh", "softmax"], "cce", seed=4)
        net.fit(X, y, epochs=3, batch_size=10, seed=9, dropout=[0.2, 0.1], validation_split=0.2)
        runs.append(net.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_sample_weights_of_two_equal_duplicating_rows_in_training(rng):
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 2, 12)
    w = np.where(np.arange(12) % 3 == 0, 2.0, 1.0)
    a = bp.Network([3, 5, 1], ["tanh", "sigmoid"], "bce", seed=0)
    b = a.copy()
    a.fit(X, y, optimizer="adam", learning_rate=0.05, epochs=15, batch_size=None, sample_weight=w, l2=0.1)
    rows = np.repeat(np.arange(12), w.astype(int))
    b.fit(X[rows], y[rows], optimizer="adam", learning_rate=0.05, epochs=15, batch_size=None, l2=0.1)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10, atol=1e-12)


def test_a_batch_of_zero_total_weight_is_skipped(rng):
    """Batches whose weights are all 0 make no update (c = w / Σw would be 0/0)."""
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    w = np.array([0.0] * 4 + [1.0] * 4)
    a = bp.Network([3, 1], "sigmoid", "bce", seed=0)
    b = a.copy()
    a.fit(X, y, optimizer="sgd", learning_rate=0.1, epochs=3, batch_size=4, shuffle=False, sample_weight=w)
    b.fit(X[4:], y[4:], optimizer="sgd", learning_rate=0.1, epochs=3, batch_size=4)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-13)


def test_balanced_class_weight_is_m_over_k_counts(rng):
    X = rng.normal(size=(10, 2))
    y = np.array([0] * 8 + [1] * 2)
    a = bp.Network([2, 1], "sigmoid", "bce", seed=0)
    b = a.copy()
    a.fit(X, y, optimizer="sgd", learning_rate=0.3, epochs=3, batch_size=None, class_weight="balanced")
    b.fit(X, y, optimizer="sgd", learning_rate=0.3, epochs=3, batch_size=None,
          sample_weight=np.where(y == 0, 10 / (2 * 8), 10 / (2 * 2)))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-13)
    with pytest.raises(bp.ValidationError, match="class_weight: expected a dict or 'balanced'"):
        a.fit(X, y, epochs=1, class_weight="auto")


def test_divergence_raises_and_keeps_finite_weights(rng):
    X = rng.normal(size=(20, 3)) * 100
    y = rng.normal(size=20) * 100
    net = bp.Network([3, 16, 1], ["relu", "identity"], "mse", seed=0)
    with pytest.raises(bp.DivergenceError, match="learning rate may be too high"):
        net.fit(X, y, optimizer="sgd", learning_rate=1e6, epochs=100, batch_size=None)
    assert np.isfinite(net.params).all()
    assert net.history_ is not None and len(net.history_) < 100


def test_a_callback_can_stop_training(rng):
    class StopAt(Callback):
        def on_epoch_end(self, epoch, logs):
            return epoch == 2

    net = bp.Network([2, 1], "sigmoid", "bce", seed=0)
    h = net.fit(rng.normal(size=(8, 2)), rng.integers(0, 2, 8), epochs=50, callbacks=[StopAt()])
    assert len(h) == 3 and h.stopped_early


def test_ctrl_c_stops_cleanly_and_keeps_model_and_history(rng):
    class PressCtrlC(Callback):
        def on_batch_end(self, step, logs):
            if step == 7:
                os.kill(os.getpid(), signal.SIGINT)

    X, y = rng.normal(size=(40, 2)), rng.integers(0, 2, 40)
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "bce", seed=0)
    h = net.fit(X, y, epochs=100, batch_size=10, callbacks=[PressCtrlC()])
    assert h.interrupted and len(h) == 2  # stopped after step 7, in the second epoch
    assert net.trainer_.step == 7 and np.isfinite(net.params).all()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_history_records_the_promised_values(blobs3):
    X, y = blobs3
    net = bp.Network([2, 8, 3], ["relu", "softmax"], "cce", seed=0)
    h = net.fit(X, y, epochs=3, validation_data=(X[:20], y[:20]))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert all(len(v) == 3 for v in h.history.values())
    assert h["val_loss"][-1] == pytest.approx(net.evaluate(X[:20], y[:20])["loss"], rel=1e-12)
    assert h["val_accuracy"][-1] == pytest.approx(np.mean(net.predict(X[:20]) == y[:20]))
    assert h.to_dict()["epoch"] == [0, 1, 2]


def test_verbose_prints_one_plain_line_per_epoch(rng, capsys):
    net = bp.Network([2, 1], "sigmoid", "bce", seed=0)
    net.fit(rng.normal(size=(8, 2)), rng.integers(0, 2, 8), epochs=3, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3") and "loss" in lines[0] and "\r" not in lines[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_keeps_the_dtype(dtype, blobs3):
    X, y = blobs3
    net = bp.Network([2, 8, 3], ["relu", "softmax"], "cce", dtype=dtype, seed=0)
    net.fit(X, y, epochs=2, batch_size=16, l2=0.01, dropout=0.1, clip_norm=1.0, optimizer="adamw")
    state = net.trainer_.optimizer.state_dict()["state"]
    assert net.params.dtype == dtype and net.trainer_.grad.dtype == dtype
    assert all(a.dtype == dtype for a in state.values())


def test_a_steady_state_step_allocates_no_batch_sized_array(rng):
    """After the first step, buffers are reused: no temporary as large as one (n_L, b) matrix.

    What remains are per-column vectors of shape (b,) (softmax's max-shift, the cost's
    log-sum-exp, the accuracy count), n_L = 10 times smaller, and numpy's fixed-size
    iteration buffers (64 KiB), which is why the batch is large here.
    """
    b = 8192
    net = bp.Network([20, 16, 16, 10], ["relu", "tanh", "softmax"], "cce", seed=0)
    X, y = rng.normal(size=(2 * b, 20)), rng.integers(0, 10, 2 * b)
    net.fit(X, y, epochs=1, batch_size=b, l2=0.01, clip_norm=5.0, dropout=0.1)  # warm: buffers exist now
    trainer = net.trainer_
    from backprop.train.trainer import Dataset

    data = Dataset(net, X, y)
    idx = np.arange(b)
    one_matrix = 10 * b * 8  # one (n_L, b) float64 array
    tracemalloc.start()
    for _ in range(3):
        trainer.train_batch(data, idx)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < one_matrix * 0.6, f"a step allocated {peak} bytes"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epochs": 0}, bp.ValidationError, "epochs: expected an integer >= 1, received 0"),
        ({"batch_size": 0}, bp.ValidationError, "batch_size: expected an integer >= 1"),
        ({"optimizer": "adamm"}, bp.ValidationError, "optimizer: unknown name"),
        ({"dropout": 1.0}, bp.ValidationError, r"dropout: expected a number in \[0, 1\), received 1.0"),
        ({"dropout": [0.1, 0.2]}, bp.ValidationError, r"dropout: expected one rate per hidden layer \(1\)"),
        ({"learning_rate": -0.1}, bp.ValidationError, "learning_rate: expected a finite number > 0"),
        ({"optimizer": "lbfgs"}, bp.ValidationError, "lbfgs.*batch_size=None"),
        ({"validation_split": 1.5}, bp.ValidationError, "validation_split"),
        ({"l2": -1}, bp.ValidationError, "l2: expected a finite number >= 0"),
        ({"clip_norm": 0}, bp.ValidationError, "clip_norm"),
        ({"early_stopping": True, "monitor": "val_accuracy"}, bp.ValidationError, "needs validation_data"),
        ({"validation_data": ([[1.0, 2.0]],)}, bp.InputTypeError, "validation_data: expected"),
        ({"comm": object()}, bp.InputTypeError, "comm: expected rank, size"),
        ({"optimizer": bp.optim.Adam(learning_rate=0.1), "learning_rate": 0.2}, bp.ValidationError, "give it once"),
    ],
)
def test_bad_training_options_are_named(kwargs, error, match, rng):
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    with pytest.raises(error, match=match):
        net.fit(rng.normal(size=(10, 2)), rng.integers(0, 2, 10), **kwargs)


def test_trainer_grad_is_the_last_steps_gradient_for_every_optimizer(rng):
    """``trainer.grad`` is dJ/dθ at the parameters the last step started from (SGD's fast update
    uses the gradient buffer as its step α g; reading ``grad`` gives the gradient back)."""
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    for optimizer in ("sgd", "momentum", "adam"):
        net = bp.Network([3, 5, 1], ["tanh", "sigmoid"], "bce", seed=2)
        before = net.params.copy()
        net.fit(X, y, optimizer=optimizer, learning_rate=0.3, epochs=1, batch_size=None)
        after = net.params.copy()
        net.params = before
        _, expected = net.cost_and_gradient(X, y)
        np.testing.assert_allclose(net.trainer_.grad, expected, rtol=1e-14, atol=1e-17, err_msg=optimizer)
        if optimizer == "sgd":  # and the step was θ − α g, as the course's update_parameters computes it
            np.testing.assert_array_equal(after, before - 0.3 * expected)


def test_a_large_sgd_update_applied_in_chunks_is_the_plain_update(rng):
    """Above 4 chunks of parameters the SGD step runs chunk by chunk: same numbers, bit for bit."""
    X, y = rng.normal(size=(8, 300)), rng.normal(size=(8, 2))
    net = bp.Network([300, 1000, 2], ["tanh", "identity"], "mse", seed=0)
    assert net.n_params > 4 * bp.optim.GradientDescent.chunk_size
    before = net.params.copy()
    _, grad = net.cost_and_gradient(X, y)
    net.fit(X, y, optimizer="sgd", learning_rate=0.05, epochs=1, batch_size=None)
    np.testing.assert_array_equal(net.params, before - 0.05 * grad)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_clipping_rescales_the_gradient_to_the_norm_before_the_step(optimizer, rng):
    """clip_norm: g ← g · c/‖g‖ when ‖g‖ > c, then the optimizer's rule, as written out by hand."""
    X, y = 10 * rng.normal(size=(60, 3)), rng.integers(0, 2, 60)
    net = bp.Network([3, 8, 1], ["tanh", "sigmoid"], "bce", seed=4)
    manual = net.copy()
    net.fit(X, y, optimizer=optimizer, learning_rate=0.05, epochs=6, batch_size=None, clip_norm=0.1)
    rule = bp.optim.get_optimizer(optimizer)
    clipped = 0
    for _ in range(6):
        _, grad = manual.cost_and_gradient(X, y)
        norm = np.linalg.norm(grad)
        if norm > 0.1:
            grad *= 0.1 / norm
            clipped += 1
        rule.step(manual.params, grad, 0.05)
    assert clipped >= 3  # the test exercises clipping
    np.testing.assert_allclose(net.params, manual.params, rtol=1e-12, atol=1e-15)


def test_sgd_counts_its_updates_and_its_state_resumes(rng):
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, 30)
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    net.fit(X, y, optimizer="sgd", epochs=3, batch_size=10, shuffle=False)
    assert net.trainer_.optimizer.t == net.trainer_.step == 9


def test_rows_in_order_are_read_in_place_not_gathered(rng):
    """shuffle=False: each batch's inputs are a view of the training data (no copy), and the
    run equals one over explicitly gathered batches in the same order."""
    from backprop.train.trainer import Dataset

    X, y = rng.normal(size=(50, 4)), rng.integers(0, 3, 50)
    net = bp.Network([4, 6, 3], ["relu", "softmax"], "cce", seed=3)
    twin = net.copy()
    net.fit(X, y, optimizer="adam", epochs=2, batch_size=16, shuffle=False)
    data = Dataset(net, X, y)
    A0, Y, _ = net.trainer_.buffers.batch(data, slice(16, 32))
    assert np.shares_memory(A0, data.X) and A0.shape == (4, 16)
    assert net.trainer_.buffers._gather_store is None  # no row-gather buffer was ever needed
    np.testing.assert_array_equal(Y, data.Y[:, 16:32])
    optimizer = bp.optim.Adam()
    for _ in range(2):
        for start in range(0, 50, 16):
            rows = np.arange(start, min(start + 16, 50))
            _, grad = twin.cost_and_gradient(X[rows], y[rows])
            optimizer.step(twin.params, grad, 0.001)
    np.testing.assert_allclose(net.params, twin.params, rtol=1e-12, atol=1e-15)


def test_batch_size_larger_than_the_data_is_the_full_batch(rng):
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, 10)
    a = bp.Network([2, 1], "sigmoid", "bce", seed=0)
    b = a.copy()
    a.fit(X, y, optimizer="sgd", epochs=3, batch_size=1000)
    b.fit(X, y, optimizer="sgd", epochs=3, batch_size=None)
    np.testing.assert_array_equal(a.params, b.params)


# ----------------------------------------------------------------- real data
def _split(X, y, seed=0):
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(0.75 * len(y))
    return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]


def test_digits_reach_97_percent():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, ytr, Xte, yte = _split(X, y)
    net = bp.Network([64, 64, 10], ["relu", "softmax"], "cce", seed=0)
    net.fit(Xtr, ytr, optimizer="adam", learning_rate=0.003, epochs=60, batch_size=32, seed=0, l2=1e-3)
    assert np.mean(net.predict(Xte) == yte) >= 0.97


def test_breast_cancer_reaches_96_percent():
    datasets = pytest.importorskip("sklearn.datasets")
    from backprop.data import StandardScaler

    X, y = datasets.load_breast_cancer(return_X_y=True)
    Xtr, ytr, Xte, yte = _split(X, y)
    scaler = StandardScaler().fit(Xtr)
    net = bp.Network([30, 16, 1], ["relu", "sigmoid"], "bce", seed=0)
    net.fit(scaler.transform(Xtr), ytr, optimizer="adam", learning_rate=0.003, epochs=60, batch_size=32, seed=0)
    assert np.mean(net.predict(scaler.transform(Xte)) == yte) >= 0.96
