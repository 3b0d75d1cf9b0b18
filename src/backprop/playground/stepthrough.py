"""The playground's step-through: one training iteration walked phase by phase (each layer's
forward step, the cost, each layer's backward step, the optimizer's update), the update being the
optimizer's step with the gradient computed at the start. What the page shows of each phase is
:func:`backprop.playground.explain_panel.stepthrough_phase`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.validation import DivergenceError, ValidationError

if TYPE_CHECKING:
    from .session import Session

__all__ = ["stepthrough_action"]


def stepthrough_action(session: Session, action: str) -> None:
    """'start' a walk through one iteration, go to the 'next' phase, or 'stop' (under the session's lock)."""
    if action == "stop":
        session.stepthrough = None
        return
    if action not in ("start", "next"):
        raise ValidationError(f"action: expected 'start', 'next' or 'stop', received {action!r}")
    if session.diverged:
        raise ValidationError("training diverged: press reset before stepping through")
    L = session.net.n_layers
    if action == "start" or session.stepthrough is None:
        A0, Y, idx = session._next_batch()
        try:
            cache, cost, g2 = session._forward_backward(A0, Y)
        except DivergenceError as exc:
            session.diverged = session._diverged_message(exc)
            return
        phases = [("forward", l) for l in range(1, L + 1)] + [("cost", L)]
        phases += [("backward", l) for l in range(L, 0, -1)] + [("update", 0)]
        session.stepthrough = {"phases": phases, "at": 0, "A0": A0, "Y": Y, "cache": cache, "cost": cost,
                           "g2": g2, "grad": session.grad.copy(), "idx": idx}
        return
    st = session.stepthrough
    if st["phases"][st["at"]][0] == "update":
        session.stepthrough = None
        return
    st["at"] += 1
    if st["phases"][st["at"]][0] == "update":
        # The update: the optimizer's step with the gradient computed at "start".
        before = session.net.params.copy()
        np.copyto(session.grad, st["grad"])
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                session.optimizer.step(session.net.params, session.grad, session.config["learning_rate"], grad_sq_norm=st["g2"])
        except DivergenceError as exc:
            session.diverged = session._diverged_message(exc)
            return
        session.iteration += 1
        session._pos += st["A0"].shape[1]
        if session._pos >= session.X_train.shape[0]:
            session._pos = 0
            session.epoch += 1
        session.last = {"A0": st["A0"], "Y": st["Y"], "idx": st["idx"], "cache": st["cache"],
                        "grad": st["grad"], "cost": st["cost"], "before": before,
                        "after": session.net.params.copy(), "iteration": session.iteration,
                        "dropout": session.dropout is not None}
        session._grad_norms()
        session._record()
