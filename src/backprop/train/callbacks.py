"""Callbacks: code that runs during training (printing, recording, stopping).

Subclass :class:`Callback` and override what you need. ``on_epoch_end`` may return
True to stop training after that epoch.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import numpy as np

__all__ = ["Callback", "GradientNorms", "PrintProgress"]


class Callback:
    """No-op hooks, called by the trainer."""

    def on_train_begin(self, trainer: Any) -> None:
        """Before the first epoch of a ``fit``/``partial_fit`` call."""

    def on_batch_end(self, step: int, logs: dict[str, float]) -> None:
        """After each update; ``logs`` has the batch's "loss" and "lr"."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """After each epoch with its history values; return True to stop."""

    def on_train_end(self, trainer: Any) -> None:
        """After the last epoch, however training ended."""


class GradientNorms(Callback):
    """Records ‖dW[l]‖ for every layer at the end of each epoch (the last step's gradient).

    ``norms`` is a list of arrays of shape (L,): the vanishing-gradient picture, layer by layer.
    """

    def __init__(self) -> None:
        self.norms: list[np.ndarray] = []
        self._trainer: Any = None

    def on_train_begin(self, trainer):
        self._trainer = trainer

    def on_epoch_end(self, epoch, logs):
        grad = self._trainer.grad
        self.norms.append(np.array([np.linalg.norm(grad[w]) for w, _ in self._trainer.net.layer_slices()]))


class PrintProgress(Callback):
    """One line per epoch: ``epoch 3/100  loss 0.1234  accuracy 0.9500  val_loss …  lr 0.001  0.12s``.

    Plain text (no carriage returns), so it reads the same in a terminal, a notebook and a log file.
    """

    def __init__(self, total_epochs: int | None = None, stream: TextIO | None = None, every: int = 1):
        self.total = total_epochs
        self.stream = stream
        self.every = max(1, int(every))

    def on_epoch_end(self, epoch, logs):
        if (epoch + 1) % self.every and epoch + 1 != self.total:
            return
        total = f"/{self.total}" if self.total else ""
        parts = [f"epoch {epoch + 1}{total}"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if key in logs:
                parts.append(f"{key} {logs[key]:.4f}")
        parts.append(f"lr {logs['lr']:.3g}")
        parts.append(f"{logs['seconds']:.2f}s")
        print("  ".join(parts), file=self.stream or sys.stdout, flush=True)
