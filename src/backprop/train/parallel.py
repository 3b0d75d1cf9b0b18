"""What training needs only when several processes train together (``comm.size > 1``).

Several processes follow single-process training exactly: the parameters and the RNG state
are broadcast from rank 0 when the trainer joins the others (:func:`synchronize`); every
global batch is the one a single process would draw (the same permutation of the same RNG);
each rank takes its part of it (:func:`local_rows`: a contiguous part with replicated data,
the rows it holds with sharded data) and one all-reduce sums the parts. Dropout masks are
drawn for the whole global batch on every rank and each keeps its columns
(:class:`GlobalBatchMasks`), so masks and RNG stream are the single process's too. Decisions
to stop (Ctrl-C, callbacks) are summed across ranks (:func:`agree_to_stop`), so every rank
stops after the same step.

Every function here is collective (all ranks call it in the same order) unless it says not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.validation import ValidationError
from .batches import bounded
from .comm import Communicator

if TYPE_CHECKING:
    from .data import TrainingData
    from .stopping import StopFlag
    from .trainer import Trainer

__all__ = ["GlobalBatchMasks", "agree_to_stop", "local_rows", "share_rng_state", "share_shard_sizes", "synchronize"]


def synchronize(trainer: Trainer) -> None:
    """Give every rank rank 0's parameters and RNG state, and the masks that keep the RNG in step."""
    trainer.comm.bcast_(trainer.net.params)
    share_rng_state(trainer.rng, trainer.comm)
    trainer._masks = GlobalBatchMasks(trainer.rng, trainer.net.dtype)


def share_rng_state(rng: np.random.Generator, comm: Communicator) -> None:
    """Give every rank rank 0's generator state (so ``seed=None`` works across processes too)."""
    state = rng.bit_generator.state
    if state.get("bit_generator") not in ("PCG64", "PCG64DXSM"):
        raise ValidationError(
            f"seed: training on several processes shares a PCG64 generator's state (np.random.default_rng); "
            f"received a {state.get('bit_generator')} generator"
        )
    low = (1 << 64) - 1
    inner = state["state"]
    words = np.array([inner["state"] >> 64, inner["state"] & low, inner["inc"] >> 64, inner["inc"] & low,
                      state["has_uint32"], state["uinteger"]], dtype=np.uint64)
    comm.bcast_(words)
    w = [int(v) for v in words]
    rng.bit_generator.state = {**state, "state": {"state": (w[0] << 64) | w[1], "inc": (w[2] << 64) | w[3]},
                               "has_uint32": w[4], "uinteger": w[5]}


def share_shard_sizes(data: TrainingData, comm: Communicator) -> None:
    """Sharded data: learn the other shards' sizes (and weights), one all-reduce each, exact in float64."""
    counts = np.zeros(comm.size + 1)
    counts[comm.rank] = data.rows
    counts[-1] = data.w is not None
    comm.allreduce_(counts)
    if counts[-1] not in (0, comm.size):
        raise ValidationError("sample_weight/class_weight: given on some ranks but not on others")
    data.offset = int(counts[: comm.rank].sum())
    data.m = int(counts[:-1].sum())
    if data.m == 0:
        raise ValidationError("X: every rank's shard is empty")
    if data.w is not None:
        w_all = np.zeros(data.m, dtype=np.float64)
        w_all[data.offset : data.offset + data.rows] = data.w
        comm.allreduce_(w_all)  # x + 0 = x: exact
        data.w_all = w_all.astype(data.w.dtype)


def local_rows(idx: np.ndarray | slice | None, data: TrainingData, comm: Communicator,
               masks: GlobalBatchMasks) -> np.ndarray | None:
    """This rank's rows (local indices; None: all it holds) of the global batch ``idx`` (None: all rows).

    Replicated data: the rank-th contiguous part of the batch (np.array_split semantics).
    Sharded data: the batch's rows that this rank holds, in the batch's order. Either way
    the dropout masks are told which columns of the global batch these rows are. Not collective.
    """
    if isinstance(idx, slice):
        idx = np.arange(idx.start, idx.stop)
    b = data.m if idx is None else idx.size
    if data.sharded:
        if idx is None:
            rows, columns = None, slice(data.offset, data.offset + data.rows)
        else:
            local = idx - data.offset
            held = (local >= 0) & (local < data.rows)
            columns = np.flatnonzero(held)
            rows = local[columns]
    else:
        q, r = divmod(b, comm.size)
        start = comm.rank * q + min(comm.rank, r)
        columns = slice(start, start + q + (comm.rank < r))
        rows = np.arange(columns.start, columns.stop) if idx is None else idx[columns]
    masks.select(b, columns)
    return rows


def agree_to_stop(stop_now: bool, stop: StopFlag, comm: Communicator, flags: np.ndarray) -> bool:
    """Stop when any rank's callbacks ask to, and share a pending Ctrl-C (``flags``: a reused (2,) buffer)."""
    flags[0], flags[1] = stop_now, stop.pending
    comm.allreduce_(flags)
    if flags[1]:
        stop.raised = True
    return bool(flags[0])


class GlobalBatchMasks:
    """The dropout RNG of one rank: masks are drawn for the whole global batch, this rank keeps its columns.

    Every rank thus draws the same numbers as a single process training on the global batch:
    the masks of its examples are that process's, and the shared generator stays in step on
    all ranks (which the batch order depends on). Cost: each rank draws B numbers per unit
    of a dropout layer, where its forward pass does about n_prev·B/size multiply-adds.
    """

    def __init__(self, rng: np.random.Generator, dtype: Any):
        self.rng = rng
        self.dtype = dtype
        self.total = 0
        self.columns: slice | np.ndarray = slice(0, 0)
        self._full: dict[tuple, np.ndarray] = {}

    def select(self, total: int, columns: slice | np.ndarray) -> None:
        """The next masks are for a global batch of ``total`` columns, of which this rank has ``columns``."""
        self.total, self.columns = total, columns

    def _draw(self, n: int, dtype: Any) -> np.ndarray:
        key = (n, self.total, np.dtype(dtype))
        full = self._full.get(key)
        if full is None:
            full = bounded(self._full)[key] = np.empty((n, self.total), dtype)
        self.rng.random(dtype=dtype, out=full)
        return full

    def random(self, *, dtype: Any, out: np.ndarray) -> np.ndarray:
        """Like ``Generator.random(dtype=, out=)`` for an (n, b) ``out``: this rank's columns of an (n, total) draw."""
        full = self._draw(out.shape[0], dtype)
        if isinstance(self.columns, slice):
            np.copyto(out, full[:, self.columns])
        else:
            np.take(full, self.columns, axis=1, out=out, mode="clip")
        return out

    def skip(self, layer_sizes: Sequence[int], rates: Sequence[float]) -> None:
        """Advance the generator as a forward pass with these dropout rates would (this rank has no rows)."""
        for l in range(1, len(layer_sizes) - 1):
            if rates[l - 1] > 0:
                self._draw(layer_sizes[l], self.dtype)
