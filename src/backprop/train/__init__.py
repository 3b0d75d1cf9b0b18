"""Training: the fit loop, its data, history, callbacks and the communicator interface.

``trainer`` (the loop and one step), ``data`` (training and validation data prepared once),
``batches`` (mini-batches in reused buffers), ``evaluation`` (loss and accuracy without a
trainer), ``stopping`` (Ctrl-C and early stopping), ``parallel`` (what only several processes
need), ``history``, ``callbacks``, ``comm``.
"""

from .callbacks import Callback, GradientNorms, PrintProgress
from .comm import Communicator, LocalComm
from .data import Dataset, TrainingData
from .evaluation import evaluate
from .history import History
from .stopping import EarlyStopping
from .trainer import Trainer

__all__ = ["Callback", "Communicator", "Dataset", "EarlyStopping", "GradientNorms", "History",
           "LocalComm", "PrintProgress", "Trainer", "TrainingData", "evaluate"]
