"""The benchmark harness: threads, interleaved timing, statistics, machine facts, reports.

Nothing here imports numpy at module level, so :func:`set_threads` can put the BLAS
thread count into the environment before numpy (and its BLAS) is first imported.

Timing model
------------
An implementation is a :class:`Impl`: ``setup()`` builds its model and data, warms up
what needs warming (JIT compilation) and returns ``rep``, a callable that performs ONE
repetition of the workload (10,000 iterations, one epoch, 20 steps …). The harness
calls every implementation's ``rep`` in round-robin order (``a b c a b c …``, the
starting point rotating each round), first ``warmup`` untimed rounds, then ``repeats``
timed ones, and keeps every sample. ``rep`` may return the seconds it measured itself
(to leave out a reset), otherwise the harness times the call with ``perf_counter``;
it may also return ``(seconds, check)`` where ``check`` is a number every row of the
table should share (the final training cost), shown beside the timings.
Reported: the median, the min and max, the spread ``(max − min) / median``, and the
ratio ``ours / row`` against the workload group's reference ``backprop`` row.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_limiter = None  # keeps a threadpoolctl limit alive


# ---------------------------------------------------------------------- threads
def set_threads(n: int) -> dict[str, Any]:
    """Limit BLAS (and OpenMP) to ``n`` threads; returns what was done.

    Sets the environment variables (effective if numpy is not imported yet, and
    inherited by subprocesses) and, where threadpoolctl is installed, also limits the
    already-loaded BLAS at run time. PyTorch gets ``torch.set_num_threads`` in
    :func:`torch_threads` when (and only when) a PyTorch row is set up.
    """
    global _limiter
    for var in _THREAD_VARS:
        os.environ[var] = str(n)
    # Idle OpenMP threads sleep instead of spinning (PyTorch is the OpenMP user here): on a shared
    # 2-core machine spinning threads starve everything else, and PyTorch's own 2-thread W1 step
    # was seen going from ~0.3 ms to 2–20 ms under load with the default policy. Override by setting it.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    done = {"env": {v: str(n) for v in _THREAD_VARS}, "OMP_WAIT_POLICY": os.environ["OMP_WAIT_POLICY"],
            "numpy_imported_before": "numpy" in sys.modules}
    try:
        import threadpoolctl

        _limiter = threadpoolctl.threadpool_limits(limits=n)
        done["threadpoolctl"] = True
    except ImportError:
        done["threadpoolctl"] = False
    return done


def torch_threads(torch_module: Any, n: int) -> None:
    """``torch.set_num_threads(n)`` (intra-op); inter-op threads only if still settable."""
    torch_module.set_num_threads(n)
    try:
        torch_module.set_num_interop_threads(n)
    except RuntimeError:
        pass  # can only be set once, before any parallel work


# ---------------------------------------------------------------------- timing
class Skip(Exception):
    """Raised by a setup to leave a row out (peer not installed, not applicable)."""


@dataclass
class Impl:
    """One row of a table: an implementation of one workload configuration.

    ``kind``: "ours" (backprop), "peer", "prototype" (not in src/), or "reference".
    ``ref``: the group's reference row for the ratio column (one "ours" row per group).
    """

    name: str
    setup: Callable[[], Callable[[], float | None]]
    kind: str = "peer"
    note: str = ""
    ref: bool = False
    units: int = 1  # units per repetition (iterations, epochs, steps)


@dataclass
class Row:
    name: str
    kind: str
    note: str = ""
    ref: bool = False
    status: str = "ok"  # ok | skipped | error
    reason: str = ""
    samples: list[float] = field(default_factory=list)  # seconds per unit, one per repetition
    median: float | None = None
    min: float | None = None
    max: float | None = None
    spread: float | None = None
    ratio: float | None = None  # reference median / this median (< 1: backprop is faster)
    x_limit: float | None = None  # this median / the GEMM limit
    setup_s: float | None = None
    check: float | None = None  # a value every row should share (final cost), from the last repetition

    def finish(self) -> None:
        if self.samples:
            self.median = statistics.median(self.samples)
            self.min, self.max = min(self.samples), max(self.samples)
            self.spread = (self.max - self.min) / self.median if self.median > 0 else None


def interleave(impls: list[Impl], repeats: int, warmup: int = 1, log: Callable[[str], None] = print) -> list[Row]:
    """Set every implementation up, then time them round-robin. Returns one Row each."""
    rows, reps = [], []
    for impl in impls:
        row = Row(impl.name, impl.kind, impl.note, impl.ref)
        t0 = time.perf_counter()
        try:
            reps.append(impl.setup())
            row.setup_s = time.perf_counter() - t0
        except Skip as exc:
            row.status, row.reason = "skipped", str(exc)
            reps.append(None)
        except Exception as exc:  # a broken peer must not sink the suite
            row.status, row.reason = "error", f"{type(exc).__name__}: {exc}"
            log(f"    ! {impl.name}: setup failed\n" + traceback.format_exc(limit=3))
            reps.append(None)
        rows.append(row)
    live = [i for i, r in enumerate(reps) if r is not None]
    for k in range(warmup + repeats):
        shift = k % max(len(live), 1)
        for i in live[shift:] + live[:shift]:
            if reps[i] is None:
                continue
            try:
                t0 = time.perf_counter()
                measured = reps[i]()
                elapsed = time.perf_counter() - t0
                if isinstance(measured, tuple):
                    measured, rows[i].check = measured
                if measured is not None:
                    elapsed = float(measured)
            except Exception as exc:
                rows[i].status, rows[i].reason = "error", f"{type(exc).__name__}: {exc}"
                log(f"    ! {impls[i].name}: run failed\n" + traceback.format_exc(limit=3))
                reps[i] = None
                continue
            if k >= warmup:
                rows[i].samples.append(elapsed / impls[i].units)
    for row in rows:
        row.finish()
        if row.status == "ok" and not row.samples:
            row.status, row.reason = "error", "no samples"
    ref = next((r for r in rows if r.ref and r.median), None)
    for row in rows:
        if ref is not None and row.median:
            row.ratio = ref.median / row.median
    return rows


def time_calls(fn: Callable[[], Any], number: int, repeats: int) -> list[float]:
    """Seconds per call of ``fn``: ``repeats`` samples, each the mean over ``number`` calls."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - t0) / number)
    return out


# ---------------------------------------------------------------------- facts
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return sorted(f for f in flags if f.startswith(("avx", "fma", "sse4")))
    except OSError:
        pass
    return []


def _mem_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _dist_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_info(threads: int) -> dict[str, Any]:
    """CPU, cores, memory, thread settings, library versions (without importing peers)."""
    import numpy as np

    blas: list[dict[str, Any]] = []
    try:
        import threadpoolctl

        blas = [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "threading_layer")}
            for d in threadpoolctl.threadpool_info()
        ]
    except ImportError:
        try:
            cfg = np.show_config(mode="dicts")
            b = cfg["Build Dependencies"]["blas"]
            blas = [{"internal_api": b.get("name"), "version": b.get("version")}]
        except Exception:
            pass
    return {
        "cpu": _cpu_model(),
        "cpu_flags": _cpu_flags(),
        "logical_cores": os.cpu_count(),
        "affinity_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": _mem_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "threads": threads,
        "thread_env": {v: os.environ.get(v) for v in (*_THREAD_VARS, "OMP_WAIT_POLICY")},
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "blas": blas,
            "backprop": _dist_version("backprop") or "source tree",
            "torch": _dist_version("torch"),
            "jax": _dist_version("jax"),
            "jaxlib": _dist_version("jaxlib"),
            "scikit-learn": _dist_version("scikit-learn"),
            "threadpoolctl": _dist_version("threadpoolctl"),
        },
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "git": _git_head(),
    }


def _git_head() -> str | None:
    """The measured source: the repository's commit (and whether the work tree differs from it)."""
    import subprocess

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "benchmarks/*.py", "benchmarks/proposals"],
                               cwd=repo, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")


# ---------------------------------------------------------------------- report
def fmt(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (plain notation), or '—'."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    mag = abs(value)
    if mag >= 10 ** (digits - 1):
        return f"{value:.0f}"
    decimals = max(0, digits - 1 - int(_floor_log10(mag)))
    return f"{value:.{decimals}f}"


def _floor_log10(x: float) -> int:
    import math

    return math.floor(math.log10(x))


def rows_to_json(rows: list[Row], scale: float) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        d = {
            "impl": r.name,
            "kind": r.kind,
            "note": r.note,
            "reference": r.ref,
            "status": r.status,
            "reason": r.reason,
            "median": r.median * scale if r.median is not None else None,
            "min": r.min * scale if r.min is not None else None,
            "max": r.max * scale if r.max is not None else None,
            "spread": r.spread,
            "ratio_ours_over_this": r.ratio,
            "x_limit": r.x_limit,
            "samples": [s * scale for s in r.samples],
            "setup_s": r.setup_s,
            "check": r.check,
        }
        out.append(d)
    return out


def markdown_table(rows: list[dict[str, Any]], unit: str, limit: float | None, check_label: str = "check") -> str:
    """A table of one group's rows (already scaled to ``unit``)."""
    head = f"| implementation | median {unit} | min … max | spread | backprop ÷ this | × limit | {check_label} | notes |"
    lines = [head, "|---|---:|---|---:|---:|---:|---:|---|"]
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|")

    for r in rows:
        name = cell(r["impl"]) + (" **(ref)**" if r["reference"] else "")
        if r["status"] != "ok":
            lines.append(f"| {name} | — | — | — | — | — | — | {r['status']}: {cell(r['reason'])} |")
            continue
        spread = f"{100 * r['spread']:.0f} %" if r["spread"] is not None else "—"
        check = f"{r['check']:.6g}" if r.get("check") is not None else "—"
        lines.append(
            f"| {name} | {fmt(r['median'])} | {fmt(r['min'])} … {fmt(r['max'])} | {spread} | "
            f"{fmt(r['ratio_ours_over_this'], 2)} | {fmt(r['x_limit'], 2)} | {check} | {cell(r['note'])} |"
        )
    return "\n".join(lines)


def write_json(path: str, data: dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, default=float)
        f.write("\n")
    os.replace(tmp, path)
