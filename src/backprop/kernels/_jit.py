"""numba, imported lazily, and the one set of compiler flags every kernel uses.

Importing this module imports numba (~0.4 s): only :mod:`backprop.kernels.backend` does it,
and only when the numba backend is chosen. The flags are the safe subset the feasibility
study found (``benchmarks/proposals/ENGINE.md``):

- ``error_model="numpy"``: a division by zero gives inf/NaN instead of raising, which lets
  LLVM vectorise loops that divide;
- no ``fastmath`` except in :data:`reduce` kernels, which get ``reassoc`` (and ``nsz``) so
  that sums vectorise: nothing assumes the absence of NaN or inf (``nnan``/``ninf`` would
  let the compiler delete the finiteness checks the divergence guarantee rests on), and no
  ``arcp``/``afn`` (they made float32 division approximate);
- serial loops only (no ``prange``: it collapsed on a loaded 2-core machine), and no
  ``inline="always"`` helpers (they take the caller's flags): helpers are ordinary jitted
  functions that LLVM inlines with their own flags;
- ``cache=True``: the compiled machine code is kept on disk next to the module
  (``__pycache__``), so later processes load it instead of compiling again. numba checks only
  the source file of each cached function, not those of the functions it calls, so
  :func:`_drop_stale_cache` removes this package's cached code whenever any of its source files
  changed (a fingerprint of all of them is kept beside the cache).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = ["jit", "inline", "reduce_jit", "bits_to_float64", "float64_to_bits"]

_COMMON = {"nogil": True, "cache": True, "error_model": "numpy", "boundscheck": False}


def jit(*args, **kwargs):
    """``numba.njit`` with the library's flags (no fastmath)."""
    return numba.njit(*args, **{**_COMMON, **kwargs})


def inline(function):
    """A scalar helper inlined into its callers at numba's level (so LLVM can vectorise the loop
    around it). It takes its caller's flags: call it only from :func:`jit` kernels, never from
    :func:`reduce_jit` ones (reassociation would change its rounding)."""
    return numba.njit(inline="always", **_COMMON)(function)


def reduce_jit(*args, **kwargs):
    """``numba.njit`` for kernels whose loops sum: reassociation allowed so the sums vectorise."""
    return numba.njit(*args, **{**_COMMON, "fastmath": {"reassoc", "nsz"}, **kwargs})


@intrinsic
def bits_to_float64(typingctx, bits):
    """The float64 whose IEEE-754 bits are the int64 ``bits`` (a register move, vectorisable)."""
    if not (isinstance(bits, types.Integer) and bits.bitwidth == 64):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(bits), codegen


@intrinsic
def float64_to_bits(typingctx, value):
    """The int64 holding the IEEE-754 bits of the float64 ``value``."""
    if value != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(value), codegen


def _drop_stale_cache() -> None:
    """Delete this package's numba cache files when any kernel source changed since they were written."""
    here = Path(__file__).resolve().parent
    cache = here / "__pycache__"
    digest = hashlib.sha256()
    for source in sorted(here.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    stamp = cache / "backprop-kernels.fingerprint"
    fingerprint = f"{digest.hexdigest()} numba {numba.__version__}"
    try:
        if stamp.read_text() == fingerprint:
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for stale in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
            stale.unlink()
        stamp.write_text(fingerprint)
    except OSError:  # a read-only install: numba then caches elsewhere (or not at all)
        pass


_drop_stale_cache()
