"""What a training script needs around ``fit`` on several processes: rank-0 output, shards, checks.

Rule of the house: every rank computes, rank 0 alone prints, plots and writes files.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from ..data.loaders import Dataset as LoadedData
from ..data.loaders import load_csv, load_npz
from ..train.callbacks import Callback
from ..train.comm import Communicator
from .comm import get_comm

__all__ = ["RootOnly", "load_shard", "root_print", "same_on_all_ranks"]


def _comm(comm: Communicator | None) -> Communicator:
    return get_comm() if comm is None else comm


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
    comm = _comm(comm)
    if os.fspath(path).endswith(".npz"):
        data = load_npz(path, **kwargs)
        counts = [len(part) for part in np.array_split(np.arange(data.n_samples), comm.size)]
        start = sum(counts[: comm.rank])
        rows = slice(start, start + counts[comm.rank])
        return dataclasses.replace(data, X=data.X[rows].copy(), y=data.y[rows].copy())
    return load_csv(path, shard=(comm.rank, comm.size), **kwargs)


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
