"""``backprop.Network``: the core engine plus training (``fit``, ``partial_fit``) and model files.

The engine (:class:`backprop.core.Network`) knows forward and backward passes only;
this subclass adds what users do with them, so the math core never imports training
or I/O.

Incremental training, stated once:

- ``fit`` continues from the current weights (``reinitialize=True`` redraws them first)
  with a NEW optimizer state: each ``fit`` call is a fresh run from where the weights are.
- ``partial_fit`` runs ONE epoch and keeps the optimizer's state (Adam's moments), the
  schedule's step and the RNG stream between calls: N calls of ``partial_fit`` equal
  ``fit(epochs=N)`` with the same options and seed. Its training options (optimizer,
  learning rate, batch size, seed, l2, dropout, clip_norm) are fixed by the first call;
  passing different ones later is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .core.network import Network as _EngineNetwork
from .core.validation import ValidationError
from .io.models import save, use_network_class
from .train.agreement import check_agreement, fit_fields
from .train.callbacks import Callback
from .train.data import TrainingData, prepare_validation
from .train.evaluation import evaluate
from .train.history import History
from .train.trainer import Trainer

__all__ = ["Network"]

_TRAINER_OPTIONS = ("optimizer", "learning_rate", "batch_size", "shuffle", "seed", "l2", "dropout", "clip_norm", "comm")


class Network(_EngineNetwork):
    __doc__ = _EngineNetwork.__doc__

    # Set by training and by backprop.load (see backprop.io): the last run, and what a model
    # file carries beside the weights (original class labels, column names, free metadata).
    trainer_: Trainer | None = None
    history_: History | None = None
    classes_: list[Any] | None = None
    feature_names_: list[str] | None = None
    target_name_: str | None = None
    metadata_: dict[str, Any] | None = None

    def fit(
        self,
        X: Any,
        Y: Any,
        *,
        optimizer: Any = "adam",
        learning_rate: Any = None,
        epochs: int = 100,
        batch_size: int | None = 32,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        validation_data: Any = None,
        validation_split: float = 0.0,
        l2: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
        early_stopping: bool = False,
        patience: int = 10,
        min_delta: float = 0.0,
        monitor: str = "val_loss",
        callbacks: Sequence[Callback] = (),
        verbose: int = 0,
        sample_weight: Any = None,
        class_weight: Any = None,
        clip_norm: float | None = None,
        reinitialize: bool = False,
        comm: Any = None,
        sharded: bool = False,
    ) -> History:
        """Train by backpropagation and return the per-epoch :class:`~backprop.train.History`.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
            Inputs, one example per row.
        Y : array of shape (n_samples, n_outputs) or (n_samples,)
            Targets; one column may be given 1-D, and a softmax network takes integer labels.
        optimizer : str or Optimizer
            "sgd" (the course's), "momentum", "nesterov", "rmsprop", "adam", "adamw", "lbfgs",
            or an optimizer object from :mod:`backprop.optim`.
        learning_rate : float, Schedule, callable or None
            A number, a schedule, or a function of the step; None: the optimizer's default.
        epochs : int
            Passes over the data (for "lbfgs": iterations).
        batch_size : int or None
            Examples per update; None: the full batch, as in the course.
        shuffle : bool
            Reshuffle the examples every epoch.
        seed : int, numpy.random.Generator or None
            Seeds shuffling, dropout and ``validation_split``.
        validation_data : tuple or None
            ``(X_val, Y_val)``, evaluated after every epoch.
        validation_split : float
            Alternatively, a seeded random fraction of (X, Y) held out for validation.
        l2 : float
            λ of the penalty λ/(2m) Σ‖W‖² (gradient (λ/m) W; biases are not penalised; m is
            the total weight of the batch).
        dropout : float or sequence of float
            Inverted-dropout rate for every hidden layer, or one per hidden layer (training only).
        early_stopping : bool
            Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and
            restore the best epoch's weights however training ends.
        patience : int
            Epochs without improvement before stopping.
        min_delta : float
            Smallest change that counts as an improvement.
        monitor : str
            "val_loss" (falls back to "loss" without validation data), "loss",
            "val_accuracy" or "accuracy".
        callbacks : sequence of Callback
            :class:`~backprop.train.Callback` objects; ``on_epoch_end`` may return True to stop.
        verbose : int
            1 prints one line per epoch.
        sample_weight : array of shape (n_samples,) or None
            Non-negative weights; the cost is Σ w_i ℓ_i / Σ w_i.
        class_weight : dict, "balanced" or None
            ``{class index: weight}``, multiplied into the sample weights.
        clip_norm : float or None
            Rescale the gradient to this global L2 norm when it is longer.
        reinitialize : bool
            Redraw the weights before training.
        comm : Communicator or None
            A communicator (rank, size, ``allreduce_``, ``bcast_``) for data-parallel training
            (see :mod:`backprop.distributed`); the result equals single-process training.
        sharded : bool
            With ``comm``: X and Y are only this rank's rows of the data set (in rank order, as
            ``load_csv(..., shard=(rank, size))`` loads them) instead of all of it; the batches
            are those of single-process training on all the rows with the same seed.
            ``validation_data`` is then held whole by every rank; ``validation_split`` is refused.

        Returns
        -------
        History
            One record per epoch: "loss" is the objective minimised (data cost plus the L2
            penalty, averaged over the epoch's batches before each update); "val_loss" is the
            data cost on the validation set after the epoch.

        Raises
        ------
        DivergenceError
            When the cost or gradient becomes non-finite; the last finite parameters are kept
            and ``net.history_`` holds the epochs so far.
        """
        if reinitialize:
            self.initialize(seed=seed if not isinstance(seed, np.random.Generator) else None)
        self.trainer_ = Trainer(
            self, optimizer=optimizer, learning_rate=learning_rate, batch_size=batch_size, shuffle=shuffle,
            seed=seed, l2=l2, dropout=dropout, clip_norm=clip_norm, comm=comm,
        )
        return self._train(X, Y, epochs, History(), validation_data=validation_data,
                           validation_split=validation_split, seed=seed, sample_weight=sample_weight,
                           class_weight=class_weight, sharded=sharded, callbacks=callbacks, verbose=verbose,
                           early_stopping=early_stopping, monitor=monitor, patience=patience, min_delta=min_delta)

    def partial_fit(
        self,
        X: Any,
        Y: Any,
        *,
        validation_data: Any = None,
        callbacks: Sequence[Callback] = (),
        verbose: int = 0,
        sample_weight: Any = None,
        class_weight: Any = None,
        sharded: bool = False,
        **options: Any,
    ) -> History:
        """One epoch of training that keeps the optimizer state between calls (see the module notes).

        ``options`` are the training options of :meth:`fit` (optimizer, learning_rate, batch_size,
        shuffle, seed, l2, dropout, clip_norm, comm); they take effect on the first call. ``sharded``
        as in :meth:`fit`. Returns the history of all ``partial_fit`` calls so far.
        """
        unknown = set(options) - set(_TRAINER_OPTIONS)
        if unknown:
            raise ValidationError(f"partial_fit: unknown options {sorted(unknown)}; expected some of {list(_TRAINER_OPTIONS)}")
        trainer = self.trainer_
        if trainer is None or not trainer.incremental:
            trainer = self.trainer_ = Trainer(self, **options, incremental=True)
        else:
            changed = [k for k, v in options.items() if not _same(trainer.options.get(k), v)]
            if changed:
                raise ValidationError(
                    f"partial_fit: {changed} differ from the first call's; call fit(...) to start a new run"
                )
        return self._train(X, Y, 1, trainer.history, validation_data=validation_data, sample_weight=sample_weight,
                           class_weight=class_weight, sharded=sharded, callbacks=callbacks, verbose=verbose)

    def _train(self, X: Any, Y: Any, epochs: int, history: History, *, validation_data: Any = None,
               validation_split: float = 0.0, seed: Any = None, sample_weight: Any = None, class_weight: Any = None,
               sharded: bool = False, **run_options: Any) -> History:
        """Prepare the data (validation split, weights, shards) and run ``self.trainer_`` on it."""
        trainer = self.trainer_
        comm = trainer.comm
        if comm.size > 1:  # first: ranks that disagree would wait for each other forever
            check_agreement(comm, fit_fields(self, trainer, X, Y, epochs, sharded=sharded, validation_data=validation_data,
                                             validation_split=validation_split, seed=seed, sample_weight=sample_weight,
                                             class_weight=class_weight, run_options=run_options))
        if comm.size > 1 and validation_split:
            if sharded:
                raise ValidationError("validation_split: not with sharded=True (each rank holds other rows); "
                                      "give validation_data, held whole by every rank")
            if not isinstance(seed, (int, np.integer)):  # every rank must split alike: a seed from the shared RNG
                trainer.synchronize()
                seed = int(trainer.rng.bit_generator.state["state"]["state"] % (1 << 63))
        X, Y, sample_weight, validation = prepare_validation(self, X, Y, validation_data, validation_split, seed,
                                                             sample_weight)
        data = TrainingData(self, X, Y, sample_weight, class_weight, shard_comm=comm if sharded else None)
        self.history_ = history
        return trainer.run(data, epochs, validation=validation, history=history, **run_options)

    def evaluate(self, X: Any, Y: Any, sample_weight: Any = None) -> dict[str, float]:
        """{"loss": mean cost, "accuracy": fraction right (classifiers)} on (X, Y), inference mode."""
        return evaluate(self, TrainingData(self, X, Y, sample_weight))

    def save(self, path: Any, **kwargs: Any) -> None:
        """Write the model to ``path`` (see :func:`backprop.io.save`): atomic, never pickled."""
        save(self, path, **kwargs)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else np.array_equal(a, b)
    except (TypeError, ValueError):
        return a is b


use_network_class(Network)  # model files and torch state dicts load as this class
