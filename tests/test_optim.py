"""Optimizers and schedules: one step against the formula, and 50 steps against torch.optim."""

import math

import numpy as np
import pytest

import backprop as bp
from backprop import optim


def _one_step(opt, p, g, lr):
    p = p.copy()
    opt.step(p, g, lr)
    return p


@pytest.fixture
def pg(rng):
    return rng.normal(size=7), rng.normal(size=7)


def test_gradient_descent_step(pg):
    p, g = pg
    np.testing.assert_allclose(_one_step(optim.GradientDescent(), p, g, 0.3), p - 0.3 * g, rtol=1e-15)


def test_momentum_and_nesterov_two_steps(pg, rng):
    p, g = pg
    g2 = rng.normal(size=7)
    for cls, nesterov in ((optim.Momentum, False), (optim.Nesterov, True)):
        opt = cls(momentum=0.8)
        q = _one_step(opt, p, g, 0.1)
        q = _one_step(opt, q, g2, 0.1)
        v1 = g  # v starts at 0: v1 = 0.8·0 + g
        x1 = p - 0.1 * (g + 0.8 * v1 if nesterov else v1)
        v2 = 0.8 * v1 + g2
        x2 = x1 - 0.1 * (g2 + 0.8 * v2 if nesterov else v2)
        np.testing.assert_allclose(q, x2, rtol=1e-14)


def test_rmsprop_step(pg):
    p, g = pg
    r = (1 - 0.9) * g**2
    expected = p - 0.01 * g / (np.sqrt(r) + 1e-8)
    np.testing.assert_allclose(_one_step(optim.RMSprop(rho=0.9), p, g, 0.01), expected, rtol=1e-14)


def test_adam_and_adamw_two_steps(pg, rng):
    p, g = pg
    g2 = rng.normal(size=7)
    b1, b2, eps, lr, wd = 0.9, 0.99, 1e-8, 0.01, 0.1
    for decoupled in (False, True):
        opt = optim.AdamW(beta_1=b1, beta_2=b2, eps=eps, weight_decay=wd) if decoupled else optim.Adam(beta_1=b1, beta_2=b2, eps=eps)
        q = _one_step(opt, _one_step(opt, p, g, lr), g2, lr)
        x, m, v = p.copy(), np.zeros(7), np.zeros(7)
        for t, grad in ((1, g), (2, g2)):
            if decoupled:
                x = x * (1 - lr * wd)
            m = b1 * m + (1 - b1) * grad
            v = b2 * v + (1 - b2) * grad**2
            x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(q, x, rtol=1e-13)


def test_state_dict_round_trip_continues_identically(pg, rng):
    p, g = pg
    a = optim.Adam()
    a.step(p.copy(), g, 0.01)
    b = optim.Adam()
    b.load_state_dict(a.state_dict())
    g2 = rng.normal(size=7)
    np.testing.assert_array_equal(_one_step(a, p, g2, 0.01), _one_step(b, p, g2, 0.01))
    with pytest.raises(bp.ValidationError, match="expected a state_dict of optimizer 'sgd'"):
        optim.GradientDescent().load_state_dict(a.state_dict())


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_fifty_full_batch_steps_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    net = bp.Network([4, 6, 3], ["tanh", "softmax"], "cce", seed=3)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    lr = 0.05
    kwargs = {
        "sgd": ({}, lambda ps: torch.optim.SGD(ps, lr=lr)),
        "momentum": ({"momentum": 0.9}, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9)),
        "nesterov": ({"momentum": 0.9}, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True)),
        "rmsprop": ({"rho": 0.99, "eps": 1e-8}, lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=0.99, eps=1e-8)),
        "adam": ({}, lambda ps: torch.optim.Adam(ps, lr=lr)),
        "adamw": ({"weight_decay": 0.01}, lambda ps: torch.optim.AdamW(ps, lr=lr, weight_decay=0.01)),
    }[name]
    layers = []
    for W, b in zip(net.weights, net.biases):
        lin = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b.ravel()))
        layers.append(lin)
    model = torch.nn.Sequential(layers[0], torch.nn.Tanh(), layers[1])
    opt = kwargs[1](model.parameters())
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(50):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(Xt), yt).backward()
        opt.step()
    net.fit(X, y, optimizer=optim.get_optimizer(name, **kwargs[0]), learning_rate=lr, epochs=50, batch_size=None)
    for (W, b), lin in zip(zip(net.weights, net.biases), layers):
        np.testing.assert_allclose(W, lin.weight.detach().numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(b.ravel(), lin.bias.detach().numpy(), rtol=0, atol=1e-10)


def test_schedules_follow_their_formulas():
    assert optim.Constant(0.1)(1000) == 0.1
    assert optim.StepDecay(0.1, factor=0.5, step_size=10)(25) == pytest.approx(0.1 * 0.25)
    assert optim.ExponentialDecay(0.1, decay_rate=0.5, decay_steps=10)(15) == pytest.approx(0.1 * 0.5**1.5)
    assert optim.InverseTimeDecay(0.1, decay_rate=2.0, decay_steps=5)(10) == pytest.approx(0.1 / 5)
    assert optim.InverseTimeDecay(0.1, power=0.5)(3) == pytest.approx(0.1 / 2)
    cos = optim.CosineDecay(0.1, decay_steps=100, alpha=0.1)
    assert cos(0) == pytest.approx(0.1) and cos(100) == pytest.approx(0.01) and cos(500) == pytest.approx(0.01)
    assert cos(50) == pytest.approx(0.1 * (0.1 + 0.9 * 0.5))


def test_reduce_on_plateau_reduces_after_patience():
    s = optim.ReduceOnPlateau(1.0, factor=0.5, patience=2, min_delta=0.0)
    for value in [3.0, 2.0, 2.0]:
        s.on_epoch_end({"loss": value})
    assert s(0) == 1.0  # one epoch without improvement: still patient
    s.on_epoch_end({"loss": 2.5})
    assert s(0) == 0.5  # the second: reduced
    s.on_epoch_end({"val_loss": 1.0, "loss": 9.0})  # val_loss is preferred when present
    assert s._best == 1.0


def test_a_schedule_drives_training_and_is_logged(rng):
    net = bp.Network([3, 2], "softmax", "cce", seed=0)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    h = net.fit(X, y, optimizer="sgd", learning_rate=optim.StepDecay(0.4, factor=0.5, step_size=2), epochs=5,
                batch_size=4, shuffle=False)
    # two updates per epoch: the last step of epoch e is step 2e+1
    assert h["lr"] == pytest.approx([0.4, 0.2, 0.1, 0.05, 0.025])
    h = net.fit(X, y, optimizer="sgd", learning_rate=lambda step: 0.1 / (1 + step), epochs=2, batch_size=None)
    assert h["lr"] == pytest.approx([0.1, 0.05])


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: optim.Adam(beta_1=1.0), bp.ValidationError, r"beta_1: expected a number in \[0, 1\)"),
        (lambda: optim.RMSprop(eps=0), bp.ValidationError, "eps: expected a finite number > 0"),
        (lambda: optim.get_optimizer("adamm"), bp.ValidationError, "optimizer: unknown name 'adamm'"),
        (lambda: optim.get_optimizer("adam", betas=3), bp.InputTypeError, "optimizer 'adam'"),
        (lambda: optim.StepDecay(-1.0), bp.ValidationError, "learning_rate: expected a finite number > 0"),
        (lambda: optim.get_schedule("linear", 0.1), bp.ValidationError, "schedule: unknown name"),
        (lambda: optim.ReduceOnPlateau(0.1, factor=2), bp.ValidationError, "factor"),
    ],
)
def test_bad_optimizer_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_lbfgs_reaches_the_least_squares_solution(rng):
    pytest.importorskip("scipy")
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.01 * rng.normal(size=40)
    net = bp.Network([3, 1], "identity", "mse", seed=0)
    h = net.fit(X, y, optimizer="lbfgs", epochs=200, batch_size=None)
    A = np.c_[X, np.ones(40)]
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(net.params, coef, rtol=1e-6)
    assert len(h) >= 2 and math.isnan(h["lr"][0])


def test_update_k_uses_the_schedule_at_step_k(rng):
    """Plain gradient descent with lr = schedule(k) at update k, replayed by hand."""
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    schedule = optim.StepDecay(0.4, factor=0.5, step_size=1)  # 0.4, 0.2, 0.1, 0.05
    net = bp.Network([3, 2], "softmax", "cce", seed=0)
    expected = net.copy()
    net.fit(X, y, optimizer="sgd", learning_rate=schedule, epochs=4, batch_size=None)
    for k in range(4):
        _, grad = expected.cost_and_gradient(X, y)
        expected.params -= schedule(k) * grad
    np.testing.assert_allclose(net.params, expected.params, rtol=0, atol=1e-12)


def test_lbfgs_ftol_is_separate_from_gtol():
    pytest.importorskip("scipy")
    X = np.linspace(-1, 1, 30)[:, None]
    y = np.sin(3 * X[:, 0])
    runs = {}
    for ftol in (None, 1e-15):
        net = bp.Network([1, 8, 1], ["tanh", "identity"], "mse", seed=0)
        opt = optim.LBFGS(tol=1e-3, ftol=ftol)
        assert opt.ftol == (1e-3 if ftol is None else ftol)
        runs[ftol] = len(net.fit(X, y, optimizer=opt, epochs=500, batch_size=None))
    assert runs[1e-15] > runs[None]  # a looser ftol (= tol) stops earlier
