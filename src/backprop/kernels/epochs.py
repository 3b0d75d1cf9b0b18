"""Many epochs in one kernel call: full-batch plain gradient descent on a small network.

When nothing needs Python between epochs (plain SGD at a constant learning rate, the whole data
set as one batch, no dropout, no callback, no validation, no early stopping, one process), an
epoch of :meth:`Network.fit` is one step, and the trainer's per-epoch work (the divergence check,
the accuracy, the history) costs more than the step itself on a network like the course's
(``benchmarks/proposals/ENGINE.md``, section 2). This kernel runs the epochs back to back and
writes each epoch's loss and number of examples classified right into buffers.

Each epoch is the trainer's step exactly: the one-kernel gradient of :mod:`backprop.kernels.small`,
J plus the L2 term λ/(2m)Σ‖W‖² and (λ/m)W added to the weights' gradient, ‖g‖², clipping to
``clip_norm``, then θ ← θ − α g (the gradient buffer keeps α g, as the trainer's). Before any
update the kernel checks that J and ‖g‖² are finite and that α²‖g‖² is: at the first epoch where
one is not, it returns without touching the parameters, and the trainer's own loop redoes that
epoch, raising its DivergenceError with the parameters of the last finite step. So the
divergence guarantee is the trainer's own.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ._jit import jit
from .small import small_gradient

__all__ = ["full_batch_descent", "run_epochs"]

_TASKS = {"regression": 0, "binary": 1, "multilabel": 2, "multiclass": 3}


@jit
def _correct(A, task, positive, classes):
    """Examples classified right, as the trainer counts them (``positive``: Y > 0.5; ``classes``: argmax Y)."""
    n, m = A.shape
    right = 0
    if task == 1:
        for i in range(m):
            right += (A[0, i] > 0.5) == positive[0, i]
    elif task == 2:
        for i in range(m):
            ok = True
            for k in range(n):
                ok = ok and ((A[k, i] > 0.5) == positive[k, i])
            right += ok
    elif task == 3:
        for i in range(m):
            top = A[0, i]
            for k in range(1, n):
                top = A[k, i] if A[k, i] > top else top
            right += A[classes[i], i] >= top
    return right


@jit
def full_batch_descent(params, grad, X, Y, coef, scalar, sizes, kinds, alphas, output, Zs, Gs, dZs, dAs, col_max,
                       col_sum, lr, l2_over_m, n_weights, clip, task, positive, classes, n_epochs, costs, correct):
    """Up to ``n_epochs`` full-batch steps; returns how many were applied (fewer: the next one is not ordinary)."""
    n = params.shape[0]
    L = sizes.shape[0] - 1
    last = 0
    for l in range(1, L):
        last += sizes[l]
    out_at = last * X.shape[1]
    n_out = sizes[L]
    for epoch in range(n_epochs):
        cost = small_gradient(params, grad, X, Y, coef, scalar, sizes, kinds, alphas, output, Zs, Gs, dZs, dAs,
                              col_max, col_sum)
        if l2_over_m > 0:
            penalty = 0.0
            for i in range(n_weights):
                penalty += params[i] * params[i]
                grad[i] += params[i] * l2_over_m
            cost += 0.5 * l2_over_m * penalty
        norm2 = 0.0
        for i in range(n):
            norm2 += grad[i] * grad[i]
        if not (math.isfinite(cost) and math.isfinite(norm2)):
            return epoch
        if clip > 0 and norm2 > clip * clip:
            scale = clip / math.sqrt(norm2)
            for i in range(n):
                grad[i] *= scale
            norm2 = clip * clip * (1 + 1e-6)
        if not (lr > 0 and math.isfinite(lr * lr * norm2)):
            return epoch
        for i in range(n):
            step = grad[i] * lr
            grad[i] = step
            params[i] -= step
        costs[epoch] = cost
        correct[epoch] = _correct(Gs[out_at : out_at + n_out * X.shape[1]].reshape((n_out, X.shape[1])), task,
                                  positive, classes)
    return n_epochs


def run_epochs(trainer, step_kernels, data, epochs: int, history, stop) -> int:
    """Run what it can of ``epochs`` epochs of ``trainer`` in the kernel; returns how many it ran
    (0 when the run needs Python between epochs). The trainer's own loop does the rest."""
    from ..optim import GradientDescent
    from ..optim.schedules import Constant

    net = trainer.net
    small = step_kernels.small
    if (small is None or type(trainer.optimizer) is not GradientDescent or type(trainer.schedule) is not Constant
            or trainer.dropout is not None or trainer.comm.size != 1
            or not (trainer.batch_size is None or trainer.batch_size >= data.m) or data.m == 0):
        return 0
    lr = trainer._rate(trainer.step)
    if not (0 < lr < math.inf):
        return 0
    A0, Y = data.X.T, data.Y
    cache = trainer.buffers.cache(data.m)
    Zs, Gs, dZs, dAs, col_max, col_sum = small.buffers(cache)
    cache.A[0] = A0
    for l in range(1, net.n_layers + 1):
        cache.A[l], cache.mask[l] = cache.G[l], None
    if data.w is None:
        batch_total, scalar = float(data.m), True
        coef = np.array([1.0 / data.m], net.dtype)
    else:
        batch_total, scalar = float(data.w_all.sum()), False
        if batch_total == 0:
            return 0
        coef = np.divide(data.w, batch_total, out=trainer.buffers.coefficients(data.m))
    task = net.task
    positive = data.labels if task in ("binary", "multilabel") else np.zeros((1, 1), bool)
    classes = data.labels if task == "multiclass" else np.zeros(1, np.intp)
    l2_over_m = trainer.l2 / batch_total if trainer.l2 else 0.0
    clip = trainer.clip_norm if trainer.clip_norm is not None else 0.0
    grad = trainer._grad
    costs = np.empty(epochs, np.float64)
    correct = np.empty(epochs, np.int64)
    done, chunk = 0, 16
    while done < epochs and not stop.raised:
        n = min(chunk, epochs - done)
        started = time.perf_counter()
        ran = full_batch_descent(net.params, grad, A0, Y, coef, scalar, small.sizes, small.kinds, small.alphas,
                                 small.output, Zs, Gs, dZs, dAs, col_max, col_sum, lr, l2_over_m, net.n_weights,
                                 clip, _TASKS[task], positive, classes, n, costs[done:], correct[done:])
        seconds = (time.perf_counter() - started) / max(ran, 1)
        if ran:
            trainer._grad_scale = lr
            trainer.optimizer.t += ran
            trainer.step += ran
            first = trainer.epoch
            trainer.epoch += ran
            history.epoch.extend(range(first, first + ran))
            logs = history.logs
            logs.setdefault("loss", []).extend(costs[done : done + ran].tolist())
            if task != "regression":
                logs.setdefault("accuracy", []).extend((correct[done : done + ran] / data.m).tolist())
            logs.setdefault("lr", []).extend([lr] * ran)
            logs.setdefault("seconds", []).extend([seconds] * ran)
        done += ran
        if ran < n:  # the next epoch is not ordinary: the trainer's loop takes it (and raises if it must)
            return done
        chunk = int(min(max(chunk * 2, 1), 4096, max(0.05 / max(seconds, 1e-9), 1)))  # ~50 ms per call at most
    if stop.raised:
        history.interrupted = True
        return epochs
    return done
