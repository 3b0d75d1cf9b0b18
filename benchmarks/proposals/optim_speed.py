"""Optimizer steps before and after the pass cuts, timed interleaved in one process.

``before`` is ``src/backprop/optim/optimizers.py`` at a git revision (default ``ce423b7``, the
last commit before the change), loaded from git into this process; ``after`` is the working
tree's. Every row runs ``--steps`` updates on the same start vector with four rotating
gradients; the rows run round-robin, ``--repeats`` times, and each row reports the median
µs per step, the fastest and slowest repetition and their ratio (the noise).

    PYTHONPATH=src python benchmarks/proposals/optim_speed.py            # W2 (235,146 float32) and W1 (17 float64)
    PYTHONPATH=src python benchmarks/proposals/optim_speed.py --chunks   # Adam and SGD over chunk sizes
    PYTHONPATH=src python benchmarks/proposals/optim_speed.py --w3       # W3's 25.2 M float32 (Adam, SGD)
    PYTHONPATH=src python benchmarks/proposals/optim_speed.py --fit      # one W2 Adam epoch through Network.fit

``+norm`` rows pass ``grad_sq_norm`` (computed before the timing, as the trainer has it).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def load_before(revision: str) -> types.ModuleType:
    """The optimizers module as it was at ``revision``, importable next to the current package."""
    import backprop.optim  # noqa: F401  (the package the old module's relative imports resolve in)

    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:src/backprop/optim/optimizers.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("backprop.optim._before")
    module.__package__ = "backprop.optim"
    module.__file__ = f"<{revision}:optimizers.py>"
    sys.modules[module.__name__] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 (this repository's own file)
    return module


def rows_for(before, after, n: int, dtype, rules, *, norm: bool = True, chunk_sizes=(None,)) -> dict:
    """name → (make optimizer, pass grad_sq_norm?) for the rules given."""
    kwargs = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9}}
    rows = {}
    for rule in rules:
        k = kwargs.get(rule, {})
        rows[f"{rule:9s} before"] = (lambda rule=rule, k=k: before.get_optimizer(rule, **k), False)
        for chunk in chunk_sizes:
            tag = "" if chunk is None else f" chunk={chunk}"

            def make(rule=rule, k=k, chunk=chunk):
                opt = after.get_optimizer(rule, **k)
                if chunk is not None:
                    opt.chunk_size = chunk
                return opt
            rows[f"{rule:9s} after{tag}"] = (make, False)
            if norm:
                rows[f"{rule:9s} after+norm{tag}"] = (make, True)
    return rows


def measure(rows: dict, n: int, dtype, steps: int, repeats: int, lr: float = 1e-3) -> None:
    rng = np.random.default_rng(0)
    grads = [(rng.standard_normal(n) * 1e-2).astype(dtype) for _ in range(4)]
    norms = [float(g @ g) for g in grads]
    p0 = rng.standard_normal(n).astype(dtype)
    times: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(repeats):
        for name, (make, give) in rows.items():
            opt, p = make(), p0.copy()
            for i in range(3):  # the first step allocates
                opt.step(p, grads[i % 4], lr)
            start = time.perf_counter()
            if give:
                for i in range(steps):
                    opt.step(p, grads[i % 4], lr, grad_sq_norm=norms[i % 4])
            else:
                for i in range(steps):
                    opt.step(p, grads[i % 4], lr)
            times[name].append((time.perf_counter() - start) / steps * 1e6)
    print(f"\n{n:,} {np.dtype(dtype).name} parameters, {steps} steps, {repeats} repetitions (µs per step)")
    print(f"{'row':40s} {'median':>9s} {'min':>9s} {'max':>9s} {'max/min':>8s}")
    for name, ts in times.items():
        print(f"{name:40s} {statistics.median(ts):9.2f} {min(ts):9.2f} {max(ts):9.2f} {max(ts) / min(ts):8.2f}")


def fit_epoch(before, repeats: int) -> None:
    """One epoch of W2's Adam (784-256-128-10, batch 128) through Network.fit, before and after."""
    import backprop as bp
    from backprop.optim import Adam

    class BeforeAdam(Adam):  # the trainer takes an Optimizer of today's class: delegate its step
        def __init__(self):
            super().__init__()
            self.inner = before.Adam()

        def step(self, params, grad, lr, *, grad_sq_norm=None):
            self.inner.step(params, grad, lr)

    rng = np.random.default_rng(0)
    X = rng.random((60_000, 784), dtype=np.float32)  # MNIST's size: 469 steps per epoch
    y = rng.integers(0, 10, 60_000)
    times: dict[str, list[float]] = {"Adam before": [], "Adam after": []}
    for _ in range(repeats):
        for name, seconds in times.items():
            net = bp.Network([784, 256, 128, 10], ["relu", "relu", "softmax"], "cce", seed=0, dtype=np.float32)
            opt = BeforeAdam() if name.endswith("before") else Adam()
            start = time.perf_counter()
            net.fit(X, y, optimizer=opt, epochs=1, batch_size=128, shuffle=False)
            seconds.append(time.perf_counter() - start)
    print(f"\nW2 Adam, one epoch of 60,000 examples at batch 128 (469 steps), {repeats} repetitions (s)")
    for name, ts in times.items():
        print(f"{name:40s} {statistics.median(ts):9.3f} {min(ts):9.3f} {max(ts):9.3f} {max(ts) / min(ts):8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="ce423b7", help="git revision of the 'before' optimizers")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--chunks", action="store_true", help="Adam and SGD over chunk sizes")
    parser.add_argument("--w3", action="store_true", help="W3's 25.2 M float32 parameters (Adam and SGD)")
    parser.add_argument("--fit", action="store_true", help="a W2 Adam epoch through Network.fit")
    args = parser.parse_args()
    import backprop.optim as after

    before = load_before(args.before)
    if args.fit:
        fit_epoch(before, args.repeats)
    elif args.w3:
        n = 25_200_000
        measure(rows_for(before, after, n, np.float32, ["sgd", "adam"]), n, np.float32, 5, args.repeats)
    elif args.chunks:
        sizes = (8192, 16384, 32768, 65536, 131072, 1 << 30)
        for dtype in (np.float32, np.float64):
            rows = rows_for(before, after, 235_146, dtype, ["sgd", "adam"], norm=True, chunk_sizes=sizes)
            rows = {k: v for k, v in rows.items() if "+norm" in k or "before" in k}
            measure(rows, 235_146, dtype, args.steps, args.repeats)
    else:
        rules = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]
        measure(rows_for(before, after, 235_146, np.float32, rules), 235_146, np.float32, args.steps, args.repeats)
        measure(rows_for(before, after, 17, np.float64, ["sgd", "adam"]), 17, np.float64, 20 * args.steps,
                args.repeats)


if __name__ == "__main__":
    main()
