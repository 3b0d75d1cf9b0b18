"""The numba backend against the numpy engine (the reference): gradients, trajectories, divergence.

Every activation, loss and optimizer; float64 to 1e-12, float32 within a stated bound; dropout,
L2, clipping, sample weights, mini-batches. Skipped only where numba is not installed (the
``fast`` extra; CI installs it with ``test``). The backend selection ("auto" and its notice)
is tested without numba too.
"""

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import backprop
from backprop import DivergenceError, Network, ValidationError
from backprop.core.validation import InputTypeError
from backprop.kernels import BackendNotice, NumbaBackend, NumpyBackend, backend as backend_module, get_backend

try:
    import numba  # noqa: F401

    HAVE_NUMBA = backend_module.numba_status()[0]
except ImportError:
    HAVE_NUMBA = False
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba (the 'fast' extra) is not installed")

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu", "softmax"]
# (output activation, loss, outputs): the canonical pairs (one fused kernel) and non-canonical ones
OUTPUTS = [
    ("sigmoid", "binary_crossentropy", 1), ("sigmoid", "binary_crossentropy", 3),
    ("softmax", "categorical_crossentropy", 4), ("identity", "mse", 2), ("identity", "mae", 2),
    ("identity", "huber", 2), ("tanh", "mse", 2), ("softmax", "binary_crossentropy", 3),
    ("sigmoid", "categorical_crossentropy", 3), ("relu", "huber", 1), ("softplus", "mae", 2),
]
OPTIMIZERS = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]


def data(rng, net, m):
    X = rng.standard_normal((m, net.layer_sizes[0])) * 2
    n_out = net.layer_sizes[-1]
    if net.loss.name == "categorical_crossentropy":
        Y = np.eye(n_out)[rng.integers(0, n_out, m)]
    elif net.loss.needs_probabilities:
        Y = (rng.random((m, n_out)) > 0.5).astype(float)
    else:
        Y = rng.standard_normal((m, n_out))
    return X.astype(net.dtype), Y.astype(net.dtype)


def layer_by_layer(net):
    """The numba backend without its one-kernel step for small networks (each layer's kernels)."""
    backend = NumbaBackend(net)
    backend._kernels.small = None
    return backend


def both_gradients(net, X, Y, coef, **forward):
    """(J, gradient, outputs) from the numpy engine and from the numba kernels, on one batch; the
    numba backend's two paths (one kernel per step for small networks, kernels per layer) must agree
    with numpy alike."""
    A0, Yc = X.T, np.ascontiguousarray(Y.T)
    results = []
    for backend in (NumpyBackend(net), NumbaBackend(net), layer_by_layer(net)):
        cache = net.make_cache(X.shape[0])
        grad = np.empty_like(net.params)
        rng = np.random.default_rng(7) if forward else None
        with np.errstate(all="ignore"):
            J = backend.gradient(cache, A0, Yc, coef, grad, rng=rng, **forward)
        results.append((J, grad, cache.A[net.n_layers].copy()))
    J, grad, A = results.pop()
    assert abs(J - results[0][0]) <= 1e-12 * max(abs(results[0][0]), 1.0) or net.dtype == np.float32
    assert_close(grad, results[0][1], 1e-12 if net.dtype == np.float64 else 2e-5)
    return results


def assert_close(got, want, rtol):  # noqa: D103 - |got − want| ≤ rtol · max |want|
    scale = max(float(np.max(np.abs(want))), 1e-300)
    assert np.max(np.abs(np.asarray(got, np.float64) - want)) <= rtol * scale, (got, want)


@needs_numba
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,loss,n_out", OUTPUTS, ids=[f"{o}-{l}-{n}" for o, l, n in OUTPUTS])
def test_float64_gradients_equal_the_numpy_engine(hidden, output, loss, n_out):
    rng = np.random.default_rng(abs(hash((hidden, output, loss, n_out))) % 2**32)
    net = Network([3, 5, 4, n_out], [hidden, "tanh", output], loss, seed=rng)
    X, Y = data(rng, net, 9)
    (J1, g1, A1), (J2, g2, A2) = both_gradients(net, X, Y, 1.0 / 9)
    assert abs(J2 - J1) <= 1e-12 * max(abs(J1), 1.0)
    assert_close(g2, g1, 1e-12)
    assert_close(A2, A1, 1e-12)
    w = rng.random(9)  # sample weights: per-example coefficients
    (J1, g1, _), (J2, g2, _) = both_gradients(net, X, Y, w / w.sum())
    assert abs(J2 - J1) <= 1e-12 * max(abs(J1), 1.0)
    assert_close(g2, g1, 1e-12)


@needs_numba
@pytest.mark.parametrize("hidden", HIDDEN)
def test_dropout_masks_and_gradients_equal_the_numpy_engine(hidden):
    rng = np.random.default_rng(3)
    net = Network([4, 6, 5, 3], [hidden, hidden, "softmax"], "categorical_crossentropy", seed=1)
    X, Y = data(rng, net, 11)
    (J1, g1, _), (J2, g2, _) = both_gradients(net, X, Y, 1.0 / 11, training=True, dropout=[0.3, 0.5, 0.0])
    assert abs(J2 - J1) <= 1e-12 * max(abs(J1), 1.0)
    assert_close(g2, g1, 1e-12)


@needs_numba
def test_gradient_matches_finite_differences():
    """An oracle independent of both engines: central differences of J."""
    rng = np.random.default_rng(5)
    net = Network([3, 4, 2], ["gelu", "softmax"], "categorical_crossentropy", seed=2)
    X, Y = data(rng, net, 6)
    (_, _, _), (_, g, _) = both_gradients(net, X, Y, 1.0 / 6)
    assert NumbaBackend(net)._kernels.small is not None  # this network takes the one-kernel step
    numeric = np.empty_like(g)
    h = 1e-6
    for i in range(net.n_params):
        keep = net.params[i]
        net.params[i] = keep + h
        up = net.cost(X, Y)
        net.params[i] = keep - h
        down = net.cost(X, Y)
        net.params[i] = keep
        numeric[i] = (up - down) / (2 * h)
    assert_close(g, numeric, 1e-7)


@needs_numba
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,loss,n_out", OUTPUTS[:6], ids=[f"{o}-{l}-{n}" for o, l, n in OUTPUTS[:6]])
def test_float32_gradients_within_the_stated_bound(hidden, output, loss, n_out):
    """float32: each kernel rounds once per operation as numpy does, but computes its transcendental
    functions in float64: gradients agree within 2e-5 of the gradient's largest entry (~170 ulp of
    float32, the accumulation over a few layers of one-ulp differences)."""
    rng = np.random.default_rng(11)
    net = Network([3, 6, 5, n_out], [hidden, "tanh", output], loss, seed=rng, dtype=np.float32)
    X, Y = data(rng, net, 16)
    (J1, g1, _), (J2, g2, _) = both_gradients(net, X, Y, 1.0 / 16)
    assert g2.dtype == np.float32
    assert abs(J2 - J1) <= 2e-6 * max(abs(J1), 1.0)
    assert_close(g2, g1, 2e-5)


def fit_both(make_net, X, Y, **options):
    params = []
    for backend in ("numpy", "numba"):
        net = make_net()
        history = net.fit(X, Y, backend=backend, **options)
        params.append((net.params.copy(), history["loss"]))
    return params


@needs_numba
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_trajectories_through_fit_equal_the_numpy_engine(optimizer):
    """A few epochs of mini-batches with every option that changes a step: same parameters to 1e-12."""
    rng = np.random.default_rng(17)
    X = rng.standard_normal((60, 4))
    y = rng.integers(0, 3, 60)
    w = rng.random(60)

    def make():
        return Network([4, 8, 6, 3], ["relu", "tanh", "softmax"], "categorical_crossentropy", seed=4)

    (p1, l1), (p2, l2) = fit_both(make, X, y, optimizer=optimizer, epochs=3, batch_size=16, seed=1, l2=0.05,
                                  dropout=0.2, clip_norm=0.5, sample_weight=w)
    assert_close(p2, p1, 1e-12)
    np.testing.assert_allclose(l2, l1, rtol=1e-12)


@needs_numba
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_float32_trajectories_stay_within_the_stated_bound(optimizer):
    """float32, 10 full-batch steps: the parameters agree to 1e-5 of their largest entry."""
    rng = np.random.default_rng(19)
    X = rng.standard_normal((50, 3)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float32)

    def make():
        return Network([3, 6, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=5, dtype=np.float32)

    (p1, _), (p2, _) = fit_both(make, X, y, optimizer=optimizer, epochs=10, batch_size=None,
                                learning_rate=0.05)
    assert p2.dtype == np.float32
    assert_close(p2, p1, 1e-5)


@needs_numba
def test_the_seed_problem_full_batch_matches_for_many_steps():
    """W1's network (2 → 4 tanh → 1 sigmoid), lr 1.2: the rows agree to ~1e-13 after 300 steps
    (beyond ~3,000 steps the problem itself amplifies rounding, see benchmarks/README.md)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)

    def make():
        return Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=3)

    (p1, l1), (p2, l2) = fit_both(make, X, y, optimizer="sgd", learning_rate=1.2, epochs=300, batch_size=None)
    assert_close(p2, p1, 1e-10)
    np.testing.assert_allclose(l2, l1, rtol=1e-10)


@needs_numba
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_divergence_keeps_the_last_finite_parameters_like_numpy(optimizer):
    rng = np.random.default_rng(23)
    X = rng.standard_normal((40, 3)) * 10
    Y = rng.standard_normal((40, 1)) * 1e10
    kept = []
    for backend in ("numpy", "numba"):
        net = Network([3, 4, 1], ["relu", "identity"], "mse", seed=6)
        with pytest.raises(DivergenceError):
            net.fit(X, Y, optimizer=optimizer, learning_rate=3.0 if optimizer == "sgd" else 1e306, epochs=200, batch_size=None, backend=backend)
        assert np.isfinite(net.params).all()
        kept.append((net.params.copy(), net.trainer_.step))
    assert kept[0][1] == kept[1][1]
    assert_close(kept[1][0], kept[0][0], 1e-12)


@needs_numba
def test_a_checked_step_that_overflows_is_never_applied():
    """AdamW's step is always checked (its bound is unknown): an overflowing one leaves θ bit for bit."""
    from backprop.kernels.optim import fused_step
    from backprop.optim import AdamW

    params = np.array([1e308, -1e308, 1.0])
    before = params.copy()
    opt = AdamW(learning_rate=1.0, weight_decay=1e10)
    grad = np.array([1.0, 1.0, 1.0])
    with pytest.raises(DivergenceError, match="overflows"):
        fused_step(opt, params, grad, 1.0, float(grad @ grad))
    np.testing.assert_array_equal(params, before)


@needs_numba
def test_a_user_activation_and_loss_fall_back_per_layer():
    backprop.register_activation("cube_kernels_test", lambda z: z**3, lambda z, a: 3 * z**2, overwrite=True)
    rng = np.random.default_rng(29)
    net = Network([3, 4, 2], ["cube_kernels_test", "identity"], "huber", seed=7)
    X, Y = data(rng, net, 5)
    (J1, g1, _), (J2, g2, _) = both_gradients(net, X, Y, 1.0 / 5)
    assert abs(J2 - J1) <= 1e-12 * max(abs(J1), 1.0)
    assert_close(g2, g1, 1e-12)


@needs_numba
@pytest.mark.filterwarnings("ignore:Stochastic Optimizer. Maximum iterations")  # max_iter=4 on purpose
def test_partial_fit_and_the_estimators_take_the_backend():
    rng = np.random.default_rng(31)
    X = rng.standard_normal((40, 3))
    y = rng.integers(0, 2, 40)
    runs = []
    for backend in ("numpy", "numba"):
        net = Network([3, 5, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=8)
        for _ in range(3):
            net.partial_fit(X, y, batch_size=8, seed=2, backend=backend)
        assert net.trainer_.backend.name == backend
        runs.append(net.params.copy())
    assert_close(runs[1], runs[0], 1e-12)
    with pytest.raises(ValidationError, match="differ from the first call"):
        net.partial_fit(X, y, batch_size=8, seed=2, backend="numpy")

    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    from backprop.sklearn import NeuralNetClassifier, NeuralNetRegressor

    fitted = [NeuralNetClassifier((6,), max_iter=4, random_state=0, backend=b).fit(X, y) for b in ("numpy", "numba")]
    assert fitted[1].get_params()["backend"] == "numba"
    assert_close(fitted[1].network_.params, fitted[0].network_.params, 1e-12)
    for nesterov in (True, False):  # scikit-learn's SGD rule (its own velocity), fused too
        fitted = [NeuralNetClassifier((6,), solver="sgd", nesterovs_momentum=nesterov, max_iter=4, random_state=0,
                                      backend=b).fit(X, y) for b in ("numpy", "numba")]
        assert_close(fitted[1].network_.params, fitted[0].network_.params, 1e-12)
    from backprop.kernels.optim import supports
    from backprop.sklearn._optimizers import SklearnAdam, SklearnSGD

    assert supports(SklearnAdam()) and supports(SklearnSGD())
    targets = X @ np.array([1.0, -2.0, 0.5])
    fitted = [NeuralNetRegressor((6,), max_iter=4, random_state=0, backend=b).fit(X, targets) for b in ("numpy", "numba")]
    assert_close(fitted[1].network_.params, fitted[0].network_.params, 1e-12)


@needs_numba
def test_cli_train_with_the_numba_backend(tmp_path):
    outs = []
    for backend in ("numpy", "numba"):
        out = tmp_path / f"{backend}.npz"
        run = subprocess.run([sys.executable, "-m", "backprop", "train", "moons", "--epochs", "3", "--backend",
                              backend, "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
        outs.append(backprop.load(out).params)
    assert_close(outs[1], outs[0], 1e-12)


# ------------------------------------------------------------------ selection, without numba too
def test_backend_names_are_checked():
    net = Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    with pytest.raises(ValidationError, match=r"backend: expected one of \['numpy', 'numba', 'auto'\], received 'cuda'"):
        get_backend("cuda", net)
    with pytest.raises(InputTypeError, match="backend: expected one of"):
        get_backend(3, net)
    with pytest.raises(ValidationError, match="backend"):
        net.fit(np.zeros((4, 2)), np.zeros(4), backend="fast", epochs=1)
    assert isinstance(get_backend("numpy", net), NumpyBackend)


@pytest.fixture
def without_numba(monkeypatch):
    """As if numba were missing: the status is recomputed with the environment switch set."""
    monkeypatch.setattr(backend_module, "_STATUS", None)
    monkeypatch.setattr(backend_module, "_NOTICED", set())
    monkeypatch.setattr(backend_module, "AUTO_MIN_SECONDS", 0.0)  # every run is long enough to want numba
    monkeypatch.setenv("BACKPROP_DISABLE_NUMBA", "1")
    yield
    backend_module._STATUS = None


def test_auto_without_numba_trains_with_numpy_after_a_one_line_notice(without_numba):
    net = Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    with pytest.warns(BackendNotice, match=r"^backend='auto': numba is disabled .*; training with numpy "
                      r"\(backend='numpy' silences this notice\)$") as caught:
        net.fit(X, [0, 1, 1, 0], epochs=2)  # "auto" is the default
        net.fit(X, [0, 1, 1, 0], backend="auto", epochs=2)  # told once per process, not at every fit
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    assert isinstance(net.trainer_.backend, NumpyBackend)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X, [0, 1, 1, 0], backend="numpy", epochs=1)  # no notice when numpy is asked for
    with pytest.raises(ValidationError, match="backend='numba': numba is disabled"):
        net.fit(X, [0, 1, 1, 0], backend="numba", epochs=1)


def test_auto_falls_back_when_the_kernels_fail_to_compile(monkeypatch):
    if not HAVE_NUMBA:
        pytest.skip("numba (the 'fast' extra) is not installed")

    def broken(self, optimizer=None):
        raise RuntimeError("Failed in nopython mode pipeline (step: nopython frontend)\nmore lines")

    monkeypatch.setattr(NumbaBackend, "warm_up", broken)
    net = Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    with pytest.warns(BackendNotice, match="failed to compile .*RuntimeError: Failed in nopython mode pipeline"):
        backend = get_backend("auto", net)
    assert isinstance(backend, NumpyBackend)
    with pytest.raises(ValidationError, match="backend='numba': the numba kernels for this network failed to compile"):
        get_backend("numba", net)


def test_auto_takes_numpy_silently_for_a_run_too_short_to_repay_the_kernels(monkeypatch):
    """A short run never loads numba (it would cost more than it saves) and never tells about it."""
    monkeypatch.setattr(backend_module, "_STATUS", None)
    monkeypatch.setattr(backend_module, "_NOTICED", set())
    net = Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X, [0, 1, 1, 0], epochs=3)
    assert isinstance(net.trainer_.backend, NumpyBackend)
    assert backend_module._STATUS is None  # numba was not even looked for


def test_the_estimate_behind_auto_grows_with_the_work():
    net = Network([784, 256, 128, 10], ["relu", "relu", "softmax"], "categorical_crossentropy", seed=0)
    course = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    one = backend_module.numpy_seconds(net, 60_000, 128, 1)
    assert backend_module.numpy_seconds(net, 60_000, 128, 3) == pytest.approx(3 * one)
    assert backend_module.numpy_seconds(net, 60_000, 32, 1) > one  # more steps, more per-step cost
    assert one > backend_module.AUTO_MIN_SECONDS  # an MNIST-sized epoch wants the kernels
    # the course's network, 10,000 full-batch iterations: ~0.3 s of numpy, less than loading numba costs
    assert backend_module.numpy_seconds(course, 400, None, 10_000) < backend_module.AUTO_MIN_SECONDS
    assert not backend_module.auto_uses_numba(course, 400, None, 100)


def test_auto_takes_less_work_once_numba_is_loaded_but_not_in_a_distributed_run(monkeypatch):
    course = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    monkeypatch.setattr(backend_module, "_STATUS", None)  # numba not loaded in this process
    assert not backend_module.auto_uses_numba(course, 400, None, 20_000)
    monkeypatch.setattr(backend_module, "_STATUS", (True, "numba"))  # loaded: ~0.5 s of numpy is worth it
    assert backend_module.auto_uses_numba(course, 400, None, 20_000)
    # every process of a distributed run must decide alike, whatever it loaded before
    assert not backend_module.auto_uses_numba(course, 400, None, 20_000, alone=False)


@needs_numba
def test_auto_takes_the_kernels_for_a_long_run(monkeypatch):
    monkeypatch.setattr(backend_module, "AUTO_MIN_SECONDS", 1e-6)
    monkeypatch.setattr(backend_module, "AUTO_MIN_SECONDS_LOADED", 1e-6)
    net = Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    net.fit(X, [0, 1, 1, 0], epochs=3)
    assert isinstance(net.trainer_.backend, NumbaBackend)
    twin = Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    twin.fit(X, [0, 1, 1, 0], epochs=3, backend="numpy")
    np.testing.assert_allclose(net.params, twin.params, rtol=0, atol=1e-12)


def test_cli_auto_without_numba_prints_one_line_and_trains(tmp_path):
    # a run long enough (a 512-512 network, 150 epochs: ~2.4 s of numpy estimated) for "auto" to want numba
    run = subprocess.run([sys.executable, "-m", "backprop", "train", "moons", "--epochs", "150", "--layers", "512,512",
                          "--out", str(tmp_path / "m.npz"), "--quiet"], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "BACKPROP_DISABLE_NUMBA": "1"})
    assert run.returncode == 0, run.stderr
    notices = [line for line in run.stderr.splitlines() if "backend='auto'" in line]
    assert notices == ["backprop: warning: backend='auto': numba is disabled by the environment variable "
                       "BACKPROP_DISABLE_NUMBA; training with numpy (backend='numpy' silences this notice)"], run.stderr  # as the CLI prints warnings
    short = subprocess.run([sys.executable, "-m", "backprop", "train", "moons", "--epochs", "2", "--out",
                            str(tmp_path / "s.npz")], capture_output=True, text=True, timeout=300,
                           env={**__import__("os").environ, "BACKPROP_DISABLE_NUMBA": "1"})
    assert short.returncode == 0 and "backend" not in short.stderr, short.stderr  # a short run: numpy, no notice
    assert ", numpy engine" in short.stdout.splitlines()[2]


def test_import_backprop_does_not_import_numba():
    code = "import sys, backprop, backprop.kernels; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@needs_numba
@pytest.mark.parametrize("loss,n_out", [("binary_crossentropy", 1), ("binary_crossentropy", 3),
                                        ("categorical_crossentropy", 3), ("mse", 2)])
def test_many_epochs_in_one_kernel_keep_the_trainers_history_and_counters(loss, n_out):
    """Full-batch plain SGD on a small network runs many epochs per kernel call: the history (loss,
    accuracy, epochs), the counters and the parameters are the numpy trainer's, with L2, clipping
    and sample weights."""
    rng = np.random.default_rng(37)
    output = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax", "mse": "identity"}[loss]
    X = rng.standard_normal((30, 3))
    if loss == "categorical_crossentropy":
        Y = rng.integers(0, n_out, 30)
    elif loss == "binary_crossentropy":
        Y = (rng.random((30, n_out)) > 0.5).astype(float)
    else:
        Y = rng.standard_normal((30, n_out))
    runs = []
    for backend in ("numpy", "numba"):
        net = Network([3, 6, 5, n_out], ["tanh", "relu", output], loss, seed=9)
        history = net.fit(X, Y, optimizer="sgd", learning_rate=0.3, epochs=150, batch_size=None, l2=0.01,
                          clip_norm=0.8, sample_weight=np.linspace(0.5, 1.5, 30),
                          backend=backend)
        runs.append((net.params.copy(), history, net.trainer_))
    (p1, h1, t1), (p2, h2, t2) = runs
    assert_close(p2, p1, 1e-12)
    assert h2.epoch == h1.epoch == list(range(150))
    assert sorted(h2.history) == sorted(h1.history)
    for key in ("loss", "accuracy"):
        if key in h1.history:
            np.testing.assert_allclose(h2[key], h1[key], rtol=1e-12)
    assert h2["lr"] == h1["lr"]
    assert (t2.step, t2.epoch, t2.optimizer.t) == (t1.step, t1.epoch, t1.optimizer.t) == (150, 150, 150)
    assert_close(t2.grad, t1.grad, 1e-12)  # the trainer's gradient of the last step, α undone


@needs_numba
@pytest.mark.parametrize("lr", [5.0, 10.0])  # the cost overflows first; the update α g overflows first
def test_a_run_that_diverges_inside_the_epoch_kernel_stops_like_the_trainer(lr):
    rng = np.random.default_rng(41)
    X = rng.standard_normal((50, 2)) * 3
    y = rng.standard_normal(50) * 100
    outcomes = []
    for backend in ("numpy", "numba"):
        net = Network([2, 4, 1], ["tanh", "identity"], "mse", seed=1)
        with pytest.raises(DivergenceError, match=r"training diverged at epoch \d+, step \d+") as caught:
            net.fit(X, y, optimizer="sgd", learning_rate=lr, epochs=1000, batch_size=None, backend=backend)
        outcomes.append((net.params.copy(), str(caught.value), list(net.history_["loss"])))
    words = [re.sub(r"\d\.\d+e\+\d+", "<x>", o[1]) for o in outcomes]  # the same message, its norms to rounding
    assert words[1] == words[0]
    numbers = [[float(v) for v in re.findall(r"\d\.\d+e\+\d+", o[1])] for o in outcomes]
    np.testing.assert_allclose(numbers[1], numbers[0], rtol=1e-9)
    assert 50 < len(outcomes[1][2]) < 1000  # some epochs ran in the kernel before it stopped
    # 100+ steps of a run growing ~10× per step amplify rounding: 1e-9, not 1e-12
    assert_close(outcomes[1][0], outcomes[0][0], 1e-9)
    np.testing.assert_allclose(outcomes[1][2], outcomes[0][2], rtol=1e-9)


@needs_numba
def test_lbfgs_takes_the_numba_gradient_and_ends_where_numpy_does():
    pytest.importorskip("scipy")
    rng = np.random.default_rng(43)
    X = rng.standard_normal((60, 3))
    y = rng.integers(0, 3, 60)
    ends = []
    for backend in ("numpy", "numba"):
        net = Network([3, 6, 3], ["tanh", "softmax"], "categorical_crossentropy", seed=2)
        net.fit(X, y, optimizer="lbfgs", epochs=15, batch_size=None, backend=backend)
        ends.append(net.params.copy())
    assert_close(ends[1], ends[0], 1e-8)  # 15 quasi-Newton iterations (line searches amplify rounding)
