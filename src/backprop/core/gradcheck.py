"""Gradient checking: backpropagation against two-sided finite differences, with their own error.

For every entry θ_i of the flat parameter vector,

    ĝ_i = (J(θ + h e_i) − J(θ − h e_i)) / (2h),

computed in float64 on a copy of the network. The agreement is the relative difference

    ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖),

over all parameters and for each layer (its W and b together).

A finite difference is itself wrong by two amounts: truncation (about C h², from the curvature)
and rounding (about u |J| / h, u = 2.2e-16 the float64 unit roundoff, |J| the cost's scale). So
the check also takes the step 2h and estimates the error of each ĝ_i as

    e_i = |ĝ_i(h) − ĝ_i(2h)| + |J(θ + h e_i) − 2 J(θ) + J(θ − h e_i)| / h
          + 4 u (|J(θ + h e_i)| + |J(θ − h e_i)|) / (2h),

(the first term sees truncation and rounding noise; the second, the gap between the one-sided
slopes, sees a kink such as ReLU's at 0 inside [θ − h, θ + h]; the third bounds rounding),
and reports ``‖e‖ / (‖g‖ + ‖ĝ‖)`` beside the difference. The verdict is PASS when the relative
difference is below ``tolerance`` plus twice that estimate: a difference the finite differences
cannot resolve is not blamed on backpropagation, while a wrong derivative (a relative difference
near 1) still fails. Kinks (ReLU at 0, MAE at a = y) show up as a large estimate.
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


@dataclass(frozen=True, repr=False)
class GradientCheck:
    """The outcome of :func:`check_gradients`.

    ``relative_difference``: over all parameters; ``per_layer``: one value per layer
    (W[l] and b[l] together); ``analytic`` and ``numeric``: the two flat gradients;
    ``error_estimate`` and ``per_layer_estimate``: the finite differences' own error, in the
    same relative units (see the module notes); ``eps``: the step h.
    """

    relative_difference: float
    per_layer: tuple[float, ...]
    analytic: np.ndarray
    numeric: np.ndarray
    tolerance: float = 1e-7
    error_estimate: float = 0.0
    per_layer_estimate: tuple[float, ...] = ()
    eps: float = 1e-7

    def _bound(self, estimate: float) -> float:
        return self.tolerance + 2.0 * estimate

    @property
    def passed(self) -> bool:
        """True when the overall relative difference is below ``tolerance`` + 2 × ``error_estimate``."""
        return self.relative_difference < self._bound(self.error_estimate)

    @property
    def per_layer_passed(self) -> tuple[bool, ...]:
        """One verdict per layer, by the same rule as :attr:`passed`."""
        estimates = self.per_layer_estimate or (0.0,) * len(self.per_layer)
        return tuple(d < self._bound(e) for d, e in zip(self.per_layer, estimates))

    def _rows(self) -> list[tuple[str, float, float, bool]]:
        estimates = self.per_layer_estimate or (0.0,) * len(self.per_layer)
        rows = [(f"layer {l} (W[{l}], b[{l}])", d, e, ok)
                for l, (d, e, ok) in enumerate(zip(self.per_layer, estimates, self.per_layer_passed), start=1)]
        rows.append(("overall", self.relative_difference, self.error_estimate, self.passed))
        return rows

    def __str__(self) -> str:
        lines = [f"{name}: relative difference {d:.3e}  (finite-difference error ≈ {e:.1e})  {'PASS' if ok else 'FAIL'}"
                 for name, d, e, ok in self._rows()]
        lines.append(f"PASS means below tolerance {self.tolerance:g} + 2 × the error estimate (step h = {self.eps:g}, float64)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (f"GradientCheck({verdict}: relative difference {self.relative_difference:.2e}, finite-difference "
                f"error ≈ {self.error_estimate:.1e}, {len(self.per_layer)} layers, {self.analytic.size} parameters)")

    def _repr_html_(self) -> str:
        from ..display import gradient_check_html

        return gradient_check_html(self)


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
    a float64 copy. Costs 4 · n_params forward passes (steps h and 2h, for the error estimate).
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
    error = np.empty_like(theta)
    u = np.finfo(np.float64).eps / 2  # float64 unit roundoff: the check runs on a float64 copy
    with np.errstate(over="ignore", invalid="ignore"):
        J0 = cost()
        for i in range(theta.size):
            saved = theta[i]
            J = []
            for step in (eps, -eps, 2 * eps, -2 * eps):
                theta[i] = saved + step
                J.append(cost())
            theta[i] = saved
            numeric[i] = (J[0] - J[1]) / (2 * eps)
            coarse = (J[2] - J[3]) / (4 * eps)
            kink = abs(J[0] - 2 * J0 + J[1]) / eps  # one-sided slopes differ: a kink between θ − h and θ + h
            error[i] = abs(numeric[i] - coarse) + kink + 4 * u * (abs(J[0]) + abs(J[1])) / (2 * eps)
    slices = [np.r_[w, b] for w, b in ((np.arange(theta.size)[w], np.arange(theta.size)[b]) for w, b in net64.layer_slices())]
    per_layer = tuple(relative_difference(analytic[i], numeric[i]) for i in slices)
    per_layer_estimate = tuple(_relative_error(error[i], analytic[i], numeric[i]) for i in slices)
    return GradientCheck(relative_difference(analytic, numeric), per_layer, analytic, numeric, tolerance,
                         _relative_error(error, analytic, numeric), per_layer_estimate, eps)


def _relative_error(error: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """‖e‖ / (‖a‖ + ‖b‖): the finite differences' error in the units of the relative difference."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    norm = float(np.linalg.norm(error))
    return (0.0 if norm == 0 else float("inf")) if denom == 0 else norm / float(denom)
