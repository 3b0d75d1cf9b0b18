"""What ``fit(verbose=...)`` shows: a line every N-th epoch, or a progress bar that works in notebooks."""

from __future__ import annotations

from numbers import Integral
from typing import Any

from ..core.validation import InputTypeError, ValidationError, describe
from .callbacks import Callback, PrintProgress

__all__ = ["ProgressBar", "verbose_callback"]


class ProgressBar(Callback):
    """A ``tqdm.auto`` bar over the epochs (a widget in Jupyter, text in a terminal), losses as its postfix.

    Needs tqdm: ``pip install 'backprop-mlp[progress]'``.
    """

    def __init__(self, total_epochs: int, initial: int = 0):
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError("verbose='bar' needs tqdm: pip install 'backprop-mlp[progress]'") from None
        self._tqdm, self.total, self.initial = tqdm, total_epochs, initial
        self._bar: Any = None

    def on_train_begin(self, trainer):
        self._bar = self._tqdm(total=self.total, initial=self.initial, unit="epoch", leave=True)

    def on_epoch_end(self, epoch, logs):
        self._bar.set_postfix({k: f"{logs[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy")
                               if k in logs}, refresh=False)
        self._bar.update(1)

    def on_train_end(self, trainer):
        if self._bar is not None:
            self._bar.close()


def verbose_callback(verbose: Any, total_epochs: int, initial: int = 0) -> Callback | None:
    """The callback for ``verbose``: 0/False nothing; N (True = 1) ``epoch k/total …`` every N-th
    epoch and at the last; ``"bar"`` a :class:`ProgressBar`."""
    if isinstance(verbose, str):
        if verbose.lower() != "bar":
            raise ValidationError(f"verbose: expected an int N (a line every N epochs) or 'bar', received {verbose!r}")
        return ProgressBar(total_epochs, initial)
    if not isinstance(verbose, Integral) or verbose < 0:
        raise InputTypeError(f"verbose: expected an int N >= 0 (a line every N epochs) or 'bar', received {describe(verbose)}")
    return PrintProgress(total_epochs, every=int(verbose)) if verbose else None
