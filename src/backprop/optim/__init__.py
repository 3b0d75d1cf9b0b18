"""Optimizers and learning-rate schedules, acting on the flat parameter vector."""

from .lbfgs import LBFGS
from .optimizers import (
    OPTIMIZERS,
    Adam,
    AdamW,
    GradientDescent,
    Momentum,
    Nesterov,
    Optimizer,
    RMSprop,
    get_optimizer,
)
from .schedules import (
    SCHEDULES,
    Constant,
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
    as_schedule,
    get_schedule,
)

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "Adam",
    "AdamW",
    "Constant",
    "CosineDecay",
    "ExponentialDecay",
    "GradientDescent",
    "InverseTimeDecay",
    "LBFGS",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "RMSprop",
    "ReduceOnPlateau",
    "Schedule",
    "StepDecay",
    "as_schedule",
    "get_optimizer",
    "get_schedule",
]
