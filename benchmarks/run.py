#!/usr/bin/env python
"""Run backprop's benchmark suite against its peers and write RESULTS.md (+ .json).

    python benchmarks/run.py [--smoke] [--workloads W1,W2,W3,MEM,IMPORT] [--repeats N]
                             [--threads N] [--peers numpy,torch,jax,sklearn] [--out benchmarks/RESULTS.md]

See benchmarks/README.md for what each workload does and how to read the numbers.
Peers (PyTorch, JAX, scikit-learn) are imported lazily: a missing one is a skipped row.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ALL_WORKLOADS = ("W1", "W2", "W3", "MEM", "IMPORT")
ALL_PEERS = ("numpy", "torch", "jax", "sklearn")


def parse(argv):
    p = argparse.ArgumentParser(description="backprop's benchmark suite (see benchmarks/README.md)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, 1 repetition: checks the suite runs (seconds)")
    p.add_argument("--workloads", default=",".join(ALL_WORKLOADS),
                   help=f"comma-separated subset of {','.join(ALL_WORKLOADS)} (default: all)")
    p.add_argument("--repeats", type=int, default=None, help="timed repetitions per row in W1 and W2 (default 5; smoke 1)")
    p.add_argument("--repeats-w3", type=int, default=None, help="timed repetitions per row in W3 (default 2; one is ~8 s per row)")
    p.add_argument("--warmup", type=int, default=None, help="untimed round-robin rounds before timing (default 1; smoke 0)")
    p.add_argument("--threads", type=int, default=2, help="BLAS / PyTorch threads (default 2)")
    p.add_argument("--peers", default="all", help="'all', 'none', or a subset of numpy,torch,jax,sklearn (numpy = textbook code)")
    p.add_argument("--no-prototypes", action="store_true", help="leave out W1's prototype rows (proposals/)")
    p.add_argument("--out", default=os.path.join("benchmarks", "RESULTS.md"), help="Markdown report; JSON written beside it")
    a = p.parse_args(argv)
    a.workloads = [w.strip().upper() for w in a.workloads.split(",") if w.strip()]
    bad = [w for w in a.workloads if w not in ALL_WORKLOADS]
    if bad:
        p.error(f"--workloads: unknown {bad}; expected a subset of {list(ALL_WORKLOADS)}")
    if a.peers == "all":
        a.peers = set(ALL_PEERS)
    elif a.peers == "none":
        a.peers = set()
    else:
        a.peers = {x.strip() for x in a.peers.split(",") if x.strip()}
        if a.peers - set(ALL_PEERS):
            p.error(f"--peers: unknown {sorted(a.peers - set(ALL_PEERS))}; expected 'all', 'none' or a subset of {list(ALL_PEERS)}")
    if a.threads < 1:
        p.error("--threads: expected a positive integer")
    if a.repeats is not None and a.repeats < 1:
        p.error("--repeats: expected a positive integer")
    if a.repeats_w3 is not None and a.repeats_w3 < 1:
        p.error("--repeats-w3: expected a positive integer")
    return a


def main(argv=None) -> int:
    args = parse(argv)
    sys.path.insert(0, HERE)
    if importlib.util.find_spec("backprop") is None:  # running from a checkout without install
        sys.path.insert(0, os.path.join(REPO, "src"))
    import harness

    threads_done = harness.set_threads(args.threads)  # before numpy is imported
    import report

    t_start = time.perf_counter()
    repeats = args.repeats or (1 if args.smoke else 5)
    warmup = args.warmup if args.warmup is not None else (0 if args.smoke else 1)
    cmd = "python benchmarks/run.py " + " ".join(shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:]))
    meta = harness.machine_info(args.threads)
    meta.update({"command": cmd.strip(), "smoke": args.smoke, "repeats": repeats, "warmup": warmup,
                 "repeats_w3": args.repeats_w3 or (1 if args.smoke else 2),
                 "peers": sorted(args.peers), "loadavg_start": harness.loadavg(), "threads_setup": threads_done})
    results = {"meta": meta, "workloads": [], "memory": None, "imports": None}
    log = print

    out = args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    json_path = os.path.splitext(out)[0] + ".json"

    def save():  # after every workload, so a run cut short still leaves its report
        meta["loadavg_end"] = harness.loadavg()
        meta["wall_s"] = time.perf_counter() - t_start
        results["targets"] = report.targets(results)
        results["fast_targets"] = report.fast_targets(results)
        harness.write_json(json_path, results)
        with open(out, "w", encoding="utf-8") as f:
            f.write(report.markdown(results, os.path.basename(json_path)))

    if "W1" in args.workloads:
        results["workloads"].append(run_w1(args, repeats, warmup, log))
        save()
    if "W2" in args.workloads:
        results["workloads"].append(run_w2(args, repeats, warmup, log))
        save()
    if "W3" in args.workloads:
        results["workloads"].append(run_w3(args, meta["repeats_w3"], warmup, log))
        save()
    if "MEM" in args.workloads:
        import footprint

        log("== peak memory (W2, Adam, one epoch; one process each)")
        results["memory"] = footprint.measure_memory("adam", 64 if args.smoke else 128, args.threads, args.smoke, args.peers, log)
        save()
    if "IMPORT" in args.workloads:
        import footprint

        log("== import time")
        results["imports"] = footprint.measure_imports(1 if args.smoke else 7, args.threads, args.peers, log)
    save()
    log(f"\nwrote {out} and {json_path} ({meta['wall_s']:.0f} s)")
    log(report.summary(results))
    return 0


def _group(name, rows_json, unit, limit, extra=None):
    return {"name": name, "unit": unit, "limit": limit, "rows": rows_json, **(extra or {})}


def _finish(rows, scale):
    """Rows to JSON; "× limit" from the interleaved limit row. Returns (rows_json, limit in display units)."""
    import gemm_limit
    import harness

    lim = next((r for r in rows if r.name == gemm_limit.LIMIT_ROW and r.median), None)
    for r in rows:
        if r.median and lim is not None:
            r.x_limit = r.median / lim.median
    return harness.rows_to_json(rows, scale), (lim.median * scale if lim is not None else None)


def run_w1(args, repeats, warmup, log):
    import gemm_limit
    import harness
    import numpy as np
    import w1_course

    log("== W1: the course's network, 2-4-1, 400 points, full batch, float64")
    P = w1_course.problem(args.smoke)
    lim = gemm_limit.workload_limit((2, 4, 1), [400], np.float64, min_time=0.02 if args.smoke else 0.1,
                                    samples=3 if args.smoke else 5)
    impls = w1_course.impls(P, args.peers, args.threads, prototypes=not args.no_prototypes)
    impls.append(gemm_limit.limit_impl((2, 4, 1), [400] * P["iterations"], np.float64, units=P["iterations"]))
    rows = harness.interleave(impls, repeats, warmup, log)
    _log_rows(rows, 1e6, "µs/iter", log)
    rows_json, limit = _finish(rows, 1e6)
    group = _group(f"full batch, lr 1.2, {P['iterations']} iterations", rows_json, "µs/iter", limit)
    return {"id": "W1", "title": "W1 — the course's network: 2 → 4 tanh → 1 sigmoid, 400 flower points, full-batch GD, float64",
            "iterations": P["iterations"], "limit_detail": lim, "groups": [group]}


def run_w2(args, repeats, warmup, log):
    import gemm_limit
    import harness
    import numpy as np
    import w2_mnist

    P = w2_mnist.problem(args.smoke)
    n = P["X"].shape[0]
    log(f"== W2: {' → '.join(map(str, P['sizes']))}, {n} samples, float32, one epoch")
    groups, limits = [], {}
    for name, opt, b in w2_mnist.groups(args.smoke):
        if b not in limits:
            t = w2_mnist.task(P, opt, b, args.threads)
            limits[b] = gemm_limit.workload_limit(P["sizes"], [e - s for s, e in t.batches()], np.float32,
                                                  min_time=0.02 if args.smoke else 0.1, samples=3 if args.smoke else 5)
        log(f"  -- {name} (GEMMs timed alone: {limits[b]['seconds']:.3f} s/epoch)")
        t = w2_mnist.task(P, opt, b, args.threads)
        impls = w2_mnist.impls(t, args.peers)
        impls.append(gemm_limit.limit_impl(P["sizes"], [e - s for s, e in t.batches()], np.float32))
        rows = harness.interleave(impls, repeats, warmup, log)
        _log_rows(rows, 1.0, "s/epoch", log)
        rows_json, limit = _finish(rows, 1.0)
        groups.append(_group(name, rows_json, "s/epoch", limit, {"optimizer": opt, "batch": b}))
    return {"id": "W2", "title": f"W2 — MNIST-shaped: {' → '.join(map(str, P['sizes']))} (ReLU, ReLU, softmax), "
            f"{n} synthetic samples, one epoch, float32", "n": n,
            "limit_detail": {str(b): v for b, v in limits.items()}, "groups": groups}


def run_w3(args, repeats, warmup, log):
    import gemm_limit
    import harness
    import numpy as np
    import w3_wide

    P = w3_wide.problem(args.smoke)
    log(f"== W3: {' → '.join(map(str, P['sizes']))}, batch {P['batch']}, {P['steps']} SGD steps, float32")
    lim = gemm_limit.workload_limit(P["sizes"], [P["batch"]], np.float32, min_time=0.02 if args.smoke else 0.3,
                                    samples=3)
    t = w3_wide.task(P, args.threads)
    impls = w3_wide.impls(t, args.peers)
    impls.append(gemm_limit.limit_impl(P["sizes"], [P["batch"]], np.float32, passes=P["steps"], units=P["steps"]))
    rows = harness.interleave(impls, repeats, warmup, log)
    _log_rows(rows, 1e3, "ms/step", log)
    rows_json, limit = _finish(rows, 1e3)
    group = _group(f"SGD, batch {P['batch']}, {P['steps']} steps", rows_json, "ms/step", limit)
    return {"id": "W3", "title": f"W3 — wide: {' → '.join(map(str, P['sizes']))} (ReLU, ReLU, identity), squared error, "
            f"batch {P['batch']}, {P['steps']} SGD steps, float32", "limit_detail": lim, "groups": [group]}


def _log_rows(rows, scale, unit, log):
    for r in rows:
        if r.status == "ok":
            log(f"    {r.name:45s} {r.median * scale:10.4g} {unit}  [{r.min * scale:.4g} … {r.max * scale:.4g}]"
                f"  ratio {r.ratio if r.ratio is None else round(r.ratio, 3)}  check {r.check}")
        else:
            log(f"    {r.name:45s} {r.status}: {r.reason}")


if __name__ == "__main__":
    sys.exit(main())
