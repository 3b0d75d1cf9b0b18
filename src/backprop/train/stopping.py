"""How a run stops: Ctrl-C between steps (:class:`StopFlag`) and early stopping (:class:`EarlyStopping`)."""

from __future__ import annotations

import math
import signal
import threading
from typing import Any

import numpy as np

from ..core.validation import InputTypeError, ValidationError, check_int, check_nonnegative_float, describe

__all__ = ["EarlyStopping", "StopFlag"]


class StopFlag:
    """Turns Ctrl-C into a flag checked between steps, so no update is cut in half.

    ``deferred`` (several processes): Ctrl-C only sets ``pending``; the trainer sums it
    across ranks with the next all-reduce and sets ``raised`` on every rank at once.
    """

    def __init__(self, deferred: bool = False) -> None:
        self.raised = False
        self.pending = False
        self.deferred = deferred
        self._previous: Any = None

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.raised or self.pending:  # a second Ctrl-C: the user insists
            raise KeyboardInterrupt
        if self.deferred:
            self.pending = True
        else:
            self.raised = True

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs; keep the best weights.

    Its memory (best value, epochs waited, best epoch and weights) lives as long as the trainer,
    so a checkpoint resumes it exactly (:meth:`state_dict`). :meth:`watch` sets what one run
    monitors; :meth:`update` is called after every epoch; :meth:`restore` puts the best
    epoch's weights back however the run ended.
    """

    def __init__(self, n_params: int, dtype: Any):
        self.enabled = False
        self.monitor, self.maximize, self.patience, self.min_delta = "val_loss", False, 10, 0.0
        self.best_value = math.inf  # of the value minimised (−accuracy when maximizing)
        self.wait = 0
        self.best_epoch: int | None = None
        self.best_params = np.empty(n_params, dtype=dtype)

    def watch(self, enabled: bool, monitor: str, patience: int, min_delta: float, has_validation: bool) -> None:
        """Check and set one run's options; without validation data "val_loss" falls back to "loss"."""
        if not isinstance(monitor, str):
            raise InputTypeError(f"monitor: expected a logged name such as 'val_loss', received {describe(monitor)}")
        self.patience = check_int(patience, "patience", minimum=0)
        self.min_delta = check_nonnegative_float(min_delta, "min_delta")
        if not has_validation and monitor.startswith("val_"):
            if monitor != "val_loss" and enabled:
                raise ValidationError(f"monitor: {monitor!r} needs validation_data or validation_split")
            monitor = monitor[4:]
        self.enabled, self.monitor, self.maximize = bool(enabled), monitor, "accuracy" in monitor

    def update(self, epoch: int, logs: dict[str, float], params: np.ndarray) -> bool:
        """After an epoch: remember the best epoch's weights; True once ``patience`` epochs failed to improve."""
        if not self.enabled:
            return False
        value = logs.get(self.monitor)
        if value is None:
            raise ValidationError(f"monitor: {self.monitor!r} is not among the logged values {sorted(logs)}")
        value = -value if self.maximize else value
        if value < self.best_value - self.min_delta:
            self.best_value, self.wait, self.best_epoch = value, 0, epoch
            np.copyto(self.best_params, params)
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, params: np.ndarray) -> int | None:
        """Copy the best epoch's weights into ``params``; return that epoch (None when nothing to restore)."""
        if not self.enabled or self.best_epoch is None:
            return None
        np.copyto(params, self.best_params)
        return self.best_epoch

    def state_dict(self) -> dict[str, Any]:
        return {
            "best_value": None if math.isinf(self.best_value) else self.best_value,
            "wait": self.wait,
            "best_epoch": self.best_epoch,
            "best_params": self.best_params.copy() if self.best_epoch is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        best = state.get("best_value")
        self.best_value = math.inf if best is None else float(best)
        self.wait = check_int(state.get("wait", 0), "state['early_stopping']['wait']", minimum=0)
        best_epoch = state.get("best_epoch")
        self.best_epoch = None if best_epoch is None else check_int(
            best_epoch, "state['early_stopping']['best_epoch']", minimum=0)
        if state.get("best_params") is not None:
            np.copyto(self.best_params, np.asarray(state["best_params"]), casting="same_kind")
