"""Failing fast: one rank's error ends the whole job, promptly, with a non-zero exit and its message.

In data-parallel training every step waits for every rank. When one process dies by a
signal or ``os._exit``, the launcher (mpiexec, srun) notices and ends the others. When
it *raises*, though, Python prints the traceback and then, at exit, mpi4py calls
``MPI_Finalize``, which waits for the other ranks; they wait for its part of the next
all-reduce; the job hangs. The cure is ``MPI_Abort`` after printing the error:
:func:`install_excepthook` does it for uncaught exceptions, :func:`abort_on_error` for a
block of code (also for ``sys.exit`` with a non-zero status).
"""

from __future__ import annotations

import sys
import traceback as _traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..train.comm import Communicator

__all__ = ["abort_on_error", "install_excepthook"]


def _report(comm: Any, exc_type: type, exc: BaseException, tb: Any, full: bool = True) -> None:
    try:
        lines = _traceback.format_exception(exc_type, exc, tb) if full else _traceback.format_exception_only(exc_type, exc)
        head = f"[backprop rank {comm.rank} of {comm.size}] "
        # One write, flushed at once: another rank's MPI_Abort may end this process at any moment.
        sys.stderr.write("".join(head + line for chunk in lines for line in chunk.splitlines(True))
                         + f"{head}{exc_type.__name__} on rank {comm.rank}: aborting all {comm.size} processes\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001, S110 - reporting must never prevent the abort
        pass


def _abort(comm: Any, exc: BaseException, code: int) -> None:
    """Abort the job; when every rank fails alike at this point (``exc.collective``), first let each print."""
    if getattr(exc, "collective", False) and hasattr(comm, "wait_for_all"):
        try:
            comm.wait_for_all(timeout=10.0)
        except Exception:  # noqa: BLE001, S110 - aborting matters more
            pass
    comm.abort(code)


def install_excepthook(comm: Communicator) -> None:
    """Make an uncaught exception on any rank print its traceback (prefixed with the rank) and abort the job.

    ``comm`` needs an ``abort(code)`` method (as :class:`MPIComm` has; :func:`get_comm` installs
    the hook itself). Installing it again does nothing (the first hook stays).
    """
    if not hasattr(comm, "abort") or comm.size == 1:
        return
    previous = sys.excepthook
    if getattr(previous, "_backprop_comm", None) is not None:  # installed already
        return

    def hook(exc_type: type, exc: BaseException, tb: Any) -> None:
        _report(comm, exc_type, exc, tb)
        _abort(comm, exc, 1)

    hook._backprop_comm = comm  # type: ignore[attr-defined]
    sys.excepthook = hook


@contextmanager
def abort_on_error(comm: Communicator, *, traceback: bool = True) -> Iterator[Communicator]:
    """Run a block so that an exception (or ``sys.exit(n)``, n ≠ 0) on any rank aborts every rank.

    >>> with abort_on_error(comm):              # doctest: +SKIP
    ...     net.fit(X, y, comm=comm, seed=0)

    The error is printed with the rank (its traceback too, unless ``traceback=False``: one
    line, as a command-line tool prints). With one process, or a communicator without
    ``abort``, the exception propagates as usual.
    """
    try:
        yield comm
    except SystemExit as exc:
        if exc.code not in (None, 0) and comm.size > 1 and hasattr(comm, "abort"):
            _report(comm, type(exc), exc, exc.__traceback__, traceback)
            comm.abort(exc.code if isinstance(exc.code, int) else 1)
        raise
    except BaseException as exc:
        if comm.size > 1 and hasattr(comm, "abort"):
            _report(comm, type(exc), exc, exc.__traceback__, traceback)
            _abort(comm, exc, 1)
        raise
