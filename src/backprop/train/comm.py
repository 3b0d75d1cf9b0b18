"""The communicator interface of data-parallel training, and its single-process no-op.

Training on several processes needs four things of a communicator: this process's
``rank``, the number of processes ``size``, an in-place sum across processes
(``allreduce_``) and an in-place copy from one rank to all (``bcast_``). The MPI
implementation lives in :mod:`backprop.distributed`; anything with these four members
(a torch.distributed adapter, say) works too.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Communicator", "LocalComm"]


@runtime_checkable
class Communicator(Protocol):
    rank: int
    size: int

    def allreduce_(self, buffer: np.ndarray) -> None:
        """Replace ``buffer`` by its element-wise sum over all processes."""

    def bcast_(self, buffer: np.ndarray, root: int = 0) -> None:
        """Replace ``buffer`` by rank ``root``'s ``buffer``."""


class LocalComm:
    """One process: sums and broadcasts change nothing."""

    rank = 0
    size = 1

    def allreduce_(self, buffer: np.ndarray) -> None:
        pass

    def bcast_(self, buffer: np.ndarray, root: int = 0) -> None:
        pass
