"""The forward cache: every buffer one forward and one backward pass over m examples need, allocated once.

Z[l], A[l] (examples as columns), the dropout masks, and the gradient buffers dZ[l], dA[l];
the training loop keeps one per batch size and reuses it every step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validation import check_memory

__all__ = ["Cache"]


class Cache:
    """What the forward pass keeps for the backward pass, for one batch of m examples.

    Lists are indexed by layer as in the equations (entry 0 unused except ``A[0]``):
    ``A[0]`` the input (n_0, m); ``Z[l]``, ``G[l] = g(Z[l])`` and ``A[l]`` (n_l, m), where
    ``A[l]`` is ``G[l]`` itself unless dropout masked it (then ``A[l] = G[l] ⊙ mask[l]``).
    ``dA``/``dZ`` are the backward pass's buffers. Reusing a cache reuses all of them.
    """

    def __init__(self, layer_sizes: Sequence[int], m: int, dtype: np.dtype, *, backward: bool = True):
        L = len(layer_sizes) - 1
        per_example = (4 if backward else 2) * sum(layer_sizes[1:]) + 1
        check_memory(per_example * m * np.dtype(dtype).itemsize, "X",
                     f"the {'forward and backward' if backward else 'forward'} buffers for {m} examples")
        self.m = m
        self.dtype = dtype
        self.A: list[np.ndarray | None] = [None] * (L + 1)
        self.Z: list[np.ndarray | None] = [None] + [np.empty((n, m), dtype) for n in layer_sizes[1:]]
        self.G: list[np.ndarray | None] = [None] + [np.empty((n, m), dtype) for n in layer_sizes[1:]]
        self.A[1:] = self.G[1:]
        # backward=False (prediction): no gradient buffers, half the memory
        self.dZ: list[np.ndarray | None] = [None] * (L + 1)
        self.dA: list[np.ndarray | None] = [None] * (L + 1)
        if backward:
            self.dZ[1:] = [np.empty((n, m), dtype) for n in layer_sizes[1:]]
            self.dA[1:] = [np.empty((n, m), dtype) for n in layer_sizes[1:]]
        self.ones = np.ones((m, 1), dtype)  # Σ over the examples as a product: db = dZ · 1
        self.mask: list[np.ndarray | None] = [None] * (L + 1)
        self._mask_buffer: list[np.ndarray | None] = [None] * (L + 1)
        self._dropped: list[np.ndarray | None] = [None] * (L + 1)

    def drop(self, l: int, rate: float, rng: np.random.Generator) -> None:
        """Inverted dropout on layer l: A[l] = G[l] ⊙ mask, mask = 1[u ≥ rate] / (1 − rate)."""
        if self._dropped[l] is None:
            self._dropped[l] = np.empty_like(self.G[l])
            self._mask_buffer[l] = np.empty_like(self.G[l])
        mask = self._mask_buffer[l]
        rng.random(dtype=mask.dtype, out=mask)  # u ~ U[0, 1)
        np.add(mask, 1.0 - rate, out=mask)  # ⌊u + 1 − rate⌋ = 1[u ≥ rate], without a bool buffer
        np.floor(mask, out=mask)
        mask *= 1.0 / (1.0 - rate)
        self.mask[l] = mask
        self.A[l] = np.multiply(self.G[l], mask, out=self._dropped[l])
