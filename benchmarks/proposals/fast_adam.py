"""Prototypes of a cheaper Adam step on one flat float32 vector (W2: 235,146 parameters).

Adam's update is a handful of elementwise passes over four vectors of the model's size
(θ, g, m, v); at W2's size they are ~0.9 MiB each, so a pass runs at cache bandwidth and the
cost is the number of passes times the bytes. Candidates, all in place and allocation-free:

- ``Adam12``: what the library did before (the benchmark's engine loop still does; 12–13 passes):
  ``m += (1−β1)(g − m)``, ``v += (1−β2)(g² − v)``, ``θ −= lr/bc1 · m / (√v/√bc2 + ε)``.
- ``Adam10``: keep the moments rescaled, ``m̃ = m/(1−β1)`` and ``ṽ = v/(1−β2)``; then
  ``m̃ = β1 m̃ + g`` (2 passes), ``ṽ = β2 ṽ + g²`` (3) and the step folds the constants:
  ``θ −= c · m̃ / (√ṽ + ε')`` (5), with ``c = lr (1−β1)/bc1 · √(bc2/(1−β2))`` and
  ``ε' = ε √(bc2/(1−β2))``. Same numbers up to float rounding.
- ``Adam10Blocked``: ``Adam10`` applied chunk by chunk (``chunk`` elements at a time), so
  the ten passes over a chunk run in L1/L2 instead of streaming the vectors ten times;
  Python pays ten calls per chunk.

Run ``python benchmarks/proposals/fast_adam.py`` to time them (µs per step, median).

Applied: ``backprop.optim.Adam`` (and AdamW, scikit-learn's Adam) now hold the moments as
``Adam10`` does and apply the step in 64 Ki-element chunks as ``Adam10Blocked`` does, with what a
library needs on top (``ENGINE.md`` section 3b): a chunk is applied before the others are known
finite only when bounds kept on the moments prove the whole step finite (else the step is
checked whole, one dot product, and refused untouched); the moments go back to torch's form when
ṽ = v/(1 − β₂) could overflow; ``state_dict`` still gives torch's m and v. The library's
before/after numbers: ``benchmarks/proposals/optim_speed.py``.
"""

from __future__ import annotations

import math

import numpy as np

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


class Adam12:
    def __init__(self, n, dtype=np.float32, lr=1e-3):
        self.lr, self.t = lr, 0
        self.m, self.v, self.s = np.zeros(n, dtype), np.zeros(n, dtype), np.empty(n, dtype)

    def step(self, p, g):
        self.t += 1
        m, v, s, t = self.m, self.v, self.s, self.t
        np.subtract(g, m, out=s)
        s *= 1 - BETA1
        m += s
        np.multiply(g, g, out=s)
        s -= v
        s *= 1 - BETA2
        v += s
        np.sqrt(v, out=s)
        s *= 1 / math.sqrt(1 - BETA2**t)
        s += EPS
        np.divide(m, s, out=s)
        s *= self.lr / (1 - BETA1**t)
        p -= s


class Adam10:
    def __init__(self, n, dtype=np.float32, lr=1e-3):
        self.lr, self.t = lr, 0
        self.m, self.v, self.s = np.zeros(n, dtype), np.zeros(n, dtype), np.empty(n, dtype)

    def reset(self):
        self.m.fill(0)
        self.v.fill(0)
        self.t = 0

    def constants(self):
        t = self.t
        k = math.sqrt((1 - BETA2**t) / (1 - BETA2))
        return self.lr * (1 - BETA1) / (1 - BETA1**t) * k, EPS * k

    @staticmethod
    def _passes(p, g, m, v, s, c, eps):
        m *= BETA1  # m̃ = β1 m̃ + g
        m += g
        np.multiply(g, g, out=s)  # ṽ = β2 ṽ + g²
        v *= BETA2
        v += s
        np.sqrt(v, out=s)  # θ −= c m̃ / (√ṽ + ε')
        s += eps
        np.divide(m, s, out=s)
        s *= c
        p -= s

    def step(self, p, g):
        self.t += 1
        c, eps = self.constants()
        self._passes(p, g, self.m, self.v, self.s, c, eps)


class Adam10Blocked(Adam10):
    def __init__(self, n, dtype=np.float32, lr=1e-3, chunk=16384):
        super().__init__(n, dtype, lr)
        self.chunk = chunk
        self.s = np.empty(chunk, dtype)

    def step(self, p, g):
        self.t += 1
        c, eps = self.constants()
        m, v, k, n = self.m, self.v, self.chunk, p.size
        passes = self._passes
        for a in range(0, n, k):
            b = min(a + k, n)
            passes(p[a:b], g[a:b], m[a:b], v[a:b], self.s[: b - a], c, eps)


def _bench(n=235_146, steps=200, repeats=7):
    import statistics
    import time

    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(n).astype(np.float32) * 1e-2 for _ in range(4)]
    p0 = rng.standard_normal(n).astype(np.float32)
    makers = {"Adam12 (before)": lambda: Adam12(n), "Adam10": lambda: Adam10(n)}
    for chunk in (4096, 16384, 65536):
        makers[f"Adam10Blocked chunk={chunk}"] = lambda chunk=chunk: Adam10Blocked(n, chunk=chunk)
    try:
        from backprop.optim import Adam

        makers["backprop.optim.Adam"] = lambda: _LibAdam(Adam())
    except ImportError:
        pass
    results = {k: [] for k in makers}
    finals = {}
    for _ in range(repeats):
        for name, make in makers.items():
            opt, p = make(), p0.copy()
            t0 = time.perf_counter()
            for i in range(steps):
                opt.step(p, grads[i % 4])
            results[name].append((time.perf_counter() - t0) / steps)
            finals[name] = p
    ref = finals["Adam12 (before)"]
    for name, ts in results.items():
        diff = float(np.max(np.abs(finals[name] - ref)) / np.max(np.abs(ref - p0)))
        print(f"{name:32s} {statistics.median(ts) * 1e6:8.1f} µs/step  [{min(ts) * 1e6:.1f} … {max(ts) * 1e6:.1f}]"
              f"  max |Δθ| / max |θ − θ0| vs Adam12: {diff:.1e}")


class _LibAdam:
    def __init__(self, opt):
        self.opt = opt

    def step(self, p, g):
        self.opt.step(p, g, 1e-3)


if __name__ == "__main__":
    _bench()
