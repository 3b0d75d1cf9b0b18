"""Checkpoints: a training run in progress (network + trainer state) in a model file, and a
callback that writes one every N epochs."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.validation import InputTypeError, check_int, describe
from ..train.callbacks import Callback
from .archive import ModelFileError, _little_endian, _sha256, _write_archive
from .atomic import PathLike, atomic_write
from .models import read_model
from .schema import encode_state, model_config

__all__ = ["SaveCheckpoints", "load_checkpoint", "save_checkpoint"]


def _trainer_state(trainer: Any, history: Any) -> dict[str, Any]:
    if not hasattr(trainer, "state_dict") or not hasattr(trainer, "net"):
        raise InputTypeError(f"trainer: expected a backprop Trainer (with .net and .state_dict()), received {describe(trainer)}")
    state = dict(trainer.state_dict())
    if history is None:
        history = getattr(trainer, "history", None)
    if history is not None:
        state["history"] = history.to_dict() if hasattr(history, "to_dict") else history
    return state


def save_checkpoint(
    path: PathLike,
    trainer: Any,
    *,
    history: Any = None,
    metadata: Mapping[str, Any] | None = None,
    classes: Any = None,
    feature_names: Sequence[str] | None = None,
    target_name: str | None = None,
) -> str:
    """Save a training run in progress: the network plus ``trainer.state_dict()``, atomically.

    The state (epoch, step, optimizer state arrays, the RNG's ``bit_generator.state``,
    the schedule's state) is stored as JSON with its arrays as separate, hashed members,
    with the history so far (``history``, a :class:`~backprop.train.History` or dict; by
    default ``trainer.history`` when the trainer has one) under ``"history"``.
    :func:`load_checkpoint` gives it back.
    """
    state = _trainer_state(trainer, history)
    config = model_config(trainer.net, "checkpoint", metadata, classes, feature_names, target_name)
    arrays: dict[str, np.ndarray] = {}
    config["state"] = encode_state(state, arrays, "state")
    config["arrays"] = {
        name: {"shape": list(a.shape), "dtype": a.dtype.str, "sha256": _sha256(a)} for name, a in arrays.items()
    }
    params = _little_endian(trainer.net.params)
    return atomic_write(path, lambda handle: _write_archive(handle, config, {"params": params, **arrays}))


def load_checkpoint(path: PathLike) -> tuple[Any, dict[str, Any]]:
    """``(net, trainer_state)`` from a file written by :func:`save_checkpoint`.

    ``trainer_state`` is the dict ``trainer.state_dict()`` returned (arrays as numpy arrays),
    plus ``"history"`` when the trainer had one; pass it to ``trainer.load_state_dict``.
    """
    model = read_model(path)
    if model.state is None:
        raise ModelFileError(f"{os.fspath(path)}: a model file, not a checkpoint (it holds no training state)")
    return model.net, model.state


class SaveCheckpoints(Callback):
    """Save a checkpoint every ``every`` epochs (``{epoch}`` in ``path`` becomes the epoch number, from 1).

    ``metadata``: a dict, or a function returning one at each save (the state of other
    callbacks, say); ``save_options``: ``classes``, ``feature_names``, ``target_name`` as in
    :func:`save_checkpoint`; ``history``: the run's history (default: the trainer's). The
    paths written are in ``saved``.
    """

    def __init__(self, every: int, path: str, *, history: Any = None,
                 metadata: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None, **save_options: Any):
        self.every = check_int(every, "every")
        if not isinstance(path, (str, os.PathLike)):
            raise InputTypeError(f"path: expected a file path (str or os.PathLike), received {describe(path)}")
        self.path = os.fspath(path)
        self.history, self.metadata, self.save_options = history, metadata, save_options
        self.trainer: Any = None
        self.saved: list[str] = []

    def on_train_begin(self, trainer):
        self.trainer = trainer

    def on_epoch_end(self, epoch, logs):
        done = epoch + 1
        if done % self.every:
            return
        path = self.path.replace("{epoch}", str(done))
        metadata = self.metadata() if callable(self.metadata) else self.metadata
        save_checkpoint(path, self.trainer, history=self.history, metadata=metadata, **self.save_options)
        self.saved.append(path)
