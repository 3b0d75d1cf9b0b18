"""Learning-rate schedules: the learning rate as a function of the step.

A schedule is a callable ``lr = schedule(step)``, where ``step`` counts the optimizer
updates already made (0 for the first). Any schedule works with any optimizer; a plain
number is a constant schedule. :class:`ReduceOnPlateau` also watches a metric at the
end of each epoch (``on_epoch_end(logs)``).

==================  ===============================================================
Constant            α
StepDecay           α · γ^⌊step / step_size⌋
ExponentialDecay    α · γ^(step / decay_steps)
InverseTimeDecay    α / (1 + γ · step / decay_steps)^p
CosineDecay         α · (a + (1 − a) · ½ (1 + cos(π · min(step, T) / T)))
ReduceOnPlateau     α · factor^k, k = number of plateaus of the monitored metric so far
==================  ===============================================================
"""

from __future__ import annotations

import math
from typing import Any

from ..core.validation import (
    InputTypeError,
    ValidationError,
    check_int,
    check_nonnegative_float,
    check_positive_float,
    describe,
)

__all__ = [
    "Schedule",
    "Constant",
    "StepDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "ReduceOnPlateau",
    "SCHEDULES",
    "get_schedule",
    "as_schedule",
]


class Schedule:
    """Base class: ``__call__(step) -> lr``; ``initial`` is α."""

    name = ""

    def __init__(self, initial: float):
        self.initial = check_positive_float(initial, "learning_rate")

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def on_epoch_end(self, logs: dict[str, float]) -> None:
        """Called by the trainer after each epoch; most schedules ignore it."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """lr = α at every step."""

    name = "constant"

    def __call__(self, step):
        return self.initial


class StepDecay(Schedule):
    """lr = α · γ^⌊step / step_size⌋: multiply by γ every ``step_size`` updates."""

    name = "step"

    def __init__(self, initial: float, factor: float = 0.5, step_size: int = 1000):
        super().__init__(initial)
        self.factor = check_positive_float(factor, "factor")
        self.step_size = check_int(step_size, "step_size")

    def __call__(self, step):
        return self.initial * self.factor ** (step // self.step_size)


class ExponentialDecay(Schedule):
    """lr = α · γ^(step / decay_steps): smooth exponential decay."""

    name = "exponential"

    def __init__(self, initial: float, decay_rate: float = 0.96, decay_steps: int = 1000):
        super().__init__(initial)
        self.decay_rate = check_positive_float(decay_rate, "decay_rate")
        self.decay_steps = check_int(decay_steps, "decay_steps")

    def __call__(self, step):
        return self.initial * self.decay_rate ** (step / self.decay_steps)


class InverseTimeDecay(Schedule):
    """lr = α / (1 + γ · step / decay_steps)^p (p = 1: Keras's inverse time; γ = 1, decay_steps = 1,
    p = power_t: scikit-learn's 'invscaling' counted from step 0)."""

    name = "inverse_time"

    def __init__(self, initial: float, decay_rate: float = 1.0, decay_steps: int = 1, power: float = 1.0):
        super().__init__(initial)
        self.decay_rate = check_nonnegative_float(decay_rate, "decay_rate")
        self.decay_steps = check_int(decay_steps, "decay_steps")
        self.power = check_nonnegative_float(power, "power")

    def __call__(self, step):
        return self.initial / (1 + self.decay_rate * step / self.decay_steps) ** self.power


class CosineDecay(Schedule):
    """lr = α · (a + (1 − a) · ½(1 + cos(π · min(step, T) / T))): from α down to a·α over T steps."""

    name = "cosine"

    def __init__(self, initial: float, decay_steps: int = 1000, alpha: float = 0.0):
        super().__init__(initial)
        self.decay_steps = check_int(decay_steps, "decay_steps")
        self.alpha = check_nonnegative_float(alpha, "alpha")
        if self.alpha > 1:
            raise ValidationError(f"alpha: expected the final fraction of the rate in [0, 1], received {self.alpha}")

    def __call__(self, step):
        progress = min(step, self.decay_steps) / self.decay_steps
        return self.initial * (self.alpha + (1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * progress)))


class ReduceOnPlateau(Schedule):
    """lr = α · factor^k: k grows by one whenever ``monitor`` has not improved by ``min_delta``
    for ``patience`` epochs (never below ``min_lr``). ``monitor`` falls back to "loss" when the
    epoch has no validation loss."""

    name = "plateau"

    def __init__(self, initial: float, factor: float = 0.1, patience: int = 10, min_delta: float = 1e-4,
                 min_lr: float = 0.0, monitor: str = "val_loss"):
        super().__init__(initial)
        self.factor = check_positive_float(factor, "factor")
        if self.factor >= 1:
            raise ValidationError(f"factor: expected a number in (0, 1), received {self.factor}")
        self.patience = check_int(patience, "patience", minimum=0)
        self.min_delta = check_nonnegative_float(min_delta, "min_delta")
        self.min_lr = check_nonnegative_float(min_lr, "min_lr")
        if not isinstance(monitor, str):
            raise InputTypeError(f"monitor: expected a logged name such as 'val_loss', received {describe(monitor)}")
        self.monitor = monitor
        self._lr = self.initial
        self._best = math.inf
        self._wait = 0

    def __call__(self, step):
        return self._lr

    def on_epoch_end(self, logs):
        value = logs.get(self.monitor, logs.get("loss"))
        if value is None:
            return
        if value < self._best - self.min_delta:
            self._best, self._wait = value, 0
        else:
            self._wait += 1
            if self._wait >= self.patience:
                self._lr = max(self._lr * self.factor, self.min_lr)
                self._wait = 0

    def state_dict(self):
        return {"lr": self._lr, "best": self._best, "wait": self._wait}

    def load_state_dict(self, state):
        self._lr, self._best, self._wait = float(state["lr"]), float(state["best"]), int(state["wait"])


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, InverseTimeDecay, CosineDecay, ReduceOnPlateau)
}


def get_schedule(name: str, initial: float, **kwargs: Any) -> Schedule:
    """A schedule by name (see ``SCHEDULES``) starting at ``initial``."""
    if not isinstance(name, str) or name.lower() not in SCHEDULES:
        raise ValidationError(f"schedule: unknown name {name!r}; expected one of {sorted(SCHEDULES)}")
    try:
        return SCHEDULES[name.lower()](initial, **kwargs)
    except TypeError as exc:
        raise InputTypeError(f"schedule {name!r}: {exc}") from None


def as_schedule(value: Any) -> Schedule:
    """A number becomes :class:`Constant`; a Schedule or any callable of the step is kept."""
    if isinstance(value, Schedule):
        return value
    if callable(value):
        return _Callable(value)
    return Constant(value)


class _Callable(Schedule):
    """A user's function of the step."""

    name = "callable"

    def __init__(self, function):
        self.function = function
        self.initial = None

    def __call__(self, step):
        return self.function(step)
