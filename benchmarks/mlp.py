"""Mini-batch training of one dense network by every implementation (W2, W3).

A :class:`Task` fixes the network (sizes, ReLU hidden layers, a softmax +
cross-entropy or identity + squared-error output), the data (float32, rows =
examples), the batch size, the optimizer and how many passes one repetition makes.
Every implementation starts each repetition from the same weights (drawn once by
``backprop.core.Network``), visits the same batches in the same order (no shuffling;
the last, partial batch included) with fresh optimizer state, and reports the mean
training loss of its last pass, so the table can show that all rows did the same work.

Optimizers: SGD (``θ −= lr·g``) and Adam (lr 1e-3, β = 0.9, 0.999, ε = 1e-8, PyTorch's
form: ``θ −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)``).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from harness import Skip, torch_threads

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


@dataclass
class Task:
    sizes: tuple[int, ...]
    output: str  # "softmax" (categorical cross-entropy) or "identity" (½‖·‖² / m)
    X: np.ndarray  # (n, n0) float32, C order
    Y: np.ndarray  # (n, nL) float32: one-hot for softmax
    labels: np.ndarray | None  # (n,) int64 for softmax
    batch: int
    optimizer: str  # "sgd" | "adam"
    lr: float
    passes: int = 1
    threads: int = 2
    start: tuple[list[np.ndarray], list[np.ndarray]] | None = None  # weights (out, in), biases (out,)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    def batches(self) -> list[tuple[int, int]]:
        return [(s, min(s + self.batch, self.n)) for s in range(0, self.n, self.batch)]

    @property
    def steps(self) -> int:
        return self.passes * len(self.batches())


def initial_weights(sizes, output, seed=0):
    """He-initialised float32 weights (out, in) and zero biases (out,), via backprop."""
    from backprop.core.network import Network

    acts = ["relu"] * (len(sizes) - 2) + [output]
    loss = "categorical_crossentropy" if output == "softmax" else "mse"
    net = Network(list(sizes), acts, loss, dtype=np.float32, seed=seed)
    return [W.copy() for W in net.weights], [b[:, 0].copy() for b in net.biases]


def synthetic_classification(n, n_in, n_classes, seed=0):
    """Pixels in [0, 1) and labels from a random linear teacher (balanced enough)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_in), dtype=np.float32)
    teacher = rng.standard_normal((n_in, n_classes), dtype=np.float32)
    labels = np.empty(n, np.int64)
    for s in range(0, n, 4096):  # in chunks: no temporary of X's size (it would set every process's peak)
        labels[s : s + 4096] = ((X[s : s + 4096] - 0.5) @ teacher).argmax(axis=1)
    Y = np.zeros((n, n_classes), np.float32)
    Y[np.arange(n), labels] = 1
    return X, Y, labels


def synthetic_regression(n, n_in, n_out, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in), dtype=np.float32)
    Y = rng.standard_normal((n, n_out), dtype=np.float32)
    return X, Y


# ====================================================================== backprop
def _network_at_start(network_class, task: Task):
    """A float32 ``network_class`` (core or user-facing Network) with the task's initial weights,
    and a copy of its parameters to restart every repetition from."""
    acts = ["relu"] * (len(task.sizes) - 2) + [task.output]
    loss = "categorical_crossentropy" if task.output == "softmax" else "mse"
    net = network_class(list(task.sizes), acts, loss, dtype=np.float32, init=None)
    Ws, bs = task.start
    for l, (W, b) in enumerate(zip(Ws, bs)):
        net.weights[l][...] = W
        net.biases[l][:, 0] = b
    return net, net.params.copy()


def backprop_engine(task: Task) -> Callable[[], Callable[[], tuple[float, float]]]:
    """forward_columns / cost_columns / backward_columns + the update, in a plain loop: in-place SGD
    (``grad *= −lr; params += grad``, what the trainer does) or the library's ``backprop.optim.Adam``."""

    def setup():
        from backprop.core.network import Network
        from backprop.optim import Adam

        net, start = _network_at_start(Network, task)
        params, grad = net.params, np.empty_like(net.params)
        XT, YT = task.X.T, task.Y.T  # views: (n0, n), (nL, n)
        batches = task.batches()
        caches = {e - s: net.make_cache(e - s) for s, e in batches}
        adam = Adam(learning_rate=task.lr, beta_1=BETA1, beta_2=BETA2, eps=EPS) if task.optimizer == "adam" else None
        minus_lr = np.float32(-task.lr)
        passes, n = task.passes, task.n

        def rep():
            params[...] = start
            if adam:
                adam.reset()
            t0 = time.perf_counter()
            for _ in range(passes):
                total = 0.0
                for s, e in batches:
                    A0, Yb, m = XT[:, s:e], YT[:, s:e], e - s
                    cache = net.forward_columns(A0, caches[m], training=True)
                    total += net.cost_columns(cache, Yb, 1.0 / m) * m
                    net.backward_columns(cache, Yb, 1.0 / m, out=grad)
                    if adam:
                        adam.step(params, grad, task.lr)
                    else:
                        np.multiply(grad, minus_lr, out=grad)  # params −= lr·grad, in place
                        np.add(params, grad, out=params)
            return time.perf_counter() - t0, total / n

        return rep

    return setup


def backprop_fit(task: Task, backend: str = "numpy") -> Callable[[], Callable[[], tuple[float, float]]]:
    def setup():
        try:
            from backprop import Network
        except ImportError as exc:
            raise Skip(f"backprop.Network not importable: {exc}") from None
        if not hasattr(Network, "fit"):
            raise Skip("Network.fit has not landed on this branch yet")
        options = {"backend": backend}  # always named: the default ("auto") would pick numba when installed
        if backend != "numpy":
            try:
                from backprop.kernels import numba_status
            except ImportError:
                raise Skip("backprop.kernels has not landed on this branch") from None
            usable, reason = numba_status()
            if not usable:
                raise Skip(reason)
        net, start = _network_at_start(Network, task)
        targets = task.labels if task.output == "softmax" else task.Y
        if backend != "numpy":  # compile (or load from the disk cache) outside the timed repetitions
            net.fit(task.X[:64], targets[:64], optimizer=task.optimizer, learning_rate=task.lr, epochs=1,
                    batch_size=min(task.batch, 32), shuffle=False, **options)

        def rep():
            net.params[...] = start
            t0 = time.perf_counter()
            hist = net.fit(task.X, targets, optimizer=task.optimizer, learning_rate=task.lr, epochs=task.passes,
                           batch_size=task.batch, shuffle=False, **options)
            elapsed = time.perf_counter() - t0
            try:
                loss_value = float(hist.history["loss"][-1])
            except Exception:
                loss_value = float("nan")
            return elapsed, loss_value

        return rep

    return setup


# ====================================================================== textbook numpy
def textbook_numpy(task: Task) -> Callable[[], Callable[[], tuple[float, float]]]:
    """The course's style generalised: lists of W, b; new arrays every step; per-array Adam."""

    def setup():
        Ws0, bs0 = task.start
        XT, YT = task.X.T, task.Y.T
        batches, L, lr = task.batches(), len(Ws0), np.float32(task.lr)
        softmax = task.output == "softmax"

        def rep():
            W = [w.copy() for w in Ws0]
            b = [x[:, None].copy() for x in bs0]
            vW = [np.zeros_like(w) for w in W]
            vb = [np.zeros_like(x) for x in b]
            sW = [np.zeros_like(w) for w in W]
            sb = [np.zeros_like(x) for x in b]
            t = 0
            t0 = time.perf_counter()
            for _ in range(task.passes):
                total = 0.0
                for s, e in batches:
                    X, Y, m = XT[:, s:e], YT[:, s:e], e - s
                    A, Zs, As = X, [], [X]
                    for l in range(L):
                        Z = W[l] @ A + b[l]
                        if l < L - 1:
                            A = np.maximum(Z, 0)
                        elif softmax:
                            E = np.exp(Z - Z.max(axis=0, keepdims=True))
                            A = E / E.sum(axis=0, keepdims=True)
                        else:
                            A = Z
                        Zs.append(Z)
                        As.append(A)
                    if softmax:
                        cost = -np.sum(Y * np.log(np.maximum(A, 1e-12))) / m
                    else:
                        cost = 0.5 * np.sum((A - Y) ** 2) / m
                    total += float(cost) * m
                    dZ = (A - Y) / m
                    t += 1
                    for l in range(L - 1, -1, -1):
                        dW = dZ @ As[l].T
                        db = np.sum(dZ, axis=1, keepdims=True)
                        if l > 0:
                            dZ = (W[l].T @ dZ) * (Zs[l - 1] > 0)
                        if task.optimizer == "sgd":
                            W[l] = W[l] - lr * dW
                            b[l] = b[l] - lr * db
                        else:
                            for P, G, v, sq in ((W, dW, vW, sW), (b, db, vb, sb)):
                                v[l] = BETA1 * v[l] + (1 - BETA1) * G
                                sq[l] = BETA2 * sq[l] + (1 - BETA2) * G**2
                                v_hat = v[l] / (1 - BETA1**t)
                                s_hat = sq[l] / (1 - BETA2**t)
                                P[l] = P[l] - lr * v_hat / (np.sqrt(s_hat) + EPS)
            return time.perf_counter() - t0, total / task.n

        return rep

    return setup


# ====================================================================== PyTorch
def pytorch(task: Task, fused: bool = False) -> Callable[[], Callable[[], tuple[float, float]]]:
    def setup():
        try:
            import torch
        except ImportError:
            raise Skip("torch not installed") from None
        torch_threads(torch, task.threads)
        layers = []
        for l in range(len(task.sizes) - 1):
            layers.append(torch.nn.Linear(task.sizes[l], task.sizes[l + 1], dtype=torch.float32))
            if l < len(task.sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        linears = [m for m in model if isinstance(m, torch.nn.Linear)]
        Ws = [torch.from_numpy(w) for w in task.start[0]]
        bs = [torch.from_numpy(x) for x in task.start[1]]
        X = torch.from_numpy(task.X)
        if task.output == "softmax":
            T = torch.from_numpy(task.labels)
            loss_fn = torch.nn.CrossEntropyLoss()
        else:
            T = torch.from_numpy(task.Y)

            def loss_fn(out, target):
                return 0.5 * ((out - target) ** 2).sum() / out.shape[0]

        batches = task.batches()

        def make_opt():
            if task.optimizer == "sgd":
                return torch.optim.SGD(model.parameters(), lr=task.lr)
            return torch.optim.Adam(model.parameters(), lr=task.lr, betas=(BETA1, BETA2), eps=EPS, fused=fused or None)

        def rep():
            torch.set_num_threads(task.threads)
            with torch.no_grad():
                for lin, W, b in zip(linears, Ws, bs):
                    lin.weight.copy_(W)
                    lin.bias.copy_(b)
            opt = make_opt()
            t0 = time.perf_counter()
            for _ in range(task.passes):
                total = torch.zeros((), dtype=torch.float64)
                for s, e in batches:
                    opt.zero_grad(set_to_none=True)
                    loss = loss_fn(model(X[s:e]), T[s:e])
                    loss.backward()
                    opt.step()
                    total += loss.detach() * (e - s)
            elapsed = time.perf_counter() - t0
            return elapsed, float(total) / task.n

        return rep

    return setup


# ====================================================================== JAX
def _jax():
    try:
        import jax
    except ImportError:
        raise Skip("jax not installed") from None
    return jax


def _jax_train_step(jax, task: Task):
    """step(params, state, Xb, Yb) -> params, state, loss; params = [(W, b)], W (out, in)."""
    import jax.numpy as jnp

    L = len(task.sizes) - 1
    softmax = task.output == "softmax"

    def loss_fn(params, Xb, Yb):
        h = Xb
        for l, (W, b) in enumerate(params):
            h = h @ W.T + b
            if l < L - 1:
                h = jax.nn.relu(h)
        if softmax:
            return -jnp.mean(jnp.sum(Yb * jax.nn.log_softmax(h, axis=-1), axis=-1))
        return 0.5 * jnp.sum((h - Yb) ** 2) / Xb.shape[0]

    vg = jax.value_and_grad(loss_fn)
    lr = jnp.float32(task.lr)

    def step(params, state, Xb, Yb):
        loss, g = vg(params, Xb, Yb)
        if task.optimizer == "sgd":
            params = jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g)
            return params, state, loss
        m, v, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda a, d: BETA1 * a + (1 - BETA1) * d, m, g)
        v = jax.tree_util.tree_map(lambda a, d: BETA2 * a + (1 - BETA2) * d * d, v, g)
        bc1 = 1 - BETA1 ** t.astype(jnp.float32)
        bc2 = 1 - BETA2 ** t.astype(jnp.float32)
        params = jax.tree_util.tree_map(
            lambda p, a, c: p - (lr / bc1) * a / (jnp.sqrt(c) / jnp.sqrt(bc2) + EPS), params, m, v
        )
        return params, (m, v, t), loss

    return step


def _jax_start(jax, task: Task):
    import jax.numpy as jnp

    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(*task.start)]
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = (zeros, zeros, jnp.zeros((), jnp.int32))
    return params, state


def jax_step(task: Task) -> Callable[[], Callable[[], tuple[float, float]]]:
    """One jitted step per batch; the batch is sliced inside the step (no host copies)."""

    def setup():
        jax = _jax()
        import jax.numpy as jnp
        from jax import lax

        step = _jax_train_step(jax, task)
        b = task.batch

        @jax.jit
        def step_at(params, state, X, Y, start):
            Xb = lax.dynamic_slice_in_dim(X, start, b)
            Yb = lax.dynamic_slice_in_dim(Y, start, b)
            return step(params, state, Xb, Yb)

        step_jit = jax.jit(step)  # for the last, partial batch
        X, Y = jnp.asarray(task.X), jnp.asarray(task.Y)
        p0, s0 = _jax_start(jax, task)
        batches = task.batches()
        full = [s for s, e in batches if e - s == b]
        tail = [(s, e) for s, e in batches if e - s != b]
        tails = [(X[s:e], Y[s:e], e - s) for s, e in tail]
        starts = [jnp.int32(s) for s in full]
        # compile both shapes
        out = step_at(p0, s0, X, Y, starts[0]) if starts else None
        for Xt, Yt, _ in tails:
            out = step_jit(p0, s0, Xt, Yt)
        jax.block_until_ready(out)

        def rep():
            params, state = p0, s0
            t0 = time.perf_counter()
            for _ in range(task.passes):
                losses = []
                for s in starts:
                    params, state, loss = step_at(params, state, X, Y, s)
                    losses.append(loss * b)
                for Xt, Yt, m in tails:
                    params, state, loss = step_jit(params, state, Xt, Yt)
                    losses.append(loss * m)
            jax.block_until_ready(params)
            elapsed = time.perf_counter() - t0
            return elapsed, float(sum(float(x) for x in losses)) / task.n

        return rep

    return setup


def jax_scan(task: Task) -> Callable[[], Callable[[], tuple[float, float]]]:
    """The whole repetition (all passes, all full batches) as one lax.scan under jit."""

    def setup():
        jax = _jax()
        import jax.numpy as jnp
        from jax import lax

        step = _jax_train_step(jax, task)
        b = task.batch
        batches = task.batches()
        nb_full = sum(1 for s, e in batches if e - s == b)
        tail = [(s, e) for s, e in batches if e - s != b]
        n_steps = task.passes * nb_full
        passes = task.passes

        @jax.jit
        def run(params, state, X, Y):
            def body(carry, k):
                params, state = carry
                start = (k % nb_full) * b
                Xb = lax.dynamic_slice_in_dim(X, start, b)
                Yb = lax.dynamic_slice_in_dim(Y, start, b)
                params, state, loss = step(params, state, Xb, Yb)
                return (params, state), loss

            if passes == 1:
                (params, state), losses = lax.scan(body, (params, state), jnp.arange(n_steps, dtype=jnp.int32))
                total = losses.sum() * b
                for s, e in tail:
                    params, state, loss = step(params, state, X[s:e], Y[s:e])
                    total = total + loss * (e - s)
                return params, state, total
            # several passes (W3: one batch, 20 steps): the last pass's losses
            (params, state), losses = lax.scan(body, (params, state), jnp.arange(n_steps, dtype=jnp.int32))
            return params, state, losses[-nb_full:].sum() * b

        X, Y = jnp.asarray(task.X), jnp.asarray(task.Y)
        p0, s0 = _jax_start(jax, task)
        jax.block_until_ready(run(p0, s0, X, Y))  # compile

        def rep():
            t0 = time.perf_counter()
            params, state, total = jax.block_until_ready(run(p0, s0, X, Y))
            elapsed = time.perf_counter() - t0
            return elapsed, float(total) / task.n

        if task.passes > 1 and tail:
            raise Skip("several passes with a partial batch not supported")
        return rep

    return setup


# ====================================================================== scikit-learn
def sklearn_mlp(task: Task) -> Callable[[], Callable[[], tuple[float, float]]]:
    def setup():
        if task.output != "softmax":
            raise Skip("classification only")
        try:
            from sklearn.exceptions import ConvergenceWarning
            from sklearn.neural_network import MLPClassifier
        except ImportError:
            raise Skip("scikit-learn not installed") from None
        clf = MLPClassifier(
            hidden_layer_sizes=tuple(task.sizes[1:-1]), activation="relu", solver=task.optimizer,
            batch_size=task.batch, learning_rate_init=task.lr, momentum=0.0, nesterovs_momentum=False,
            beta_1=BETA1, beta_2=BETA2, epsilon=EPS, alpha=0.0, shuffle=False, max_iter=1, tol=0.0,
            n_iter_no_change=np.inf, random_state=0,
        )
        classes = np.arange(task.sizes[-1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.partial_fit(task.X[: 2 * task.batch], task.labels[: 2 * task.batch], classes=classes)
        if clf.coefs_[0].dtype != np.float32:
            raise Skip(f"scikit-learn kept {clf.coefs_[0].dtype} weights for float32 input")
        Ws, bs = task.start

        def rep():
            for l, (W, b) in enumerate(zip(Ws, bs)):
                clf.coefs_[l][...] = W.T
                clf.intercepts_[l][...] = b
            if hasattr(clf, "_optimizer"):
                del clf._optimizer  # fresh optimizer state, like every other row
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                for _ in range(task.passes):
                    clf.partial_fit(task.X, task.labels)
                elapsed = time.perf_counter() - t0
            return elapsed, float(clf.loss_)

        return rep

    return setup
