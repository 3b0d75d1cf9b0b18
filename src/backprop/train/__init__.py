"""Training: the fit loop, its history, callbacks and the communicator interface."""

from .callbacks import Callback, GradientNorms, PrintProgress
from .comm import Communicator, LocalComm
from .history import History
from .trainer import Dataset, Trainer

__all__ = ["Callback", "Communicator", "Dataset", "GradientNorms", "History", "LocalComm", "PrintProgress", "Trainer"]
