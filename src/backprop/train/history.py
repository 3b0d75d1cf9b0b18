"""What training leaves behind: one record per epoch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """Per-epoch records of a training run.

    ``history[key]`` is a list with one value per epoch for "loss", "lr", "seconds",
    "accuracy" (classifiers), and "val_loss"/"val_accuracy" with validation data.
    ``epoch`` holds the 0-based epoch indices (continuing across ``partial_fit`` calls).
    ``best_epoch`` is the epoch whose weights were restored by early stopping (else None);
    ``stopped_early`` says early stopping or a callback ended the run; ``interrupted``
    says Ctrl-C did.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    interrupted: bool = False

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {
            "history": {k: [float(v) for v in vals] for k, vals in self.history.items()},
            "epoch": list(self.epoch),
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "interrupted": self.interrupted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "History":
        return cls(
            history={k: list(v) for k, v in data.get("history", {}).items()},
            epoch=list(data.get("epoch", [])),
            best_epoch=data.get("best_epoch"),
            stopped_early=bool(data.get("stopped_early", False)),
            interrupted=bool(data.get("interrupted", False)),
        )
