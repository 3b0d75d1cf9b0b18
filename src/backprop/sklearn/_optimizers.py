"""scikit-learn's two stochastic update rules, as backprop optimizers over the flat vector.

backprop's own optimizers follow ``torch.optim``; scikit-learn's MLP writes Adam's ε and the
momentum velocity differently, and ``epsilon``/``momentum`` should mean what they mean there.
Each rule below is scikit-learn's ``_stochastic_optimizers`` one, in numpy passes into
preallocated buffers (the :class:`~backprop.optim.Optimizer` contract).
"""

from __future__ import annotations

import math

import numpy as np

from ..optim import Adam, Optimizer
from ..optim.optimizers import _max_abs

__all__ = ["SklearnAdam", "SklearnSGD"]


class SklearnAdam(Adam):
    """Adam as scikit-learn's ``AdamOptimizer``: ε is added to √v, not to the bias-corrected √v̂:

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − α √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√v + ε).

    The moments are held as :class:`~backprop.optim.Adam` holds them (rescaled); only the
    step's two constants differ.
    """

    name = "sklearn_adam"

    def _step_constants(self, lr, bc1, bc2, scaled):
        if scaled:  # α √bc2 / bc1 · (1 − β₁) m̃ / (√(1 − β₂) √ṽ + ε), divided through by √(1 − β₂)
            root = math.sqrt(1 - self.beta_2)
            return lr * math.sqrt(bc2) * (1 - self.beta_1) / (bc1 * root), self.eps / root
        return lr * math.sqrt(bc2) / bc1, self.eps


class SklearnSGD(Optimizer):
    """SGD with momentum as scikit-learn's ``SGDOptimizer``; the velocity u holds past updates:

    u ← μ u − α g;  θ ← θ + u,  or with Nesterov's momentum θ ← θ + μ u − α g.
    Under a constant α this is torch's rule; when α changes (invscaling, adaptive) u keeps the
    rates of the past steps. μ = 0 is plain gradient descent.
    """

    name = "sklearn_sgd"
    _state_names = ("velocity",)

    def __init__(self, learning_rate=None, momentum: float = 0.9, nesterov: bool = True):
        super().__init__(learning_rate)
        self.momentum = float(momentum)  # in [0, 1], checked by the estimator
        self.nesterov = bool(nesterov)

    def hyperparameters(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def reset(self) -> None:
        super().reset()
        self._velocity_bound = 0.0  # ≥ max |u|

    def _bounds_from_state(self):
        self._velocity_bound = _max_abs(self._state["velocity"]) if "velocity" in self._state else 0.0

    def _prepare(self, lr, grad_sq_norm):
        if grad_sq_norm is None:
            return lr, math.inf
        mu, growth, limit = self.momentum, self._growth, self._limit
        scaled_grad = lr * math.sqrt(grad_sq_norm)  # ≥ max |α g|
        bound = self._velocity_bound = (mu * self._velocity_bound + scaled_grad) * growth
        direction = (scaled_grad + mu * bound) * growth if self.nesterov else bound
        safe = lr <= limit and scaled_grad <= limit and bound <= limit and direction <= limit
        return lr, direction if safe else math.inf

    def _direction(self, p, g, s, state, lr):
        (u,) = state
        np.multiply(g, lr, out=s)  # s = α g
        u *= self.momentum
        u -= s
        if self.nesterov:  # θ + (μ u − α g) = θ − (α g − μ u)
            s -= np.multiply(u, self.momentum, out=self._second_buffer(u))
        else:  # θ + u = θ − (−u)
            np.negative(u, out=s)
        return s
