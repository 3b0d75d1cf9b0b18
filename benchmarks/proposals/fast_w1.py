"""Prototypes of faster full-batch training for small networks (W1: 2 → 4 tanh → 1 sigmoid).

Not part of the library: measured candidates for the engine, see ``ENGINE.md``. Each
trainer has ``prepare(Xc, Yc, lr)`` (buffers, compilation) and
``train(prepared, init, iterations, cost_every)`` → ``(W1, b1, W2, b2)``; ``init`` is the
course's ``(W1, b1, W2, b2)``; ``cost_every = 0`` never evaluates J.

A — lean loop on the engine's own flat layout ``[W1, W2, b1, b2]``. What changes from
    ``forward_columns``/``backward_columns`` + ``params -= lr * grad``:
    * views of params and grad made once, not by ``unflatten`` on every backward call;
    * the sigmoid is never materialised: for sigmoid + cross-entropy
      ``σ(z) − y = ½(tanh(z/2) + 1 − 2y)``, so ``dZ2`` is 4 cheap ufunc calls on ``Z2``
      (the engine's sigmoid is ``exp(−logaddexp(0, −z))``: 4 calls, one of them
      ``logaddexp`` at ~5.6 µs for 400 values);
    * the learning rate is folded into the output-error coefficient (``c = lr/m``), so
      the gradient comes out already scaled and the update is one ``params -= grad``;
    * bias sums by ``ndarray.sum`` (method; ~2× cheaper than ``np.sum`` on tiny arrays).
B — packed ``[W | b]`` per layer, inputs augmented with a row of ones: each layer's
    forward is one matmul (no bias add), ``[dW | db] = dZ [A_prev; 1]ᵀ`` is one matmul
    (no sums): 13 numpy calls per iteration. Needs a different parameter layout, so as
    an engine path it would copy in and out of ``net.params`` around the loop.
C — the whole loop in C (``fast_w1.c``), compiled on first use with the system's C
    compiler (``-O3 -march=native -mprefer-vector-width=512 -ffast-math``: the loops over
    the m examples vectorise and call glibc's vector tanh; without -ffast-math gcc calls the
    scalar tanh and the loop takes ~30 µs/iteration) and loaded with ctypes: the
    "compiled small-network path".
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))


def _cost_from_logits(Z2: np.ndarray, Y: np.ndarray, s: np.ndarray | None = None) -> float:
    """J = mean(softplus(z) − y z) without logaddexp (not SIMD in numpy: ~6 µs for 400 values).

    softplus(z) = max(z, 0) + log1p(exp(−|z|)) and Σ max(z, 0) = (Σ z + Σ |z|)/2: 8 cheap calls,
    exact for any z (exp(−|z|) ≤ 1 cannot overflow). ``s`` is a scratch buffer of Z2's shape.
    """
    s = np.abs(Z2, out=s)
    sum_abs = float(s.sum())
    np.negative(s, out=s)
    np.exp(s, out=s)
    np.log1p(s, out=s)
    total = 0.5 * (float(Z2.sum()) + sum_abs) + float(s.sum()) - float(np.vdot(Y, Z2))
    return total / Z2.shape[1]


class Lean:
    """Prototype A (engine layout, 16 numpy calls per iteration)."""

    @staticmethod
    def prepare(Xc, Yc, lr):
        return {"X": Xc, "Y": Yc, "Yh": 1.0 - 2.0 * Yc, "lr": lr}

    @staticmethod
    def train(prep, init, iterations, cost_every=0):
        X, Y, Yh, lr = prep["X"], prep["Y"], prep["Yh"], prep["lr"]
        W1_0, b1_0, W2_0, b2_0 = init
        n1, n0 = W1_0.shape
        n2, m = Y.shape
        # [W1, W2, b1, b2] as in backprop.core.Network
        params = np.concatenate([W1_0.ravel(), W2_0.ravel(), b1_0.ravel(), b2_0.ravel()])
        grad = np.empty_like(params)

        def views(flat):
            w1, w2 = n1 * n0, n1 * n0 + n2 * n1
            return (flat[:w1].reshape(n1, n0), flat[w2 : w2 + n1].reshape(n1, 1),
                    flat[w1:w2].reshape(n2, n1), flat[w2 + n1 :].reshape(n2, 1))

        W1, b1, W2, b2 = views(params)
        dW1, db1, dW2, db2 = views(grad)
        A1 = np.empty((n1, m))
        Z2 = np.empty((n2, m))
        dA1 = np.empty((n1, m))
        T = np.empty((n1, m))
        S = np.empty((n2, m))
        W2T, A1T, XT = W2.T, A1.T, X.T
        c = 0.5 * lr / m  # σ(z) − y = ½(tanh(z/2) + 1 − 2y); lr folded in
        matmul, tanh, multiply, subtract = np.matmul, np.tanh, np.multiply, np.subtract
        for it in range(iterations):
            matmul(W1, X, out=A1)
            A1 += b1
            tanh(A1, out=A1)
            matmul(W2, A1, out=Z2)
            Z2 += b2
            if cost_every and it % cost_every == 0:
                _cost_from_logits(Z2, Y, S)
            multiply(Z2, 0.5, out=Z2)
            tanh(Z2, out=Z2)
            Z2 += Yh
            Z2 *= c  # dZ2, times lr
            matmul(Z2, A1T, out=dW2)
            Z2.sum(axis=1, keepdims=True, out=db2)
            matmul(W2T, Z2, out=dA1)
            multiply(A1, A1, out=T)
            subtract(1.0, T, out=T)
            dA1 *= T  # dZ1
            matmul(dA1, XT, out=dW1)
            dA1.sum(axis=1, keepdims=True, out=db1)
            params -= grad
        return tuple(a.copy() for a in (W1, b1, W2, b2))


class Packed:
    """Prototype B (packed [W | b] per layer, 13 numpy calls per iteration)."""

    @staticmethod
    def prepare(Xc, Yc, lr):
        n0, m = Xc.shape
        Xa = np.ones((n0 + 1, m))
        Xa[:n0] = Xc
        return {"Xa": Xa, "Y": Yc, "Yh": 1.0 - 2.0 * Yc, "lr": lr}

    @staticmethod
    def train(prep, init, iterations, cost_every=0):
        Xa, Y, Yh, lr = prep["Xa"], prep["Y"], prep["Yh"], prep["lr"]
        W1_0, b1_0, W2_0, b2_0 = init
        n1, n0 = W1_0.shape
        n2, m = Y.shape
        s1, s2 = n1 * (n0 + 1), n2 * (n1 + 1)
        params = np.empty(s1 + s2)
        grad = np.empty_like(params)
        P1, P2 = params[:s1].reshape(n1, n0 + 1), params[s1:].reshape(n2, n1 + 1)
        G1, G2 = grad[:s1].reshape(n1, n0 + 1), grad[s1:].reshape(n2, n1 + 1)
        P1[:, :n0], P1[:, n0:] = W1_0, b1_0
        P2[:, :n1], P2[:, n1:] = W2_0, b2_0
        A1a = np.ones((n1 + 1, m))  # [A1; 1]
        A1 = A1a[:n1]
        Z2 = np.empty((n2, m))
        dA1 = np.empty((n1, m))
        T = np.empty((n1, m))
        S = np.empty((n2, m))
        W2T, A1aT, XaT = P2[:, :n1].T, A1a.T, Xa.T
        c = 0.5 * lr / m
        matmul, tanh, multiply, subtract = np.matmul, np.tanh, np.multiply, np.subtract
        for it in range(iterations):
            matmul(P1, Xa, out=A1)
            tanh(A1, out=A1)
            matmul(P2, A1a, out=Z2)
            if cost_every and it % cost_every == 0:
                _cost_from_logits(Z2, Y, S)
            multiply(Z2, 0.5, out=Z2)
            tanh(Z2, out=Z2)
            Z2 += Yh
            Z2 *= c
            matmul(Z2, A1aT, out=G2)  # [dW2 | db2], times lr
            matmul(W2T, Z2, out=dA1)
            multiply(A1, A1, out=T)
            subtract(1.0, T, out=T)
            dA1 *= T
            matmul(dA1, XaT, out=G1)  # [dW1 | db1], times lr
            params -= grad
        return (P1[:, :n0].copy(), P1[:, n0:].copy(), P2[:, :n1].copy(), P2[:, n1:].copy())


class Compiled:
    """Prototype C: ``fast_w1.c`` compiled once per source hash, called through ctypes."""

    _lib = None

    @classmethod
    def library(cls):
        if cls._lib is not None:
            return cls._lib
        cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
        if cc is None:
            raise RuntimeError("no C compiler found (prototype C needs cc or gcc)")
        src = os.path.join(_HERE, "fast_w1.c")
        flags = ["-O3", "-march=native", "-mprefer-vector-width=512", "-ffast-math", "-shared", "-fPIC"]
        with open(src, "rb") as f:
            digest = hashlib.sha256(f.read() + " ".join(flags).encode()).hexdigest()[:12]
        so = os.path.join(tempfile.gettempdir(), f"backprop-bench-fast_w1-{digest}.so")
        if not os.path.exists(so):
            tmp = so + f".{os.getpid()}.tmp"
            cmd = [cc, *flags, src, "-o", tmp, "-lm"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"compiling fast_w1.c failed: {proc.stderr.strip()[:300]}")
            os.replace(tmp, so)
        lib = ctypes.CDLL(so)
        dp = ctypes.POINTER(ctypes.c_double)
        lib.train_tanh_sigmoid.argtypes = [ctypes.c_int] * 4 + [dp] * 6 + [ctypes.c_double, ctypes.c_long, dp]
        lib.train_tanh_sigmoid.restype = None
        cls._lib = lib
        return lib

    @classmethod
    def prepare(cls, Xc, Yc, lr):
        cls.library()
        n0, m = Xc.shape
        return {"X": np.ascontiguousarray(Xc, dtype=np.float64), "Y": np.ascontiguousarray(Yc, dtype=np.float64), "lr": lr}

    @classmethod
    def train(cls, prep, init, iterations, cost_every=0):
        lib = cls.library()
        X, Y, lr = prep["X"], prep["Y"], prep["lr"]
        W1, b1, W2, b2 = (np.ascontiguousarray(a, dtype=np.float64).copy() for a in init)
        n1, n0 = W1.shape
        n2, m = Y.shape
        work = np.empty((2 * n1 + 2 * n2) * m + n1 * n0 + n2 * n1 + n1 + n2)
        ptr = lambda a: a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))  # noqa: E731
        if cost_every:
            # J needs the logits; run in chunks of cost_every and evaluate between them.
            done = 0
            while done < iterations:
                Z2 = W2 @ np.tanh(W1 @ X + b1) + b2
                _cost_from_logits(Z2, Y)
                k = min(cost_every, iterations - done)
                lib.train_tanh_sigmoid(n0, n1, n2, m, ptr(X), ptr(Y), ptr(W1), ptr(b1), ptr(W2), ptr(b2), lr, k, ptr(work))
                done += k
        else:
            lib.train_tanh_sigmoid(n0, n1, n2, m, ptr(X), ptr(Y), ptr(W1), ptr(b1), ptr(W2), ptr(b2), lr, iterations, ptr(work))
        return W1, b1, W2, b2


TRAINERS = {"lean": Lean, "packed": Packed, "c": Compiled}
