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

Several processes (``comm.size > 1``) follow single-process training exactly: the
parameters and the RNG state are broadcast from rank 0 at the start; every global batch
is the one a single process would draw (the same permutation of the same RNG); each rank
takes its part of it (a contiguous part with replicated data, the rows it holds with
sharded data, see :class:`Dataset`) and one all-reduce sums the parts. Dropout masks are
drawn for the whole global batch on every rank and each keeps its columns, so masks and
RNG stream are the single process's too. Decisions to stop (Ctrl-C, callbacks) are
summed across ranks, so every rank stops after the same step.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np

from ..core.network import Network
from ..core.validation import (
    BackpropError,
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    as_generator,
    check_positive_float,
    check_positive_int,
    check_probability,
    describe,
)
from ..kernels import get_backend
from ..optim import LBFGS, GradientDescent, Optimizer, as_schedule, get_optimizer
from .callbacks import Callback, PrintProgress
from .comm import Communicator, LocalComm
from .history import History

__all__ = ["Trainer", "Dataset"]

_EVAL_CHUNK = 8192  # examples per forward pass when evaluating (bounds memory)


class Dataset:
    """Training data prepared once: rows X (m, n_0), targets Y (m, n_L), weights w (m,) or None.

    With ``shard_comm`` (a communicator of size > 1) the rows are this rank's part of a data
    set split across the ranks in rank order (as ``load_csv(..., shard=(rank, size))`` gives):
    ``m`` is then the size of the whole data set, ``rows`` the number held here, ``offset``
    the global index of the first, and ``w_all`` every rank's weights (batch totals need
    them). Single-process training on the concatenation of the shards, with the same seed,
    draws exactly the same batches.
    """

    def __init__(self, net: Network, X: Any, Y: Any, sample_weight: Any = None, class_weight: Any = None,
                 names: tuple[str, str] = ("X", "Y"), *, shard_comm: Communicator | None = None):
        A0 = net._columns(X, names[0])
        self.m = self.rows = A0.shape[1]
        self.offset = 0
        self.sharded = shard_comm is not None and shard_comm.size > 1
        self.X = np.ascontiguousarray(A0.T)
        self.Y = net.targets(Y, self.m, names[1])  # (n_L, m), C-contiguous: batches are gathered by column
        # What accuracy compares with, prepared once: the class of each example (multiclass) or
        # which targets are positive (binary, multilabel); None for regression.
        task = net.task
        self.labels = (self.Y.argmax(axis=0) if task == "multiclass"
                       else None if task == "regression" else self.Y > 0.5)
        w = None
        if sample_weight is not None:
            Network.coefficients(self.m, sample_weight)  # validates
            w = np.asarray(sample_weight, dtype=net.dtype).copy()
        if class_weight is not None:
            cw = _class_weights(net, self.Y, class_weight, shard_comm if self.sharded else None)
            w = cw if w is None else w * cw
        self.w = self.w_all = w
        if self.sharded:
            self._share(shard_comm)

    def _share(self, comm: Communicator) -> None:
        """Learn the other shards' sizes (and weights): one all-reduce each, exact in float64."""
        counts = np.zeros(comm.size + 1)
        counts[comm.rank] = self.rows
        counts[-1] = self.w is not None
        comm.allreduce_(counts)
        if counts[-1] not in (0, comm.size):
            raise ValidationError("sample_weight/class_weight: given on some ranks but not on others")
        self.offset = int(counts[: comm.rank].sum())
        self.m = int(counts[:-1].sum())
        if self.m == 0:
            raise ValidationError("X: every rank's shard is empty")
        if self.w is not None:
            w_all = np.zeros(self.m, dtype=np.float64)
            w_all[self.offset : self.offset + self.rows] = self.w
            comm.allreduce_(w_all)  # x + 0 = x: exact
            self.w_all = w_all.astype(self.w.dtype)


def _class_weights(net: Network, Y: np.ndarray, class_weight: Any, comm: Communicator | None = None) -> np.ndarray:
    """Per-example weights from {class: weight} or "balanced" (w_k = m / (K · count_k)).

    With ``comm`` (sharded data) the class counts are those of all ranks' rows together.
    """
    if net.task not in ("binary", "multiclass"):
        raise ValidationError(f"class_weight: needs a binary or multiclass network, this one is {net.task}")
    labels = Y.argmax(axis=0) if Y.shape[0] > 1 else (Y[0] > 0.5).astype(np.intp)
    n_classes = max(Y.shape[0], 2)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValidationError(f"class_weight: expected a dict or 'balanced', received {class_weight!r}")
        counts = np.bincount(labels, minlength=n_classes).astype(float)
        if comm is not None:
            comm.allreduce_(counts)
        table = np.where(counts > 0, counts.sum() / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
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
    """Turns Ctrl-C into a flag checked between steps, so no update is cut in half.

    ``deferred`` (several processes): Ctrl-C only sets ``pending``; the trainer sums it
    across ranks with the next all-reduce and sets ``raised`` on every rank at once.
    """

    def __init__(self, deferred: bool = False) -> None:
        self.raised = False
        self.pending = False
        self.deferred = deferred
        self._previous: Any = None

    def __enter__(self) -> "_StopFlag":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.raised or self.pending:  # a second Ctrl-C: the user insists
            raise KeyboardInterrupt
        if self.deferred:
            self.pending = True
        else:
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
        backend: Any = "numpy",
    ):
        self.net = net
        self.optimizer = get_optimizer(optimizer)
        if learning_rate is not None and getattr(optimizer, "explicit_learning_rate", False):
            raise ValidationError("learning_rate: given both to fit and to the optimizer object; give it once")
        rate = learning_rate if learning_rate is not None else self.optimizer.learning_rate
        self.schedule = None if isinstance(self.optimizer, LBFGS) else as_schedule(rate)
        self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.rng = as_generator(seed)
        self.l2 = check_positive_float(l2, "l2", allow_zero=True)
        self.dropout = net.dropout_rates(dropout)
        self.clip_norm = None if clip_norm is None else check_positive_float(clip_norm, "clip_norm")
        self.comm = LocalComm() if comm is None else comm
        if not isinstance(self.comm, Communicator):
            raise InputTypeError(f"comm: expected rank, size, allreduce_ and bcast_, received {describe(comm)}")
        if isinstance(self.optimizer, LBFGS) and (self.batch_size is not None or self.dropout is not None):
            raise ValidationError("optimizer 'lbfgs' is full-batch and deterministic: use batch_size=None and no dropout")
        self.step = 0
        self.epoch = 0
        self._last_rate: tuple[int, float] = (-1, math.nan)  # (step, rate) of the last lookup
        # Early stopping's memory (kept on the trainer so a checkpoint can resume it exactly).
        self._best_value, self._wait, self._best_epoch = math.inf, 0, None
        n = net.n_params
        # One buffer for gradient + [weighted cost, weight, correct] so one all-reduce carries all.
        self._reduced = np.empty(n + 3, dtype=net.dtype)
        self._grad = self._reduced[:n]
        self._grad_scale = 1.0  # what _grad holds is _grad_scale · dJ/dθ (see _train_step)
        self._plain_sgd = type(self.optimizer) is GradientDescent
        self._scratch = np.empty(n, dtype=net.dtype)
        self._best = np.empty(n, dtype=net.dtype)
        self._caches: dict[int, Any] = {}
        self._coefs: dict[int, np.ndarray] = {}
        self._gather: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._gather_store: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._targets_store: np.ndarray | None = None
        self._stop = _StopFlag()
        self._masks: _GlobalBatchMasks | None = None
        if self.comm.size > 1:
            self.comm.bcast_(net.params)
            _share_rng_state(self.rng, self.comm)
            self._masks = _GlobalBatchMasks(self.rng, net.dtype)
            self._agreement = np.zeros(2)
        # What computes each step's gradient and update: backprop.kernels ("numpy", "numba", "auto").
        self.backend = get_backend(backend, net, self.optimizer)

    # ------------------------------------------------------------------ one step
    def _cache(self, m: int):
        cache = self._caches.get(m)
        if cache is None:
            cache = _bounded(self._caches)[m] = self.net.make_cache(m)
        return cache

    def _batch(self, data: Dataset, idx: np.ndarray | slice | None):
        """Columns (n_0, b), targets (n_L, b) and coefficients for the rows ``idx`` (None: all rows).

        Rows in order (a slice) are a view of X, not a copy: BLAS reads the transposed operand
        as is. Shuffled rows (an index array) are gathered into reused contiguous buffers.
        """
        if idx is None:
            A0, Y, w = data.X.T, data.Y, data.w
        elif isinstance(idx, slice):
            A0, Y = data.X[idx].T, self._target_columns(data, idx)
            w = None if data.w is None else data.w[idx]
        else:
            b = idx.size
            if b not in self._gather:
                _bounded(self._gather)[b] = self._gather_buffers(b, data)
            xb, yb, wb = self._gather[b]
            # mode="clip": the indices are valid, and "raise" would buffer the whole gather
            np.take(data.X, idx, axis=0, out=xb, mode="clip")
            np.take(data.Y, idx, axis=1, out=yb, mode="clip")
            A0, Y = xb.T, yb
            w = None if data.w is None else np.take(data.w, idx, out=wb, mode="clip")
        return A0, Y, w

    def _target_columns(self, data: Dataset, rows: slice) -> np.ndarray:
        """Y's columns ``rows`` (n_L, b), copied into one reused buffer: n_L·b values, and the cost
        and the output error read them as one contiguous block."""
        n_values = data.Y.shape[0] * (rows.stop - rows.start)
        store = self._targets_store
        if store is None or store.size < n_values or store.dtype != data.Y.dtype:
            store = self._targets_store = np.empty(n_values, data.Y.dtype)
        columns = store[:n_values].reshape(data.Y.shape[0], -1)
        np.copyto(columns, data.Y[:, rows])
        return columns

    def _gather_buffers(self, b: int, data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows (b, n_0), targets (n_L, b), weights (b,): contiguous views of storage for the largest b so far.

        Batches of varying size (the last of an epoch, a rank's share of a sharded batch) then
        reuse one allocation instead of faulting in new pages.
        """
        n0, nL = data.X.shape[1], data.Y.shape[0]
        store = self._gather_store
        if store is None or store[0].shape[0] < b or store[0].shape[1] != n0 or store[1].size < nL * b \
                or store[0].dtype != data.X.dtype or store[1].dtype != data.Y.dtype:
            store = self._gather_store = (np.empty((b, n0), data.X.dtype), np.empty(nL * b, data.Y.dtype),
                                          np.empty(b, data.X.dtype))
            self._gather.clear()
        return store[0][:b], store[1][: nL * b].reshape(nL, b), store[2][:b]

    @property
    def grad(self) -> np.ndarray:
        """The flat gradient dJ/dθ of the last step (the trainer's buffer, overwritten every step)."""
        if self._grad_scale != 1.0:  # the SGD step left α ∇J here
            self._grad /= self._grad_scale
            self._grad_scale = 1.0
        return self._grad

    def _summed_gradient(self, A0, Y, w, batch_total: float, labels) -> float:
        """Forward, cost and backward on this rank's rows, summed over the processes in one all-reduce,
        plus the L2 term. Returns the batch's cost J; ``self._grad`` holds dJ/dθ and
        ``self._reduced[-1]`` the number of examples classified right."""
        net, reduced, grad = self.net, self._reduced, self._grad
        self._grad_scale = 1.0
        m = A0.shape[1]
        rng = self.rng if self._masks is None else self._masks
        if m:
            coef = 1.0 / batch_total if w is None else np.divide(w, batch_total, out=self._coef_buffer(m))
            cache = self._cache(m)
            reduced[-3] = self.backend.gradient(cache, A0, Y, coef, grad, training=self.dropout is not None,
                                                dropout=self.dropout, rng=rng)
            reduced[-1] = _correct(net, cache.A[net.n_layers], Y, labels)
        else:  # an empty part of an uneven split
            reduced.fill(0)
            if self.dropout is not None and self._masks is not None:
                self._masks.skip(net.layer_sizes, self.dropout)  # the RNG advances as on the other ranks
        if self.comm.size > 1:
            reduced[-2] = self._stop.pending
            self.comm.allreduce_(reduced)
            if reduced[-2]:
                self._stop.raised = True
        cost = float(reduced[-3])
        if self.l2:
            cost += net.add_l2(grad, self.l2 / batch_total, scratch=self._scratch)
        return cost

    def _train_step(self, A0, Y, w, batch_total: float, labels) -> tuple[float, float]:
        """One update: the summed gradient, a divergence check, clipping, the optimizer's step.
        Returns (batch cost, correct count)."""
        net, grad = self.net, self._grad
        cost = self._summed_gradient(A0, Y, w, batch_total, labels)
        norm2 = float(grad @ grad)
        if not (math.isfinite(cost) and math.isfinite(norm2)):
            raise DivergenceError(
                f"training diverged at epoch {self.epoch}, step {self.step}: the cost is {cost} and the gradient "
                f"norm {math.sqrt(norm2)}; the learning rate may be too high. "
                "The parameters of the last finite step were kept."
            )
        if self.clip_norm is not None and norm2 > self.clip_norm**2:
            grad *= self.clip_norm / math.sqrt(norm2)
            norm2 = self.clip_norm**2 * (1 + 1e-6)  # ‖clipped grad‖², rounding included (a bound is all it needs)
        lr = self._rate(self.step)
        if self._plain_sgd and 0 < lr and math.isfinite(lr * lr * norm2):
            # θ ← θ − α g with the gradient buffer as the step (α g is finite: its norm is): no
            # scratch vector, so faster than the optimizer's step (38 vs 63 µs on W2's 235k
            # parameters); the seed's update_parameters, bit for bit. ``grad`` undoes α on access.
            _descend(net.params, grad, lr)
            self._grad_scale = lr
            self.optimizer.t += 1
            self.step += 1
            return cost, float(self._reduced[-1])
        try:  # the optimizer refuses a step that overflows, before applying it
            self.backend.step(self.optimizer, net.params, grad, lr, norm2)
        except DivergenceError as exc:
            raise DivergenceError(
                f"training diverged at epoch {self.epoch}, step {self.step}: {exc}; the learning rate may be too high"
            ) from None
        self.step += 1
        return cost, float(self._reduced[-1])

    def _coef_buffer(self, m: int) -> np.ndarray:
        buffer = self._coefs.get(m)
        if buffer is None:
            buffer = _bounded(self._coefs)[m] = np.empty(m, dtype=self.net.dtype)
        return buffer

    def _rate(self, step: int) -> float:
        """The schedule's learning rate for update number ``step`` (0 for the first), checked."""
        value = self.schedule(step)
        if type(value) is float and 0 <= value < math.inf:  # the common case, without the ABC checks below
            self._last_rate = (step, value)
            return value
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
            raise InputTypeError(f"learning_rate: the schedule returned {describe(value)} at step {step}; expected a number")
        value = float(value)
        if not (math.isfinite(value) and value >= 0):
            raise ValidationError(f"learning_rate: the schedule returned {value} at step {step}; expected a finite number >= 0")
        self._last_rate = (step, value)
        return value

    @property
    def _lr(self) -> float:
        """The learning rate of the last step taken (of the first, before any)."""
        step = max(self.step - 1, 0)
        return self._last_rate[1] if self._last_rate[0] == step else self._rate(step)

    # ----------------------------------------------------------------- an epoch
    def _batches(self, m: int):
        """Rows of each global mini-batch: None = the whole data set, a slice = rows in order,
        an index array = shuffled rows."""
        if self.batch_size is None or self.batch_size >= m:
            yield None  # the full batch: shuffling cannot change a sum
            return
        if not self.shuffle:
            for start in range(0, m, self.batch_size):
                yield slice(start, min(start + self.batch_size, m))
            return
        order = self.rng.permutation(m)
        for start in range(0, m, self.batch_size):
            yield order[start : start + self.batch_size]

    def _shard(self, idx: np.ndarray | None, data: Dataset) -> np.ndarray | None:
        """This rank's rows (local indices; None: all it holds) of the global batch ``idx`` (None: all rows).

        Replicated data: the rank-th contiguous part of the batch (np.array_split semantics).
        Sharded data: the batch's rows that this rank holds, in the batch's order. Either way
        the dropout masks are told which columns of the global batch these rows are.
        """
        size = self.comm.size
        if size == 1:
            return idx
        if isinstance(idx, slice):
            idx = np.arange(idx.start, idx.stop)
        b = data.m if idx is None else idx.size
        if data.sharded:
            if idx is None:
                rows, columns = None, slice(data.offset, data.offset + data.rows)
            else:
                local = idx - data.offset
                held = (local >= 0) & (local < data.rows)
                columns = np.flatnonzero(held)
                rows = local[columns]
        else:
            q, r = divmod(b, size)
            start = self.comm.rank * q + min(self.comm.rank, r)
            columns = slice(start, start + q + (self.comm.rank < r))
            rows = np.arange(columns.start, columns.stop) if idx is None else idx[columns]
        self._masks.select(b, columns)
        return rows

    def _run_epoch(self, data: Dataset, stop: _StopFlag, batch_callbacks: list[Callback]) -> dict[str, float]:
        mean_loss, total, correct = math.nan, 0.0, 0.0
        for idx in self._batches(data.m):
            b = data.m if idx is None else (idx.stop - idx.start if isinstance(idx, slice) else idx.size)
            w = data.w_all
            batch_total = float(b if w is None else (w.sum() if idx is None else w[idx].sum()))
            if batch_total == 0:  # every example weighs 0: nothing to learn, and c = w / 0 is undefined
                continue  # (the same global batch on every rank: all skip it)
            rows = self._shard(idx, data)
            A0, Y, w = self._batch(data, rows)
            labels = _rows_of(data.labels, rows)
            cost, right = self._train_step(A0, Y, w, batch_total, labels)
            total += batch_total
            # running weighted mean: Σ cost·b would overflow for finite costs near the float maximum
            mean_loss = cost if total == batch_total else mean_loss + (cost - mean_loss) * (batch_total / total)
            correct += right
            for cb in batch_callbacks:
                cb.on_batch_end(self.step, {"loss": cost, "lr": self._lr})
            if stop.raised:
                break
        logs = {"loss": mean_loss}
        if self.net.task != "regression":
            logs["accuracy"] = correct / data.m
        return logs

    def evaluate(self, data: Dataset) -> dict[str, float]:
        """Mean data cost (no L2 term) and accuracy on prepared data, inference mode, in chunks.

        Raises :class:`DivergenceError` when the cost overflows (inputs or weights far too large).
        """
        net = self.net
        cost = correct = 0.0
        total = float(data.m if data.w is None else data.w.sum())
        with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
            for start in range(0, data.m, _EVAL_CHUNK):
                idx = None if data.m <= _EVAL_CHUNK else slice(start, min(start + _EVAL_CHUNK, data.m))
                A0, Y, w = self._batch(data, idx)
                coef = 1.0 / total if w is None else w / total
                cache = net.forward_columns(A0, self._cache(A0.shape[1]))
                cost += net.cost_columns(cache, Y, coef)
                labels = _rows_of(data.labels, idx)
                correct += _correct(net, cache.A[net.n_layers], Y, labels)
        if not math.isfinite(cost):
            raise DivergenceError(
                f"evaluating the loss overflowed to {cost} (|X| up to {float(np.max(np.abs(data.X))):.3g}, "
                f"|parameters| up to {float(np.max(np.abs(net.params))):.3g}): scale the inputs or lower the "
                "learning rate; the parameters were kept"
            )
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
        if callbacks is None or isinstance(callbacks, (str, Callback)) or not isinstance(callbacks, Sequence):
            raise InputTypeError(f"callbacks: expected a list of Callback objects, received {describe(callbacks)}")
        for i, cb in enumerate(callbacks):
            if not isinstance(cb, Callback):
                raise InputTypeError(f"callbacks[{i}]: expected a backprop.Callback instance, received {describe(cb)}")
        if not isinstance(monitor, str):
            raise InputTypeError(f"monitor: expected a logged name such as 'val_loss', received {describe(monitor)}")
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
        for cb in callbacks:
            cb.on_train_begin(self)
        try:
            # Overflow shows up as a non-finite cost or gradient, which raises DivergenceError
            # with a clear message; numpy's own warnings would only repeat it less clearly.
            quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")
            with _StopFlag(deferred=self.comm.size > 1) as stop, quiet:
                self._stop = stop
                if isinstance(self.optimizer, LBFGS):
                    self._run_lbfgs(data, epochs, validation, callbacks, history, stop, early_stopping,
                                    monitor, maximize, patience, min_delta)
                    return history
                plain = not callbacks and validation is None and not early_stopping
                for _ in range(epochs - self.backend.run_epochs(self, data, epochs, history, stop, plain=plain)):
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
                        stop_now = self._track_best(-value if maximize else value, epoch, patience, min_delta)
                    for cb in callbacks:
                        stop_now = bool(cb.on_epoch_end(epoch, logs)) or stop_now
                    stop_now = self._agree(stop_now, stop)
                    if stop_now:
                        history.stopped_early = True
                        break
                    if stop.raised:
                        history.interrupted = True
                        break
                if stop.raised:
                    history.interrupted = True
        finally:
            if early_stopping and self._best_epoch is not None:
                np.copyto(self.net.params, self._best)
                history.best_epoch = self._best_epoch
            for cb in callbacks:
                cb.on_train_end(self)
        return history

    def _agree(self, stop_now: bool, stop: _StopFlag) -> bool:
        """Several processes: stop when any rank's callbacks ask to, and share a pending Ctrl-C."""
        if self.comm.size == 1:
            return stop_now
        flags = self._agreement
        flags[0], flags[1] = stop_now, stop.pending
        self.comm.allreduce_(flags)
        if flags[1]:
            stop.raised = True
        return bool(flags[0])

    def _track_best(self, value: float, epoch: int, patience: int, min_delta: float) -> bool:
        """Early stopping: remember the best epoch's weights; True once ``patience`` epochs failed to improve."""
        if value < self._best_value - min_delta:
            self._best_value, self._wait, self._best_epoch = value, 0, epoch
            np.copyto(self._best, self.net.params)
            return False
        self._wait += 1
        return self._wait >= patience

    def _validation_logs(self, validation: Dataset | None) -> dict[str, float]:
        if validation is None:
            return {}
        return {f"val_{k}": v for k, v in self.evaluate(validation).items()}

    def _run_lbfgs(self, data, epochs, validation, callbacks, history, stop, early_stopping, monitor, maximize,
                   patience, min_delta) -> None:
        """Full-batch L-BFGS: one scipy iteration is one epoch of the history."""
        net, params = self.net, self.net.params
        state = {"cost": math.nan, "correct": 0.0, "started": time.perf_counter()}
        batch_total = float(data.m if data.w is None else data.w_all.sum())
        rows = self._shard(None, data) if self.comm.size > 1 else None
        labels = _rows_of(data.labels, rows)

        def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
            np.copyto(params, x, casting="unsafe")
            cost = self._summed_gradient(*self._batch(data, rows), batch_total, labels)
            if not (math.isfinite(cost) and np.isfinite(self._grad).all()):
                raise DivergenceError("L-BFGS met a non-finite cost or gradient; the last finite parameters were kept")
            state["cost"], state["correct"] = cost, float(self._reduced[-1])
            return cost, self._grad.astype(np.float64)

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
                stop_now = self._track_best(-logs[monitor] if maximize else logs[monitor], epoch, patience, min_delta)
            for cb in callbacks:
                stop_now = bool(cb.on_epoch_end(epoch, logs)) or stop_now
            stop_now = self._agree(stop_now, stop)
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
            "early_stopping": {
                "best_value": None if math.isinf(self._best_value) else self._best_value,
                "wait": self._wait,
                "best_epoch": self._best_epoch,
                "best_params": self._best.copy() if self._best_epoch is not None else None,
            },
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (from a checkpoint file, say).

        A state this trainer cannot resume (a damaged or foreign checkpoint) raises
        :class:`ValidationError` (:class:`InputTypeError` when it is not a dict) and leaves
        the trainer as it was.
        """
        if not isinstance(state, dict):
            raise InputTypeError(f"state: expected the dict returned by state_dict(), received {describe(state)}")
        backup = self.state_dict()
        try:
            self._restore(state)
        except BackpropError:
            self._restore(backup)
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            self._restore(backup)
            raise ValidationError(
                f"state: not a training state this trainer can resume ({type(exc).__name__}: {exc})"
            ) from None

    def _restore(self, state: dict[str, Any]) -> None:
        self._last_rate = (-1, math.nan)  # the restored schedule decides again
        self.epoch = check_positive_int(state["epoch"], "state['epoch']", minimum=0)
        self.step = check_positive_int(state["step"], "state['step']", minimum=0)
        self.optimizer.load_state_dict(state["optimizer"])
        for key, array in getattr(self.optimizer, "_state", {}).items():
            if array.shape != self.net.params.shape:
                raise ShapeError(f"state['optimizer']['state'][{key!r}]: expected shape {self.net.params.shape} "
                                 f"(one entry per parameter of this network), received {array.shape}")
        if self.schedule is not None:
            self.schedule.load_state_dict(state.get("schedule", {}))
        self.rng.bit_generator.state = state["rng"]
        stopping = state.get("early_stopping") or {}
        best = stopping.get("best_value")
        self._best_value = math.inf if best is None else float(best)
        self._wait = check_positive_int(stopping.get("wait", 0), "state['early_stopping']['wait']", minimum=0)
        best_epoch = stopping.get("best_epoch")
        self._best_epoch = None if best_epoch is None else check_positive_int(
            best_epoch, "state['early_stopping']['best_epoch']", minimum=0)
        if stopping.get("best_params") is not None:
            np.copyto(self._best, np.asarray(stopping["best_params"]), casting="same_kind")


_CHUNK = 1 << 16  # elements per chunk of a large SGD update (256–512 KiB: stays in L2)


def _descend(params: np.ndarray, grad: np.ndarray, lr: float) -> None:
    """θ ← θ − α g in place, leaving α g in ``grad``; chunk by chunk for large vectors, so each
    chunk of α g is still in cache when θ reads it (W3's 25 M parameters: 13.0 ms against 15.5)."""
    if params.size <= 4 * _CHUNK:
        grad *= lr
        params -= grad
        return
    for start in range(0, params.size, _CHUNK):
        step = grad[start : start + _CHUNK]
        step *= lr
        chunk = params[start : start + _CHUNK]
        chunk -= step


_MAX_SHAPES = 16  # buffers kept per distinct batch size (sharded data gives varying local sizes)


def _bounded(buffers: dict) -> dict:
    """``buffers``, after dropping its oldest entry when it holds ``_MAX_SHAPES``."""
    if len(buffers) >= _MAX_SHAPES:
        del buffers[next(iter(buffers))]
    return buffers


def _share_rng_state(rng: np.random.Generator, comm: Communicator) -> None:
    """Give every rank rank 0's generator state (so ``seed=None`` works across processes too)."""
    state = rng.bit_generator.state
    if state.get("bit_generator") not in ("PCG64", "PCG64DXSM"):
        raise ValidationError(
            f"seed: training on several processes shares a PCG64 generator's state (np.random.default_rng); "
            f"received a {state.get('bit_generator')} generator"
        )
    low = (1 << 64) - 1
    inner = state["state"]
    words = np.array([inner["state"] >> 64, inner["state"] & low, inner["inc"] >> 64, inner["inc"] & low,
                      state["has_uint32"], state["uinteger"]], dtype=np.uint64)
    comm.bcast_(words)
    w = [int(v) for v in words]
    rng.bit_generator.state = {**state, "state": {"state": (w[0] << 64) | w[1], "inc": (w[2] << 64) | w[3]},
                               "has_uint32": w[4], "uinteger": w[5]}


class _GlobalBatchMasks:
    """The dropout RNG of one rank: masks are drawn for the whole global batch, this rank keeps its columns.

    Every rank thus draws the same numbers as a single process training on the global batch:
    the masks of its examples are that process's, and the shared generator stays in step on
    all ranks (which the batch order depends on). Cost: each rank draws B numbers per unit
    of a dropout layer, where its forward pass does about n_prev·B/size multiply-adds.
    """

    def __init__(self, rng: np.random.Generator, dtype: Any):
        self.rng = rng
        self.dtype = dtype
        self.total = 0
        self.columns: slice | np.ndarray = slice(0, 0)
        self._full: dict[tuple, np.ndarray] = {}

    def select(self, total: int, columns: slice | np.ndarray) -> None:
        """The next masks are for a global batch of ``total`` columns, of which this rank has ``columns``."""
        self.total, self.columns = total, columns

    def _draw(self, n: int, dtype: Any) -> np.ndarray:
        key = (n, self.total, np.dtype(dtype))
        full = self._full.get(key)
        if full is None:
            full = _bounded(self._full)[key] = np.empty((n, self.total), dtype)
        self.rng.random(dtype=dtype, out=full)
        return full

    def random(self, *, dtype: Any, out: np.ndarray) -> np.ndarray:
        """Like ``Generator.random(dtype=, out=)`` for an (n, b) ``out``: this rank's columns of an (n, total) draw."""
        full = self._draw(out.shape[0], dtype)
        if isinstance(self.columns, slice):
            np.copyto(out, full[:, self.columns])
        else:
            np.take(full, self.columns, axis=1, out=out, mode="clip")
        return out

    def skip(self, layer_sizes: Sequence[int], rates: Sequence[float]) -> None:
        """Advance the generator as a forward pass with these dropout rates would (this rank has no rows)."""
        for l in range(1, len(layer_sizes) - 1):
            if rates[l - 1] > 0:
                self._draw(layer_sizes[l], self.dtype)


def _rows_of(labels: np.ndarray | None, rows: np.ndarray | slice | None) -> np.ndarray | None:
    """The accuracy targets (:attr:`Dataset.labels`, examples along the last axis) of ``rows``."""
    return labels if labels is None or rows is None else labels[..., rows]


def _correct(net: Network, A: np.ndarray, Y: np.ndarray, labels: np.ndarray | None) -> float:
    """How many examples (columns) the output A classifies right: ``labels`` are the true classes
    (multiclass, shape (m,)) or which targets are positive (binary and multilabel, like Y)."""
    task = net.task
    if task == "regression":
        return 0.0
    if task == "multiclass":
        # right when the true class's output is the column's maximum (an arg max over axis 0
        # would copy A; these are (m,) vectors)
        true_score = A[labels, np.arange(A.shape[1])]
        return float(np.count_nonzero(true_score >= np.maximum.reduce(A, axis=0)))
    hits = np.equal(A > 0.5, labels)
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
        return X, Y, sample_weight, Dataset(net, *validation_data[:2], *validation_data[2:],
                                            names=("validation_data[0]", "validation_data[1]"))
    if not validation_split:
        return X, Y, sample_weight, None
    X = as_float_matrix(X, "X", dtype=net.dtype)
    m = X.shape[0]
    n_val = int(round(m * validation_split))
    if n_val < 1 or n_val >= m:
        raise ValidationError(f"validation_split: {validation_split} of {m} examples leaves no training or no validation data")
    order = as_generator(seed).permutation(m)  # a Generator seed is used (and advanced) as is
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    Y = np.asarray(Y)
    if Y.shape[:1] != (m,):
        raise ShapeError(f"Y: expected {m} rows to match X, received shape {Y.shape}")
    sw = None if sample_weight is None else np.asarray(sample_weight)
    validation = Dataset(net, X[val], Y[val], None if sw is None else sw[val])
    return X[train], Y[train], None if sw is None else sw[train], validation
