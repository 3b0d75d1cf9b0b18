"""The optional compiled path (numba): fused kernels with the numpy engine's contract.

Nothing here imports numba until a backend is resolved: ``import backprop`` stays light.
:func:`get_backend` turns ``backend="numpy" | "numba" | "auto"`` into an object bound to one
network, which the trainer asks for a training step's gradient and for the optimizer's update:

- ``"numpy"``: the reference engine (:mod:`backprop.core`), exactly as without this package;
- ``"numba"``: the fused kernels; an error naming the extra when numba is missing or broken;
- ``"auto"`` (the default): numba when it is installed, imports with this numpy and compiles,
  for a run long enough to repay loading the kernels (:func:`auto_uses_numba`); otherwise
  numpy — after a one-line :class:`BackendNotice` saying why when numba was wanted but unusable.

Install the extra with ``pip install 'backprop-mlp[fast]'``.
"""

from .backend import (
    AUTO_MIN_SECONDS,
    BACKENDS,
    BackendNotice,
    NumbaBackend,
    NumpyBackend,
    auto_uses_numba,
    check_backend,
    get_backend,
    numba_status,
    numpy_seconds,
)

__all__ = ["AUTO_MIN_SECONDS", "BACKENDS", "BackendNotice", "NumbaBackend", "NumpyBackend", "auto_uses_numba",
           "check_backend", "get_backend", "numba_status", "numpy_seconds"]
