"""The limit: the matrix products one training step needs, at this machine's measured speed.

For a network with sizes n_0 … n_L and a batch of m examples (as columns, the engine's
orientation), one step of backpropagation needs exactly these GEMMs:

- forward, every layer l:          ``Z[l] = W[l] @ A[l-1]``        (n_l × n_{l-1}) (n_{l-1} × m)
- weight gradient, every layer l:  ``dW[l] = dZ[l] @ A[l-1]ᵀ``     (n_l × m) (m × n_{l-1})
- error back, every layer but 1:   ``dA[l-1] = W[l]ᵀ @ dZ[l]``     (n_{l-1} × n_l) (n_l × m)

Each is timed with ``np.matmul(a, b, out=c)`` on preallocated arrays of exactly those
shapes, dtype and memory layout (the transposes are views, as in the engine), repeated
until a sample lasts ``min_time``; the median of ``samples`` samples is its time. The
step's limit is the sum. Everything else a step does (activations, bias adds, the
optimizer, Python) is overhead on top of this limit, so "× limit" in the tables says how
close an implementation is to the machine's floor for the same arithmetic.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np


def step_gemms(sizes: tuple[int, ...], m: int) -> list[tuple[str, tuple[int, int], tuple[int, int], str]]:
    """(label, a shape, b shape, layout) for one step; layout says which operand is a transposed view."""
    out = []
    L = len(sizes) - 1
    for l in range(1, L + 1):
        out.append((f"Z{l} = W{l} A{l-1}", (sizes[l], sizes[l - 1]), (sizes[l - 1], m), "A0 F-order" if l == 1 else ""))
    for l in range(L, 0, -1):
        out.append((f"dW{l} = dZ{l} A{l-1}ᵀ", (sizes[l], m), (m, sizes[l - 1]), "b = A.T view"))
        if l > 1:
            out.append((f"dA{l-1} = W{l}ᵀ dZ{l}", (sizes[l - 1], sizes[l]), (sizes[l], m), "a = W.T view"))
    return out


def _operands(a_shape, b_shape, layout, dtype, rng):
    if layout == "b = A.T view":
        a = rng.standard_normal(a_shape).astype(dtype)
        b = rng.standard_normal(b_shape[::-1]).astype(dtype).T
    elif layout == "a = W.T view":
        a = rng.standard_normal(a_shape[::-1]).astype(dtype).T
        b = rng.standard_normal(b_shape).astype(dtype)
    elif layout == "A0 F-order":
        a = rng.standard_normal(a_shape).astype(dtype)
        b = np.asfortranarray(rng.standard_normal(b_shape).astype(dtype))
    else:
        a = rng.standard_normal(a_shape).astype(dtype)
        b = rng.standard_normal(b_shape).astype(dtype)
    return a, b


def time_gemm(a_shape, b_shape, layout, dtype, *, min_time=0.05, samples=5, seed=0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    a, b = _operands(a_shape, b_shape, layout, dtype, rng)
    c = np.empty((a_shape[0], b_shape[1]), dtype)
    matmul = np.matmul
    for _ in range(3):
        matmul(a, b, out=c)
    number = 1
    while True:  # calibrate on the fastest of 3 tries, so one slow call cannot skew it
        t = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(number):
                matmul(a, b, out=c)
            t = min(t, time.perf_counter() - t0)
        if t >= min_time / 8 or number >= 1 << 20:
            break
        number *= 4
    number = max(1, int(number * (min_time / max(t, 1e-9))))
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(number):
            matmul(a, b, out=c)
        times.append((time.perf_counter() - t0) / number)
    med = statistics.median(times)
    flops = 2.0 * a_shape[0] * a_shape[1] * b_shape[1]
    return {"seconds": med, "min": min(times), "max": max(times), "gflops": flops / med / 1e9, "calls_per_sample": number}


def step_limit(sizes, m, dtype, *, min_time=0.05, samples=5, cache=None) -> dict[str, Any]:
    """Seconds of GEMM one training step needs (sum of the medians), with the detail."""
    detail, total = [], 0.0
    for label, a_shape, b_shape, layout in step_gemms(tuple(sizes), m):
        key = (a_shape, b_shape, layout, np.dtype(dtype).name)
        if cache is not None and key in cache:
            r = cache[key]
        else:
            r = time_gemm(a_shape, b_shape, layout, dtype, min_time=min_time, samples=samples)
            if cache is not None:
                cache[key] = r
        total += r["seconds"]
        detail.append({"gemm": label, "a": list(a_shape), "b": list(b_shape), "layout": layout, **r})
    return {"sizes": list(sizes), "m": m, "dtype": np.dtype(dtype).name, "seconds": total, "gemms": detail}


def workload_limit(sizes, batches: list[int], dtype, *, passes=1, min_time=0.05, samples=5) -> dict[str, Any]:
    """Limit of a whole repetition: the step limits of its batches (distinct sizes timed once)."""
    per_m: dict[int, dict[str, Any]] = {}
    cache: dict = {}
    for m in sorted(set(batches)):
        per_m[m] = step_limit(sizes, m, dtype, min_time=min_time, samples=samples, cache=cache)
    total = passes * sum(per_m[m]["seconds"] for m in batches)
    return {"seconds": total, "steps": passes * len(batches), "per_batch_size": {str(m): v for m, v in per_m.items()}}


LIMIT_ROW = "limit: the step's GEMMs only"


def limit_impl(sizes, batch_sizes: list[int], dtype, passes: int = 1, units: int = 1):
    """A table row that runs exactly the GEMMs of every step of a repetition, nothing else.

    Timed round-robin with the implementations, so it sees the same machine (the same
    load, the same caches) as they do; "× limit" divides by its median.
    """
    from harness import Impl

    def setup():
        rng = np.random.default_rng(0)
        per_m = {}
        for m in sorted(set(batch_sizes)):
            per_m[m] = []
            for _label, a_shape, b_shape, layout in step_gemms(tuple(sizes), m):
                a, b = _operands(a_shape, b_shape, layout, dtype, rng)
                per_m[m].append((a, b, np.empty((a_shape[0], b_shape[1]), dtype)))
        plan = [per_m[m] for m in batch_sizes]
        matmul = np.matmul

        def rep():
            for _ in range(passes):
                for gemms in plan:
                    for a, b, c in gemms:
                        matmul(a, b, out=c)

        return rep

    return Impl(LIMIT_ROW, setup, kind="limit", note="np.matmul(out=) on the step's shapes and layouts", units=units)
