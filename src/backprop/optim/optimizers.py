"""First-order optimizers acting in place on the flat parameter vector: each rule as its formula.

An optimizer is state plus one update: ``step(params, grad, lr)`` changes ``params``
in place from the flat gradient ``grad`` (same layout) at learning rate ``lr``
(the trainer evaluates the schedule). Its state (velocities, moments, step count)
is created at the first step, lives in flat arrays of the parameters' dtype and
survives between calls, so ``partial_fit`` continues where the last call stopped.

The update rules are ``torch.optim``'s (same hyperparameters, same results to
rounding); each class's docstring writes its rule and its ``_direction`` computes it: a
fixed number of elementwise numpy passes into preallocated buffers, no per-layer loop, no
allocation after the first step.

A step with a non-finite entry is never applied. How a rule proves its steps finite (the
bounds each keeps in ``_prepare``, below its formula) and how steps are applied is the
private module :mod:`backprop.optim._proof`, which also states the contract for adding a
rule.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from ..core.validation import (
    InputTypeError,
    ValidationError,
    check_nonnegative_float,
    check_positive_float,
    describe,
)
from ._proof import Optimizer, _finite_or_none, _max_abs, _nonnegative_max

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
    value = check_nonnegative_float(value, name)
    if value >= 1:
        raise ValidationError(f"{name}: expected a number in [0, 1), received {value}")
    return value


class GradientDescent(Optimizer):
    """The course's update: θ ← θ − α g  (``torch.optim.SGD`` without momentum)."""

    name = "sgd"

    def _direction(self, p, g, s, state, lr):
        return np.multiply(g, lr, out=s)

    def step_in_gradient(self, params, grad, lr, *, grad_sq_norm):
        """θ ← θ − α g with the gradient buffer as the step α g (finite, since its norm is): no scratch
        vector, so faster than :meth:`step`, and bit for bit the course's ``update_parameters``.
        ``grad`` is left holding α g (the return value α says so)."""
        if not (0 < lr and math.isfinite(lr * lr * grad_sq_norm)):
            return super().step_in_gradient(params, grad, lr, grad_sq_norm=grad_sq_norm)
        if params.size <= 4 * self.chunk_size:
            grad *= lr
            params -= grad
        else:  # chunk by chunk, so each chunk of α g is still in cache when θ reads it
            for start in range(0, params.size, self.chunk_size):
                step = grad[start : start + self.chunk_size]
                step *= lr
                chunk = params[start : start + self.chunk_size]
                chunk -= step
        self.t += 1
        return lr

    # ---------------------------------------------------------------- finiteness proof (see _proof)
    def _prepare(self, lr, grad_sq_norm):
        # |α gᵢ| ≤ α ‖g‖: with ‖g‖² known, the step needs no norm of its own.
        if grad_sq_norm is None or lr > self._limit:
            return lr, math.inf
        return lr, lr * math.sqrt(grad_sq_norm)


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

    def _direction(self, p, g, s, state, lr):
        (v,) = state
        v *= self.momentum
        v += g
        return np.multiply(v, lr, out=s)

    # ---------------------------------------------------------------- finiteness proof (see _proof)
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


class Nesterov(Momentum):
    """Nesterov momentum, as ``torch.optim.SGD(momentum=μ, nesterov=True)``:

    v ← μ v + g;  θ ← θ − α (g + μ v).
    """

    name = "nesterov"

    def _direction(self, p, g, s, state, lr):
        (v,) = state
        v *= self.momentum
        v += g
        np.multiply(v, self.momentum, out=s)
        s += g
        s *= lr
        return s

    # ---------------------------------------------------------------- finiteness proof (see _proof)
    def _prepare(self, lr, grad_sq_norm):
        if grad_sq_norm is None:
            return lr, math.inf
        grad_bound = math.sqrt(grad_sq_norm)
        bound = self._velocity_bound = (self.momentum * self._velocity_bound + grad_bound) * self._growth
        direction = (grad_bound + self.momentum * bound) * self._growth
        safe = lr <= self._limit and bound <= self._limit and direction <= self._limit
        return lr, lr * direction if safe else math.inf


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

    # ---------------------------------------------------------------- finiteness proof (see _proof)
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

    # ---------------------------------------------------------------- finiteness proof (see _proof)
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

    def _bounds_from_state(self):
        arrays = self._state
        if "exp_avg" in arrays and "exp_avg_sq" in arrays:
            unit_m, unit_v = (1.0, 1.0) if self._scaled else (1 - self.beta_1, 1 - self.beta_2)
            self._exp_avg_bound = _max_abs(arrays["exp_avg"]) / unit_m
            self._exp_avg_sq_bound = _nonnegative_max(arrays["exp_avg_sq"]) / unit_v

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


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``:

    θ ← θ (1 − α λ), then the Adam step.  Default λ = 0.01. The decay applies to every
    parameter, biases included, as in torch (``l2`` in ``fit`` is the coupled, weights-only form).
    """

    name = "adamw"

    def __init__(self, learning_rate: Any = None, beta_1=0.9, beta_2=0.999, eps=1e-8, weight_decay: float = 0.01):
        super().__init__(learning_rate, beta_1, beta_2, eps)
        self.weight_decay = check_nonnegative_float(weight_decay, "weight_decay")

    def hyperparameters(self):
        return {**super().hyperparameters(), "weight_decay": self.weight_decay}

    def _direction(self, p, g, s, state, constants):
        # θ(1 − αλ) − adam = θ − (adam + αλθ)
        c, eps, decay = constants
        super()._direction(p, g, s, state, (c, eps))
        s += np.multiply(p, decay, out=self._second_buffer(p))
        return s

    # ---------------------------------------------------------------- finiteness proof (see _proof)
    def _prepare(self, lr, grad_sq_norm):
        constants, _ = super()._prepare(lr, grad_sq_norm)
        # The decay α λ θ is bounded only through max |θ|, another pass: its step is always checked.
        return (*constants, lr * self.weight_decay), math.inf


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
