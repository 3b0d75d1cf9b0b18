"""Backends: what computes a training step's gradient and update (the trainer's one hook).

A backend is bound to one network (and checks the optimizer it is given). Its two methods are
the trainer's hook:

- ``gradient(cache, A0, Y, coef, grad, training=, dropout=, rng=) -> J``: forward pass (into
  ``cache``), the cost J and the flat gradient (into ``grad``), for one batch of columns;
- ``step(optimizer, params, grad, lr, grad_sq_norm)``: the optimizer's update of ``params``
  (raises :class:`DivergenceError`, parameters untouched, when the step overflows);
- ``run_epochs(trainer, data, epochs, history, stop, plain=)``: how many of the run's epochs it
  ran itself before the trainer's loop (0 for numpy; the numba backend runs plain full-batch
  gradient descent on small networks many epochs per kernel call).

:class:`NumpyBackend` calls the numpy engine exactly as the trainer always did; :class:`NumbaBackend`
runs the fused kernels of this package and is tested equal to it.
"""

from __future__ import annotations

import copy
import os
import warnings
from typing import Any

import numpy as np

from ..core.validation import BackpropError, InputTypeError, ValidationError, describe

__all__ = ["AUTO_MIN_SECONDS", "BACKENDS", "BackendNotice", "NumpyBackend", "NumbaBackend", "auto_uses_numba",
           "check_backend", "get_backend", "numba_status", "numpy_seconds"]

BACKENDS = ("numpy", "numba", "auto")
_INSTALL = "pip install 'backprop-mlp[fast]'"


class BackendNotice(UserWarning):
    """``backend="auto"`` could not use numba and trains with numpy (the message says why)."""


class NumpyBackend:
    """The reference engine: :meth:`Network.forward_columns`, ``cost_columns``, ``backward_columns`` and
    :meth:`Optimizer.step`, called as the trainer calls them."""

    name = "numpy"

    def __init__(self, net: Any):
        self.net = net

    def gradient(self, cache, A0, Y, coef, grad, *, training=False, dropout=None, rng=None) -> float:
        net = self.net
        net.forward_columns(A0, cache, training=training, dropout=dropout, rng=rng)
        cost = net.cost_columns(cache, Y, coef)
        net.backward_columns(cache, Y, coef, out=grad)
        return cost

    def step(self, optimizer, params, grad, lr, grad_sq_norm) -> float:
        """The optimizer's update of ``params``; ``grad`` is the trainer's scratch buffer, and the
        return value k says it now holds k · g (see :meth:`Optimizer.step_in_gradient`)."""
        return optimizer.step_in_gradient(params, grad, lr, grad_sq_norm=grad_sq_norm)

    def run_epochs(self, trainer, data, epochs, history, stop, *, plain: bool) -> int:
        """Epochs run outside the trainer's loop: none (see :meth:`NumbaBackend.run_epochs`)."""
        return 0

    def __repr__(self) -> str:
        return "NumpyBackend()"


_STATUS: tuple[bool, str] | None = None


def numba_status() -> tuple[bool, str]:
    """(usable, reason): whether numba imports with the installed numpy and compiles a kernel that
    agrees with numpy. Checked once per process (importing numba takes ~0.4 s; loading the
    cached kernels or compiling them the first time, more: see the performance guide)."""
    global _STATUS
    if _STATUS is not None:
        return _STATUS
    if os.environ.get("BACKPROP_DISABLE_NUMBA"):
        _STATUS = (False, "numba is disabled by the environment variable BACKPROP_DISABLE_NUMBA")
        return _STATUS
    try:
        import numba  # noqa: F401
    except ImportError as exc:
        _STATUS = (False, f"numba is not installed ({exc}); {_INSTALL} installs it")
        return _STATUS
    except Exception as exc:  # numba refuses a numpy newer than it supports, at import
        _STATUS = (False, f"numba does not work with numpy {np.__version__} ({type(exc).__name__}: {exc})")
        return _STATUS
    try:
        from .vmath import tanh_array

        x = np.array([-30.0, -0.5, 0.0, 0.25, 3.0])
        out = np.empty_like(x)
        tanh_array(x, out)
        if not np.allclose(out, np.tanh(x), rtol=1e-14, atol=0):
            raise ValueError(f"a compiled tanh gave {out.tolist()}, numpy {np.tanh(x).tolist()}")
    except Exception as exc:
        _STATUS = (False, f"numba {numba.__version__} failed to compile this library's kernels "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
        return _STATUS
    _STATUS = (True, f"numba {numba.__version__}")
    return _STATUS


class NumbaBackend:
    """The fused kernels (:mod:`backprop.kernels.engine`, :mod:`backprop.kernels.optim`): same
    contract and, to rounding, the same numbers as :class:`NumpyBackend`."""

    name = "numba"

    def __init__(self, net: Any):
        from .engine import StepKernels
        from .optim import fused_step, supports

        self.net = net
        self._kernels = StepKernels(net)
        self._fused_step, self._supports = fused_step, supports

    def gradient(self, cache, A0, Y, coef, grad, *, training=False, dropout=None, rng=None) -> float:
        return self._kernels.gradient(cache, A0, Y, coef, grad, training=training, dropout=dropout, rng=rng)

    def step(self, optimizer, params, grad, lr, grad_sq_norm) -> float:
        # Plain gradient descent is already one pass in the gradient's own memory (bit for bit
        # the numpy backend's); every other rule the kernels know runs fused.
        if (self._supports(optimizer) and not _is_plain_sgd(optimizer) and params.flags.c_contiguous
                and grad.flags.c_contiguous):
            self._fused_step(optimizer, params, grad, lr, grad_sq_norm)
            return 1.0
        return optimizer.step_in_gradient(params, grad, lr, grad_sq_norm=grad_sq_norm)

    def run_epochs(self, trainer, data, epochs, history, stop, *, plain: bool) -> int:
        """Run as many of ``epochs`` as it can in one kernel call per chunk (:mod:`backprop.kernels.epochs`)
        when ``plain`` (no callback, validation or early stopping) and the run allows it; returns how
        many it ran, the history and the trainer's counters updated. The trainer's loop does the rest."""
        if not plain:
            return 0
        from .epochs import run_epochs

        return run_epochs(trainer, self._kernels, data, epochs, history, stop)

    def warm_up(self, optimizer: Any = None) -> None:
        """Compile (or load from the disk cache) every kernel this network (and ``optimizer``) uses,
        on copies with two examples, so a failure shows before training touches anything."""
        net = self.net
        key = (tuple(self._kernels.kinds), tuple(self._kernels.alphas), net.loss.name, net.dtype.name,
               type(optimizer).__name__)
        if key in _WARM:
            return
        probe = net.copy()
        kernels = type(self)(probe)
        m = 2
        cache = probe.make_cache(m)
        A0 = np.zeros((m, probe.layer_sizes[0]), probe.dtype).T  # rows of X as columns: a transposed view, as batches are
        Y = np.zeros((probe.layer_sizes[-1], m), probe.dtype)
        if probe.loss.needs_probabilities:
            Y[0] = 1
        grad = np.empty_like(probe.params)
        with np.errstate(all="ignore"):
            kernels.gradient(cache, A0, Y, 0.5, grad)
            kernels.gradient(cache, A0, Y, np.full(m, 0.5, probe.dtype), grad)
            if probe.n_layers > 1:  # dropout on the hidden layers: the masked kernels
                rates = [0.5] * (probe.n_layers - 1) + [0.0]
                kernels.gradient(cache, A0, Y, 0.5, grad, training=True, dropout=rates,
                                 rng=np.random.default_rng(0))
            if optimizer is not None and self._supports(optimizer) and not _is_plain_sgd(optimizer):
                twin = copy.deepcopy(optimizer)
                twin.reset()
                grad.fill(0.5)
                kernels.step(twin, probe.params, grad, 1e-3, float(grad @ grad))  # proven: the applying kernel
                kernels.step(twin, probe.params, grad, 1e-3, None)  # checked: the step-and-norm kernel
        _WARM.add(key)

    def __repr__(self) -> str:
        return "NumbaBackend()"


def _is_plain_sgd(optimizer: Any) -> bool:
    from ..optim import GradientDescent

    return type(optimizer) is GradientDescent and not getattr(optimizer, "momentum", 0)


_WARM: set = set()  # what warm_up already compiled in this process


def _format_notice(message, category, filename, lineno, line=None, _default=warnings.formatwarning):
    if isinstance(category, type) and issubclass(category, BackendNotice):
        return f"backprop: {message}\n"  # one line, without the source line of a plain warning
    return _default(message, category, filename, lineno, line)


_NOTICED: set[str] = set()  # the reasons already told in this process


def _notice(message: str) -> None:
    """The one-line notice of ``backend="auto"`` (the default) falling back to numpy: once per
    process and reason, since every ``fit`` of a process without numba would otherwise repeat it."""
    if message in _NOTICED:
        return
    _NOTICED.add(message)
    if warnings.formatwarning is not _format_notice:
        warnings.formatwarning = _format_notice
    warnings.warn(f"backend='auto': {message}; training with numpy "
                  "(backend='numpy' silences this notice)", BackendNotice, stacklevel=4)


#: "auto" uses the compiled kernels for a run the numpy engine would take at least this long
#: (estimated): importing numba and loading a network's kernels costs about 1–2 s per process
#: (compiling them, the first time on a machine, more), which a shorter run would not repay.
AUTO_MIN_SECONDS = 2.0
#: The same once numba is imported and working in this process (a notebook, a loop of fits).
AUTO_MIN_SECONDS_LOADED = 0.25


def numpy_seconds(net: Any, n_examples: int, batch_size: int | None, epochs: int) -> float:
    """A rough estimate of the numpy engine's time for ``epochs`` epochs: per step, a fixed cost per
    layer (the numpy calls, ~12 µs), plus ~6 flops per parameter and example at 20 GFLOP/s."""
    batch = n_examples if batch_size is None or batch_size >= n_examples else max(int(batch_size), 1)
    steps = epochs * -(-n_examples // max(batch, 1))
    return steps * 12e-6 * net.n_layers + 6.0 * net.n_params * n_examples * epochs / 20e9


def auto_uses_numba(net: Any, n_examples: int, batch_size: int | None, epochs: int, *, alone: bool = True) -> bool:
    """Whether ``backend="auto"`` tries the compiled kernels for this run: when the numpy engine
    would take at least :data:`AUTO_MIN_SECONDS` (:data:`AUTO_MIN_SECONDS_LOADED` once numba is
    loaded in this process, when ``alone``: the processes of a distributed run must decide alike,
    whatever each ran before)."""
    loaded = alone and _STATUS is not None and _STATUS[0]
    return numpy_seconds(net, n_examples, batch_size, epochs) >= (AUTO_MIN_SECONDS_LOADED if loaded else AUTO_MIN_SECONDS)


def check_backend(spec: Any) -> Any:
    """``spec`` as a lower-case name of :data:`BACKENDS`, or the backend object it is."""
    if isinstance(spec, (NumpyBackend, NumbaBackend)):
        return spec
    if not isinstance(spec, str):
        raise InputTypeError(f"backend: expected one of {list(BACKENDS)}, received {describe(spec)}")
    key = spec.lower()
    if key not in BACKENDS:
        raise ValidationError(f"backend: expected one of {list(BACKENDS)}, received {spec!r}")
    return key


def get_backend(spec: Any, net: Any, optimizer: Any = None,
                run: tuple[int, int | None, int] | None = None, *, alone: bool = True) -> NumpyBackend | NumbaBackend:
    """The backend named ``spec`` ("numpy", "numba", "auto", or a backend object), bound to ``net``;
    with ``optimizer``, its update kernel is compiled too.

    "auto" with ``run`` = (examples, batch size, epochs) takes the numpy engine, silently, for a
    run too short to repay loading the kernels (:func:`auto_uses_numba`; ``alone``: False for one
    process of a distributed run). Otherwise it falls back
    to numpy with a one-line :class:`BackendNotice` when numba is missing, does not work with the
    installed numpy, or fails to compile this network's kernels; "numba" raises
    :class:`ValidationError` in those cases.
    """
    key = check_backend(spec)
    if not isinstance(key, str):
        return key if key.net is net else type(key)(net)
    if key == "numpy" or (key == "auto" and run is not None and not auto_uses_numba(net, *run, alone=alone)):
        return NumpyBackend(net)
    usable, reason = numba_status()
    if not usable:
        if key == "numba":
            raise ValidationError(f"backend='numba': {reason}")
        _notice(reason)
        return NumpyBackend(net)
    try:
        backend = NumbaBackend(net)
        backend.warm_up(optimizer)
    except BackpropError:
        raise
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        reason = f"the numba kernels for this network failed to compile ({type(exc).__name__}: {first})"
        if key == "numba":
            raise ValidationError(f"backend='numba': {reason}") from None
        _notice(reason)
        return NumpyBackend(net)
    return backend
