"""scikit-learn's per-epoch bookkeeping, as a learning-rate schedule and a training callback.

scikit-learn's MLP, after every epoch (``_fit_stochastic`` and ``_update_no_improvement_count``):

- adds the epoch's examples to ``t_`` and its mean training loss to ``loss_curve_``;
- counts epochs without improvement: the training loss not below ``best_loss_ − tol``, or, with
  ``early_stopping``, the validation score (accuracy or R²) not above ``best_validation_score_ + tol``
  (the best weights are kept and restored at the end);
- moves the learning rate: ``'invscaling'`` sets lr = lr₀ / (t_ + 1)^power_t, with t_ the number of
  examples seen so far (so the rate is constant within an epoch);
- once the count exceeds ``n_iter_no_change``: ``'adaptive'`` divides lr by 5 and starts counting
  again (until lr ≤ 1e-6), every other schedule stops training (convergence).

:class:`SklearnRate` is that learning rate as a backprop schedule (any optimizer can use it);
:class:`EpochMonitor` is the rest, as a :class:`~backprop.train.Callback`.
"""

from __future__ import annotations

from typing import Any

from ..optim import Schedule
from ..train import Callback

__all__ = ["EpochMonitor", "SklearnRate"]

SKLEARN_RATES = ("constant", "invscaling", "adaptive")


class SklearnRate(Schedule):
    """scikit-learn's ``learning_rate`` ('constant', 'invscaling', 'adaptive') starting at α = lr₀.

    The rate is a function of the examples seen (``t_``), not of the step: the monitor calls
    :meth:`epoch_end` after each epoch and :meth:`stalled` when the loss stops improving.
    """

    name = "sklearn"

    def __init__(self, initial: float, kind: str = "constant", power_t: float = 0.5):
        super().__init__(initial)
        if kind not in SKLEARN_RATES:
            raise ValueError(f"learning_rate: expected one of {SKLEARN_RATES}, received {kind!r}")
        self.kind = kind
        self.power_t = float(power_t)
        self.value = self.initial

    def __call__(self, step: int) -> float:
        return self.value

    def epoch_end(self, samples_seen: int) -> None:
        """'invscaling': lr = lr₀ / (t + 1)^power_t with t the examples seen so far."""
        if self.kind == "invscaling":
            self.value = self.initial / (samples_seen + 1) ** self.power_t

    def stalled(self) -> bool:
        """The loss stalled: 'adaptive' divides the rate by 5 and returns False; True means stop."""
        if self.kind != "adaptive" or self.value <= 1e-6:
            return True
        self.value /= 5.0
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"value": self.value}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.value = float(state["value"])


class EpochMonitor(Callback):
    """Records the curves on the estimator and decides when to stop, as scikit-learn does.

    ``validation`` is ``(X_val, y_val, sample_weight_val)`` with ``early_stopping``, else None;
    ``incremental`` (``partial_fit``) records but never stops. Sets ``converged`` when it stopped
    training because the loss or score stalled.
    """

    def __init__(self, estimator: Any, n_train: int, validation: Any, rate: SklearnRate | None,
                 incremental: bool, stochastic: bool = True):
        self.estimator = estimator
        self.n_train = n_train
        self.validation = validation
        self.rate = rate
        self.incremental = incremental
        self.stochastic = stochastic
        self.converged = False
        self.epochs = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        est = self.estimator
        self.epochs += 1
        est.t_ += self.n_train
        est.loss_ = float(logs["loss"])
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {len(est.loss_curve_)}, loss = {est.loss_:.8f}")
        if "val_loss" in logs:
            est.validation_loss_curve_.append(float(logs["val_loss"]))
        if not self.stochastic:  # L-BFGS: scipy decides when to stop
            est.best_loss_ = min(est.best_loss_, est.loss_)
            return False
        if self.validation is not None:
            score = est._validation_score(*self.validation)
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_params = est.network_.params.copy()
        else:
            if est.loss_ > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            est.best_loss_ = min(est.best_loss_, est.loss_)
        if self.rate is not None:
            self.rate.epoch_end(est.t_)
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if self.validation is not None else "Training loss"
            message = f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} consecutive epochs."
            if self.rate is None or self.rate.stalled():
                if est.verbose:
                    print(message + " Stopping.")
                if not self.incremental:
                    self.converged = True
                    return True
            else:
                est._no_improvement_count = 0
                if est.verbose:
                    print(message + f" Setting learning rate to {self.rate.value:f}")
        return False
