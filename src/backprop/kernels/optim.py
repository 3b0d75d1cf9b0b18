"""Fused optimizer passes over the flat parameter vector: the state update and θ ← θ − s in one loop.

:class:`backprop.optim.Optimizer.step` makes 2–15 numpy passes per step (section 3b of
``benchmarks/proposals/ENGINE.md``); these kernels make one. The control flow is
:meth:`Optimizer.step`'s, run on the optimizer object itself (its ``_prepare`` advances the
bounds and constants, its state arrays are updated in place), so ``state_dict``, checkpoints
and ``partial_fit`` see the same optimizer whichever backend trained it. The divergence
guarantee is kept exactly: when the bounds prove every entry of the step finite the kernel
applies it as it goes; otherwise the step is written to the scratch vector with its squared
norm, and applied only when that is finite (else :class:`DivergenceError`, the parameters as
they were).

The update rules (``torch.optim``'s, as the numpy classes state them):
sgd s = α g; momentum v ← μv + g, s = αv; nesterov v ← μv + g, s = α(g + μv);
rmsprop r ← ρr + (1 − ρ)g², s = αg/(√r + ε); adam (moments held as m̃ = m/(1 − β₁), ṽ = v/(1 − β₂),
or as torch's m, v near the dtype's range) s = c m/(√v + ε′); adamw adds αλθ; scikit-learn's Adam
is adam with its own c, ε′; scikit-learn's SGD u ← μu − αg, s = αg − μu (Nesterov) or −u.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.validation import DivergenceError
from ..optim.optimizers import Adam, AdamW, GradientDescent, Momentum, Nesterov, RMSprop
from ._jit import jit, reduce_jit

__all__ = ["fused_step", "supports"]


# Each rule: one kernel. ``apply``: θ −= s in the loop (the step is proven finite); otherwise s goes
# to ``s_out`` and the kernel returns Σ s² (the caller checks it before applying).
@reduce_jit
def _sgd(p, g, s_out, lr, apply):
    total = 0.0
    for i in range(p.shape[0]):
        s = g[i] * lr
        if apply:
            p[i] -= s
        else:
            s_out[i] = s
            total += s * s
    return total


@reduce_jit
def _momentum(p, g, s_out, v, lr, mu, nesterov, apply):
    total = 0.0
    for i in range(p.shape[0]):
        vi = v[i] * mu + g[i]
        v[i] = vi
        s = (vi * mu + g[i]) * lr if nesterov else v[i] * lr
        if apply:
            p[i] -= s
        else:
            s_out[i] = s
            total += s * s
    return total


@reduce_jit
def _rmsprop(p, g, s_out, r, lr, rho, eps, apply):
    total = 0.0
    for i in range(p.shape[0]):
        gi = g[i]
        ri = r[i] * rho + gi * gi * (1 - rho)
        r[i] = ri
        s = gi / (math.sqrt(r[i]) + eps) * lr
        if apply:
            p[i] -= s
        else:
            s_out[i] = s
            total += s * s
    return total


@reduce_jit
def _adam(p, g, s_out, m, v, b1, b2, scaled, c, eps, decay, apply):
    total = 0.0
    for i in range(p.shape[0]):
        gi = g[i]
        if scaled:
            mi = m[i] * b1 + gi
            vi = v[i] * b2 + gi * gi
        else:
            mi = m[i] + (gi - m[i]) * (1 - b1)
            vi = v[i] + (gi * gi - v[i]) * (1 - b2)
        m[i] = mi
        v[i] = vi
        s = m[i] / (math.sqrt(v[i]) + eps) * c + p[i] * decay
        if apply:
            p[i] -= s
        else:
            s_out[i] = s
            total += s * s
    return total


@reduce_jit
def _velocity(p, g, s_out, u, lr, mu, nesterov, apply):
    """scikit-learn's SGD: u ← μu − αg; θ ← θ + μu − αg (Nesterov) or θ + u, i.e. s = αg − μu or −u."""
    total = 0.0
    for i in range(p.shape[0]):
        scaled = g[i] * lr
        ui = u[i] * mu - scaled
        u[i] = ui
        s = scaled - u[i] * mu if nesterov else -u[i]
        if apply:
            p[i] -= s
        else:
            s_out[i] = s
            total += s * s
    return total


@jit
def _subtract(p, s):
    for i in range(p.shape[0]):
        p[i] -= s[i]


_RULES = (GradientDescent, Momentum, Nesterov, RMSprop, Adam, AdamW)


def _rule(optimizer):
    """The kernel family of ``optimizer``: a built-in rule, Adam's subclasses that change only its
    step constants (scikit-learn's Adam), scikit-learn's SGD (by name: no import of scikit-learn
    here); None for anything else (its own ``step`` runs)."""
    kind = type(optimizer)
    if kind in _RULES:
        return kind
    if isinstance(optimizer, Adam) and kind._direction is Adam._direction and kind._prepare is Adam._prepare:
        return Adam
    if kind.__name__ == "SklearnSGD" and kind.__module__ == "backprop.sklearn._optimizers":
        return kind
    return None


def supports(optimizer) -> bool:
    """Whether these kernels implement ``optimizer``'s rule."""
    return _rule(optimizer) is not None


def _run(opt, params, grad, scratch, constants, apply: bool) -> float:
    kind = _rule(opt)
    if kind.__name__ == "SklearnSGD":
        return _velocity(params, grad, scratch, opt._state["velocity"], constants, opt.momentum, opt.nesterov, apply)
    if kind is GradientDescent:
        return _sgd(params, grad, scratch, constants, apply)
    if kind in (Momentum, Nesterov):
        return _momentum(params, grad, scratch, opt._state["velocity"], constants, opt.momentum, kind is Nesterov,
                         apply)
    if kind is RMSprop:
        return _rmsprop(params, grad, scratch, opt._state["square_avg"], constants, opt.rho, opt.eps, apply)
    c, eps, *decay = constants
    if kind is Adam:
        decay = ()
    return _adam(params, grad, scratch, opt._state["exp_avg"], opt._state["exp_avg_sq"], opt.beta_1, opt.beta_2,
                 opt._scaled, c, eps, decay[0] if decay else 0.0, apply)


def fused_step(opt, params: np.ndarray, grad: np.ndarray, lr: float, grad_sq_norm: float | None) -> None:
    """:meth:`Optimizer.step` for a built-in rule, in one fused pass (``params``, ``grad`` 1-D, contiguous,
    validated by the caller). Raises :class:`DivergenceError`, parameters untouched, when the step overflows."""
    if opt._scratch is None or opt._scratch.shape != params.shape or opt._scratch.dtype != params.dtype:
        opt._allocate(params)
    opt.t += 1
    lr = float(lr)
    if grad_sq_norm is None and not opt._needs_grad_sq_norm:
        opt._bounds_stale = True
        constants, proven = opt._prepare(lr, None)[0], False
    else:
        if opt._bounds_stale:
            opt._bounds_from_state()
            opt._bounds_stale = False
        g2 = float(grad_sq_norm) if grad_sq_norm is not None else float(grad @ grad)
        constants, bound = opt._prepare(lr, g2 + opt._tiny)
        proven = params.size * bound * bound <= opt._limit
    if proven:
        _run(opt, params, grad, opt._scratch, constants, True)
        return
    norm2 = _run(opt, params, grad, opt._scratch, constants, False)
    if not math.isfinite(norm2):
        raise DivergenceError(
            f"the update at learning rate {lr} overflows (its norm is not finite); the parameters "
            "were left as they were before it"
        )
    _subtract(params, opt._scratch)
