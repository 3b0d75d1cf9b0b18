"""W2 — MNIST-shaped: 784 → 256 ReLU → 128 ReLU → 10 softmax, 60,000 samples, float32.

One repetition is one epoch (all 60,000 synthetic samples, in order, the last partial
batch included) of SGD (lr 0.01) or Adam (lr 1e-3), at batch 128 and 1024; seconds per
epoch. See :mod:`mlp` for what every implementation does.
"""

from __future__ import annotations

from typing import Any

import mlp
from harness import Impl

SIZES = (784, 256, 128, 10)
SMOKE_SIZES = (64, 32, 16, 10)
LR = {"sgd": 0.01, "adam": 1e-3}


def groups(smoke: bool) -> list[tuple[str, str, int]]:
    batches = (64, 256) if smoke else (128, 1024)
    return [(f"{opt_name}, batch {b}", opt, b) for opt, opt_name in (("sgd", "SGD"), ("adam", "Adam")) for b in batches]


def problem(smoke: bool) -> dict[str, Any]:
    sizes = SMOKE_SIZES if smoke else SIZES
    n = 1000 if smoke else 60_000
    X, Y, labels = mlp.synthetic_classification(n, sizes[0], sizes[-1], seed=0)
    return {"sizes": sizes, "X": X, "Y": Y, "labels": labels, "start": mlp.initial_weights(sizes, "softmax", seed=0)}


def task(P: dict[str, Any], opt: str, batch: int, threads: int) -> mlp.Task:
    return mlp.Task(P["sizes"], "softmax", P["X"], P["Y"], P["labels"], batch, opt, LR[opt], 1, threads, P["start"])


def impls(t: mlp.Task, peers: set[str]) -> list[Impl]:
    ours_note = "in-place SGD on the flat vector" if t.optimizer == "sgd" else "backprop.optim.Adam on the flat vector"
    rows = [
        Impl("backprop engine loop", mlp.backprop_engine(t), "ours", ours_note, ref=True),
        Impl("backprop Network.fit", mlp.backprop_fit(t), "ours", "fit(epochs=1, shuffle=False)"),
        Impl("backprop Network.fit, backend='numba'", mlp.backprop_fit(t, "numba"), "ours",
             "same, fused kernels around BLAS (pip install 'backprop-mlp[fast]')"),
    ]
    if "numpy" in peers:
        rows.append(Impl("textbook numpy", mlp.textbook_numpy(t), "peer", "new arrays every step; per-array Adam"))
    if "torch" in peers:
        if t.optimizer == "adam":
            rows.append(Impl("PyTorch eager (Adam default)", mlp.pytorch(t), "peer", "nn.Sequential, CrossEntropyLoss"))
            rows.append(Impl("PyTorch eager (Adam fused=True)", mlp.pytorch(t, fused=True), "peer", ""))
        else:
            rows.append(Impl("PyTorch eager", mlp.pytorch(t), "peer", "nn.Sequential, CrossEntropyLoss, optim.SGD"))
    if "jax" in peers:
        rows.append(Impl("JAX jit step", mlp.jax_step(t), "peer", "one dispatch per batch"))
        rows.append(Impl("JAX lax.scan epoch", mlp.jax_scan(t), "peer", "whole epoch compiled"))
    if "sklearn" in peers:
        rows.append(Impl("scikit-learn MLPClassifier", mlp.sklearn_mlp(t), "peer", "partial_fit = one epoch, float32"))
    return rows
