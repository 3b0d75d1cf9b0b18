#!/usr/bin/env python
"""Issue 2's benchmark: the engine's training step against the course's textbook numpy code.

    python benchmarks/bench_course.py [--repeats 7] [--iterations 10000] [--threads 2]

The course's network (2 → 4 tanh → 1 sigmoid, the 400 flower points, full-batch gradient
descent at lr 1.2, float64), trained from the course's initialisation; µs per iteration,
median of interleaved repetitions, and the ratio engine ÷ textbook (target ≤ 1.0).
Two like-for-like pairs: the cost J evaluated every iteration (as the course's nn_model
does), and every 1000th iteration (as ``backprop demo`` prints it; the demo itself runs ``Network.fit``). This is run.py's W1
with only those rows; ``python benchmarks/run.py --workloads W1`` adds the peers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="engine vs the course's textbook numpy code, µs per iteration")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--iterations", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    sys.path.insert(0, HERE)
    if importlib.util.find_spec("backprop") is None:
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
    import harness

    harness.set_threads(a.threads)
    import w1_course
    from harness import Impl

    P = w1_course.problem()
    P["iterations"] = a.iterations
    c = P["cost_every"]
    impls = [
        Impl("engine, J every iteration", w1_course.backprop_engine(P, 1), "ours", ref=True, units=a.iterations),
        Impl("textbook, J every iteration", w1_course.textbook(P, 1), "peer", units=a.iterations),
        Impl(f"engine, J every {c}th", w1_course.backprop_engine(P, c), "ours", units=a.iterations),
        Impl(f"textbook, J every {c}th", w1_course.textbook(P, c), "peer", units=a.iterations),
        Impl("Network.fit(batch_size=None)", w1_course.backprop_fit(P), "ours", units=a.iterations),
    ]
    rows = harness.interleave(impls, a.repeats, warmup=1)
    print(f"W1, the course's network, {a.iterations} iterations, {a.threads} threads, median of {a.repeats} "
          f"interleaved repetitions (µs per iteration, min … max):")
    by = {r.name: r for r in rows}
    for r in rows:
        if r.status != "ok":
            print(f"  {r.name:40s} {r.status}: {r.reason}")
            continue
        print(f"  {r.name:40s} {r.median * 1e6:7.2f}   [{r.min * 1e6:.2f} … {r.max * 1e6:.2f}]")
    pairs = [("engine, J every iteration", "textbook, J every iteration"),
             (f"engine, J every {c}th", f"textbook, J every {c}th")]
    for ours, theirs in pairs:
        if by[ours].median and by[theirs].median:
            ratio = by[ours].median / by[theirs].median
            verdict = "meets" if ratio <= 1.0 else "misses"
            print(f"ratio {ours} ÷ {theirs}: {ratio:.2f} ({verdict} issue 2's target ≤ 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
