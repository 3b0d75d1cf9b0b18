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

__all__ = ["SklearnAdam", "SklearnSGD"]


class SklearnAdam(Adam):
    """Adam as scikit-learn's ``AdamOptimizer``: ε is added to √v, not to the bias-corrected √v̂:

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − α √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√v + ε).
    """

    name = "sklearn_adam"

    def _direction(self, p, g, lr, s):
        m, v = self._update_moments(g, s)
        b1, b2, t = self.beta_1, self.beta_2, self.t
        np.sqrt(v, out=s)
        s += self.eps
        np.divide(m, s, out=s)
        s *= lr * math.sqrt(1 - b2**t) / (1 - b1**t)


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

    def _direction(self, p, g, lr, s):
        u, mu = self._state["velocity"], self.momentum
        np.multiply(g, lr, out=s)  # s = α g
        u *= mu
        u -= s
        if self.nesterov:  # θ + (μ u − α g) = θ − (α g − μ u)
            s -= np.multiply(u, mu, out=self._second_buffer(u))
        else:  # θ + u = θ − (−u)
            np.negative(u, out=s)
