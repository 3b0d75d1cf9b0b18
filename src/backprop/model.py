"""``backprop.Network``: the core engine plus training (``fit``, ``partial_fit``) and model files.

The engine (:class:`backprop.core.Engine`) knows forward and backward passes only;
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

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .core.network import Engine
from .core.validation import InputTypeError, ValidationError
from .io.models import save, use_network_class
from .train.agreement import check_agreement, fit_fields
from .train.callbacks import Callback
from .train.data import TrainingData, prepare_validation
from .train.evaluation import evaluate
from .train.history import History
from .train.trainer import Trainer

__all__ = ["Network"]

_TRAINER_OPTIONS = ("optimizer", "learning_rate", "batch_size", "shuffle", "seed", "l2", "dropout", "clip_norm", "comm",
                    "backend")


class Network(Engine):
    __doc__ = Engine.__doc__

    # Set by training and by backprop.load (see backprop.io): the last run, and what a model
    # file carries beside the weights (original class labels, column names, free metadata).
    trainer_: Trainer | None = None
    history_: History | None = None
    classes_: list[Any] | None = None
    feature_names_: list[str] | None = None
    target_name_: str | None = None
    metadata_: dict[str, Any] | None = None
    preprocessor_: Any = None  # a fitted backprop.data.tabular.TablePreprocessor: tables in (see _inputs)

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
        backend: str = "auto",
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
        verbose : int or "bar"
            N prints ``epoch k/total  loss …`` every N-th epoch (and the last); 1 every epoch;
            "bar": a progress bar that works in notebooks too (tqdm.auto, the ``progress`` extra).
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
        backend : {"auto", "numba", "numpy"}
            What computes each step. "auto" (the default): for a run long enough to repay
            loading them (:func:`backprop.kernels.auto_uses_numba`), the compiled kernels of
            :mod:`backprop.kernels` when numba is installed and works
            (``pip install 'backprop-mlp[fast]'``), else the numpy engine with a one-line
            notice (once per process); shorter runs use numpy. "numba": the kernels or an
            error; "numpy": the reference engine. Both give the same numbers to rounding.

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
        X = self._inputs(X, fitting=True)
        Y = self._targets(Y, fitting=True)
        if validation_data is not None and isinstance(validation_data, tuple) and len(validation_data) == 2:
            validation_data = (self._inputs(validation_data[0]), self._targets(validation_data[1]))
        self.trainer_ = Trainer(
            self, optimizer=optimizer, learning_rate=learning_rate, batch_size=batch_size, shuffle=shuffle,
            seed=seed, l2=l2, dropout=dropout, clip_norm=clip_norm, comm=comm, backend=backend,
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
        shuffle, seed, l2, dropout, clip_norm, comm, backend); they take effect on the first call. ``sharded``
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
        X, Y = self._inputs(X, fitting=True), self._targets(Y, fitting=True)
        if validation_data is not None and isinstance(validation_data, tuple) and len(validation_data) == 2:
            validation_data = (self._inputs(validation_data[0]), self._targets(validation_data[1]))
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

    def _repr_html_(self) -> str:
        """A summary table (layer, shapes, activation, parameter count) and a small diagram (notebooks)."""
        from .display import network_html

        return network_html(self)

    def evaluate(self, X: Any, Y: Any, sample_weight: Any = None, *, report: bool = False) -> dict[str, Any]:
        """Scores on (X, Y), inference mode: what ``backprop evaluate`` prints.

        Classifiers: {"loss": mean cost, "accuracy": fraction right}; with ``report=True``
        also per-class "precision", "recall", "f1", "support" (lists in the order of
        "classes") and "confusion_matrix" (K, K) (see :func:`backprop.metrics.classification_report`).
        Regression: {"loss", "mse", "rmse", "mae", "r2"} (the loss of ``mse`` is ½·MSE).
        Y may hold the original labels (``classes_``); X may be a DataFrame when the network
        has a ``preprocessor_``.
        """
        X, Y = self._inputs(X), self._targets(Y)
        logs: dict[str, Any] = dict(evaluate(self, TrainingData(self, X, Y, sample_weight)))
        task = self.task
        if task == "regression":
            from .metrics import regression_scores

            logs.update(regression_scores(np.asarray(Y, dtype=np.float64), Engine.predict(self, X)))
        elif report and task in ("binary", "multiclass"):
            from .metrics import classification_report

            K = 2 if task == "binary" else self.layer_sizes[-1]
            Yc = np.asarray(Y)
            if task == "multiclass" and Yc.ndim == 2:
                codes = Yc.argmax(axis=1)
            else:
                codes = Yc.reshape(-1)
                codes = (codes > 0.5).astype(np.int64) if codes.dtype.kind == "f" else codes.astype(np.int64)
            full = classification_report(codes, Engine.predict(self, X), labels=np.arange(K))
            if self.classes_ is not None:
                full["classes"] = np.asarray(self.classes_).tolist()
            logs.update({k: v for k, v in full.items() if k != "accuracy"})
        return logs

    def predict(self, X: Any) -> np.ndarray:
        """Predictions (n_samples,): the original labels when the network has ``classes_``
        (set by ``fit`` on labels, or by loading a model file), else as the engine gives them
        (class codes, 0/1, or the regression outputs). With a ``preprocessor_`` (a network trained
        on a table), X may be a DataFrame or the path of a CSV file: its columns are matched by name."""
        prediction = super().predict(self._inputs(X))
        if self.classes_ is not None and self.task in ("binary", "multiclass"):
            return np.asarray(self.classes_)[prediction]
        return prediction

    def predict_proba(self, X: Any) -> np.ndarray:
        """The output layer's values (n_samples, n_L): probabilities for classifiers. X may be a DataFrame
        or CSV path with a ``preprocessor_`` (the columns of ``classes_`` order for softmax)."""
        return super().predict_proba(self._inputs(X))

    def _inputs(self, X: Any, fitting: bool = False) -> Any:
        """A DataFrame, Table or (with ``preprocessor_``) CSV path through ``preprocessor_`` (fitted here
        on a first ``fit``); arrays unchanged."""
        from .data.tabular import TablePreprocessor, as_table, check_features, read_table

        if isinstance(X, (str, os.PathLike)):
            if self.preprocessor_ is None:
                raise InputTypeError(f"X: a file path is read only by a network trained on a table (backprop.fit_table "
                                     f"or 'backprop train FILE.csv'); load it with backprop.data.load_csv, received {X!r}")
            X = read_table(X)
        table = as_table(X)
        if table is None:
            return X
        if self.preprocessor_ is None:
            plain = all(c.dtype.kind == "f" and not np.isnan(c).any() for c in table.columns)
            if plain or not fitting:  # numbers only: the DataFrame as an array, as before
                if not plain:
                    raise ValidationError("X: a DataFrame with text or missing cells needs the network's "
                                          "preprocessor_ (fit on the DataFrame, or use backprop.fit_table)")
                return X
            pre = TablePreprocessor().fit(table)
            check_features(pre, self.layer_sizes[0])
            self.preprocessor_ = pre
        with warnings.catch_warnings(record=True) as caught:  # said again from the caller's line
            warnings.simplefilter("always")
            X = self.preprocessor_.transform(table)
        for warning in caught:
            warnings.warn(warning.message, warning.category, stacklevel=3)
        return X

    def _targets(self, Y: Any, fitting: bool = False) -> Any:
        """1-D text labels as class codes via ``classes_`` (``fit`` sets it: the sorted distinct labels).

        Integer labels are class codes 0 … K − 1 (``fit`` sets ``classes_`` to them), checked by the
        engine as before; other integer labels need ``classes_`` set first (``net.classes_ = [10, 20, 30]``).
        """
        task = self.task
        if task not in ("binary", "multiclass") or Y is None or np.ma.isMaskedArray(Y):
            return Y  # (masked arrays: the engine refuses them, naming the argument)
        y = np.asarray(Y)
        if y.ndim != 1 or y.dtype.kind in "fc":
            return Y  # one-hot rows, (n, 1) targets, float 0/1 targets: as the engine takes them
        K = 2 if task == "binary" else self.layer_sizes[-1]
        classes = None if self.classes_ is None else np.asarray(self.classes_)
        codes_only = classes is None or (classes.dtype.kind in "iu" and np.array_equal(classes, np.arange(K)))
        if not codes_only and not (fitting and y.dtype.kind in "OSU" and classes.dtype.kind not in "OSU"):
            from .labels import label_codes

            return label_codes(y, classes)
        if y.dtype.kind in "iub":
            codes = y.astype(np.int64)
            if fitting and (codes.size == 0 or (codes.min() >= 0 and codes.max() < K)):
                self.classes_ = np.arange(K)
            return Y  # the engine checks the codes, naming Y
        if not fitting:
            return Y  # text without classes_: the engine's type error names Y
        found = np.unique(y.astype(str))
        if len(found) != K:
            raise ValidationError(f"Y: expected {K} distinct labels for a {task} network with {self.layer_sizes[-1]} "
                                  f"outputs, received {len(found)}: {found.tolist()[:10]}")
        from .labels import label_codes

        self.classes_ = found
        return label_codes(y, found)

    def attribute(self, X: Any, **kwargs: Any) -> Any:
        """Attributions (n_samples, n_features[, n_outputs]) of the predictions on X to its features,
        by backpropagation to the input: see :func:`backprop.attribute` for the keywords."""
        from .attribute import attribute

        return attribute(self, X, **kwargs)

    def save(self, path: Any, **kwargs: Any) -> None:
        """Write the model to ``path`` (see :func:`backprop.io.save`): atomic, never pickled."""
        save(self, path, **kwargs)

    def to_onnx(self, path: Any = None, *, dtype: Any = "float32", opset: int | None = None) -> Any:
        """The network as an ``onnx.ModelProto``, written to ``path`` when given (see
        :func:`backprop.export.to_onnx`; needs ``pip install 'backprop-mlp[onnx]'``)."""
        from .export.onnx import to_onnx

        return to_onnx(self, path, dtype=dtype, opset=opset)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else np.array_equal(a, b)
    except (TypeError, ValueError):
        return a is b


use_network_class(Network)  # model files and torch state dicts load as this class
