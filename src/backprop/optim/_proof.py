"""How optimizers apply steps proven finite, fast, and never apply a non-finite one (private).

The contract for adding an update rule (a subclass of :class:`Optimizer`):

1. ``name``, ``default_learning_rate``, and ``_state_names``: the flat state arrays (zeros at
   the first step, the parameters' shape and dtype), e.g. ``("velocity",)``.
2. ``_direction(p, g, s, state, constants)``: the formula. Update the state arrays ``state``
   (views of the same part of the vector as ``p`` and ``g``) and return the step s, written
   into the scratch ``s`` (or a state view): the update is θ ← θ − s. It may be called on
   the whole vector or on one chunk at a time, so it must be elementwise.
3. ``_prepare(lr, grad_sq_norm)``: advance the scalar state and return ``(constants, bound)``:
   what ``_direction`` needs, and an upper bound on |sᵢ| for every entry of this step
   (``math.inf`` when none is known: the step is then checked, never wrong, only slower).
   ``grad_sq_norm`` is ‖g‖² (plus the dtype's tiny), or None when the caller gave none and
   the rule does not set ``_needs_grad_sq_norm``. Bounds on the state grow by ``self._growth``
   per step (the rounding of the passes they bound) and are compared with ``self._limit``
   (the dtype's max × ``_HEADROOM``).
4. ``_bounds_from_state()``: recompute those bounds from the state arrays (after
   ``load_state_dict``, or after steps taken without ‖g‖²); ``reset()`` zeroes them.
5. ``hyperparameters()``: the constructor's arguments other than the learning rate (stored
   in checkpoints); then add the class to ``OPTIMIZERS`` and test it against torch.

:meth:`Optimizer.step` then applies the step ``chunk_size`` elements at a time when the
bound proves every entry finite (n·S² ≤ limit), so each chunk's passes stay in cache;
otherwise it writes the whole step to scratch, checks its norm (one dot product) and
applies it only if finite: the parameters then stay the last finite ones.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from ..core.validation import (
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
    check_int,
    describe,
)
from .schedules import as_schedule

__all__ = ["Optimizer"]

# A bound counts as safely finite when it is at most finfo.max · _HEADROOM, and a step of n entries
# each at most S is applied unchecked when n·S² is: the factor absorbs the rounding of the bounds,
# of the caller's ‖grad‖² and of a float32 dot product over millions of entries.
_HEADROOM = 1.0 / 64


def _max_abs(array: np.ndarray) -> float:
    """max |array| as a Python float; inf when it holds a NaN, 0 when it is empty."""
    if array.size == 0:
        return 0.0
    top = max(float(array.max()), -float(array.min()))
    return math.inf if math.isnan(top) else top


def _nonnegative_max(array: np.ndarray) -> float:
    """max(array) when every entry is >= 0 (a second moment); inf otherwise (a negative entry, a NaN)."""
    if array.size == 0:
        return 0.0
    low, top = float(array.min()), float(array.max())
    return top if low >= 0 and not math.isnan(top) else math.inf


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


class Optimizer:
    """Base class. A subclass lists its state arrays in ``_state_names`` and implements two hooks:

    - ``_prepare(lr, grad_sq_norm)``: advance the scalar state (bounds, bias corrections) and
      return ``(constants, bound)``: the constants ``_direction`` needs, and an upper bound on
      |sᵢ| for every entry of this step s (``math.inf`` when none is known). ``grad_sq_norm``
      is ‖g‖² (at least max gᵢ²), or None when the caller gave none and the rule does not set
      ``_needs_grad_sq_norm``: then the step is checked, and the bounds are recomputed from the
      state arrays (``_bounds_from_state``) at the next step that has ‖g‖²;
    - ``_direction(p, g, s, state, constants)``: update the state arrays ``state`` (views of
      the same part as ``p`` and ``g``) and return the step s (written into the scratch ``s``):
      the update is θ ← θ − s.

    :meth:`step` applies the step chunk by chunk when the bound proves it finite, and checks
    its norm before applying it otherwise.

    ``learning_rate``: the default rate (a number or a schedule) used when the trainer is
    given none. ``t`` counts the updates made. ``chunk_size``: elements per chunk.
    """

    name: str = ""
    default_learning_rate: float = 0.01
    _state_names: tuple[str, ...] = ()
    # True: the rule computes ‖g‖² (a dot product) when the caller gives none; False: it checks
    # that step instead, which costs about the same pass and no more than before grad_sq_norm.
    _needs_grad_sq_norm: bool = False
    # 64 Ki float32 elements are 256 KiB per vector: the four or five vectors an update touches
    # stay in a 2 MiB L2 cache while a chunk goes through its passes.
    chunk_size: int = 65536

    def __init__(self, learning_rate: Any = None):
        if learning_rate is not None:
            as_schedule(learning_rate)  # a number must be finite and > 0 (raises naming learning_rate)
        self.learning_rate = self.default_learning_rate if learning_rate is None else learning_rate
        self.explicit_learning_rate = learning_rate is not None
        self.reset()

    def reset(self) -> None:
        """Forget all state (moments, velocities, step count)."""
        self.t = 0
        self._state: dict[str, np.ndarray] = {}
        self._scratch: np.ndarray | None = None
        self._scratch2: np.ndarray | None = None
        self._bounds_stale = False  # a step without ‖g‖² left the bounds behind the state

    def step(self, params: np.ndarray, grad: np.ndarray, lr: float, *, grad_sq_norm: float | None = None) -> None:
        """One update of ``params`` (1-D) from ``grad`` (same shape), in place.

        ``grad_sq_norm``: ‖grad‖² (e.g. ``float(grad @ grad)``, of the gradient as passed, after
        any clipping), when the caller already computed it; it must be finite, which also says
        that grad is. With it most steps need no norm of their own. Without it Adam's rules
        compute it (one dot product) and the others check their step's norm (one dot product).
        Raises :class:`DivergenceError`, leaving ``params`` as they were, when the step overflows.
        """
        if not isinstance(params, np.ndarray) or params.ndim != 1:
            raise ShapeError(f"params: expected the 1-D flat parameter vector, received {describe(params)}")
        if params.dtype.kind != "f":
            raise InputTypeError(f"params: expected a floating-point array (updated in place), received {describe(params)}")
        if not isinstance(grad, np.ndarray) or grad.shape != params.shape:
            raise ShapeError(f"grad: expected an array of shape {params.shape} like params, received {describe(grad)}")
        if not (isinstance(lr, Real) and math.isfinite(lr) and lr >= 0):
            raise ValidationError(f"lr: expected a finite number >= 0, received {describe(lr)}")
        if grad_sq_norm is not None and not (
            (type(grad_sq_norm) is float or (isinstance(grad_sq_norm, Real) and not isinstance(grad_sq_norm, (bool, np.bool_))))
            and 0 <= grad_sq_norm < math.inf
        ):
            raise ValidationError(f"grad_sq_norm: expected ‖grad‖², a finite number >= 0, received {describe(grad_sq_norm)}")
        if self._scratch is None or self._scratch.shape != params.shape or self._scratch.dtype != params.dtype:
            self._allocate(params)
        self.t += 1
        lr = float(lr)
        if grad_sq_norm is None and not self._needs_grad_sq_norm:
            # No ‖g‖²: the step is checked, its dot product costing what ‖g‖² would have.
            self._bounds_stale = True
            constants, proven = self._prepare(lr, None)[0], False
        else:
            if self._bounds_stale:
                self._bounds_from_state()
                self._bounds_stale = False
            if grad_sq_norm is not None:
                g2 = float(grad_sq_norm)
            else:  # an integer dot product could wrap around: no bound from it
                g2 = float(grad @ grad) if grad.dtype.kind == "f" else math.inf
            # + tiny: squares that underflowed to 0 in the dot product still count (gᵢ² ≤ ‖g‖² + tiny)
            constants, bound = self._prepare(lr, g2 + self._tiny)
            proven = params.size * bound * bound <= self._limit  # False for an infinite or NaN bound
        if not proven:
            step = self._direction(params, grad, self._scratch, self._state_arrays, constants)
            # A step whose norm overflows is never applied, so the parameters stay the last finite
            # ones (the optimizer's state has advanced).
            if not math.isfinite(float(step @ step)):
                raise DivergenceError(
                    f"the update at learning rate {lr} overflows (its norm is not finite); the parameters "
                    "were left as they were before it"
                )
            params -= step
        elif params.size <= self.chunk_size:
            params -= self._direction(params, grad, self._scratch, self._state_arrays, constants)
        else:
            self._apply_in_chunks(params, grad, constants)

    def step_in_gradient(self, params: np.ndarray, grad: np.ndarray, lr: float, *, grad_sq_norm: float) -> float:
        """:meth:`step` for a caller whose ``grad`` is scratch the rule may overwrite (the trainer's buffer).

        ``grad_sq_norm`` is required and trusted (‖grad‖², finite), as are the shapes. Returns k
        such that ``grad`` now holds k · g (1.0: untouched). A rule overrides it when using the
        gradient's memory for its step saves passes (plain gradient descent does).
        """
        self.step(params, grad, lr, grad_sq_norm=grad_sq_norm)
        return 1.0

    def _allocate(self, params: np.ndarray) -> None:
        """Scratch and state arrays for ``params`` (the first step, or after load_state_dict)."""
        if self._state and next(iter(self._state.values())).shape != params.shape:
            raise ShapeError(
                f"params: this optimizer's state has shape {next(iter(self._state.values())).shape}, "
                f"received {params.shape}; call reset() to use it on another network"
            )
        self._scratch = np.empty_like(params)
        self._scratch2 = None
        for key in self._state_names:
            if key not in self._state:
                self._state[key] = np.zeros_like(params)
            else:
                self._state[key] = self._state[key].astype(params.dtype, copy=False)
        self._state_arrays = tuple(self._state[key] for key in self._state_names)
        info = np.finfo(params.dtype)
        self._limit = float(info.max) * _HEADROOM
        self._tiny = float(info.tiny)
        # Per step, a bound grows by this factor to cover the rounding of the passes it bounds.
        self._growth = 1.0 + 4.0 * float(info.eps)

    def _apply_in_chunks(self, params: np.ndarray, grad: np.ndarray, constants: Any) -> None:
        """θ ← θ − s, s computed and applied chunk by chunk (its entries are proven finite)."""
        n, size = params.size, self.chunk_size
        scratch = self._scratch  # its first chunk_size entries serve every chunk, staying in cache
        for start in range(0, n, size):
            part = slice(start, start + size)
            p = params[part]
            p -= self._direction(p, grad[part], scratch[: p.size], tuple(a[part] for a in self._state_arrays),
                                 constants)

    def _prepare(self, lr: float, grad_sq_norm: float | None) -> tuple[Any, float]:
        """Advance the scalar state; return (constants for ``_direction``, bound on |sᵢ|)."""
        return lr, math.inf

    def _direction(self, p: np.ndarray, g: np.ndarray, s: np.ndarray, state: tuple[np.ndarray, ...],
                   constants: Any) -> np.ndarray:
        """Update ``state`` and return the step (in ``s``, or a state view): the update is θ ← θ − step."""
        raise NotImplementedError

    def _second_buffer(self, like: np.ndarray) -> np.ndarray:
        """A second scratch vector of ``like``'s size, for rules that need two (allocated once)."""
        if self._scratch2 is None:
            self._scratch2 = np.empty_like(self._scratch)
        return self._scratch2[: like.size]

    def _bounds_from_state(self) -> None:
        """Set the state's bounds from its arrays (after load_state_dict); rules with bounds override."""

    def hyperparameters(self) -> dict[str, Any]:
        """The constructor's arguments other than the learning rate."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: name, hyperparameters, step count and state arrays (copies)."""
        return {
            "name": self.name,
            "t": self.t,
            "hyperparameters": self.hyperparameters(),
            "state": {k: v.copy() for k, v in self._state.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        if not isinstance(state, dict):
            raise InputTypeError(f"state: expected the dict returned by state_dict(), received {describe(state)}")
        if state.get("name") != self.name:
            got = state.get("name")
            raise ValidationError(f"state: expected a state_dict of optimizer {self.name!r}, received {got!r}")
        arrays = state.get("state", {})
        if not isinstance(arrays, dict):
            raise InputTypeError(f"state['state']: expected a dict of arrays, received {describe(arrays)}")
        unknown = set(arrays) - set(self._state_names)
        if unknown:
            raise ValidationError(f"state: unexpected arrays {sorted(map(str, unknown))} for optimizer {self.name!r}")
        converted = {k: np.array(v) for k, v in arrays.items()}
        for key, array in converted.items():
            if array.dtype.kind not in "fiu":
                raise InputTypeError(f"state['state'][{key!r}]: expected an array of numbers, received {describe(array)}")
        shapes = {a.shape for a in converted.values()}
        if len(shapes) > 1 or any(len(s) != 1 for s in shapes):
            raise ShapeError(f"state: expected 1-D arrays of one shape, received shapes {sorted(shapes)}")
        t = check_int(state.get("t", 0), "state['t']", minimum=0)
        self.reset()
        self.t = t
        self._state = converted
        self._bounds_from_state()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in {"learning_rate": self.learning_rate, **self.hyperparameters()}.items())
        return f"{type(self).__name__}({args})"
