#!/usr/bin/env python
"""Measure ``engine.patch`` against the engine as it is, in one process, interleaved.

    python benchmarks/proposals/measure_patch.py [--repeats 7] [--iterations 10000] [--threads 2]

Copies ``src/`` to a temporary folder, applies ``engine.patch`` there (``git apply``;
``src/`` itself is never touched), imports that copy as the package ``backprop_patched``
beside the unpatched ``backprop``, and times W1 (the seed's network, full batch, 10,000
iterations) with both: the engine loop with J every iteration and every 1000th iteration,
and ``Network.fit(batch_size=None)``. Prints µs per iteration (median, min … max) and the
ratio patched ÷ current, and checks that both end with the same cost.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(BENCH)


def load_patched(tmp: str):
    dst = os.path.join(tmp, "src")
    shutil.copytree(os.path.join(REPO, "src"), dst, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["git", "apply", os.path.join(HERE, "engine.patch")],
                   cwd=tmp, check=True)
    pkg = os.path.join(dst, "backprop")
    spec = importlib.util.spec_from_file_location("backprop_patched", os.path.join(pkg, "__init__.py"),
                                                  submodule_search_locations=[pkg])
    mod = importlib.util.module_from_spec(spec)
    sys.modules["backprop_patched"] = mod
    spec.loader.exec_module(mod)
    return mod


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--iterations", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    sys.path.insert(0, BENCH)
    if importlib.util.find_spec("backprop") is None:
        sys.path.insert(0, os.path.join(REPO, "src"))
    import harness

    harness.set_threads(a.threads)
    import numpy as np

    import backprop
    import w1_seed
    from harness import Impl

    with tempfile.TemporaryDirectory() as tmp:
        patched = load_patched(tmp)
        P = w1_seed.problem()
        P["iterations"] = a.iterations

        def engine(pkg, cost_every):
            def setup():
                net = pkg.core.network.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
                A0, m = P["Xc"], 400
                Y = net.targets(P["y"], m)
                cache, grad, params = net.make_cache(m), np.empty_like(net.params), net.params
                start = w1_seed._flat(net, P["init"])

                def rep():
                    params[...] = start
                    for i in range(a.iterations):
                        net.forward_columns(A0, cache)
                        if i % cost_every == 0:
                            net.cost_columns(cache, Y, 1.0 / m)
                        net.backward_columns(cache, Y, 1.0 / m, out=grad)
                        np.subtract(params, 1.2 * grad, out=params)
                    return None, w1_seed.seed_cost((net.weights[0], net.biases[0], net.weights[1], net.biases[1]),
                                                   P["Xc"], P["Yc"])

                return rep

            return setup

        def fit(pkg):
            def setup():
                net = pkg.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
                start = w1_seed._flat(net, P["init"])

                def rep():
                    net.params[...] = start
                    net.fit(P["X"], P["y"], optimizer="sgd", learning_rate=1.2, epochs=a.iterations, batch_size=None,
                            shuffle=False)
                    return None, w1_seed.seed_cost((net.weights[0], net.biases[0], net.weights[1], net.biases[1]),
                                                   P["Xc"], P["Yc"])

                return rep

            return setup

        n = a.iterations
        impls = []
        for label, make in (("engine loop, J every iteration", lambda pkg: engine(pkg, 1)),
                            ("engine loop, J every 1000th", lambda pkg: engine(pkg, 1000)),
                            ("Network.fit(batch_size=None)", fit)):
            impls.append(Impl(f"current: {label}", make(backprop), "ours", units=n))
            impls.append(Impl(f"patched: {label}", make(patched), "prototype", units=n))
        rows = harness.interleave(impls, a.repeats, warmup=1)
    print(f"W1, {n} iterations, {a.threads} threads, median of {a.repeats} interleaved repetitions, µs per iteration:")
    for r in rows:
        print(f"  {r.name:45s} {r.median * 1e6:7.2f}  [{r.min * 1e6:.2f} … {r.max * 1e6:.2f}]  J={r.check:.12f}")
    for cur, pat in zip(rows[::2], rows[1::2]):
        print(f"ratio patched ÷ current, {cur.name[9:]}: {pat.median / cur.median:.3f} "
              f"({(cur.median - pat.median) * 1e6:+.2f} µs/iteration saved)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
