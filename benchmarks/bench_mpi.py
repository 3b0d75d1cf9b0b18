"""Scaling of data-parallel training over MPI on this machine: W2 on 1 and 2 ranks.

W2: 784 → 256 ReLU → 128 ReLU → 10 softmax, 60,000 synthetic samples, float32, SGD
(lr 0.01), batch 128 and 1024. Every rank runs one BLAS thread (OMP_NUM_THREADS=1 and
friends), so N ranks use N cores; "1 rank, 2 threads" shows the other way of using two
cores (BLAS threads inside one process).

For each configuration: seconds per epoch (best and median of the timed epochs, after one
warm-up epoch), parallel efficiency T(1 rank) / (N · T(N ranks)) from the best epochs, and
the all-reduce's share of step time, measured two ways: "in step" is the wall time spent
inside ``allreduce_`` during training (it includes waiting for the slower rank), "alone"
is the same all-reduce timed in a loop after training (the communication itself; best of
40 rounds of 10 calls).

On a machine shared with other work the wall-clock numbers say more about the other work
than about the code. So the benchmark also reports each rank's CPU time per step outside
the all-reduce ("compute CPU"), which other processes barely change, and from it a
projected efficiency on an idle machine: CPU(1 rank) / (N · (max-rank CPU(N) + all-reduce
alone)). That is a model (it assumes each rank has its core to itself), labelled as such.

Run:  python benchmarks/bench_mpi.py [--epochs 3] [--batches 128 1024] [--json out.json]
Needs mpi4py and an MPI (pip install mpi4py mpich). The driver launches
``mpiexec -n N python benchmarks/bench_mpi.py --worker ...`` for each configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = (784, 256, 128, 10)
N_SAMPLES = 60_000
LR = 0.01


def synthetic(n: int, rows: slice = slice(None)):
    """Gaussian inputs labelled by a random linear teacher (the same on every rank); float32."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1]), dtype=np.float32)
    y = (X @ teacher).argmax(axis=1)
    return np.ascontiguousarray(X[rows]), y[rows]


class TimedComm:
    """A communicator that times its all-reduces: wall time (waiting for the other ranks included) and CPU time."""

    def __init__(self, comm):
        self.comm, self.rank, self.size = comm, comm.rank, comm.size
        self.seconds = self.cpu_seconds = 0.0

    def allreduce_(self, buffer):
        start, cpu = time.perf_counter(), time.process_time()
        self.comm.allreduce_(buffer)
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu

    def bcast_(self, buffer, root=0):
        self.comm.bcast_(buffer, root)


def worker(batch: int, epochs: int, sharded: bool) -> None:
    import backprop as bp
    from backprop.distributed import get_comm
    from backprop.train import Callback

    comm = get_comm()
    timed = TimedComm(comm)
    rows = np.array_split(np.arange(N_SAMPLES), comm.size)[comm.rank] if sharded else np.arange(N_SAMPLES)
    X, y = synthetic(N_SAMPLES, slice(rows[0], rows[-1] + 1))
    net = bp.Network(list(SIZES), ["relu", "relu", "softmax"], "cce", dtype=np.float32, seed=0)

    marks = []  # (wall in all-reduce, CPU in all-reduce, process CPU) at the end of each epoch

    class Mark(Callback):
        def on_epoch_end(self, epoch, logs):
            marks.append((timed.seconds, timed.cpu_seconds, time.process_time()))

    hist = net.fit(X, y, optimizer="sgd", learning_rate=LR, epochs=epochs + 1, batch_size=batch, seed=0,
                   comm=timed, sharded=sharded, callbacks=[Mark()])
    epoch_seconds = hist["seconds"][1:]  # epoch 0 warms the buffers up
    steps = epochs * -(-N_SAMPLES // batch)
    reduce_wall = marks[-1][0] - marks[0][0]  # over the timed epochs
    compute_cpu = (marks[-1][2] - marks[0][2]) - (marks[-1][1] - marks[0][1])  # CPU time outside the all-reduce
    per_rank = np.zeros(comm.size)
    per_rank[comm.rank] = 1e3 * compute_cpu / steps
    comm.allreduce_(per_rank)  # every rank's compute CPU ms per step
    alone = float("nan")
    if comm.size > 1:  # the all-reduce by itself: the flat gradient + 3 numbers, float32
        buffer = np.zeros(net.n_params + 3, np.float32)
        comm.barrier()
        for _ in range(20):
            comm.allreduce_(buffer)
        rounds = []  # best of 40 rounds of 10: the rounds that other processes left alone
        for _ in range(40):
            comm.barrier()
            start = time.perf_counter()
            for _ in range(10):
                comm.allreduce_(buffer)
            rounds.append((time.perf_counter() - start) / 10)
        took = np.array([min(rounds)])
        comm.allreduce_(took)  # rank 0's and rank 1's view of the same rounds: take the mean
        alone = float(took[0]) / comm.size
    steps_per_epoch = -(-N_SAMPLES // batch)
    result = {
        "ranks": comm.size, "batch": batch, "sharded": sharded, "n_params": net.n_params,
        "epoch_best_s": float(np.min(epoch_seconds)), "epoch_median_s": float(np.median(epoch_seconds)),
        "epochs_s": epoch_seconds, "step_ms": 1e3 * float(np.min(epoch_seconds)) / steps_per_epoch,
        "allreduce_in_step_ms": 1e3 * reduce_wall / steps if comm.size > 1 else 0.0,
        "allreduce_alone_ms": 1e3 * alone, "compute_cpu_ms": per_rank.tolist(), "final_loss": hist["loss"][-1],
    }
    if comm.rank == 0:
        print("RESULT " + json.dumps(result), flush=True)


def launch(ranks: int, threads: int, batch: int, epochs: int, sharded: bool, mpiexec: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        env[name] = str(threads)
    cmd = [mpiexec, "-n", str(ranks), sys.executable, str(Path(__file__).resolve()), "--worker",
           "--batch", str(batch), "--epochs", str(epochs)] + (["--sharded"] if sharded else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    return {**json.loads(line[7:]), "threads": threads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sharded", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=128, help=argparse.SUPPRESS)
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per configuration (after one warm-up)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.worker:
        worker(args.batch, args.epochs, args.sharded)
        return
    mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("bench_mpi: no mpiexec on PATH (pip install mpi4py mpich)")
    configs = [(1, 1, False), (1, 2, False), (2, 1, False), (2, 1, True)]  # (ranks, BLAS threads, sharded)
    results = []
    print(f"W2 {SIZES}, {N_SAMPLES} samples, float32, SGD lr {LR}; {args.epochs} timed epochs; "
          f"{os.cpu_count()} CPUs (shared with other work: expect noise)\n")
    print("| batch | ranks × BLAS threads | data | s / epoch, best (median) | speed-up | parallel efficiency "
          "| step ms | all-reduce in step, ms (share) | all-reduce alone, ms | compute CPU ms / step / rank "
          "| projected efficiency, idle machine | load before → after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for batch in args.batches:
        base = base_cpu = None
        for ranks, threads, sharded in configs:
            load = os.getloadavg()[0]
            r = launch(ranks, threads, batch, args.epochs, sharded, mpiexec)
            r["load"] = [load, os.getloadavg()[0]]  # 1-minute load average: other work on the machine
            results.append(r)
            cpu = max(r["compute_cpu_ms"])  # the slowest rank sets the pace
            if ranks == 1 and threads == 1:
                base, base_cpu = r["epoch_best_s"], cpu
            speedup = base / r["epoch_best_s"]
            data = "sharded" if sharded else ("replicated" if ranks > 1 else "-")
            in_step = alone = projected = "-"
            if ranks > 1:
                in_step = f"{r['allreduce_in_step_ms']:.2f} ({r['allreduce_in_step_ms'] / r['step_ms']:.0%})"
                alone = f"{r['allreduce_alone_ms']:.2f}"
                # compute scales with the CPU each rank needs; the all-reduce adds its own cost
                r["projected_efficiency"] = base_cpu / (ranks * (cpu + r["allreduce_alone_ms"]))
                projected = f"{r['projected_efficiency']:.0%}"
            cpu_text = "-" if threads > 1 else " / ".join(f"{c:.2f}" for c in r["compute_cpu_ms"])
            print(f"| {batch} | {ranks} × {threads} | {data} | {r['epoch_best_s']:.2f} ({r['epoch_median_s']:.2f}) "
                  f"| {speedup:.2f} | {speedup / (ranks * threads):.0%} | {r['step_ms']:.2f} | {in_step} | {alone} "
                  f"| {cpu_text} | {projected} | {r['load'][0]:.1f} → {r['load'][1]:.1f} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
