"""First-order optimizers acting in place on the flat parameter vector.

An optimizer is state plus one update: ``step(params, grad, lr)`` changes ``params``
in place from the flat gradient ``grad`` (same layout) at learning rate ``lr``
(the trainer evaluates the schedule). Its state (velocities, moments, step count)
is created at the first step, lives in flat arrays of the parameters' dtype and
survives between calls, so ``partial_fit`` continues where the last call stopped.

The update rules are ``torch.optim``'s (same hyperparameters, same results to
rounding); each class's docstring writes its rule. Every update is a fixed number of
elementwise numpy passes into preallocated buffers: no per-layer loop, no allocation
after the first step.

A step with a non-finite entry is never applied. Each rule keeps upper bounds on the
size of its state (Python floats, advanced from ‖grad‖² at every step); when they
prove every entry of this step finite, the step is computed and applied
``chunk_size`` elements at a time, so its passes over a chunk stay in cache. Otherwise
the whole step is written to a scratch vector, its norm is checked (one dot product)
and it is applied only if finite: the parameters then stay the last finite ones.
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
    check_positive_float,
    check_positive_int,
    describe,
)
from .schedules import as_schedule

__all__ = [
    "Optimizer",
    "GradientDescent",
    "Momentum",
    "Nesterov",
    "RMSprop",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "get_optimizer",
]

# A bound counts as safely finite when it is at most finfo.max · _HEADROOM, and a step of n entries
# each at most S is applied unchecked when n·S² is: the factor absorbs the rounding of the bounds,
# of the caller's ‖grad‖² and of a float32 dot product over millions of entries.
_HEADROOM = 1.0 / 64


def _check_beta(value: Any, name: str) -> float:
    value = check_positive_float(value, name, allow_zero=True)
    if value >= 1:
        raise ValidationError(f"{name}: expected a number in [0, 1), received {value}")
    return value


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
        t = check_positive_int(state.get("t", 0), "state['t']", minimum=0)
        self.reset()
        self.t = t
        self._state = converted
        self._bounds_from_state()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in {"learning_rate": self.learning_rate, **self.hyperparameters()}.items())
        return f"{type(self).__name__}({args})"


class GradientDescent(Optimizer):
    """The course's update: θ ← θ − α g  (``torch.optim.SGD`` without momentum)."""

    name = "sgd"

    def _prepare(self, lr, grad_sq_norm):
        # |α gᵢ| ≤ α ‖g‖: with ‖g‖² known, the step needs no norm of its own.
        if grad_sq_norm is None or lr > self._limit:
            return lr, math.inf
        return lr, lr * math.sqrt(grad_sq_norm)

    def _direction(self, p, g, s, state, lr):
        return np.multiply(g, lr, out=s)


class Momentum(Optimizer):
    """Heavy-ball momentum, as ``torch.optim.SGD(momentum=μ)``:

    v ← μ v + g;  θ ← θ − α v   (v starts at 0, so the first step is plain gradient descent).
    """

    name = "momentum"
    _state_names = ("velocity",)

    def __init__(self, learning_rate: Any = None, momentum: float = 0.9):
        super().__init__(learning_rate)
        self.momentum = _check_beta(momentum, "momentum")

    def hyperparameters(self):
        return {"momentum": self.momentum}

    def reset(self) -> None:
        super().reset()
        self._velocity_bound = 0.0  # ≥ max |v|

    def _bounds_from_state(self):
        self._velocity_bound = _max_abs(self._state["velocity"]) if "velocity" in self._state else 0.0

    def _prepare(self, lr, grad_sq_norm):
        if grad_sq_norm is None:
            return lr, math.inf
        bound = self._velocity_bound = (self.momentum * self._velocity_bound + math.sqrt(grad_sq_norm)) * self._growth
        return lr, lr * bound if lr <= self._limit and bound <= self._limit else math.inf

    def _direction(self, p, g, s, state, lr):
        (v,) = state
        v *= self.momentum
        v += g
        return np.multiply(v, lr, out=s)


class Nesterov(Momentum):
    """Nesterov momentum, as ``torch.optim.SGD(momentum=μ, nesterov=True)``:

    v ← μ v + g;  θ ← θ − α (g + μ v).
    """

    name = "nesterov"

    def _prepare(self, lr, grad_sq_norm):
        if grad_sq_norm is None:
            return lr, math.inf
        grad_bound = math.sqrt(grad_sq_norm)
        bound = self._velocity_bound = (self.momentum * self._velocity_bound + grad_bound) * self._growth
        direction = (grad_bound + self.momentum * bound) * self._growth
        safe = lr <= self._limit and bound <= self._limit and direction <= self._limit
        return lr, lr * direction if safe else math.inf

    def _direction(self, p, g, s, state, lr):
        (v,) = state
        v *= self.momentum
        v += g
        np.multiply(v, self.momentum, out=s)
        s += g
        s *= lr
        return s


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (not centered, no momentum):

    r ← ρ r + (1 − ρ) g²;  θ ← θ − α g / (√r + ε).   Defaults ρ = 0.99, ε = 1e-8.
    """

    name = "rmsprop"
    _state_names = ("square_avg",)

    def __init__(self, learning_rate: Any = None, rho: float = 0.99, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.rho = _check_beta(rho, "rho")
        self.eps = check_positive_float(eps, "eps")

    def hyperparameters(self):
        return {"rho": self.rho, "eps": self.eps}

    def reset(self) -> None:
        super().reset()
        self._square_avg_bound = 0.0  # ≥ max r, and every r ≥ 0

    def _bounds_from_state(self):
        self._square_avg_bound = _nonnegative_max(self._state["square_avg"]) if "square_avg" in self._state else 0.0

    def _prepare(self, lr, grad_sq_norm):
        if grad_sq_norm is None:
            return lr, math.inf
        growth, limit = self._growth, self._limit
        bound = self._square_avg_bound = (self.rho * self._square_avg_bound + (1 - self.rho) * grad_sq_norm) * growth
        # √r ≥ 0, so |gᵢ| / (√rᵢ + ε) ≤ ‖g‖ / ε (ε as the dtype rounds it: a normal number)
        if not (bound <= limit and grad_sq_norm <= limit and self.eps >= self._tiny):
            return lr, math.inf
        quotient = math.sqrt(grad_sq_norm) / self.eps * growth * growth
        return lr, lr * quotient if lr <= limit and quotient <= limit else math.inf

    def _direction(self, p, g, s, state, lr):
        (r,) = state
        r *= self.rho
        np.multiply(g, g, out=s)
        s *= 1 - self.rho
        r += s
        np.sqrt(r, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        s *= lr
        return s


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``:

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − (α / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
    Defaults α = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-8.

    Internally the moments are held rescaled, m̃ = m / (1 − β₁) and ṽ = v / (1 − β₂), so that
    m̃ ← β₁ m̃ + g and ṽ ← β₂ ṽ + g² take two and three passes (not three and four) and the
    step is c · m̃ / (√ṽ + ε′), the bias corrections folded into the scalars c and ε′: ten
    passes in all. Same numbers up to rounding. ṽ is 1/(1 − β₂) times v, so it could overflow
    where v does not: when the bounds kept on m̃ and ṽ come near the dtype's range the moments
    go back to torch's form (and its twelve passes) until they shrink again.
    :meth:`state_dict` stores the moments as held (its ``internal`` entry says which form) and
    :meth:`moments` gives them as torch does (``exp_avg`` = m, ``exp_avg_sq`` = v).
    """

    name = "adam"
    default_learning_rate = 0.001
    _state_names = ("exp_avg", "exp_avg_sq")
    _needs_grad_sq_norm = True  # the bounds decide the moments' form before they are updated

    def __init__(self, learning_rate: Any = None, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.beta_1 = _check_beta(beta_1, "beta_1")
        self.beta_2 = _check_beta(beta_2, "beta_2")
        self.eps = check_positive_float(eps, "eps")

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "eps": self.eps}

    def reset(self) -> None:
        super().reset()
        self._scaled = True  # the moments are held as m̃, ṽ (else as torch holds them: m, v)
        # ≥ max |m̃| and ≥ max ṽ, in the rescaled units whatever the form held
        self._exp_avg_bound = 0.0
        self._exp_avg_sq_bound = 0.0

    def _step_constants(self, lr: float, bc1: float, bc2: float, scaled: bool) -> tuple[float, float]:
        """(c, ε′) with the step c · m / (√v + ε′) for the moments as held (bc = 1 − βᵗ)."""
        if scaled:  # (α / bc1) (1 − β₁) m̃ / (√((1 − β₂) ṽ / bc2) + ε), multiplied through by k
            k = math.sqrt(bc2 / (1 - self.beta_2))
            return lr * (1 - self.beta_1) * k / bc1, self.eps * k
        root = math.sqrt(bc2)
        return lr * root / bc1, self.eps * root

    def _prepare(self, lr, grad_sq_norm):
        b1, b2, growth, limit = self.beta_1, self.beta_2, self._growth, self._limit
        m_bound = self._exp_avg_bound = (b1 * self._exp_avg_bound + math.sqrt(grad_sq_norm)) * growth
        v_bound = self._exp_avg_sq_bound = (b2 * self._exp_avg_sq_bound + grad_sq_norm) * growth
        scaled = m_bound <= limit and v_bound <= limit
        if scaled != self._scaled:
            self._convert_moments(scaled)
        c, eps = self._step_constants(lr, 1 - b1**self.t, 1 - b2**self.t, scaled)
        # √ṽ ≥ 0, so |m̃ᵢ| / (√ṽᵢ + ε′) ≤ max |m̃| / ε′ (ε′ as the dtype rounds it: a normal number)
        if not (scaled and eps >= self._tiny):
            return (c, eps), math.inf
        quotient = m_bound / eps * growth * growth
        return (c, eps), c * quotient if c <= limit and quotient <= limit else math.inf

    def _convert_moments(self, scaled: bool) -> None:
        """Rescale the moments in place between the two forms (m̃ = m / (1 − β₁), ṽ = v / (1 − β₂))."""
        m, v = self._state["exp_avg"], self._state["exp_avg_sq"]
        if scaled:
            m /= 1 - self.beta_1
            v /= 1 - self.beta_2
        else:
            m *= 1 - self.beta_1
            v *= 1 - self.beta_2
        self._scaled = scaled

    def _direction(self, p, g, s, state, constants):
        m, v = state
        c, eps = constants
        if self._scaled:  # m̃ ← β₁ m̃ + g;  ṽ ← β₂ ṽ + g²
            m *= self.beta_1
            m += g
            np.multiply(g, g, out=s)
            v *= self.beta_2
            v += s
        else:  # m += (1 − β₁)(g − m);  v += (1 − β₂)(g² − v)
            np.subtract(g, m, out=s)
            s *= 1 - self.beta_1
            m += s
            np.multiply(g, g, out=s)
            s -= v
            s *= 1 - self.beta_2
            v += s
        np.sqrt(v, out=s)
        s += eps
        np.divide(m, s, out=s)
        s *= c
        return s

    # ------------------------------------------------------------------ state
    def moments(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(m, v) as ``torch.optim.Adam`` keeps them (``exp_avg``, ``exp_avg_sq``), as new arrays;
        None before the first step."""
        if not self._state:
            return None
        m, v = self._state["exp_avg"], self._state["exp_avg_sq"]
        if self._scaled:
            return m * (1 - self.beta_1), v * (1 - self.beta_2)
        return m.copy(), v.copy()

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`Optimizer.state_dict`, with the moments as held and ``internal``: their form
        (``"scaled"``: ``exp_avg`` and ``exp_avg_sq`` hold m̃ = m/(1 − β₁) and ṽ = v/(1 − β₂);
        ``"torch"``: m and v) and the bounds, so :meth:`load_state_dict` continues bit for bit
        (m → m̃ does not round-trip exactly). :meth:`moments` gives m and v."""
        state = super().state_dict()
        state["internal"] = {"form": "scaled" if self._scaled else "torch",
                             "bounds": [_finite_or_none(self._exp_avg_bound),
                                        _finite_or_none(self._exp_avg_sq_bound)]}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; without ``internal`` (torch's state, say)
        ``exp_avg`` and ``exp_avg_sq`` are m and v."""
        super().load_state_dict(state)
        self._scaled = False  # the arrays are m and v unless ``internal`` says otherwise
        internal = state.get("internal")
        if internal is None:
            self._bounds_from_state()
            return
        if not isinstance(internal, dict):
            raise InputTypeError(f"state['internal']: expected a dict, received {describe(internal)}")
        form, bounds = internal.get("form"), internal.get("bounds")
        if form not in ("scaled", "torch"):
            raise ValidationError(f"state['internal']['form']: expected 'scaled' or 'torch', received {describe(form)}")
        if not (isinstance(bounds, (list, tuple)) and len(bounds) == 2 and all(
                b is None or (isinstance(b, Real) and not isinstance(b, bool) and b >= 0) for b in bounds)):
            raise ValidationError(f"state['internal']['bounds']: expected two numbers >= 0 or None, received "
                                  f"{describe(bounds)}")
        self._scaled = form == "scaled"
        if not self._state:
            return
        # The bounds decide when the form changes, so a resumed run needs the same ones; they are
        # taken only when they bound these arrays (in the rescaled units, whatever the form).
        self._bounds_from_state()
        m_bound, v_bound = (math.inf if b is None else float(b) for b in bounds)
        if m_bound >= self._exp_avg_bound and v_bound >= self._exp_avg_sq_bound:
            self._exp_avg_bound, self._exp_avg_sq_bound = m_bound, v_bound

    def _bounds_from_state(self):
        arrays = self._state
        if "exp_avg" in arrays and "exp_avg_sq" in arrays:
            unit_m, unit_v = (1.0, 1.0) if self._scaled else (1 - self.beta_1, 1 - self.beta_2)
            self._exp_avg_bound = _max_abs(arrays["exp_avg"]) / unit_m
            self._exp_avg_sq_bound = _nonnegative_max(arrays["exp_avg_sq"]) / unit_v


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``:

    θ ← θ (1 − α λ), then the Adam step.  Default λ = 0.01. The decay applies to every
    parameter, biases included, as in torch (``l2`` in ``fit`` is the coupled, weights-only form).
    """

    name = "adamw"

    def __init__(self, learning_rate: Any = None, beta_1=0.9, beta_2=0.999, eps=1e-8, weight_decay: float = 0.01):
        super().__init__(learning_rate, beta_1, beta_2, eps)
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def hyperparameters(self):
        return {**super().hyperparameters(), "weight_decay": self.weight_decay}

    def _prepare(self, lr, grad_sq_norm):
        constants, _ = super()._prepare(lr, grad_sq_norm)
        # The decay α λ θ is bounded only through max |θ|, another pass: its step is always checked.
        return (*constants, lr * self.weight_decay), math.inf

    def _direction(self, p, g, s, state, constants):
        # θ(1 − αλ) − adam = θ − (adam + αλθ)
        c, eps, decay = constants
        super()._direction(p, g, s, state, (c, eps))
        s += np.multiply(p, decay, out=self._second_buffer(p))
        return s


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (GradientDescent, Momentum, Nesterov, RMSprop, Adam, AdamW)
}
_ALIASES = {"gd": "sgd", "gradient_descent": "sgd"}


def get_optimizer(spec: str | Optimizer, **kwargs: Any) -> Optimizer:
    """A new optimizer by name (``OPTIMIZERS`` plus "lbfgs"), or ``spec`` itself if it is one (an LBFGS too)."""
    from .lbfgs import LBFGS

    if isinstance(spec, (Optimizer, LBFGS)):
        if kwargs:
            raise ValidationError(f"optimizer: got an Optimizer object and extra arguments {sorted(kwargs)}")
        return spec
    if not isinstance(spec, str):
        raise InputTypeError(f"optimizer: expected a name or an Optimizer, received {spec!r}")
    key = _ALIASES.get(spec.lower(), spec.lower())
    if key == "lbfgs":
        return LBFGS(**kwargs)
    if key not in OPTIMIZERS:
        raise ValidationError(f"optimizer: unknown name {spec!r}; expected one of {sorted(OPTIMIZERS) + ['lbfgs']}")
    try:
        return OPTIMIZERS[key](**kwargs)
    except TypeError as exc:
        raise InputTypeError(f"optimizer {key!r}: {exc}") from None
