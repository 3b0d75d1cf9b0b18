"""What a training script needs around ``fit`` on several processes: rank-0 output, shards, checks.

Rule of the house: every rank computes, rank 0 alone prints, plots and writes files.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from ..core.validation import InputTypeError, as_float_matrix, describe
from ..data.loaders import LoadedData
from ..data.loaders import load_csv, load_npz
from ..data.preprocessing import StandardScaler
from ..train.agreement import check_agreement
from ..train.callbacks import Callback
from ..train.comm import Communicator
from .comm import get_comm

__all__ = ["RootOnly", "evaluate", "fit_scaler", "load_shard", "root_print", "same_on_all_ranks", "unique_labels"]


def _comm(comm: Communicator | None) -> Communicator:
    if comm is None:
        return get_comm()
    if not isinstance(comm, Communicator):
        raise InputTypeError(f"comm: expected a communicator (rank, size, allreduce_, bcast_), received {describe(comm)}")
    return comm


def root_print(*args: Any, comm: Communicator | None = None, **kwargs: Any) -> None:
    """``print`` on rank 0 only (flushed, so lines are not held back until the job ends)."""
    if _comm(comm).rank == 0:
        kwargs.setdefault("flush", True)
        print(*args, **kwargs)


def load_shard(path: Any, comm: Communicator | None = None, **kwargs: Any) -> LoadedData:
    """This rank's rows of a data file: part ``rank`` of ``size`` (``np.array_split`` semantics, rank order).

    A ``.npz`` archive is read with :func:`~backprop.data.load_npz` (each array is read
    whole, then only this rank's rows are kept); anything else is a CSV file read with
    ``load_csv(path, shard=(rank, size), **kwargs)``, which never holds other ranks' rows.
    Train on the result with ``fit(..., comm=comm, sharded=True)``.
    """
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path (str or os.PathLike), received {describe(path)}")
    comm = _comm(comm)
    if os.fspath(path).endswith(".npz"):
        data = load_npz(path, **kwargs)
        counts = [len(part) for part in np.array_split(np.arange(data.n_samples), comm.size)]
        start = sum(counts[: comm.rank])
        rows = slice(start, start + counts[comm.rank])
        return dataclasses.replace(data, X=data.X[rows].copy(), y=data.y[rows].copy())
    return load_csv(path, shard=(comm.rank, comm.size), **kwargs)


def _gather(values: np.ndarray, comm: Communicator) -> np.ndarray:
    """Every rank's ``values`` (1-D, float64), concatenated in rank order, on every rank."""
    counts = np.zeros(comm.size)
    counts[comm.rank] = values.size
    comm.allreduce_(counts)
    offset = int(counts[: comm.rank].sum())
    gathered = np.zeros(int(counts.sum()))
    gathered[offset : offset + values.size] = values
    comm.allreduce_(gathered)  # x + 0 = x: exact
    return gathered


def unique_labels(y: Any, comm: Communicator | None = None) -> np.ndarray:
    """The sorted distinct numeric labels of all ranks' ``y`` (a rank's shard may lack some classes).

    Collective. Labels travel as float64, exact for integers up to 2**53.
    """
    comm = _comm(comm)
    local = np.unique(np.asarray(y))
    if comm.size == 1:
        return local
    return np.unique(_gather(local.astype(np.float64), comm)).astype(local.dtype)


def fit_scaler(X: Any, comm: Communicator | None = None) -> StandardScaler:
    """A :class:`~backprop.data.StandardScaler` fitted on all ranks' rows of ``X`` together (collective).

    Two passes, as ``StandardScaler.fit``: the mean from the summed columns, then the
    population standard deviation from the summed squared deviations; equal to fitting on
    the concatenated rows up to rounding.
    """
    comm = _comm(comm)
    if comm.size == 1:
        return StandardScaler().fit(X)
    X64 = as_float_matrix(X, "X", dtype=np.float64) if len(X) else np.zeros((0, np.shape(X)[1]))
    check_agreement(comm, {"features (columns of X)": X64.shape[1]}, "fit_scaler")  # else MPI fails unreadably
    sums = np.append(X64.sum(axis=0), X64.shape[0])
    comm.allreduce_(sums)
    m = sums[-1]
    mean = sums[:-1] / m
    squares = ((X64 - mean) ** 2).sum(axis=0)
    comm.allreduce_(squares)
    std = np.sqrt(squares / m)
    scaler = StandardScaler()
    scaler.mean_ = mean
    scaler.scale_ = np.where(std <= m * np.finfo(np.float64).eps * np.abs(mean), 1.0, std)
    scaler.n_features_in_ = X64.shape[1]
    return scaler


def evaluate(net: Any, X: Any, Y: Any, comm: Communicator | None = None, sample_weight: Any = None) -> dict[str, float]:
    """``net.evaluate`` over all ranks' rows together: {"loss": mean cost, "accuracy"} (collective).

    Each rank evaluates its own rows; the sums (cost × weight, correct, weight) are added
    across ranks. A rank may hold no rows.
    """
    comm = _comm(comm)
    if comm.size == 1:
        return net.evaluate(X, Y, sample_weight)
    m = len(X)
    sums = np.zeros(4)  # cost × weight, correct, weight, rows
    if m:
        scores = net.evaluate(X, Y, sample_weight)
        weight = float(m if sample_weight is None else np.sum(sample_weight))
        sums[:] = scores["loss"] * weight, scores.get("accuracy", 0.0) * m, weight, m
    comm.allreduce_(sums)
    result = {"loss": float(sums[0] / sums[2])}
    if net.task != "regression":
        result["accuracy"] = float(sums[1] / sums[3])
    return result


def same_on_all_ranks(array: np.ndarray, comm: Communicator | None = None) -> bool:
    """True when ``array`` is bitwise the same on every rank (rank 0's is broadcast and compared).

    Collective: every rank must call it. Costs one broadcast and one all-reduce of one number.
    """
    comm = _comm(comm)
    if comm.size == 1:
        return True
    array = np.ascontiguousarray(array)
    root = array.copy()
    comm.bcast_(root)
    differs = np.array([0.0 if root.tobytes() == array.tobytes() else 1.0])
    comm.allreduce_(differs)
    return bool(differs[0] == 0)


class RootOnly(Callback):
    """Run ``callback`` on rank 0 only: for checkpoints, plots, logs and progress bars.

    When its ``on_epoch_end`` returns True on rank 0, every rank stops after that epoch
    (the trainer sums the ranks' stop requests).
    """

    def __init__(self, callback: Callback, comm: Communicator | None = None):
        self.callback = callback
        self.root = _comm(comm).rank == 0

    def on_train_begin(self, trainer: Any) -> None:
        if self.root:
            self.callback.on_train_begin(trainer)

    def on_epoch_end(self, epoch: int, logs: dict) -> bool | None:
        return self.callback.on_epoch_end(epoch, logs) if self.root else None

    def on_batch_end(self, step: int, logs: dict) -> None:
        if self.root:
            self.callback.on_batch_end(step, logs)

    def on_train_end(self, trainer: Any) -> None:
        if self.root:
            self.callback.on_train_end(trainer)
