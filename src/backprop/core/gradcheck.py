"""Gradient checking: backpropagation against two-sided finite differences.

For every entry θ_i of the flat parameter vector,

    ĝ_i = (J(θ + ε e_i) − J(θ − ε e_i)) / (2ε),

computed in float64 on a copy of the network. The agreement is the relative difference

    ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖),

over all parameters and for each layer (its W and b together). Below about 1e-7 the
gradient is right; 1e-5 deserves a look; above 1e-3 something is wrong. Kinks (ReLU at
0, MAE at a = y) can make an honest gradient look worse: keep inputs away from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import Engine
from .validation import InputTypeError, check_nonnegative_float, check_positive_float

__all__ = ["GradientCheck", "check_gradients", "relative_difference"]


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), and 0 when both are zero."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of :func:`check_gradients`.

    ``relative_difference``: over all parameters; ``per_layer``: one value per layer
    (W[l] and b[l] together); ``analytic`` and ``numeric``: the two flat gradients.
    """

    relative_difference: float
    per_layer: tuple[float, ...]
    analytic: np.ndarray
    numeric: np.ndarray
    tolerance: float = 1e-7

    @property
    def passed(self) -> bool:
        """True when the overall relative difference is below ``tolerance``."""
        return self.relative_difference < self.tolerance

    def __str__(self) -> str:
        lines = [f"layer {l}: relative difference {d:.3e}" for l, d in enumerate(self.per_layer, start=1)]
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(f"overall: {self.relative_difference:.3e} (tolerance {self.tolerance:g}) {verdict}")
        return "\n".join(lines)


def check_gradients(
    net: Engine,
    X: Any,
    Y: Any,
    eps: float = 1e-7,
    *,
    sample_weight: Any = None,
    l2: float = 0.0,
    tolerance: float = 1e-7,
) -> GradientCheck:
    """Compare ``net``'s backpropagated gradient with finite differences on (X, Y).

    X has shape (n_samples, n_features) and Y (n_samples, n_outputs) (see
    :meth:`Engine.targets`). The network itself is never modified: the check runs on
    a float64 copy. Costs 2 · n_params forward passes.
    """
    if not isinstance(net, Engine):
        raise InputTypeError(f"net: expected a backprop.Network, received {type(net).__name__}")
    eps = check_positive_float(eps, "eps")
    tolerance = check_positive_float(tolerance, "tolerance")
    l2 = check_nonnegative_float(l2, "l2")
    net64 = net.astype(np.float64)
    A0 = net64._columns(X)
    m = A0.shape[1]
    Yc = net64.targets(Y, m)
    coef = Engine.coefficients(m, sample_weight)
    l2_over_m = l2 * Engine._l2_scale(m, sample_weight) if l2 else 0.0
    cache = net64.make_cache(m)

    def cost() -> float:
        J = net64.cost_columns(net64.forward_columns(A0, cache), Yc, coef)
        return J + net64.add_l2(None, l2_over_m) if l2_over_m else J

    analytic = net64.backward_columns(net64.forward_columns(A0, cache), Yc, coef)
    if l2_over_m:
        net64.add_l2(analytic, l2_over_m)
    theta = net64.params
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + eps
        J_plus = cost()
        theta[i] = saved - eps
        J_minus = cost()
        theta[i] = saved
        numeric[i] = (J_plus - J_minus) / (2 * eps)
    per_layer = tuple(
        relative_difference(np.concatenate([analytic[w], analytic[b]]), np.concatenate([numeric[w], numeric[b]]))
        for w, b in net64.layer_slices()
    )
    return GradientCheck(relative_difference(analytic, numeric), per_layer, analytic, numeric, tolerance)
