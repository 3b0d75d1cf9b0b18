"""Peak memory on W2 (each implementation in its own process) and import times.

Peak memory: ``python benchmarks/footprint.py probe --impl NAME ...`` runs in a fresh
process: set threads, import numpy, build the W2 data, set the implementation up and
train one epoch, then print its peak resident set as JSON: ``VmHWM`` from
``/proc/self/status`` on Linux (``ru_maxrss`` survives ``fork``+``exec`` on Linux, so a
child of a big parent would report the parent's peak), ``resource.getrusage`` elsewhere. The ``data only`` probe stops after building the
data, so "above data" = peak − that probe's peak is what the implementation itself
costs (its library, model, optimizer state, buffers, copies of the data).

Import time: ``python -X importtime -c "import MOD"`` in a fresh process, repeated; the
reported figure is the median of the cumulative import time of MOD (from -X importtime),
with the median wall time of the whole process minus that of ``python -c pass`` beside it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

PROBES = [
    ("data only", "none"),
    ("backprop engine loop", "engine"),
    ("backprop Network.fit", "fit"),
    ("textbook numpy", "textbook"),
    ("PyTorch eager (Adam default)", "torch"),
    ("PyTorch eager (Adam fused=True)", "torch_fused"),
    ("JAX jit step", "jax_step"),
    ("JAX lax.scan epoch", "jax_scan"),
    ("scikit-learn MLPClassifier", "sklearn"),
]
PEER_OF = {"textbook": "numpy", "torch": "torch", "torch_fused": "torch", "jax_step": "jax", "jax_scan": "jax", "sklearn": "sklearn"}


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    src = os.path.join(REPO, "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def peak_kib() -> int:
    """Peak resident set of this process in KiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


def probe(impl: str, opt: str, batch: int, threads: int, smoke: bool) -> dict[str, Any]:
    """Run in the child: build, train one epoch, report the peak RSS."""
    sys.path.insert(0, HERE)
    import harness

    harness.set_threads(threads)
    import mlp
    import w2_mnist

    P = w2_mnist.problem(smoke)
    after_data = peak_kib()
    status = "ok"
    if impl != "none":
        t = w2_mnist.task(P, opt, batch, threads)
        make = {
            "engine": mlp.backprop_engine, "fit": mlp.backprop_fit, "textbook": mlp.textbook_numpy,
            "torch": mlp.pytorch, "torch_fused": lambda t: mlp.pytorch(t, fused=True),
            "jax_step": mlp.jax_step, "jax_scan": mlp.jax_scan, "sklearn": mlp.sklearn_mlp,
        }[impl]
        try:
            rep = make(t)()
            rep()
        except harness.Skip as exc:
            status = f"skipped: {exc}"
    peak = peak_kib()
    return {"impl": impl, "status": status, "peak_kib": peak, "after_data_kib": after_data}


def measure_memory(opt: str, batch: int, threads: int, smoke: bool, peers: set[str], log=print) -> dict[str, Any]:
    rows = []
    for label, impl in PROBES:
        if impl in PEER_OF and PEER_OF[impl] not in peers:
            continue
        cmd = [sys.executable, os.path.abspath(__file__), "probe", "--impl", impl, "--opt", opt, "--batch", str(batch),
               "--threads", str(threads)] + (["--smoke"] if smoke else [])
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(threads), timeout=600)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            rows.append({"impl": label, "status": f"error: {proc.stderr.strip().splitlines()[-1:]}", "peak_mib": None})
            continue
        d = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append({"impl": label, "status": d["status"], "peak_mib": d["peak_kib"] / 1024,
                     "after_data_mib": d["after_data_kib"] / 1024, "wall_s": wall})
        log(f"    memory {label}: {d['peak_kib'] / 1024:.0f} MiB ({d['status']})")
    base = next((r["peak_mib"] for r in rows if r["impl"] == "data only" and r["peak_mib"]), None)
    torch_peak = next((r["peak_mib"] for r in rows if r["impl"] == "PyTorch eager (Adam default)" and r["status"] == "ok"), None)
    for r in rows:
        if r.get("peak_mib") and base is not None:
            r["above_data_mib"] = r["peak_mib"] - base
        if r.get("peak_mib") and torch_peak and r["status"] == "ok":
            r["ratio_to_torch"] = r["peak_mib"] / torch_peak
    return {"workload": f"W2, {opt}, batch {batch}, one epoch", "rows": rows}


def measure_imports(repeats: int, threads: int, peers: set[str], log=print) -> dict[str, Any]:
    mods = [("python -c pass", None), ("numpy", "numpy"), ("backprop", "backprop")]
    if "torch" in peers:
        mods.append(("torch", "torch"))
    if "jax" in peers:
        mods.append(("jax", "jax"))
    if "sklearn" in peers:
        mods.append(("sklearn.neural_network", "sklearn.neural_network"))
    env = _env(threads)
    walls: dict[str, list[float]] = {m: [] for m, _ in mods}
    cumul: dict[str, list[float]] = {m: [] for m, _ in mods}
    status: dict[str, str] = {m: "ok" for m, _ in mods}
    for _ in range(repeats):  # interleaved, like everything else
        for label, mod in mods:
            if status[label] != "ok":
                continue
            code = "pass" if mod is None else f"import {mod}"
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env)
            walls[label].append(time.perf_counter() - t0)
            if proc.returncode != 0:
                status[label] = "not installed" if "ModuleNotFoundError" in proc.stderr else "error"
                continue
            if mod is not None:
                top = None
                for line in proc.stderr.splitlines():
                    parts = line.split("|")
                    if len(parts) == 3 and parts[2].strip() == mod:
                        top = int(parts[1].strip())
                if top is not None:
                    cumul[label].append(top / 1e6)
    base = statistics.median(walls["python -c pass"]) if walls["python -c pass"] else 0.0
    rows = []
    for label, mod in mods:
        if status[label] != "ok":
            rows.append({"module": label, "status": status[label]})
            continue
        wall = statistics.median(walls[label])
        row = {"module": label, "status": "ok", "wall_s": wall, "wall_minus_python_s": wall - base if mod else None,
               "importtime_s": statistics.median(cumul[label]) if cumul[label] else None,
               "importtime_min_s": min(cumul[label]) if cumul[label] else None,
               "importtime_max_s": max(cumul[label]) if cumul[label] else None}
        rows.append(row)
        if mod:
            log(f"    import {label}: {row['importtime_s']:.3f} s (-X importtime), wall {wall:.3f} s")
    return {"repeats": repeats, "rows": rows}


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("probe", help="(internal) one peak-memory measurement")
    q.add_argument("--impl", required=True)
    q.add_argument("--opt", default="adam")
    q.add_argument("--batch", type=int, default=128)
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    print(json.dumps(probe(a.impl, a.opt, a.batch, a.threads, a.smoke)))
