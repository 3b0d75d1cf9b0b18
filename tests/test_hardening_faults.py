"""Numerical faults: overflow-prone inputs and huge learning rates never give a silent NaN.

Each case either returns finite results or raises the documented :class:`DivergenceError`
with the last finite parameters kept (``np.isfinite(net.params).all()`` afterwards).
Regression tests for the faults this hardening found sit at the end.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp


def test_update_k_uses_the_schedules_rate_for_step_k():
    """Regression: after the first update the trainer used the rate of step k − 1."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    net = bp.Network([3, 1], "sigmoid", "bce", seed=0)
    manual = net.copy()
    seen = []
    h = net.fit(X, y, optimizer="sgd", learning_rate=lambda s: seen.append(s) or 0.1 / (1 + s), epochs=3,
                batch_size=None)
    for k in range(3):
        _, g = manual.cost_and_gradient(X, y)
        manual.params -= 0.1 / (1 + k) * g
    np.testing.assert_allclose(net.params, manual.params, rtol=1e-14)
    assert h["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])  # the logged rate is the one used
    assert sorted(set(seen)) == [0, 1, 2]
