"""L-BFGS through ``scipy.optimize`` (scipy is the optional extra ``backprop[scipy]``).

Quasi-Newton, full batch: the trainer hands it the whole cost-and-gradient function of
the flat parameter vector and it runs ``scipy.optimize.minimize(method="L-BFGS-B")``.
It has no per-step update, so it cannot be combined with mini-batches or dropout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.validation import check_positive_float, check_positive_int

__all__ = ["LBFGS"]


class LBFGS:
    """Limited-memory BFGS with ``memory`` correction pairs; stops at ``tol`` (scipy's ``gtol``, and its
    ``ftol`` unless ``ftol`` is given)."""

    name = "lbfgs"

    def __init__(self, memory: int = 10, tol: float = 1e-9, max_fun: int = 15000, ftol: float | None = None):
        self.memory = check_positive_int(memory, "memory")
        self.tol = check_positive_float(tol, "tol", allow_zero=True)
        self.ftol = self.tol if ftol is None else check_positive_float(ftol, "ftol", allow_zero=True)
        self.max_fun = check_positive_int(max_fun, "max_fun")
        self.learning_rate = None
        self.result: Any = None

    def minimize(
        self,
        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
        x0: np.ndarray,
        max_iter: int,
        callback: Callable[[np.ndarray], bool | None],
    ) -> np.ndarray:
        """Minimise ``fun`` (cost, gradient) from ``x0`` for at most ``max_iter`` iterations.

        ``callback(x)`` runs after every iteration; returning True stops the run.
        """
        try:
            from scipy.optimize import minimize
        except ImportError:
            raise ImportError("the 'lbfgs' optimizer needs scipy: pip install 'backprop-mlp[scipy]'") from None

        class _Stop(Exception):
            pass

        def on_iteration(xk):
            if callback(xk):
                raise _Stop

        x = x0.astype(np.float64)
        best = {"x": x}

        def tracked(xk):
            best["x"] = xk
            return fun(xk)

        try:
            self.result = minimize(
                tracked, x, jac=True, method="L-BFGS-B", callback=on_iteration,
                options={"maxiter": max_iter, "maxcor": self.memory, "ftol": self.ftol, "gtol": self.tol,
                         "maxfun": self.max_fun},
            )
            return self.result.x
        except _Stop:
            return best["x"]

    def reset(self) -> None:
        self.result = None

    def state_dict(self) -> dict[str, Any]:
        return {"name": self.name, "t": 0, "hyperparameters": {"memory": self.memory, "tol": self.tol, "ftol": self.ftol}, "state": {}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        return f"LBFGS(memory={self.memory}, tol={self.tol}, ftol={self.ftol})"
