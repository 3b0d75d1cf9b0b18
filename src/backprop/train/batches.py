"""Mini-batches read from :class:`~backprop.train.data.TrainingData` into buffers reused across steps.

Rows in order (a slice) are a view of X, not a copy: BLAS reads the transposed operand as
is. Shuffled rows (an index array) are gathered into reused contiguous buffers. Caches and
coefficient vectors are kept per batch size, so a steady-state step allocates no array of
the batch's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.network import Cache, Engine

if TYPE_CHECKING:
    from .data import TrainingData

__all__ = ["BatchBuffers", "bounded"]

_MAX_SHAPES = 16  # buffers kept per distinct batch size (sharded data gives varying local sizes)


def bounded(buffers: dict) -> dict:
    """``buffers``, after dropping its oldest entry when it holds ``_MAX_SHAPES``."""
    if len(buffers) >= _MAX_SHAPES:
        del buffers[next(iter(buffers))]
    return buffers


class BatchBuffers:
    """The reused buffers of one network's batches: forward caches, coefficients, gathered rows."""

    def __init__(self, net: Engine):
        self.net = net
        self._caches: dict[int, Cache] = {}
        self._coefs: dict[int, np.ndarray] = {}
        self._gather: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._gather_store: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._targets_store: np.ndarray | None = None

    def cache(self, m: int) -> Cache:
        """The forward cache for a batch of ``m`` columns."""
        cache = self._caches.get(m)
        if cache is None:
            cache = bounded(self._caches)[m] = self.net.make_cache(m)
        return cache

    def coefficients(self, m: int) -> np.ndarray:
        """A reused (m,) vector for the per-example coefficients c_i = w_i / Σ w."""
        buffer = self._coefs.get(m)
        if buffer is None:
            buffer = bounded(self._coefs)[m] = np.empty(m, dtype=self.net.dtype)
        return buffer

    def batch(self, data: TrainingData, idx: np.ndarray | slice | None) -> tuple[np.ndarray, np.ndarray, Any]:
        """Columns (n_0, b), targets (n_L, b) and weights (b,) or None for the rows ``idx`` (None: all rows)."""
        if idx is None:
            return data.X.T, data.Y, data.w
        if isinstance(idx, slice):
            w = None if data.w is None else data.w[idx]
            return data.X[idx].T, self._target_columns(data, idx), w
        b = idx.size
        if b not in self._gather:
            bounded(self._gather)[b] = self._gather_buffers(b, data)
        xb, yb, wb = self._gather[b]
        # mode="clip": the indices are valid, and "raise" would buffer the whole gather
        np.take(data.X, idx, axis=0, out=xb, mode="clip")
        np.take(data.Y, idx, axis=1, out=yb, mode="clip")
        w = None if data.w is None else np.take(data.w, idx, out=wb, mode="clip")
        return xb.T, yb, w

    def _target_columns(self, data: TrainingData, rows: slice) -> np.ndarray:
        """Y's columns ``rows`` (n_L, b), copied into one reused buffer: n_L·b values, and the cost
        and the output error read them as one contiguous block."""
        n_values = data.Y.shape[0] * (rows.stop - rows.start)
        store = self._targets_store
        if store is None or store.size < n_values or store.dtype != data.Y.dtype:
            store = self._targets_store = np.empty(n_values, data.Y.dtype)
        columns = store[:n_values].reshape(data.Y.shape[0], -1)
        np.copyto(columns, data.Y[:, rows])
        return columns

    def _gather_buffers(self, b: int, data: TrainingData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows (b, n_0), targets (n_L, b), weights (b,): contiguous views of storage for the largest b so far.

        Batches of varying size (the last of an epoch, a rank's share of a sharded batch) then
        reuse one allocation instead of faulting in new pages.
        """
        n0, nL = data.X.shape[1], data.Y.shape[0]
        store = self._gather_store
        if store is None or store[0].shape[0] < b or store[0].shape[1] != n0 or store[1].size < nL * b \
                or store[0].dtype != data.X.dtype or store[1].dtype != data.Y.dtype:
            store = self._gather_store = (np.empty((b, n0), data.X.dtype), np.empty(nL * b, data.Y.dtype),
                                          np.empty(b, data.X.dtype))
            self._gather.clear()
        return store[0][:b], store[1][: nL * b].reshape(nL, b), store[2][:b]
