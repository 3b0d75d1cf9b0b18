"""The fit loop: mini-batches, epochs, regularisation, validation, early stopping, callbacks.

One step is the iteration of the course's 2-layer network, generalised:

    forward (with dropout when training)  →  cost J  →  backward (flat gradient)
    →  [all-reduce across processes]  →  + (λ/m) W  →  clip by global norm  →  optimizer update

:meth:`Trainer.train_batch` is one such step on one mini-batch; :meth:`Trainer.run` runs
epochs of them. The step is two methods: :meth:`Trainer._cost_and_gradient` (forward, cost,
backward, all-reduce, L2) and :meth:`Trainer._update` (divergence check, clipping, the
optimizer's rule): the one place a compiled backend replaces the per-step work.

Everything a step touches (caches, gradient, batch gathers, optimizer state) is
allocated once per batch shape and reused (:mod:`.batches`), so a steady-state step
allocates no array of the batch's size. The 1/m of the mean enters once, in the
per-example coefficients ``c`` of the batch (``1/b``, or ``w_i / Σ w`` with sample weights).

Faults: a non-finite cost or gradient stops training with :class:`DivergenceError`
before the update, so the parameters stay the last finite ones; Ctrl-C stops after
the current step and returns the history so far; early stopping restores the best
weights however training ends.

Several processes (``comm.size > 1``) follow single-process training exactly; what only
they need lives in :mod:`.parallel`. The trainer joins the other processes (rank 0's
parameters and RNG state) in :meth:`Trainer.synchronize`, at the start of the first run,
never in its constructor.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from numbers import Real
from typing import Any

import numpy as np

from ..core.network import Engine
from ..core.validation import (
    BackpropError,
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
    as_generator,
    check_int,
    check_nonnegative_float,
    check_positive_float,
    describe,
)
from ..kernels import check_backend, get_backend
from ..optim import LBFGS, Optimizer, as_schedule, get_optimizer
from ..optim.schedules import Schedule
from . import parallel
from .batches import BatchBuffers
from .callbacks import Callback
from .comm import Communicator, LocalComm
from .data import Dataset, TrainingData, prepare_validation, rows_of
from .divergence import explain_divergence
from .evaluation import count_correct, evaluate
from .history import History
from .stopping import EarlyStopping, StopFlag
from .progress import verbose_callback

__all__ = ["Trainer", "TrainingData", "Dataset", "prepare_validation"]


class Trainer:
    """State of one training run of ``net``: optimizer, schedule, RNG, step and epoch counters, buffers.

    ``fit`` makes a new Trainer; ``partial_fit`` keeps using the last one, so the optimizer's
    state (Adam's moments), the schedule's step and the RNG stream continue.

    :meth:`run` trains for whole epochs; to drive it one batch at a time (an interactive page, a
    custom loop), prepare the data once and step through an epoch's batches::

        data = TrainingData(net, X, y)
        for idx in trainer.batches(data.m):
            cost, correct, weight = trainer.train_batch(data, idx)
    """

    # Every field, declared once (set in __init__, never from outside).
    net: Engine
    optimizer: Optimizer | LBFGS
    schedule: Schedule | None  # None for L-BFGS
    batch_size: int | None  # None: the full batch
    shuffle: bool
    rng: np.random.Generator
    l2: float
    dropout: list[float] | None
    clip_norm: float | None
    comm: Communicator
    step: int  # updates made
    epoch: int  # epochs completed
    early_stopping: EarlyStopping  # its memory survives between runs (and in checkpoints)
    buffers: BatchBuffers
    options: dict[str, Any]  # the constructor's arguments (partial_fit compares later calls with them)
    incremental: bool  # made by partial_fit: later partial_fit calls continue it
    history: History  # the run's history so far (partial_fit accumulates it)

    def __init__(
        self,
        net: Engine,
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
        incremental: bool = False,
        backend: Any = "auto",
    ):
        self.options = {"optimizer": optimizer, "learning_rate": learning_rate, "batch_size": batch_size,
                        "shuffle": shuffle, "seed": seed, "l2": l2, "dropout": dropout, "clip_norm": clip_norm,
                        "comm": comm, "backend": backend}
        self.incremental = bool(incremental)
        self.history = History()
        self.net = net
        self.optimizer = get_optimizer(optimizer)
        if learning_rate is not None and getattr(optimizer, "explicit_learning_rate", False):
            raise ValidationError("learning_rate: given both to fit and to the optimizer object; give it once")
        rate = learning_rate if learning_rate is not None else self.optimizer.learning_rate
        self.schedule = None if isinstance(self.optimizer, LBFGS) else as_schedule(rate)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.rng = as_generator(seed)
        self.l2 = check_nonnegative_float(l2, "l2")
        self.dropout = net.dropout_rates(dropout)
        self.clip_norm = None if clip_norm is None else check_positive_float(clip_norm, "clip_norm")
        self.comm = LocalComm() if comm is None else comm
        if not isinstance(self.comm, Communicator):
            raise InputTypeError(f"comm: expected rank, size, allreduce_ and bcast_, received {describe(comm)}")
        if isinstance(self.optimizer, LBFGS) and (self.batch_size is not None or self.dropout is not None):
            raise ValidationError("optimizer 'lbfgs' is full-batch and deterministic: use batch_size=None and no dropout")
        self.step = 0
        self.epoch = 0
        self.early_stopping = EarlyStopping(net.n_params, net.dtype)
        self.buffers = BatchBuffers(net)
        n = net.n_params
        # One buffer for gradient + [weighted cost, stop requests, correct] so one all-reduce carries all.
        self._reduced = np.empty(n + 3, dtype=net.dtype)
        self._grad = self._reduced[:n]
        self._grad_scale = 1.0  # what _grad holds is _grad_scale · dJ/dθ (see _update)
        self._scratch = np.empty(n, dtype=net.dtype)
        self._last_rate: tuple[int, float] = (-1, math.nan)  # (step, rate) of the last lookup
        self._stop = StopFlag()
        self._synchronized = self.comm.size == 1
        self._masks: parallel.GlobalBatchMasks | None = None  # several processes: set by synchronize()
        self._agreement = np.zeros(2)  # several processes: [stop requested, Ctrl-C pending]
        # What computes each step's gradient and update: backprop.kernels ("numpy", "numba", "auto").
        # "auto" is resolved when the first run says how much work there is (resolve_backend).
        self._backend_spec = check_backend(backend)
        self._backend = None if self._backend_spec == "auto" else get_backend(backend, net, self.optimizer)

    @property
    def backend(self) -> Any:
        """What computes each step (a :mod:`backprop.kernels` backend). "auto" not resolved by a run
        (:meth:`train_batch` called directly) is the numpy engine: nothing says the work would repay
        loading the compiled kernels."""
        if self._backend is None:
            self._backend = get_backend(self._backend_spec, self.net, self.optimizer, run=(1, None, 1))
        return self._backend

    def resolve_backend(self, data: TrainingData, epochs: int) -> Any:
        """Resolve "auto" for a run of ``epochs`` epochs over ``data`` (once: later runs keep it).
        Depends only on what every process of a distributed run shares (the data set's size)."""
        if self._backend is None:
            self._backend = get_backend(self._backend_spec, self.net, self.optimizer,
                                        run=(data.m, self.batch_size, max(int(epochs), 1)), alone=self.comm.size == 1)
        return self._backend

    def synchronize(self) -> None:
        """Several processes: take rank 0's parameters and RNG state (collective; once, before the first step).

        :meth:`run` calls it; call it earlier when something must draw from the shared RNG first.
        """
        if not self._synchronized:
            parallel.synchronize(self)
            self._synchronized = True

    # ------------------------------------------------------------------ one step
    @property
    def grad(self) -> np.ndarray:
        """The flat gradient dJ/dθ of the last step (the trainer's buffer, overwritten every step)."""
        if self._grad_scale != 1.0:  # plain SGD's step left α ∇J here (GradientDescent.step_in_gradient)
            self._grad /= self._grad_scale
            self._grad_scale = 1.0
        return self._grad

    def train_batch(self, data: TrainingData,
                    idx: np.ndarray | slice | None = None) -> tuple[float, float, float] | None:
        """One update on the global mini-batch ``idx`` of ``data`` (an index array, a slice; None: all rows).

        Returns (the batch's cost, examples classified right, the batch's total weight: its
        size without sample weights), or None when the batch weighs 0
        (skipped: nothing to learn). With several processes every rank calls it with the same
        ``idx`` and takes its own part of the rows.
        """
        b = data.m if idx is None else (idx.stop - idx.start if isinstance(idx, slice) else idx.size)
        w = data.w_all
        batch_total = float(b if w is None else (w.sum() if idx is None else w[idx].sum()))
        if batch_total == 0:  # every example weighs 0: nothing to learn, and c = w / 0 is undefined
            return None  # (the same global batch on every rank: all skip it)
        if not self._synchronized:  # called step by step, before any run
            self.synchronize()
        rows = self._local_rows(idx, data)
        A0, Y, w = self.buffers.batch(data, rows)
        cost = self._cost_and_gradient(A0, Y, w, batch_total, rows_of(data.labels, rows))
        try:
            self._update(cost)
        except DivergenceError as exc:  # at the first step, name the data or λ, not the learning rate
            raise explain_divergence(exc, self, data, cost) from None
        return cost, float(self._reduced[-1]), batch_total

    def _cost_and_gradient(self, A0, Y, w, batch_total: float, labels) -> float:
        """Forward, cost and backward on this rank's rows, summed over the processes in one all-reduce,
        plus the L2 term. Returns the batch's cost J; ``self._grad`` holds dJ/dθ and
        ``self._reduced[-1]`` the number of examples classified right."""
        net, reduced, grad = self.net, self._reduced, self._grad
        self._grad_scale = 1.0
        m = A0.shape[1]
        rng = self.rng if self._masks is None else self._masks
        if m:
            coef = 1.0 / batch_total if w is None else np.divide(w, batch_total, out=self.buffers.coefficients(m))
            cache = self.buffers.cache(m)
            reduced[-3] = self.backend.gradient(cache, A0, Y, coef, grad, training=self.dropout is not None,
                                                dropout=self.dropout, rng=rng)
            reduced[-1] = count_correct(net, cache.A[net.n_layers], labels)
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

    def _update(self, cost: float) -> None:
        """The update from the gradient in ``self._grad``: a divergence check, clipping, the optimizer's step."""
        grad = self._grad
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
        try:  # the optimizer refuses a step that overflows, before applying it
            self._grad_scale = self.backend.step(self.optimizer, self.net.params, grad, lr, norm2)
        except DivergenceError as exc:
            raise DivergenceError(
                f"training diverged at epoch {self.epoch}, step {self.step}: {exc}; the learning rate may be too high"
            ) from None
        self.step += 1

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

    def _local_rows(self, idx: np.ndarray | slice | None, data: TrainingData) -> np.ndarray | slice | None:
        """This rank's rows of the global batch ``idx`` (``idx`` itself for one process)."""
        if self.comm.size == 1:
            return idx
        return parallel.local_rows(idx, data, self.comm, self._masks)

    # ----------------------------------------------------------------- an epoch
    def batches(self, m: int) -> Iterator[np.ndarray | slice | None]:
        """Rows of each global mini-batch of an epoch over ``m`` examples: None = the whole data set,
        a slice = rows in order, an index array = shuffled rows (draws from the trainer's RNG)."""
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

    def _run_epoch(self, data: TrainingData, stop: StopFlag, batch_callbacks: list[Callback]) -> dict[str, float]:
        mean_loss, total, correct = math.nan, 0.0, 0.0
        for idx in self.batches(data.m):
            result = self.train_batch(data, idx)
            if result is None:
                continue
            cost, right, batch_total = result
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

    def evaluate(self, data: TrainingData) -> dict[str, float]:
        """Mean data cost (no L2 term) and accuracy on prepared data (see :func:`.evaluation.evaluate`)."""
        return evaluate(self.net, data, self.buffers)

    # ---------------------------------------------------------------- the run
    def run(
        self,
        data: TrainingData,
        epochs: int,
        *,
        validation: TrainingData | None = None,
        callbacks: Sequence[Callback] = (),
        verbose: int = 0,
        early_stopping: bool = False,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        history: History | None = None,
    ) -> History:
        """Train for ``epochs`` epochs (fewer if stopped) and return the history."""
        epochs = check_int(epochs, "epochs")
        if callbacks is None or isinstance(callbacks, (str, Callback)) or not isinstance(callbacks, Sequence):
            raise InputTypeError(f"callbacks: expected a list of Callback objects, received {describe(callbacks)}")
        for i, cb in enumerate(callbacks):
            if not isinstance(cb, Callback):
                raise InputTypeError(f"callbacks[{i}]: expected a backprop.Callback instance, received {describe(cb)}")
        self.early_stopping.watch(early_stopping, monitor, patience, min_delta, validation is not None)
        history = History() if history is None else history
        callbacks = list(callbacks)
        progress = verbose_callback(verbose, self.epoch + epochs, self.epoch)  # validates verbose on every rank
        if progress is not None and self.comm.rank == 0:
            callbacks.append(progress)
        self.synchronize()
        self.resolve_backend(data, epochs)
        for cb in callbacks:
            cb.on_train_begin(self)
        try:
            # Overflow shows up as a non-finite cost or gradient, which raises DivergenceError
            # with a clear message; numpy's own warnings would only repeat it less clearly.
            quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")
            with StopFlag(deferred=self.comm.size > 1) as stop, quiet:
                self._stop = stop
                if isinstance(self.optimizer, LBFGS):
                    self._run_lbfgs(data, epochs, validation, callbacks, history, stop)
                else:
                    self._run_epochs(data, epochs, validation, callbacks, history, stop)
                if stop.raised:
                    history.interrupted = True
        finally:
            best_epoch = self.early_stopping.restore(self.net.params)
            if best_epoch is not None:
                history.best_epoch = best_epoch
            for cb in callbacks:
                cb.on_train_end(self)
        return history

    def _run_epochs(self, data, epochs, validation, callbacks, history, stop) -> None:
        """The SGD family: epochs of mini-batch updates."""
        batch_callbacks = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        # A compiled backend may run plain epochs (nothing in Python between them) in one call.
        plain = not callbacks and validation is None and not self.early_stopping.enabled
        for _ in range(epochs - self.backend.run_epochs(self, data, epochs, history, stop, plain=plain)):
            started = time.perf_counter()
            logs = self._run_epoch(data, stop, batch_callbacks)
            if self._end_epoch(logs, self._lr, started, validation, callbacks, history, stop) or stop.raised:
                break

    def _end_epoch(self, logs: dict[str, float], lr: float, started: float, validation: TrainingData | None,
                   callbacks: list[Callback], history: History, stop: StopFlag) -> bool:
        """After an epoch (or an L-BFGS iteration): validation, the history, the schedule, early stopping
        and the callbacks. Returns True when training stops early (every rank agrees)."""
        if validation is not None:
            logs.update({f"val_{k}": v for k, v in self.evaluate(validation).items()})
        logs["lr"] = lr
        logs["seconds"] = time.perf_counter() - started
        epoch = self.epoch
        self.epoch += 1
        history.append(epoch, logs)
        if self.schedule is not None:
            self.schedule.on_epoch_end(logs)
        stop_now = self.early_stopping.update(epoch, logs, self.net.params)
        for cb in callbacks:
            stop_now = bool(cb.on_epoch_end(epoch, logs)) or stop_now
        if self.comm.size > 1:
            stop_now = parallel.agree_to_stop(stop_now, stop, self.comm, self._agreement)
        if stop_now:
            history.stopped_early = True
        return stop_now

    def _run_lbfgs(self, data, epochs, validation, callbacks, history, stop) -> None:
        """Full-batch L-BFGS: one scipy iteration is one epoch of the history."""
        net, params = self.net, self.net.params
        state = {"cost": math.nan, "correct": 0.0, "started": time.perf_counter()}
        batch_total = float(data.m if data.w is None else data.w_all.sum())
        rows = self._local_rows(None, data)
        labels = rows_of(data.labels, rows)

        def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
            np.copyto(params, x, casting="unsafe")
            cost = self._cost_and_gradient(*self.buffers.batch(data, rows), batch_total, labels)
            if not (math.isfinite(cost) and np.isfinite(self._grad).all()):
                raise DivergenceError("L-BFGS met a non-finite cost or gradient; the last finite parameters were kept")
            state["cost"], state["correct"] = cost, float(self._reduced[-1])
            return cost, self._grad.astype(np.float64)

        def on_iteration(x: np.ndarray) -> bool:
            np.copyto(params, x, casting="unsafe")
            logs = {"loss": state["cost"]}
            if net.task != "regression":
                logs["accuracy"] = state["correct"] / data.m
            self.step += 1
            stop_now = self._end_epoch(logs, math.nan, state["started"], validation, callbacks, history, stop)
            state["started"] = time.perf_counter()
            return stop_now or stop.raised

        x0 = params.astype(np.float64)
        try:
            x = self.optimizer.minimize(fun, x0, epochs, on_iteration)
            np.copyto(params, x, casting="unsafe")
        except DivergenceError:
            np.copyto(params, x0, casting="unsafe")
            raise

    # ------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: counters, optimizer, schedule, RNG and early-stopping state."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict() if self.schedule is not None else {},
            "rng": self.rng.bit_generator.state,
            "early_stopping": self.early_stopping.state_dict(),
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
        self.epoch = check_int(state["epoch"], "state['epoch']", minimum=0)
        self.step = check_int(state["step"], "state['step']", minimum=0)
        self.optimizer.load_state_dict(state["optimizer"])
        for key, array in getattr(self.optimizer, "_state", {}).items():
            if array.shape != self.net.params.shape:
                raise ShapeError(f"state['optimizer']['state'][{key!r}]: expected shape {self.net.params.shape} "
                                 f"(one entry per parameter of this network), received {array.shape}")
        if self.schedule is not None:
            self.schedule.load_state_dict(state.get("schedule", {}))
        self.rng.bit_generator.state = state["rng"]
        self.early_stopping.load_state_dict(state.get("early_stopping") or {})
