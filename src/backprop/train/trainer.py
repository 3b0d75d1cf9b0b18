"""The fit loop: mini-batches, epochs, regularisation, validation, early stopping, callbacks.

One step is the seed's iteration, generalised:

    forward (with dropout when training)  →  cost J  →  backward (flat gradient)
    →  [all-reduce across processes]  →  + (λ/m) W  →  clip by global norm  →  optimizer update

Everything a step touches (caches, gradient, batch gathers, optimizer state) is
allocated once per batch shape and reused, so a steady-state step allocates no
array of the batch's size. The 1/m of the mean enters once, in the per-example
coefficients ``c`` of the batch (``1/b``, or ``w_i / Σ w`` with sample weights).

Faults: a non-finite cost or gradient stops training with :class:`DivergenceError`
before the update, so the parameters stay the last finite ones; Ctrl-C stops after
the current step and returns the history so far; early stopping restores the best
weights however training ends.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.network import Network
from ..core.validation import (
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    check_positive_float,
    check_positive_int,
    check_probability,
    describe,
)
from ..optim import LBFGS, Optimizer, as_schedule, get_optimizer
from .callbacks import Callback, PrintProgress
from .comm import Communicator, LocalComm
from .history import History

__all__ = ["Trainer", "Dataset"]

_EVAL_CHUNK = 8192  # examples per forward pass when evaluating (bounds memory)


class Dataset:
    """Training data prepared once: rows X (m, n_0), targets Y (m, n_L), weights w (m,) or None."""

    def __init__(self, net: Network, X: Any, Y: Any, sample_weight: Any = None, class_weight: Any = None):
        A0 = net._columns(X)
        self.m = A0.shape[1]
        self.X = np.ascontiguousarray(A0.T)
        self.Y = net.targets(Y, self.m)  # (n_L, m), C-contiguous: batches are gathered by column
        # Class of each example (multiclass), for accuracy without an arg max over Y every step.
        self.labels = self.Y.argmax(axis=0) if net.task == "multiclass" else None
        w = None
        if sample_weight is not None:
            Network.coefficients(self.m, sample_weight)  # validates
            w = np.asarray(sample_weight, dtype=net.dtype).copy()
        if class_weight is not None:
            cw = _class_weights(net, self.Y, class_weight)
            w = cw if w is None else w * cw
        self.w = w



def _class_weights(net: Network, Y: np.ndarray, class_weight: Any) -> np.ndarray:
    """Per-example weights from {class: weight} or "balanced" (w_k = m / (K · count_k))."""
    if net.task not in ("binary", "multiclass"):
        raise ValidationError(f"class_weight: needs a binary or multiclass network, this one is {net.task}")
    labels = Y.argmax(axis=0) if Y.shape[0] > 1 else (Y[0] > 0.5).astype(np.intp)
    n_classes = max(Y.shape[0], 2)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValidationError(f"class_weight: expected a dict or 'balanced', received {class_weight!r}")
        counts = np.bincount(labels, minlength=n_classes).astype(float)
        table = np.where(counts > 0, labels.size / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
    elif isinstance(class_weight, dict):
        table = np.ones(n_classes)
        for k, v in class_weight.items():
            if not isinstance(k, (int, np.integer)) or not 0 <= k < n_classes:
                raise ValidationError(f"class_weight: keys must be class indices in [0, {n_classes - 1}], received {k!r}")
            table[k] = check_positive_float(v, f"class_weight[{k}]", allow_zero=True)
    else:
        raise InputTypeError(f"class_weight: expected a dict or 'balanced', received {describe(class_weight)}")
    return table[labels].astype(net.dtype)


class _StopFlag:
    """Turns Ctrl-C into a flag checked between steps, so no update is cut in half."""

    def __init__(self) -> None:
        self.raised = False
        self._previous: Any = None

    def __enter__(self) -> "_StopFlag":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.raised:  # a second Ctrl-C: the user insists
            raise KeyboardInterrupt
        self.raised = True

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Trainer:
    """State of one training run of ``net``: optimizer, schedule, RNG, step and epoch counters, buffers.

    ``fit`` makes a new Trainer; ``partial_fit`` keeps using the last one, so the optimizer's
    state (Adam's moments), the schedule's step and the RNG stream continue.
    """

    def __init__(
        self,
        net: Network,
        *,
        optimizer: str | Optimizer | LBFGS = "adam",
        learning_rate: Any = None,
        batch_size: int | None = 32,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        l2: float = 0.0,
        dropout: float | Sequence[float] = 0.0,
        clip_norm: float | None = None,
        comm: Communicator | None = None,
    ):
        self.net = net
        self.optimizer = get_optimizer(optimizer)
        if learning_rate is not None and getattr(optimizer, "explicit_learning_rate", False):
            raise ValidationError("learning_rate: given both to fit and to the optimizer object; give it once")
        rate = learning_rate if learning_rate is not None else self.optimizer.learning_rate
        self.schedule = None if isinstance(self.optimizer, LBFGS) else as_schedule(rate)
        self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.l2 = check_positive_float(l2, "l2", allow_zero=True)
        self.dropout = self._dropout_rates(dropout)
        self.clip_norm = None if clip_norm is None else check_positive_float(clip_norm, "clip_norm")
        self.comm = LocalComm() if comm is None else comm
        if not isinstance(self.comm, Communicator):
            raise InputTypeError(f"comm: expected rank, size, allreduce_ and bcast_, received {describe(comm)}")
        if isinstance(self.optimizer, LBFGS) and (self.batch_size is not None or self.dropout is not None):
            raise ValidationError("optimizer 'lbfgs' is full-batch and deterministic: use batch_size=None and no dropout")
        self.step = 0
        self.epoch = 0
        n = net.n_params
        # One buffer for gradient + [weighted cost, weight, correct] so one all-reduce carries all.
        self._reduced = np.empty(n + 3, dtype=net.dtype)
        self.grad = self._reduced[:n]
        self._scratch = np.empty(n, dtype=net.dtype)
        self._best = np.empty(n, dtype=net.dtype)
        self._caches: dict[int, Any] = {}
        self._coefs: dict[int, np.ndarray] = {}
        self._gather: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if self.comm.size > 1:
            self.comm.bcast_(net.params)

    def _dropout_rates(self, dropout: Any) -> list[float] | None:
        hidden = self.net.n_layers - 1
        if isinstance(dropout, (int, float, np.floating)) and not isinstance(dropout, bool):
            rates = [check_probability(dropout, "dropout")] * hidden
        elif isinstance(dropout, Sequence) and not isinstance(dropout, str):
            if len(dropout) != hidden:
                raise ValidationError(f"dropout: expected one rate per hidden layer ({hidden}), received {len(dropout)}")
            rates = [check_probability(r, f"dropout[{i}]") for i, r in enumerate(dropout)]
        else:
            raise InputTypeError(f"dropout: expected a rate or a list of rates, received {describe(dropout)}")
        return rates + [0.0] if any(rates) else None

    # ------------------------------------------------------------------ one step
    def _cache(self, m: int):
        cache = self._caches.get(m)
        if cache is None:
            cache = self._caches[m] = self.net.make_cache(m)
        return cache

    def _batch(self, data: Dataset, idx: np.ndarray | None):
        """Columns (n_0, b), targets (n_L, b) and coefficients for the rows ``idx`` (None: all rows)."""
        if idx is None:
            A0, Y, w = data.X.T, data.Y, data.w
        else:
            b = idx.size
            if b not in self._gather:
                self._gather[b] = (np.empty((b, data.X.shape[1]), data.X.dtype),
                                   np.empty((data.Y.shape[0], b), data.Y.dtype),
                                   np.empty(b, data.X.dtype))
            xb, yb, wb = self._gather[b]
            # mode="clip": the indices are valid, and "raise" would buffer the whole gather
            np.take(data.X, idx, axis=0, out=xb, mode="clip")
            np.take(data.Y, idx, axis=1, out=yb, mode="clip")
            A0, Y = xb.T, yb
            w = None if data.w is None else np.take(data.w, idx, out=wb, mode="clip")
        return A0, Y, w

    def _train_step(self, A0, Y, w, batch_total: float, labels=None) -> tuple[float, float]:
        """Forward, backward, all-reduce, L2, clip, update. Returns (batch cost, correct count)."""
        net, reduced, grad = self.net, self._reduced, self.grad
        m = A0.shape[1]
        if m:
            coef = 1.0 / batch_total if w is None else np.divide(w, batch_total, out=self._coef_buffer(m))
            cache = net.forward_columns(A0, self._cache(m), training=self.dropout is not None,
                                        dropout=self.dropout, rng=self.rng)
            reduced[-3] = net.cost_columns(cache, Y, coef)
            reduced[-1] = _correct(net, cache.A[net.n_layers], Y, labels)
            net.backward_columns(cache, Y, coef, out=grad)
        else:  # an empty shard of an uneven split
            reduced.fill(0)
        self.comm.allreduce_(reduced)
        cost = float(reduced[-3])
        if self.l2:
            cost += net.add_l2(grad, self.l2 / batch_total, scratch=self._scratch)
        norm2 = float(grad @ grad)
        if not (math.isfinite(cost) and math.isfinite(norm2)):
            raise DivergenceError(
                f"training diverged at epoch {self.epoch}, step {self.step}: the cost is {cost} and the gradient "
                f"norm {math.sqrt(norm2)}; the learning rate may be too high. "
                "The parameters of the last finite step were kept."
            )
        if self.clip_norm is not None and norm2 > self.clip_norm**2:
            grad *= self.clip_norm / math.sqrt(norm2)
        self.optimizer.step(net.params, grad, self._lr)
        self.step += 1
        return cost, float(reduced[-1])

    def _coef_buffer(self, m: int) -> np.ndarray:
        buffer = self._coefs.get(m)
        if buffer is None:
            buffer = self._coefs[m] = np.empty(m, dtype=self.net.dtype)
        return buffer

    @property
    def _lr(self) -> float:
        """The learning rate of the last step taken (of the first, before any)."""
        return float(self.schedule(max(self.step - 1, 0)))

    # ----------------------------------------------------------------- an epoch
    def _batches(self, m: int):
        """Row indices of each global mini-batch (None = the whole data set, in order)."""
        if self.batch_size is None or self.batch_size >= m:
            yield None  # the full batch: shuffling cannot change a sum
            return
        order = self.rng.permutation(m) if self.shuffle else np.arange(m)
        for start in range(0, m, self.batch_size):
            yield order[start : start + self.batch_size]

    def _shard(self, idx: np.ndarray | None, m: int) -> np.ndarray | None:
        """This rank's part of a global batch (np.array_split semantics)."""
        size = self.comm.size
        if size == 1:
            return idx
        rows = np.arange(m) if idx is None else idx
        b, r = divmod(rows.size, size)
        start = self.comm.rank * b + min(self.comm.rank, r)
        return rows[start : start + b + (self.comm.rank < r)]

    def _run_epoch(self, data: Dataset, stop: _StopFlag, batch_callbacks: list[Callback]) -> dict[str, float]:
        loss_sum = total = correct = 0.0
        for idx in self._batches(data.m):
            b = data.m if idx is None else idx.size
            batch_total = float(b if data.w is None else (data.w.sum() if idx is None else data.w[idx].sum()))
            rows = self._shard(idx, data.m)
            A0, Y, w = self._batch(data, rows)
            labels = data.labels if data.labels is None or rows is None else data.labels[rows]
            cost, right = self._train_step(A0, Y, w, batch_total, labels)
            loss_sum += cost * batch_total
            total += batch_total
            correct += right
            for cb in batch_callbacks:
                cb.on_batch_end(self.step, {"loss": cost, "lr": self._lr})
            if stop.raised:
                break
        logs = {"loss": loss_sum / total if total else math.nan}
        if self.net.task != "regression":
            logs["accuracy"] = correct / data.m
        return logs

    def evaluate(self, data: Dataset) -> dict[str, float]:
        """Mean data cost (no L2 term) and accuracy on prepared data, inference mode, in chunks."""
        net = self.net
        cost = correct = 0.0
        total = float(data.m if data.w is None else data.w.sum())
        for start in range(0, data.m, _EVAL_CHUNK):
            idx = None if data.m <= _EVAL_CHUNK else np.arange(start, min(start + _EVAL_CHUNK, data.m))
            A0, Y, w = self._batch(data, idx)
            coef = 1.0 / total if w is None else w / total
            cache = net.forward_columns(A0, self._cache(A0.shape[1]))
            cost += net.cost_columns(cache, Y, coef)
            labels = data.labels if data.labels is None or idx is None else data.labels[idx]
            correct += _correct(net, cache.A[net.n_layers], Y, labels)
        logs = {"loss": cost}
        if net.task != "regression":
            logs["accuracy"] = correct / data.m
        return logs

    # ---------------------------------------------------------------- the run
    def run(
        self,
        data: Dataset,
        epochs: int,
        *,
        validation: Dataset | None = None,
        callbacks: Sequence[Callback] = (),
        verbose: int = 0,
        early_stopping: bool = False,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        history: History | None = None,
    ) -> History:
        """Train for ``epochs`` epochs (fewer if stopped) and return the history."""
        epochs = check_positive_int(epochs, "epochs")
        patience = check_positive_int(patience, "patience", minimum=0)
        min_delta = check_positive_float(min_delta, "min_delta", allow_zero=True)
        if validation is None and monitor.startswith("val_"):
            if monitor != "val_loss" and early_stopping:
                raise ValidationError(f"monitor: {monitor!r} needs validation_data or validation_split")
            monitor = monitor[4:]
        maximize = "accuracy" in monitor
        history = History() if history is None else history
        callbacks = list(callbacks)
        if verbose and self.comm.rank == 0:
            callbacks.append(PrintProgress(self.epoch + epochs))
        batch_callbacks = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        best_value, wait = math.inf, 0
        history.best_epoch = None
        for cb in callbacks:
            cb.on_train_begin(self)
        try:
            # Overflow shows up as a non-finite cost or gradient, which raises DivergenceError
            # with a clear message; numpy's own warnings would only repeat it less clearly.
            with _StopFlag() as stop, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if isinstance(self.optimizer, LBFGS):
                    self._run_lbfgs(data, epochs, validation, callbacks, history, stop, early_stopping,
                                    monitor, maximize, patience, min_delta)
                    return history
                for _ in range(epochs):
                    started = time.perf_counter()
                    logs = self._run_epoch(data, stop, batch_callbacks)
                    logs.update(self._validation_logs(validation))
                    logs["lr"] = self._lr
                    logs["seconds"] = time.perf_counter() - started
                    epoch = self.epoch
                    self.epoch += 1
                    history.append(epoch, logs)
                    if self.schedule is not None:
                        self.schedule.on_epoch_end(logs)
                    stop_now = False
                    if early_stopping:
                        value = logs.get(monitor)
                        if value is None:
                            raise ValidationError(f"monitor: {monitor!r} is not among the logged values {sorted(logs)}")
                        signed = -value if maximize else value
                        if signed < best_value - min_delta:
                            best_value, wait, history.best_epoch = signed, 0, epoch
                            np.copyto(self._best, self.net.params)
                        else:
                            wait += 1
                            stop_now = wait >= patience
                    for cb in callbacks:
                        stop_now = bool(cb.on_epoch_end(epoch, logs)) or stop_now
                    if stop_now:
                        history.stopped_early = True
                        break
                    if stop.raised:
                        history.interrupted = True
                        break
                if stop.raised:
                    history.interrupted = True
        finally:
            if early_stopping and history.best_epoch is not None:
                np.copyto(self.net.params, self._best)
            for cb in callbacks:
                cb.on_train_end(self)
        return history

    def _validation_logs(self, validation: Dataset | None) -> dict[str, float]:
        if validation is None:
            return {}
        return {f"val_{k}": v for k, v in self.evaluate(validation).items()}

    def _run_lbfgs(self, data, epochs, validation, callbacks, history, stop, early_stopping, monitor, maximize,
                   patience, min_delta) -> None:
        """Full-batch L-BFGS: one scipy iteration is one epoch of the history."""
        net, params = self.net, self.net.params
        state = {"cost": math.nan, "correct": 0.0, "best": math.inf, "wait": 0, "started": time.perf_counter()}
        batch_total = float(data.m if data.w is None else data.w.sum())

        def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
            np.copyto(params, x, casting="unsafe")
            A0, Y, w = self._batch(data, self._shard(None, data.m))
            reduced = self._reduced
            if A0.shape[1]:
                coef = 1.0 / batch_total if w is None else w / batch_total
                cache = net.forward_columns(A0, self._cache(A0.shape[1]))
                reduced[-3] = net.cost_columns(cache, Y, coef)
                reduced[-1] = _correct(net, cache.A[net.n_layers], Y, data.labels)
                net.backward_columns(cache, Y, coef, out=self.grad)
            else:
                reduced.fill(0)
            self.comm.allreduce_(reduced)
            cost = float(reduced[-3])
            if self.l2:
                cost += net.add_l2(self.grad, self.l2 / batch_total)
            if not (math.isfinite(cost) and np.isfinite(self.grad).all()):
                raise DivergenceError("L-BFGS met a non-finite cost or gradient; the last finite parameters were kept")
            state["cost"], state["correct"] = cost, float(reduced[-1])
            return cost, self.grad.astype(np.float64)

        def on_iteration(x: np.ndarray) -> bool:
            np.copyto(params, x, casting="unsafe")
            logs = {"loss": state["cost"]}
            if net.task != "regression":
                logs["accuracy"] = state["correct"] / data.m
            logs.update(self._validation_logs(validation))
            logs["lr"] = math.nan
            now = time.perf_counter()
            logs["seconds"], state["started"] = now - state["started"], now
            epoch = self.epoch
            self.epoch += 1
            self.step += 1
            history.append(epoch, logs)
            stop_now = False
            if early_stopping:
                signed = -logs[monitor] if maximize else logs[monitor]
                if signed < state["best"] - min_delta:
                    state["best"], state["wait"] = signed, 0
                    np.copyto(self._best, params)
                    history.best_epoch = epoch
                else:
                    state["wait"] += 1
                    stop_now = state["wait"] >= patience
            for cb in callbacks:
                stop_now = bool(cb.on_epoch_end(epoch, logs)) or stop_now
            history.stopped_early = stop_now
            return stop_now or stop.raised

        x0 = params.astype(np.float64)
        try:
            x = self.optimizer.minimize(fun, x0, epochs, on_iteration)
            np.copyto(params, x, casting="unsafe")
        except DivergenceError:
            np.copyto(params, x0, casting="unsafe")
            raise
        if stop.raised:
            history.interrupted = True

    # ------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: counters, optimizer, schedule and RNG state."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict() if self.schedule is not None else {},
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.schedule is not None:
            self.schedule.load_state_dict(state.get("schedule", {}))
        self.rng.bit_generator.state = state["rng"]


def _correct(net: Network, A: np.ndarray, Y: np.ndarray, labels: np.ndarray | None) -> float:
    """How many examples (columns) the output A classifies right against targets Y (class ``labels``)."""
    task = net.task
    if task == "regression":
        return 0.0
    if task == "multiclass":
        # right when the true class's output is the column's maximum (an arg max over axis 0
        # would copy A; these are (m,) vectors)
        true_score = np.take_along_axis(A, labels[np.newaxis, :], axis=0)[0]
        return float(np.count_nonzero(true_score >= np.maximum.reduce(A, axis=0)))
    hits = (A > 0.5) == (Y > 0.5)
    return float(np.count_nonzero(hits.all(axis=0)) if task == "multilabel" else np.count_nonzero(hits))


def prepare_validation(net: Network, X: Any, Y: Any, validation_data: Any, validation_split: float, seed: Any,
                       sample_weight: Any = None) -> tuple[Any, Any, Any, Dataset | None]:
    """Split off validation data: ``validation_data=(X_val, Y_val)`` or a seeded random fraction."""
    validation_split = check_probability(validation_split, "validation_split")
    if validation_data is not None and validation_split:
        raise ValidationError("validation_data and validation_split: give one, not both")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise InputTypeError(f"validation_data: expected (X_val, Y_val[, sample_weight]), received {describe(validation_data)}")
        return X, Y, sample_weight, Dataset(net, *validation_data[:2], *validation_data[2:])
    if not validation_split:
        return X, Y, sample_weight, None
    X = as_float_matrix(X, "X", dtype=net.dtype)
    m = X.shape[0]
    n_val = int(round(m * validation_split))
    if n_val < 1 or n_val >= m:
        raise ValidationError(f"validation_split: {validation_split} of {m} examples leaves no training or no validation data")
    order = np.random.default_rng(seed).permutation(m)  # a Generator seed is used (and advanced) as is
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    Y = np.asarray(Y)
    if Y.shape[:1] != (m,):
        raise ShapeError(f"Y: expected {m} rows to match X, received shape {Y.shape}")
    sw = None if sample_weight is None else np.asarray(sample_weight)
    validation = Dataset(net, X[val], Y[val], None if sw is None else sw[val])
    return X[train], Y[train], None if sw is None else sw[train], validation
