"""Optimizers and schedules: one step against the formula, and 50 steps against torch.optim."""

import copy
import json
import math
import tracemalloc

import numpy as np
import pytest

import backprop as bp
from backprop import optim

try:  # scikit-learn's rules live in backprop.sklearn, which needs scikit-learn
    from backprop.sklearn._optimizers import SklearnAdam, SklearnSGD
except ImportError:
    SklearnAdam = SklearnSGD = None


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


# ------------------------------------------------------------------ the fast update paths
# Every rule either proves its step finite from bounds on its state and applies it chunk by chunk,
# or writes the whole step to scratch and checks its norm first. Adam keeps its moments rescaled
# (m/(1 − β₁), v/(1 − β₂)). These tests hold the rules to their formulas on both paths.
ALL_RULES = {
    "sgd": lambda: optim.GradientDescent(),
    "momentum": lambda: optim.Momentum(momentum=0.8),
    "nesterov": lambda: optim.Nesterov(momentum=0.8),
    "rmsprop": lambda: optim.RMSprop(rho=0.9),
    "adam": lambda: optim.Adam(beta_1=0.8, beta_2=0.95),
    "adamw": lambda: optim.AdamW(beta_1=0.8, beta_2=0.95, weight_decay=0.1),
}
if SklearnAdam is not None:
    ALL_RULES.update({
        "sklearn_adam": lambda: SklearnAdam(beta_1=0.8, beta_2=0.95),
        "sklearn_sgd": lambda: SklearnSGD(momentum=0.8, nesterov=False),
        "sklearn_nesterov": lambda: SklearnSGD(momentum=0.8, nesterov=True),
    })
ADAM_RULES = [name for name in ("adam", "adamw", "sklearn_adam") if name in ALL_RULES]


def _gradients(rng, n, steps, dtype=np.float64):
    """Gradients whose scale changes from step to step (1e-3 … 1e3), some entries exactly 0."""
    out = []
    for _ in range(steps):
        g = rng.normal(size=n) * 10.0 ** rng.uniform(-3, 3)
        g[rng.random(n) < 0.05] = 0.0
        out.append(g.astype(dtype))
    return out


def _textbook(name, p, grads, lrs, b1=0.8, b2=0.95, eps=1e-8, wd=0.1, mu=0.8, rho=0.9):
    """The rules as their docstrings write them, one numpy expression per line (float64)."""
    m = v = np.zeros_like(p)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        if name == "sgd":
            p = p - lr * g
        elif name in ("momentum", "nesterov"):
            v = mu * v + g
            p = p - lr * (g + mu * v if name == "nesterov" else v)
        elif name == "rmsprop":
            v = rho * v + (1 - rho) * g**2
            p = p - lr * g / (np.sqrt(v) + eps)
        elif name in ("sklearn_sgd", "sklearn_nesterov"):
            v = mu * v - lr * g
            p = p + (mu * v - lr * g if name == "sklearn_nesterov" else v)
        else:
            if name == "adamw":
                p = p * (1 - lr * wd)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            if name == "sklearn_adam":
                p = p - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
            else:
                p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p, m, v


def _run(opt, p, grads, lrs, give_norm=False):
    p = p.copy()
    for g, lr in zip(grads, lrs):
        opt.step(p, g, lr, grad_sq_norm=float(g @ g) if give_norm else None)
    return p


@pytest.mark.parametrize("name", sorted(ALL_RULES))
@pytest.mark.parametrize("chunk_size", [65536, 64, 1000])
def test_every_rule_follows_its_formula_over_many_steps_in_one_chunk_and_in_several(name, chunk_size, rng):
    n, steps = 1000, 200
    p0 = rng.normal(size=n)
    grads = _gradients(rng, n, steps)
    lrs = list(rng.uniform(1e-4, 1e-2, steps))
    opt = ALL_RULES[name]()
    opt.chunk_size = chunk_size
    expected, *_ = _textbook(name, p0, grads, lrs)
    np.testing.assert_allclose(_run(opt, p0, grads, lrs), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ALL_RULES))
def test_chunking_and_grad_sq_norm_change_no_bit(name, rng):
    """Elementwise passes do not depend on the chunk they run in, nor on who computed ‖g‖²."""
    n, steps = 1000, 30
    p0 = rng.normal(size=n)
    grads = _gradients(rng, n, steps)
    lrs = [0.01] * steps
    results = []
    for chunk_size, give_norm in ((65536, False), (65536, True), (100, False), (100, True), (999, True), (1000, False)):
        opt = ALL_RULES[name]()
        opt.chunk_size = chunk_size
        results.append(_run(opt, p0, grads, lrs, give_norm))
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])


@pytest.mark.parametrize("name", ADAM_RULES)
def test_adam_moments_are_torchs_m_and_v_and_the_state_holds_them_as_kept(name, rng):
    """moments() gives torch's m and v (to rounding); state_dict stores them once, as held."""
    n, steps = 50, 40
    p0 = rng.normal(size=n)
    grads = _gradients(rng, n, steps)
    opt = ALL_RULES[name]()
    _run(opt, p0, grads, [0.01] * steps)
    _, m, v = _textbook(name, p0, grads, [0.01] * steps)
    held_m, held_v = opt.moments()
    np.testing.assert_allclose(held_m, m, rtol=1e-13, atol=0)
    np.testing.assert_allclose(held_v, v, rtol=1e-13, atol=0)
    state = opt.state_dict()
    assert state["internal"]["form"] == "scaled" and sorted(state["state"]) == ["exp_avg", "exp_avg_sq"]
    np.testing.assert_allclose(state["state"]["exp_avg"], m / (1 - opt.beta_1), rtol=1e-13, atol=0)
    np.testing.assert_allclose(state["state"]["exp_avg_sq"], v / (1 - opt.beta_2), rtol=1e-13, atol=0)
    assert optim.Adam().moments() is None


def test_adam_moments_match_torch_optim_adam(rng):
    torch = pytest.importorskip("torch")
    n, steps = 30, 25
    p0 = rng.normal(size=n)
    grads = _gradients(rng, n, steps)
    param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    ref = torch.optim.Adam([param], lr=0.01, betas=(0.8, 0.95))
    for g in grads:
        param.grad = torch.from_numpy(g.copy())
        ref.step()
    opt = ALL_RULES["adam"]()
    p = _run(opt, p0, grads, [0.01] * steps)
    (m, v), torch_state = opt.moments(), ref.state[param]
    np.testing.assert_allclose(p, param.detach().numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(m, torch_state["exp_avg"].numpy(), rtol=1e-12)
    np.testing.assert_allclose(v, torch_state["exp_avg_sq"].numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ALL_RULES))
def test_a_state_dict_round_trip_mid_run_continues_bit_for_bit(name, dtype, rng):
    """A run saved after k steps and resumed (through JSON-able values, as a checkpoint stores
    them) ends where the uninterrupted run ends, bit for bit."""
    n, steps, k = 300, 40, 17
    p0 = rng.normal(size=n).astype(dtype)
    grads = _gradients(rng, n, steps, dtype)
    lrs = [0.01] * steps
    full = ALL_RULES[name]()
    full.chunk_size = 128
    expected = _run(full, p0, grads, lrs, give_norm=True)

    first = ALL_RULES[name]()
    first.chunk_size = 128
    p = _run(first, p0, grads[:k], lrs[:k], give_norm=True)
    state = first.state_dict()
    state = json.loads(json.dumps(state, default=lambda a: {"__array__": a.tolist(), "dtype": str(a.dtype)}),
                       object_hook=lambda d: np.array(d["__array__"], d["dtype"]) if "__array__" in d else d)
    second = ALL_RULES[name]()
    second.chunk_size = 128
    second.load_state_dict(state)
    resumed = _run(second, p, grads[k:], lrs[k:], give_norm=True)
    np.testing.assert_array_equal(resumed, expected)
    assert all(a.dtype == dtype for a in second.state_dict()["state"].values())


def test_adam_loads_torch_form_moments_without_internal_and_continues_to_rounding(rng):
    """A state holding torch's m and v (torch's own, an older checkpoint's: no "internal") is converted."""
    n, steps, k = 100, 30, 12
    p0 = rng.normal(size=n)
    grads = _gradients(rng, n, steps)
    lrs = [0.01] * steps
    expected = _run(optim.Adam(), p0, grads, lrs)
    first = optim.Adam()
    p = _run(first, p0, grads[:k], lrs[:k])
    m, v = first.moments()
    second = optim.Adam()
    second.load_state_dict({"name": "adam", "t": k, "state": {"exp_avg": m, "exp_avg_sq": v}})
    np.testing.assert_allclose(_run(second, p, grads[k:], lrs[k:]), expected, rtol=0, atol=1e-13)
    torch_form = first.state_dict()
    torch_form["state"] = {"exp_avg": m, "exp_avg_sq": v}
    torch_form["internal"]["form"] = "torch"  # the form said explicitly: the same
    third = optim.Adam()
    third.load_state_dict(torch_form)
    np.testing.assert_allclose(_run(third, p, grads[k:], lrs[k:]), expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("bad, error, match", [
    ({"form": "other", "bounds": [0, 0]}, bp.ValidationError, "form"),
    ({"form": "scaled", "bounds": [0]}, bp.ValidationError, "bounds"),
    ({"form": "scaled", "bounds": [0, -1]}, bp.ValidationError, "bounds"),
    ([1, 2], bp.InputTypeError, "internal"),
])
def test_adam_refuses_a_malformed_internal_state(bad, error, match, rng):
    opt = optim.Adam()
    opt.step(np.zeros(5), rng.normal(size=5), 0.01)
    state = opt.state_dict()
    state["internal"] = bad
    with pytest.raises(error, match=match):
        optim.Adam().load_state_dict(state)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ALL_RULES))
@pytest.mark.parametrize("give_norm", [False, True])
def test_a_step_that_overflows_only_in_its_last_chunk_leaves_the_parameters_bit_for_bit(name, dtype, give_norm, rng):
    n, chunk = 100, 16  # 7 chunks, the last one partial
    big = float(np.finfo(dtype).max) ** 0.5 * 4  # its square overflows
    p0 = rng.normal(size=n).astype(dtype)
    opt = ALL_RULES[name]()
    opt.chunk_size = chunk
    g = rng.normal(size=n).astype(dtype)
    opt.step(p0.copy(), g, 0.01)  # a normal first step: state and bounds exist
    g = (rng.normal(size=n) * 1e-3).astype(dtype)
    g[-3:] = 1.0
    p = p0.copy()
    # Adam's step is ~α whatever g is: it overflows through α; SGD-like rules through α·g.
    with np.errstate(all="ignore"), pytest.raises(bp.DivergenceError, match="overflows"):
        lr = float(np.finfo(dtype).max) / 2 if "adam" in name or name == "rmsprop" else big
        opt.step(p, g, lr, grad_sq_norm=float(g @ g) if give_norm else None)
    assert p.tobytes() == p0.tobytes()


def _loaded_state(opt, name, n, rng, kind, dtype):
    """A state_dict for ``opt``'s rule with moments chosen to stress the bounds."""
    values = {
        "zeros": np.zeros(n),
        "normal": rng.normal(size=n),
        "huge": rng.normal(size=n) * float(np.finfo(dtype).max) / 8,
        "tiny": rng.normal(size=n) * 1e-300,
        "nan": np.where(rng.random(n) < 0.1, np.nan, 1.0),
        "inconsistent": np.where(rng.random(n) < 0.5, 1e30, 0.0),
    }[kind]
    state = opt.state_dict()
    arrays = {}
    for key in opt._state_names:
        a = np.abs(values) if key in ("exp_avg_sq", "square_avg") and kind != "inconsistent" else values
        if key == "exp_avg_sq" and kind == "inconsistent":
            a = np.zeros(n)  # m large where v is 0: the step is m/ε
        arrays[key] = a.astype(dtype)
    state["state"] = arrays
    state.pop("internal", None)
    state["t"] = 3
    return state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ALL_RULES))
def test_a_step_applied_unchecked_is_the_step_the_checked_path_would_apply(name, dtype):
    """Whenever a rule skips the norm check (its bounds prove the step finite), the checked path
    would have applied the same step: same parameters bit for bit, same refusals. Stressed with
    huge and tiny rates, gradients, ε and loaded states (NaN, huge, inconsistent moments)."""
    rng = np.random.default_rng(7)
    n = 40
    info = np.finfo(dtype)
    rates = [0.0, 1e-3, 1.0, 1e15, 1e30, 1e300, float(info.max) / 2]
    scales = [0.0, 1e-30, 1.0, 1e15, 1e30, 1e150, 1e300]
    kinds = [None, "zeros", "normal", "huge", "tiny", "nan", "inconsistent"]
    skipped = 0
    with np.errstate(all="ignore"):
        for case in range(600):
            opt = ALL_RULES[name]()
            if hasattr(opt, "eps"):
                opt.eps = [1e-8, 1e-30, 1e-45, 1e-300][case % 4]
            opt.chunk_size = 16
            kind = kinds[case % len(kinds)]
            p = rng.normal(size=n).astype(dtype)
            if kind is not None and opt._state_names:
                opt.load_state_dict(_loaded_state(opt, name, n, rng, kind, dtype))
            for _ in range(4):
                g = (rng.normal(size=n) * scales[rng.integers(len(scales))]).astype(dtype)
                lr = rates[rng.integers(len(rates))]
                g2 = float(g @ g)
                give = math.isfinite(g2) and rng.random() < 0.5
                checked = copy.deepcopy(opt)  # the same optimizer, made to check every step
                checked._prepare = lambda lr, g2, prepare=checked._prepare: (prepare(lr, g2)[0], math.inf)
                bounds = []
                opt._prepare = lambda lr, g2, prepare=opt._prepare, seen=bounds: seen.append(prepare(lr, g2)) or seen[-1]
                q = p.copy()
                outcomes = []
                for o, target in ((opt, p), (checked, q)):
                    try:
                        o.step(target, g, lr, grad_sq_norm=g2 if give else None)
                        outcomes.append("applied")
                    except bp.DivergenceError:
                        outcomes.append("refused")
                del opt._prepare
                bound = bounds[0][1]
                skipped += bool(n * bound * bound <= opt._limit)
                assert outcomes[0] == outcomes[1], (case, lr, kind)
                assert p.tobytes() == q.tobytes(), (case, lr, kind)
    assert skipped >= 40 or name == "adamw"  # the unchecked path was exercised (AdamW's step is always checked)


@pytest.mark.parametrize("name", ADAM_RULES)
def test_adam_moments_that_would_overflow_rescaled_go_back_to_torchs_form(name):
    """float32 gradients ~5e18: v = (1 − β₂) Σ β₂ʲ g² stays finite (~5e36) but v/(1 − β₂) would
    not. The moments switch to torch's form (no spurious DivergenceError, no silent zero step),
    follow the formula, and switch back once the bounds have decayed."""
    rng = np.random.default_rng(3)
    n, b2 = 8, 0.99
    opt = {"adam": optim.Adam, "adamw": optim.AdamW, "sklearn_adam": SklearnAdam}[name](beta_1=0.8, beta_2=b2)
    opt.chunk_size = 4
    p0 = rng.normal(size=n).astype(np.float32)
    signs = rng.choice([-1.0, 1.0], size=(30, n))
    grads = [(s * rng.uniform(4e18, 6e18, n)).astype(np.float32) for s in signs]
    grads += [rng.normal(size=n).astype(np.float32) for _ in range(800)]
    lrs = [0.01] * len(grads)
    p = p0.copy()
    forms = []
    for g, lr in zip(grads, lrs):
        with np.errstate(over="raise", invalid="raise"):
            opt.step(p, g, lr)
        forms.append(opt._scaled)
        if len(forms) == 30:
            v = opt.moments()[1]
            assert np.isfinite(v).all() and v.max() > 1e36  # held rescaled it would have overflowed
    assert not any(forms[1:30]) and forms[-1]  # torch's form while the gradients are huge, rescaled after
    expected, _, v = _textbook(name, p0.astype(np.float64), [g.astype(np.float64) for g in grads], lrs, b2=b2, wd=0.01)
    np.testing.assert_allclose(p, expected, rtol=0, atol=1e-4)
    np.testing.assert_allclose(opt.moments()[1], v, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(ALL_RULES))
@pytest.mark.parametrize("give_norm", [False, True])
def test_a_step_allocates_nothing_after_the_first_and_keeps_float32(name, give_norm, rng):
    n = 200_003  # four chunks, the last one partial
    p = rng.normal(size=n).astype(np.float32)
    g = rng.normal(size=n).astype(np.float32)
    g2 = float(g @ g)
    opt = ALL_RULES[name]()
    opt.step(p, g, 0.01, grad_sq_norm=g2 if give_norm else None)
    tracemalloc.start()
    for _ in range(3):
        opt.step(p, g, 0.01, grad_sq_norm=g2 if give_norm else None)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20_000, f"a step allocated {peak} bytes"
    assert p.dtype == np.float32 and all(a.dtype == np.float32 for a in opt._state.values())


@pytest.mark.parametrize("value, error", [
    (-1.0, bp.ValidationError), (float("nan"), bp.ValidationError), (float("inf"), bp.ValidationError),
    (True, bp.ValidationError), ("1", bp.ValidationError),
])
def test_a_bad_grad_sq_norm_is_named(value, error):
    with pytest.raises(error, match="grad_sq_norm: expected"):
        optim.GradientDescent().step(np.zeros(3), np.zeros(3), 0.1, grad_sq_norm=value)


@pytest.mark.parametrize("name", sorted(ALL_RULES))
def test_steps_with_and_without_grad_sq_norm_interleave(name, rng):
    """A step without ‖g‖² is checked and leaves the bounds behind; the next one with it
    recomputes them from the state, and the unchecked path resumes. Same numbers throughout."""
    n, steps = 500, 12
    p0 = rng.normal(size=n)
    grads = _gradients(rng, n, steps)
    reference = ALL_RULES[name]()
    reference.chunk_size = 64
    expected = _run(reference, p0, grads, [0.01] * steps, give_norm=True)
    opt = ALL_RULES[name]()
    opt.chunk_size = 64
    p = p0.copy()
    for i, g in enumerate(grads):
        opt.step(p, g, 0.01, grad_sq_norm=float(g @ g) if i % 3 else None)
    np.testing.assert_array_equal(p, expected)


def test_integer_gradients_are_still_accepted():
    p = np.zeros(3)
    optim.GradientDescent().step(p, np.array([1, 2, 3]), 0.5)
    np.testing.assert_array_equal(p, [-0.5, -1.0, -1.5])
    q = np.zeros(3)
    optim.Adam().step(q, np.array([1, 2, 3]), 0.5)
    np.testing.assert_allclose(q, [-0.5, -0.5, -0.5])
