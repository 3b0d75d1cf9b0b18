"""W1 — the course's network: 2 → 4 tanh → 1 sigmoid, 400 flower points, full batch, float64.

Every row trains the same network from the same start (the course's initialisation,
``0.01·randn`` with seed 2, zero biases) on the same data with full-batch gradient
descent at learning rate 1.2, and one repetition is the whole run of ``iterations``
steps (10,000). Reported: µs per iteration. After each repetition the row's parameters
are read back and the cost J at them is computed by one shared function, so the table
also shows that every row did the same arithmetic (same J to ~1e-10).

What each row does per iteration (the "cost" column says when J is evaluated):

- backprop engine loop: ``forward_columns`` into a preallocated cache,
  ``cost_columns``, ``backward_columns`` into a preallocated gradient, and an in-place
  update ``params -= lr * grad`` on the flat vector: the loop a user writes over the
  engine methods. ``backprop demo`` calls ``Network.fit``, the next row.
- textbook numpy: the course's code as the course writes it (``forward_propagation``
  with ``1/(1+np.exp(-z))``, ``compute_cost``, ``backward_propagation`` as in the course,
  ``update_parameters`` returning new arrays).
- PyTorch eager: ``nn.Sequential(Linear, Tanh, Linear)``, ``BCEWithLogitsLoss``,
  ``optim.SGD``; float64.
- JAX: ``jit`` of one step (``value_and_grad`` + update), called 10,000 times; and the
  whole loop as one ``lax.fori_loop`` under ``jit``; float64 (``jax_enable_x64``).
- scikit-learn: ``MLPClassifier(hidden_layer_sizes=(4,), activation="tanh",
  solver="sgd", batch_size=400, momentum=0, learning_rate_init=1.2, shuffle=False,
  alpha=0)``, ``warm_start`` from the same weights, ``max_iter`` = iterations.
- prototypes (``benchmarks/proposals/fast_w1.py``, not in ``src/``): candidate fast
  paths for the engine, measured in the same run.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Callable

import numpy as np

from harness import Impl, Skip

LEARNING_RATE = 1.2


def problem(smoke: bool = False) -> dict[str, Any]:
    """Data (columns, float64) and the course's initial parameters."""
    from backprop.data import planar_flower
    from backprop.shallow import initialize_parameters

    X, y = planar_flower()  # (400, 2), (400,)
    init = initialize_parameters(2, 4, 1)  # the course's seed 2
    return {
        "X": X,
        "y": y,
        "Xc": np.ascontiguousarray(X.T),  # (2, 400), examples as columns
        "Yc": y.reshape(1, -1).astype(np.float64),  # (1, 400)
        "init": tuple(init[k].copy() for k in ("W1", "b1", "W2", "b2")),
        "iterations": 200 if smoke else 10_000,
        "cost_every": 1000,
    }


def course_cost(params: tuple[np.ndarray, ...], Xc: np.ndarray, Yc: np.ndarray) -> float:
    """J at (W1, b1, W2, b2), from the logits (stable), for the cross-check column."""
    W1, b1, W2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    Z2 = W2 @ np.tanh(W1 @ Xc + b1) + b2
    return float(np.mean(np.logaddexp(0, Z2) - Yc * Z2))


# ------------------------------------------------------------------ backprop
def backprop_engine(P: dict[str, Any], cost_every: int = 1) -> Callable[[], Callable[[], float]]:
    """The engine loop; ``cost_every=1``: J every iteration, like the course's nn_model."""

    def setup():
        from backprop.core.network import Network

        net = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
        A0, m = P["Xc"], P["Xc"].shape[1]
        Y = net.targets(P["y"], m)
        coef = 1.0 / m
        cache, grad, params = net.make_cache(m), np.empty_like(net.params), net.params
        start = _flat(net, P["init"])
        iterations, lr = P["iterations"], LEARNING_RATE

        def rep():
            params[...] = start
            t0 = time.perf_counter()
            for i in range(iterations):
                net.forward_columns(A0, cache)
                if i % cost_every == 0:
                    net.cost_columns(cache, Y, coef)
                net.backward_columns(cache, Y, coef, out=grad)
                np.subtract(params, lr * grad, out=params)  # params -= lr * grad
            elapsed = time.perf_counter() - t0
            P["result"] = (net.weights[0], net.biases[0], net.weights[1], net.biases[1])
            return elapsed

        return rep

    return setup


def numba_or_skip() -> None:
    """Skip a row of the numba backend when numba is missing or does not work here."""
    try:
        from backprop.kernels import numba_status
    except ImportError:
        raise Skip("backprop.kernels has not landed on this branch") from None
    usable, reason = numba_status()
    if not usable:
        raise Skip(reason)


def backprop_fit(P: dict[str, Any], backend: str = "numpy") -> Callable[[], Callable[[], float]]:
    """``Network.fit`` (batch_size=None: full batch; SGD; no shuffling), with the given backend."""

    def setup():
        try:
            from backprop import Network
        except ImportError as exc:
            raise Skip(f"backprop.Network not importable: {exc}") from None
        if not hasattr(Network, "fit"):
            raise Skip("Network.fit has not landed on this branch yet")
        options = {"backend": backend}  # always named: the default ("auto") would pick numba when installed
        if backend != "numpy":
            numba_or_skip()
        net = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
        start = _flat(net, P["init"])
        X, y, iterations = P["X"], P["y"], P["iterations"]
        if backend != "numpy":  # compile (or load from the disk cache) outside the timed repetitions
            net.fit(X, y, optimizer="sgd", learning_rate=LEARNING_RATE, epochs=2, batch_size=None, **options)

        def rep():
            net.params[...] = start
            t0 = time.perf_counter()
            net.fit(X, y, optimizer="sgd", learning_rate=LEARNING_RATE, epochs=iterations, batch_size=None, shuffle=False,
                    **options)
            elapsed = time.perf_counter() - t0
            P["result"] = (net.weights[0], net.biases[0], net.weights[1], net.biases[1])
            return elapsed

        return rep

    return setup


def _flat(net, init) -> np.ndarray:
    W1, b1, W2, b2 = init
    net.weights[0][...], net.biases[0][...] = W1, b1
    net.weights[1][...], net.biases[1][...] = W2, b2
    return net.params.copy()


# ------------------------------------------------------------------ the course's textbook code
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _forward_propagation(X, parameters):
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = _sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


def _compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    cost = -1 / m * np.sum(logprobs)
    return float(np.squeeze(cost))


def _backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W1, W2 = parameters["W1"], parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * dZ2 @ A1.T
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T @ dZ2 * (1 - A1**2)
    dW1 = (1 / m) * dZ1 @ X.T
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def _update_parameters(parameters, grads, learning_rate=1.2):
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    W1 = W1 - learning_rate * grads["dW1"]
    b1 = b1 - learning_rate * grads["db1"]
    W2 = W2 - learning_rate * grads["dW2"]
    b2 = b2 - learning_rate * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def textbook(P: dict[str, Any], cost_every: int = 1) -> Callable[[], Callable[[], float]]:
    """The course's nn_model loop (cost every iteration) or with J every ``cost_every``."""

    def setup():
        X, Y, iterations = P["Xc"], P["Yc"], P["iterations"]

        def rep():
            parameters = dict(zip(("W1", "b1", "W2", "b2"), (a.copy() for a in P["init"])))
            t0 = time.perf_counter()
            for i in range(iterations):
                A2, cache = _forward_propagation(X, parameters)
                if i % cost_every == 0:
                    _compute_cost(A2, Y)
                grads = _backward_propagation(parameters, cache, X, Y)
                parameters = _update_parameters(parameters, grads, LEARNING_RATE)
            elapsed = time.perf_counter() - t0
            P["result"] = tuple(parameters[k] for k in ("W1", "b1", "W2", "b2"))
            return elapsed

        return rep

    return setup


# ------------------------------------------------------------------ PyTorch
def pytorch(P: dict[str, Any], threads: int) -> Callable[[], Callable[[], float]]:
    def setup():
        try:
            import torch
        except ImportError:
            raise Skip("torch not installed") from None
        from harness import torch_threads

        torch_threads(torch, threads)
        f64 = torch.float64
        model = torch.nn.Sequential(
            torch.nn.Linear(2, 4, dtype=f64), torch.nn.Tanh(), torch.nn.Linear(4, 1, dtype=f64)
        )
        loss_fn = torch.nn.BCEWithLogitsLoss()
        opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
        X = torch.from_numpy(np.ascontiguousarray(P["X"]))  # (400, 2)
        Y = torch.from_numpy(P["Yc"].T.copy())  # (400, 1)
        W1, b1, W2, b2 = (torch.from_numpy(a) for a in P["init"])
        iterations = P["iterations"]

        def rep():
            torch.set_num_threads(threads)  # rows with different thread counts share the process
            with torch.no_grad():
                model[0].weight.copy_(W1), model[0].bias.copy_(b1[:, 0])
                model[2].weight.copy_(W2), model[2].bias.copy_(b2[:, 0])
            t0 = time.perf_counter()
            for _ in range(iterations):
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(X), Y)
                loss.backward()
                opt.step()
            elapsed = time.perf_counter() - t0
            P["result"] = tuple(
                t.detach().numpy().reshape(s)
                for t, s in (
                    (model[0].weight, (4, 2)),
                    (model[0].bias, (4, 1)),
                    (model[2].weight, (1, 4)),
                    (model[2].bias, (1, 1)),
                )
            )
            return elapsed

        return rep

    return setup


# ------------------------------------------------------------------ JAX
def _jax():
    try:
        import jax
    except ImportError:
        raise Skip("jax not installed") from None
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_step_fn(jax):
    import jax.numpy as jnp

    def cost(p, X, Y):
        W1, b1, W2, b2 = p
        Z2 = W2 @ jnp.tanh(W1 @ X + b1) + b2
        return jnp.mean(jnp.logaddexp(0.0, Z2) - Y * Z2)

    value_and_grad = jax.value_and_grad(cost)

    def step(p, X, Y):
        J, g = value_and_grad(p, X, Y)
        return tuple(a - LEARNING_RATE * d for a, d in zip(p, g)), J

    return step


def jax_step(P: dict[str, Any]) -> Callable[[], Callable[[], float]]:
    def setup():
        jax = _jax()
        import jax.numpy as jnp

        step = jax.jit(_jax_step_fn(jax))
        X, Y = jnp.asarray(P["Xc"]), jnp.asarray(P["Yc"])
        p0 = tuple(jnp.asarray(a) for a in P["init"])
        jax.block_until_ready(step(p0, X, Y))  # compile
        iterations = P["iterations"]

        def rep():
            p = p0
            t0 = time.perf_counter()
            for _ in range(iterations):
                p, J = step(p, X, Y)
            jax.block_until_ready(p)
            elapsed = time.perf_counter() - t0
            P["result"] = tuple(np.asarray(a) for a in p)
            return elapsed

        return rep

    return setup


def jax_fori(P: dict[str, Any]) -> Callable[[], Callable[[], float]]:
    def setup():
        jax = _jax()
        import jax.numpy as jnp
        from jax import lax

        step = _jax_step_fn(jax)
        iterations = P["iterations"]

        @jax.jit
        def train(p, X, Y):
            return lax.fori_loop(0, iterations, lambda i, p: step(p, X, Y)[0], p)

        X, Y = jnp.asarray(P["Xc"]), jnp.asarray(P["Yc"])
        p0 = tuple(jnp.asarray(a) for a in P["init"])
        jax.block_until_ready(train(p0, X, Y))  # compile

        def rep():
            t0 = time.perf_counter()
            p = jax.block_until_ready(train(p0, X, Y))
            elapsed = time.perf_counter() - t0
            P["result"] = tuple(np.asarray(a) for a in p)
            return elapsed

        return rep

    return setup


# ------------------------------------------------------------------ scikit-learn
def sklearn_mlp(P: dict[str, Any]) -> Callable[[], Callable[[], float]]:
    def setup():
        try:
            from sklearn.exceptions import ConvergenceWarning
            from sklearn.neural_network import MLPClassifier
        except ImportError:
            raise Skip("scikit-learn not installed") from None
        X, y, iterations = P["X"], P["y"], P["iterations"]
        clf = MLPClassifier(
            hidden_layer_sizes=(4,), activation="tanh", solver="sgd", batch_size=X.shape[0],
            learning_rate="constant", learning_rate_init=LEARNING_RATE, momentum=0.0,
            nesterovs_momentum=False, alpha=0.0, shuffle=False, tol=0.0,
            n_iter_no_change=np.inf, max_iter=1, warm_start=True, random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)  # creates coefs_ etc.; overwritten below
        clf.set_params(max_iter=iterations)
        W1, b1, W2, b2 = P["init"]

        def rep():
            clf.coefs_[0][...], clf.coefs_[1][...] = W1.T, W2.T
            clf.intercepts_[0][...], clf.intercepts_[1][...] = b1[:, 0], b2[:, 0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                clf.fit(X, y)
                elapsed = time.perf_counter() - t0
            P["result"] = (clf.coefs_[0].T, clf.intercepts_[0][:, None], clf.coefs_[1].T, clf.intercepts_[1][:, None])
            return elapsed

        return rep

    return setup


# ------------------------------------------------------------------ prototypes
def prototype(P: dict[str, Any], which: str, cost_every: int = 0) -> Callable[[], Callable[[], float]]:
    def setup():
        try:
            from proposals import fast_w1
        except ImportError as exc:
            raise Skip(f"proposals/fast_w1.py not importable: {exc}") from None
        trainer = fast_w1.TRAINERS[which]
        prepared = trainer.prepare(P["Xc"], P["Yc"], LEARNING_RATE)  # may raise Skip-like RuntimeError
        iterations = P["iterations"]

        def rep():
            t0 = time.perf_counter()
            result = trainer.train(prepared, P["init"], iterations, cost_every)
            elapsed = time.perf_counter() - t0
            P["result"] = result
            return elapsed

        return rep

    def guarded():
        try:
            return setup()
        except RuntimeError as exc:
            raise Skip(str(exc)) from None

    return guarded


# ------------------------------------------------------------------ the table
def _checked(P: dict[str, Any], make: Callable[[], Callable[[], float]]) -> Callable[[], Callable[[], tuple[float, float]]]:
    """Wrap a setup so that each repetition also returns J at the parameters it ended with."""

    def setup():
        rep = make()

        def checked_rep():
            P.pop("result", None)
            elapsed = rep()
            J = course_cost(P["result"], P["Xc"], P["Yc"]) if "result" in P else None
            return elapsed, J

        return checked_rep

    return setup


def impls(P: dict[str, Any], peers: set[str], threads: int, prototypes: bool = True) -> list[Impl]:
    n = P["iterations"]
    c = P["cost_every"]
    rows: list[tuple[str, Callable, str, str, bool]] = [
        ("backprop engine loop", backprop_engine(P, 1), "ours", "J every iter", True),
        ("backprop engine loop, J every 1000th", backprop_engine(P, c), "ours", f"J every {c}th iter", False),
        ("backprop Network.fit", backprop_fit(P), "ours", "fit(optimizer='sgd', batch_size=None, shuffle=False)", False),
        ("backprop Network.fit, backend='numba'", backprop_fit(P, "numba"), "ours",
         "same, compiled kernels (pip install 'backprop-mlp[fast]'); epochs run inside the kernel", False),
    ]
    if "numpy" in peers:
        rows += [
            ("textbook numpy (the course's code)", textbook(P, 1), "peer", "J every iter (course nn_model)", False),
            ("textbook numpy, J every 1000th", textbook(P, c), "peer", f"J every {c}th iter", False),
        ]
    if "torch" in peers:
        rows.append(("PyTorch eager (float64)", pytorch(P, threads), "peer", "nn.Sequential + BCEWithLogitsLoss + optim.SGD", False))
        if threads != 1:
            rows.append(("PyTorch eager (float64), 1 thread", pytorch(P, 1), "peer", "torch.set_num_threads(1)", False))
    if "jax" in peers:
        rows += [
            ("JAX jit step", jax_step(P), "peer", "value_and_grad + update, one dispatch per iter", False),
            ("JAX lax.fori_loop", jax_fori(P), "peer", "whole loop compiled; J dead-code", False),
        ]
    if "sklearn" in peers:
        rows.append(("scikit-learn MLPClassifier", sklearn_mlp(P), "peer", "sgd, batch 400, momentum 0", False))
    if prototypes:
        rows += [
            ("prototype A: lean loop, engine layout", prototype(P, "lean", 0), "prototype", "numpy; no J; proposals/fast_w1.py", False),
            ("prototype A, J every iteration", prototype(P, "lean", 1), "prototype", "J without logaddexp (8 cheap calls)", False),
            ("prototype B: packed [W|b], 13 calls/iter", prototype(P, "packed", 0), "prototype", "numpy; no J; proposals/fast_w1.py", False),
            ("prototype C: compiled C loop (ctypes)", prototype(P, "c", 0), "prototype", "cc -O3 -march=native -ffast-math; no J; proposals/fast_w1.c", False),
        ]
    out = []
    for name, make, kind, note, ref in rows:
        out.append(Impl(name, _checked(P, make), kind=kind, note=note, ref=ref, units=n))
    return out
