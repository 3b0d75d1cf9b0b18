"""W3 — wide: 1024 → 4096 ReLU → 4096 ReLU → 1024 identity, squared error, batch 512, float32.

One repetition is 20 SGD steps (lr 1e-4) on one synthetic batch of 512; milliseconds
per step. Dominated by GEMMs (~73 GFLOP per step), so it measures how close each
implementation gets to the machine's matrix-multiply speed.
"""

from __future__ import annotations

from typing import Any

import mlp
from harness import Impl

SIZES = (1024, 4096, 4096, 1024)
SMOKE_SIZES = (64, 128, 128, 64)


def problem(smoke: bool) -> dict[str, Any]:
    sizes = SMOKE_SIZES if smoke else SIZES
    batch = 32 if smoke else 512
    X, Y = mlp.synthetic_regression(batch, sizes[0], sizes[-1], seed=0)
    return {"sizes": sizes, "X": X, "Y": Y, "batch": batch, "steps": 3 if smoke else 20,
            "start": mlp.initial_weights(sizes, "identity", seed=0)}


def task(P: dict[str, Any], threads: int) -> mlp.Task:
    return mlp.Task(P["sizes"], "identity", P["X"], P["Y"], None, P["batch"], "sgd", 1e-4, P["steps"], threads, P["start"])


def impls(t: mlp.Task, peers: set[str]) -> list[Impl]:
    n = t.passes
    rows = [
        Impl("backprop engine loop", mlp.backprop_engine(t), "ours", "in-place SGD on the flat vector", ref=True, units=n),
        Impl("backprop Network.fit", mlp.backprop_fit(t), "ours", f"fit(epochs={n}, batch_size={t.batch})", units=n),
        Impl("backprop Network.fit, backend='numba'", mlp.backprop_fit(t, "numba"), "ours",
             "same, fused kernels around BLAS", units=n),
    ]
    if "numpy" in peers:
        rows.append(Impl("textbook numpy", mlp.textbook_numpy(t), "peer", "new arrays every step", units=n))
    if "torch" in peers:
        rows.append(Impl("PyTorch eager", mlp.pytorch(t), "peer", "nn.Sequential, optim.SGD", units=n))
    if "jax" in peers:
        rows.append(Impl("JAX jit step", mlp.jax_step(t), "peer", "one dispatch per step", units=n))
        rows.append(Impl("JAX lax.scan", mlp.jax_scan(t), "peer", "all steps compiled", units=n))
    return rows
