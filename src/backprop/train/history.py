"""What training leaves behind: one record per epoch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from ..core.validation import InputTypeError, ValidationError, describe

__all__ = ["History"]


@dataclass(repr=False)
class History:
    """Per-epoch records of a training run.

    ``logs[key]`` (also ``history[key]``) is a list with one value per epoch for "loss", "lr",
    "seconds", "accuracy" (classifiers), and "val_loss"/"val_accuracy" with validation data.
    ``epoch`` holds the 0-based epoch indices (continuing across ``partial_fit`` calls).
    ``best_epoch`` is the epoch whose weights were restored by early stopping (else None);
    ``stopped_early`` says early stopping or a callback ended the run; ``interrupted``
    says Ctrl-C did.
    """

    logs: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    interrupted: bool = False

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.logs.setdefault(key, []).append(value)

    @property
    def history(self) -> dict[str, list[float]]:
        """Deprecated name of :attr:`logs` (``history.history`` read as a stutter)."""
        return self.logs

    def __getitem__(self, key: str) -> list[float]:
        return self.logs[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        """A few words: epochs, last and best losses and metrics (never the per-epoch lists)."""
        from ..display import history_text

        return history_text(self)

    def _repr_html_(self) -> str:
        """A small table of last/best values and an inline SVG learning curve (a notebook's rich output)."""
        from ..display import history_html

        return history_html(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {
            "history": {k: [float(v) for v in vals] for k, vals in self.logs.items()},  # the file format's key
            "epoch": list(self.epoch),
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "interrupted": self.interrupted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "History":
        """The History that :meth:`to_dict` described (read back from a checkpoint, say).

        A malformed dict raises :class:`~backprop.ValidationError` (InputTypeError when it is no dict).
        """
        if not isinstance(data, Mapping):
            raise InputTypeError(f"history: expected the dict of History.to_dict(), received {describe(data)}")
        logs, epoch, best = data.get("history", {}), data.get("epoch", []), data.get("best_epoch")
        if not isinstance(logs, Mapping) or not all(
            isinstance(k, str) and isinstance(v, (list, tuple)) and all(_is_number(x) for x in v) for k, v in logs.items()
        ):
            raise ValidationError(f"history['history']: expected a dict of per-epoch lists of numbers, received {describe(logs)}")
        if not isinstance(epoch, (list, tuple)) or not all(_is_index(e) for e in epoch):
            raise ValidationError(f"history['epoch']: expected a list of epoch indices, received {describe(epoch)}")
        if best is not None and not _is_index(best):
            raise ValidationError(f"history['best_epoch']: expected an epoch index or None, received {describe(best)}")
        return cls(
            logs={k: list(v) for k, v in logs.items()},
            epoch=list(epoch),
            best_epoch=best,
            stopped_early=bool(data.get("stopped_early", False)),
            interrupted=bool(data.get("interrupted", False)),
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_index(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 0
