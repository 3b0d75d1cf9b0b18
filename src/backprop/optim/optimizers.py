"""First-order optimizers acting in place on the flat parameter vector.

An optimizer is state plus one update: ``step(params, grad, lr)`` changes ``params``
in place from the flat gradient ``grad`` (same layout) at learning rate ``lr``
(the trainer evaluates the schedule). Its state (velocities, moments, step count)
is created at the first step, lives in flat arrays of the parameters' dtype and
survives between calls, so ``partial_fit`` continues where the last call stopped.

The update rules are ``torch.optim``'s (same hyperparameters, same results to
rounding); each class's docstring writes its rule. Every update runs in a fixed
number of whole-vector numpy passes into preallocated buffers: no per-layer loop,
no allocation after the first step.
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


def _check_beta(value: Any, name: str) -> float:
    value = check_positive_float(value, name, allow_zero=True)
    if value >= 1:
        raise ValidationError(f"{name}: expected a number in [0, 1), received {value}")
    return value


class Optimizer:
    """Base class. Subclasses list their state arrays in ``_state_names`` and implement ``_direction``
    (write the step s; :meth:`step` checks it and applies θ ← θ − s).

    ``learning_rate``: the default rate (a number or a schedule) used when the trainer is
    given none. ``t`` counts the updates made.
    """

    name: str = ""
    default_learning_rate: float = 0.01
    _state_names: tuple[str, ...] = ()

    def __init__(self, learning_rate: Any = None):
        if learning_rate is not None:
            as_schedule(learning_rate)  # a number must be finite and > 0 (raises naming learning_rate)
        self.learning_rate = self.default_learning_rate if learning_rate is None else learning_rate
        self.explicit_learning_rate = learning_rate is not None
        self.t = 0
        self._scratch: np.ndarray | None = None
        self._state: dict[str, np.ndarray] = {}

    def reset(self) -> None:
        """Forget all state (moments, velocities, step count)."""
        self.t = 0
        self._state = {}
        self._scratch = None

    def step(self, params: np.ndarray, grad: np.ndarray, lr: float) -> None:
        """One update of ``params`` (1-D) from ``grad`` (same shape), in place."""
        if not isinstance(params, np.ndarray) or params.ndim != 1:
            raise ShapeError(f"params: expected the 1-D flat parameter vector, received {describe(params)}")
        if params.dtype.kind != "f":
            raise InputTypeError(f"params: expected a floating-point array (updated in place), received {describe(params)}")
        if not isinstance(grad, np.ndarray) or grad.shape != params.shape:
            raise ShapeError(f"grad: expected an array of shape {params.shape} like params, received {describe(grad)}")
        if not (isinstance(lr, Real) and math.isfinite(lr) and lr >= 0):
            raise ValidationError(f"lr: expected a finite number >= 0, received {describe(lr)}")
        if self._scratch is None or self._scratch.shape != params.shape or self._scratch.dtype != params.dtype:
            if self._state and next(iter(self._state.values())).shape != params.shape:
                raise ShapeError(
                    f"params: this optimizer's state has shape {next(iter(self._state.values())).shape}, "
                    f"received {params.shape}; call reset() to use it on another network"
                )
            self._scratch = np.empty_like(params)
            for key in self._state_names:
                if key not in self._state:
                    self._state[key] = np.zeros_like(params)
                else:
                    self._state[key] = self._state[key].astype(params.dtype, copy=False)
        self.t += 1
        step = self._scratch
        self._direction(params, grad, float(lr), step)
        # One dot product guards the update: a step whose norm overflows is never applied, so
        # the parameters stay the last finite ones (the optimizer's state has advanced).
        if not math.isfinite(float(step @ step)):
            raise DivergenceError(
                f"the update at learning rate {lr} overflows (its norm is not finite); the parameters "
                "were left as they were before it"
            )
        params -= step

    def _direction(self, p: np.ndarray, g: np.ndarray, lr: float, s: np.ndarray) -> None:
        """Update the state and write the step into ``s``: the update is θ ← θ − s."""
        raise NotImplementedError

    def _second_buffer(self, like: np.ndarray) -> np.ndarray:
        """A second scratch vector, for rules that need two (allocated once)."""
        buffer = getattr(self, "_scratch2", None)
        if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype:
            buffer = self._scratch2 = np.empty_like(like)
        return buffer

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

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in {"learning_rate": self.learning_rate, **self.hyperparameters()}.items())
        return f"{type(self).__name__}({args})"


class GradientDescent(Optimizer):
    """The seed's update: θ ← θ − α g  (``torch.optim.SGD`` without momentum)."""

    name = "sgd"

    def _direction(self, p, g, lr, s):
        np.multiply(g, lr, out=s)


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

    def _direction(self, p, g, lr, s):
        v = self._state["velocity"]
        v *= self.momentum
        v += g
        np.multiply(v, lr, out=s)


class Nesterov(Momentum):
    """Nesterov momentum, as ``torch.optim.SGD(momentum=μ, nesterov=True)``:

    v ← μ v + g;  θ ← θ − α (g + μ v).
    """

    name = "nesterov"

    def _direction(self, p, g, lr, s):
        v = self._state["velocity"]
        v *= self.momentum
        v += g
        np.multiply(v, self.momentum, out=s)
        s += g
        s *= lr


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

    def _direction(self, p, g, lr, s):
        r = self._state["square_avg"]
        r *= self.rho
        np.multiply(g, g, out=s)
        s *= 1 - self.rho
        r += s
        np.sqrt(r, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        s *= lr


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``:

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − (α / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
    Defaults α = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    """

    name = "adam"
    default_learning_rate = 0.001
    _state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, learning_rate: Any = None, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate)
        self.beta_1 = _check_beta(beta_1, "beta_1")
        self.beta_2 = _check_beta(beta_2, "beta_2")
        self.eps = check_positive_float(eps, "eps")

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "eps": self.eps}

    def _update_moments(self, g, s):
        """m ← β₁ m + (1 − β₁) g and v ← β₂ v + (1 − β₂) g², in place (``s`` is scratch); returns (m, v)."""
        m, v = self._state["exp_avg"], self._state["exp_avg_sq"]
        # m += (1 − β₁)(g − m) and v += (1 − β₂)(g² − v): the same averages, two passes fewer.
        np.subtract(g, m, out=s)
        s *= 1 - self.beta_1
        m += s
        np.multiply(g, g, out=s)
        s -= v
        s *= 1 - self.beta_2
        v += s
        return m, v

    def _direction(self, p, g, lr, s):
        m, v = self._update_moments(g, s)
        b1, b2, t = self.beta_1, self.beta_2, self.t
        np.sqrt(v, out=s)
        s *= 1 / math.sqrt(1 - b2**t)
        s += self.eps
        np.divide(m, s, out=s)
        s *= lr / (1 - b1**t)


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

    def _direction(self, p, g, lr, s):
        # θ(1 − αλ) − adam = θ − (adam + αλθ)
        super()._direction(p, g, lr, s)
        decay = np.multiply(p, lr * self.weight_decay, out=self._second_buffer(p))
        s += decay


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
