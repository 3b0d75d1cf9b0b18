#!/usr/bin/env python
"""Where the engine's time goes, per training step: cProfile, numpy calls, allocations.

    python benchmarks/profile_engine.py [--workloads W1,W2] [--steps N] [--threads 2] [--out FILE.md]

For each scenario (W1 engine loop, W1 Network.fit; W2 engine loop with SGD and Adam at batch
128, W2 Network.fit with Adam) it reports, per training step in steady state:

1. cProfile: the functions with the most own time (numpy's ufuncs do not appear as calls of
   their own in cProfile; their time is the own time of the Python function calling them).
2. numpy calls: every ``np.<function>`` call made from backprop's modules (counted through a
   counting stand-in for the ``np`` name of those modules, which also tells whether the call
   wrote into ``out=`` or returned a fresh array), every ndarray method call (``x.sum``, …,
   via ``sys.setprofile``) and every in-place or plain arithmetic operator executed in
   backprop's code (``Z += b``, ``lr * grad``; via opcode tracing), by call site.
3. allocations: with ``tracemalloc``, the bytes a step allocates transiently (peak above the
   steady state) and keeps (net growth).
4. (W1) the numpy operations of one engine step timed one by one on the real arrays: the
   sum of these is what the calls cost; the rest of the measured step is Python.
"""

from __future__ import annotations

import argparse
import cProfile
import dis
import importlib.util
import io
import linecache
import os
import pstats
import re
import sys
import time
import timeit
import tracemalloc
from collections import Counter
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------ scenarios
def w1_scenarios(steps: int) -> dict[str, Callable[[int], None]]:
    import numpy as np

    import w1_course
    from backprop import Network

    P = w1_course.problem()
    net = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    w1_course._flat(net, P["init"])
    A0, m = P["Xc"], 400
    Y = net.targets(P["y"], m)
    cache, grad, params = net.make_cache(m), np.empty_like(net.params), net.params

    def engine(n):
        for _ in range(n):
            net.forward_columns(A0, cache)
            net.cost_columns(cache, Y, 1.0 / m)
            net.backward_columns(cache, Y, 1.0 / m, out=grad)
            np.subtract(params, 1.2 * grad, out=params)

    net2 = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    w1_course._flat(net2, P["init"])

    def fit(n):
        net2.fit(P["X"], P["y"], optimizer="sgd", learning_rate=1.2, epochs=n, batch_size=None, shuffle=False, backend="numpy")

    return {"W1 engine loop (J every iteration)": engine, "W1 Network.fit (batch_size=None; one epoch = one step)": fit}


def w2_scenarios(steps: int) -> dict[str, Callable[[int], None]]:
    import numpy as np

    import mlp  # noqa: F401  (sets up the benchmark path before w2_mnist)
    import w2_mnist
    from backprop import Network
    from backprop.optim import Adam

    P = w2_mnist.problem(False)
    out = {}
    for opt in ("sgd", "adam"):
        t = w2_mnist.task(P, opt, 128, 2)
        net = Network(list(t.sizes), ["relu", "relu", "softmax"], "categorical_crossentropy", dtype=np.float32, init=None)
        for l, (W, b) in enumerate(zip(*t.start)):
            net.weights[l][...] = W
            net.biases[l][:, 0] = b
        XT, YT = t.X.T, t.Y.T
        cache, grad, params = net.make_cache(128), np.empty_like(net.params), net.params
        adam = Adam(learning_rate=t.lr) if opt == "adam" else None
        minus_lr = np.float32(-t.lr)

        def engine(n, net=net, cache=cache, grad=grad, params=params, adam=adam, XT=XT, YT=YT, minus_lr=minus_lr):
            for k in range(n):
                s = (k % 468) * 128
                A0, Yb = XT[:, s : s + 128], YT[:, s : s + 128]
                net.forward_columns(A0, cache, training=True)
                net.cost_columns(cache, Yb, 1.0 / 128)
                net.backward_columns(cache, Yb, 1.0 / 128, out=grad)
                if adam:
                    adam.step(params, grad, t.lr)
                else:
                    np.multiply(grad, minus_lr, out=grad)
                    np.add(params, grad, out=params)

        out[f"W2 engine loop, {opt.upper() if opt == 'sgd' else 'Adam'}, batch 128"] = engine
    t = w2_mnist.task(P, "adam", 128, 2)
    net = Network(list(t.sizes), ["relu", "relu", "softmax"], "categorical_crossentropy", dtype=np.float32, init=None)
    for l, (W, b) in enumerate(zip(*t.start)):
        net.weights[l][...] = W
        net.biases[l][:, 0] = b

    def fit(n):
        b = 128
        net.fit(t.X[: n * b], t.labels[: n * b], optimizer="adam", learning_rate=1e-3, epochs=1, batch_size=b, shuffle=False, backend="numpy")

    out["W2 Network.fit, Adam, batch 128 (one epoch of n steps)"] = fit
    return out


# ------------------------------------------------------------------ counting numpy calls
class _Counted:
    """A numpy callable that counts its calls by call site (ufunc methods such as .reduce too)."""

    def __init__(self, obj, name, counts: Counter, fresh: Counter, ndarray):
        self._obj, self._name, self._counts, self._fresh, self._nd = obj, name, counts, fresh, ndarray

    def __call__(self, *args, **kwargs):
        frame = sys._getframe(1)
        site = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} np.{self._name}"
        self._counts[site] += 1
        res = self._obj(*args, **kwargs)
        if isinstance(res, self._nd) and res.flags.owndata and kwargs.get("out") is None:
            self._fresh[site] += 1
        return res

    def __getattr__(self, attr):
        inner = getattr(self._obj, attr)
        if callable(inner) and not isinstance(inner, type):
            return _Counted(inner, f"{self._name}.{attr}", self._counts, self._fresh, self._nd)
        return inner


class _CountingNumpy:
    """Stands in for ``np`` inside backprop's modules and counts each call by site."""

    def __init__(self, real, counts: Counter, fresh: Counter):
        self._real, self._counts, self._fresh = real, counts, fresh
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name):
        obj = getattr(self._real, name)
        if not callable(obj) or isinstance(obj, type):
            return obj
        wrapped = self._cache.get(name)
        if wrapped is None:
            wrapped = self._cache[name] = _Counted(obj, name, self._counts, self._fresh, self._real.ndarray)
        return wrapped


_INPLACE = {13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}  # NB_INPLACE_* opargs of BINARY_OP (3.11)


def count_calls(fn: Callable[[int], None], steps: int) -> dict[str, Any]:
    """numpy function calls, ndarray method calls and operators per step, by site."""
    import numpy as np

    import backprop

    pkg_dir = os.path.dirname(backprop.__file__)
    mods = [m for name, m in list(sys.modules.items()) if name.startswith("backprop") and getattr(m, "np", None) is np]
    fn(2)  # warm: caches, views, memos
    np_calls, fresh, methods, ops = Counter(), Counter(), Counter(), Counter()
    proxy = _CountingNumpy(np, np_calls, fresh)
    binary_op = dis.opmap.get("BINARY_OP")

    def prof(frame, event, arg):
        if event == "c_call" and isinstance(getattr(arg, "__self__", None), np.ndarray):
            f = frame
            site = f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno} ndarray.{arg.__name__}"
            methods[site] += 1

    def tracer(frame, event, arg):
        f = frame.f_code
        if not f.co_filename.startswith(pkg_dir) and not (f.co_filename == __file__ and f.co_name in ("engine", "fit")):
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        if event == "opcode" and binary_op is not None:
            code = frame.f_code.co_code
            i = frame.f_lasti
            if code[i] == binary_op:
                kind = "in-place op" if code[i + 1] in _INPLACE else "operator"
                ops[f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} {kind}"] += 1
        return tracer

    for m in mods:
        m.np = proxy
    try:
        sys.setprofile(prof)
        sys.settrace(tracer)
        fn(steps)
    finally:
        sys.settrace(None)
        sys.setprofile(None)
        for m in mods:
            m.np = np
    per = lambda c: {k: v / steps for k, v in sorted(c.items(), key=lambda kv: -kv[1])}  # noqa: E731
    scalar = [k for k in ops if k.endswith("in-place op") and _SCALAR_LINE.match(_source(k))]
    return {
        "np_calls": sum(np_calls.values()) / steps,
        "np_fresh_arrays": sum(fresh.values()) / steps,
        "methods": sum(methods.values()) / steps,
        "inplace_ops": sum(v for k, v in ops.items() if k.endswith("in-place op") and k not in scalar) / steps,
        "sites": {**per(np_calls), **per(methods), **per({k: v for k, v in ops.items() if k not in scalar})},
        "fresh_sites": per(fresh),
    }


_SCALAR_LINE = re.compile(r"\s*(self\.(t|step|epoch)|loss_sum|total|correct)\s*[-+*/]=")
_FILES: dict[str, str] = {}


def _source(site: str) -> str:
    """The source line of a 'file.py:LINE ...' site (searched in backprop and benchmarks)."""
    import backprop

    name, rest = site.split(":", 1)
    line = int(rest.split()[0])
    path = _FILES.get(name)
    if path is None:
        for root in (os.path.dirname(backprop.__file__), HERE):
            for dirpath, _, files in os.walk(root):
                if name in files:
                    path = os.path.join(dirpath, name)
                    break
            if path:
                break
        _FILES[name] = path or ""
    return linecache.getline(path, line).strip() if path else ""


def allocations(fn: Callable[[int], None], steps: int) -> dict[str, float]:
    fn(2)
    tracemalloc.start()
    try:
        fn(2)
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fn(steps)
        cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"peak_above_start_bytes": peak - base, "net_bytes_per_step": (cur - base) / steps}


def cprofile_top(fn: Callable[[int], None], steps: int, top: int = 12) -> str:
    fn(2)
    pr = cProfile.Profile()
    pr.enable()
    fn(steps)
    pr.disable()
    s = io.StringIO()
    st = pstats.Stats(pr, stream=s)
    st.sort_stats("tottime").print_stats(top)
    lines = [ln for ln in s.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls"))
    out = ["| calls/step | own µs/step | cum µs/step | function |", "|---:|---:|---:|---|"]
    for ln in lines[start + 1 :]:
        parts = ln.split(None, 5)
        if len(parts) < 6:
            continue
        ncalls, tottime, _, cumtime, _, where = parts
        n = int(ncalls.split("/")[0])
        where = where.replace(os.path.dirname(HERE), "").replace("{built-in method ", "{")
        out.append(f"| {n / steps:.3g} | {float(tottime) / steps * 1e6:.3g} | {float(cumtime) / steps * 1e6:.3g} | `{where}` |")
    return "\n".join(out)


def step_time(fn: Callable[[int], None], steps: int, repeats: int = 5) -> float:
    fn(2)
    best = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(steps)
        best.append((time.perf_counter() - t0) / steps)
    best.sort()
    return best[len(best) // 2]


# ------------------------------------------------------------------ W1 operations one by one
def w1_operations() -> list[tuple[str, float]]:
    """Each numpy operation of the engine's W1 step (as the engine does it), timed alone."""
    import numpy as np

    import w1_course
    from backprop import Network

    P = w1_course.problem()
    net = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    w1_course._flat(net, P["init"])
    A0, m = P["Xc"], 400
    Y = net.targets(P["y"], m)
    cache, grad = net.make_cache(m), np.empty_like(net.params)
    net.forward_columns(A0, cache)
    net.backward_columns(cache, Y, 1 / m, out=grad)
    W1, W2 = net.weights
    b1, b2 = net.biases
    dW, db = net.unflatten(grad)
    Z1, Z2, A1, A2, dZ1, dZ2, dA1 = cache.Z[1], cache.Z[2], cache.G[1], cache.G[2], cache.dZ[1], cache.dZ[2], cache.dA[1]
    s2 = cache.dA[2]
    params = net.params.copy()
    T = np.empty_like(Z1)
    ops = [
        ("forward 1: Z1 = W1 @ X (matmul, out=)", lambda: np.matmul(W1, A0, out=Z1)),
        ("forward 1: Z1 += b1 (broadcast add)", lambda: np.add(Z1, b1, out=Z1)),
        ("forward 1: A1 = tanh(Z1)", lambda: np.tanh(Z1, out=A1)),
        ("forward 2: Z2 = W2 @ A1", lambda: np.matmul(W2, A1, out=Z2)),
        ("forward 2: Z2 += b2", lambda: np.add(Z2, b2, out=Z2)),
        ("sigmoid: ×0.5, tanh, ×0.5, +0.5 (4 calls)", lambda: (np.multiply(Z2, 0.5, out=A2), np.tanh(A2, out=A2),
                                                                np.multiply(A2, 0.5, out=A2), np.add(A2, 0.5, out=A2))),
        ("cost: logaddexp(0, Z2)", lambda: np.logaddexp(0, Z2, out=s2)),
        ("cost: softplus as max(z,0)+log1p(exp(−|z|)) (5 calls, alternative)",
         lambda: (np.abs(Z2, out=s2), np.negative(s2, out=s2), np.exp(s2, out=s2), np.log1p(s2, out=s2),
                  np.add(s2, np.maximum(Z2, 0), out=s2))),
        ("cost: S.sum() and vdot(Y, Z2) (2 calls)", lambda: (s2.sum(), np.vdot(Y, Z2))),
        ("output error: dZ2 = A2 − Y; ×= 1/m (2 calls)", lambda: (np.subtract(A2, Y, out=dZ2), np.multiply(dZ2, 1 / m, out=dZ2))),
        ("dW2 = dZ2 @ A1ᵀ", lambda: np.matmul(dZ2, A1.T, out=dW[1])),
        ("db2 = dZ2.sum(axis=1, keepdims, out=)", lambda: dZ2.sum(axis=1, keepdims=True, out=db[1])),
        ("db2 alternative: dZ2 @ ones(m, 1)", (lambda ones=np.ones((m, 1)): np.matmul(dZ2, ones, out=db[1]))),
        ("dA1 = W2ᵀ @ dZ2", lambda: np.matmul(W2.T, dZ2, out=dA1)),
        ("tanh backward: A1², 1 − ·, × dA1 (3 calls)", lambda: (np.multiply(A1, A1, out=T), np.subtract(1, T, out=T),
                                                               np.multiply(T, dA1, out=dZ1))),
        ("dW1 = dZ1 @ Xᵀ", lambda: np.matmul(dZ1, A0.T, out=dW[0])),
        ("db1 = dZ1.sum(axis=1, keepdims, out=)", lambda: dZ1.sum(axis=1, keepdims=True, out=db[0])),
        ("update: params −= 1.2 * grad (temp + 2 calls)", lambda: np.subtract(params, 1.2 * grad, out=params)),
        ("update: params −= grad (1 call, lr folded in)", lambda: np.subtract(params, grad, out=params)),
    ]
    out = []
    for label, f in ops:
        n = 20000
        t = min(timeit.repeat(f, number=n, repeat=5)) / n
        out.append((label, t))
    return out


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="profile backprop's engine per training step")
    p.add_argument("--workloads", default="W1,W2")
    p.add_argument("--steps", type=int, default=None, help="steps per measurement (default W1 2000, W2 200)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None, help="write the Markdown here (default: stdout)")
    a = p.parse_args(argv)
    sys.path.insert(0, HERE)
    if importlib.util.find_spec("backprop") is None:
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
    import harness

    harness.set_threads(a.threads)
    import numpy as np

    md = [f"Profile of backprop's engine ({harness.machine_info(a.threads)['date']}, numpy {np.__version__}, "
          f"{a.threads} threads); per training step in steady state.", ""]
    scen = {}
    wl = [w.strip().upper() for w in a.workloads.split(",")]
    if "W1" in wl:
        scen.update({k: (v, a.steps or 2000) for k, v in w1_scenarios(a.steps or 2000).items()})
    if "W2" in wl:
        scen.update({k: (v, a.steps or 200) for k, v in w2_scenarios(a.steps or 200).items()})
    for name, (fn, steps) in scen.items():
        t = step_time(fn, steps)
        c = count_calls(fn, max(steps // 10, 20))
        al = allocations(fn, steps)
        md += [f"### {name}", "",
               f"- measured: **{t * 1e6:.1f} µs per step** (median of 5 × {steps} steps, profilers off)",
               f"- numpy calls per step: **{c['np_calls']:.1f}** `np.*` calls ({c['np_fresh_arrays']:.1f} returning a fresh array), "
               f"**{c['methods']:.1f}** ndarray method calls, **{c['inplace_ops']:.1f}** in-place array operators "
               f"(`Z += b`); plain operators (`lr * grad`, also on Python numbers) are listed by site below",
               f"- tracemalloc: {al['peak_above_start_bytes'] / 1024:.1f} KiB peak above the steady state over {steps} steps, "
               f"{al['net_bytes_per_step']:.1f} bytes kept per step", "",
               "<details><summary>call sites (calls per step)</summary>", "", "| site | what | per step | source |", "|---|---|---:|---|"]
        for site, v in list(c["sites"].items())[:70]:
            where, what = site.split(" ", 1)
            if what == "operator":  # mostly index arithmetic (l - 1) on Python ints: not listed
                continue
            src = _source(site).replace("|", "\\|")
            md.append(f"| `{where}` | {what} | {v:.2f} | `{src[:90]}` |")
        if c["fresh_sites"]:
            md += ["", "Fresh arrays returned by `np.*` calls (allocations):", "", "| site | per step |", "|---|---:|"]
            for site, v in c["fresh_sites"].items():
                md.append(f"| `{site}` | {v:.2f} |")
        md += ["", "</details>", "", "cProfile (own time includes the numpy ufuncs a function calls):", "",
               cprofile_top(fn, steps), ""]
        print(f"profiled {name}: {t * 1e6:.1f} µs/step", file=sys.stderr)
    if "W1" in wl:
        ops = w1_operations()
        md += ["### W1: the engine step's numpy operations, each timed alone (min of 5 × 20,000 calls)", "",
               "| operation | µs |", "|---|---:|"]
        for label, t in ops:
            md.append(f"| {label} | {t * 1e6:.2f} |")
        md.append("")
    text = "\n".join(md)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
