"""The numba engine: one training step's forward pass, cost and backward pass, as the numpy
engine computes them (:meth:`backprop.core.Network.forward_columns`, ``cost_columns``,
``backward_columns``), with the element-wise work fused into compiled kernels around numpy's
matrix products.

Per layer l the forward pass is ``Z[l] = W[l] A[l−1]`` (BLAS) then one kernel for ``Z[l] += b[l];
G[l] = g(Z[l])``; the output layer of a canonical pair gets one kernel for the cost, the output
error c ⊙ (A − Y) and its bias gradient; each hidden layer's backward pass is
``dA = W[l+1]ᵀ dZ[l+1]`` (BLAS) then one kernel for ``dZ[l] = dA ⊙ mask ⊙ g'`` and ``db[l]``.
What has no kernel (an activation registered by the user, a non-canonical loss, dropout's
random masks) runs through the numpy engine's own code, so every network trains.
"""

from __future__ import annotations

import numpy as np

from ..core.activations import ACTIVATIONS
from . import layers, losses, small

__all__ = ["StepKernels"]

_BUILTIN = {name: type(activation) for name, activation in ACTIVATIONS.items()}


def _kernel_name(activation) -> str | None:
    """The kernel family of a built-in activation (None for one registered by the user)."""
    name = activation.name
    builtin = _BUILTIN.get(name)
    if builtin is None or type(activation) is not builtin:
        return None
    return name if name in layers.FORWARD or name == "softmax" else None


class _Scratch:
    """Per-cache buffers the kernels need besides the cache's own (softmax column statistics)."""

    def __init__(self, m: int, dtype: np.dtype, L: int):
        self.col_max = [np.empty(m, np.float64) for _ in range(L + 1)]
        self.col_sum = [np.empty(m, np.float64) for _ in range(L + 1)]
        self.coef = np.empty(1, dtype)


class StepKernels:
    """Forward, cost and backward of one network through the fused kernels.

    ``gradient(cache, A0, Y, coef, grad, ...)`` does what the numpy engine's three calls do and
    returns J; ``cache.A[L]`` then holds the outputs and ``grad`` the flat gradient.
    """

    def __init__(self, net):
        self.net = net
        self.kinds = [_kernel_name(a) for a in net.activations]
        self.alphas = [float(getattr(a, "alpha", 0.0)) for a in net.activations]
        output = self.kinds[-1]
        self.fused_output = None
        if net.fused_output and output is not None:
            if net.loss.name == "categorical_crossentropy" and output == "softmax" and type(net.loss).__module__.startswith("backprop."):
                self.fused_output = "softmax"
            else:
                self.fused_output = losses.FUSED.get((net.loss.name, output))
        self._scratch: dict[int, _Scratch] = {}
        self.small = (small.SmallStep(net, self.kinds)
                      if small.supports(self.kinds, net.loss.name, net.layer_sizes, bool(self.fused_output)) else None)

    def _scratch_for(self, cache) -> _Scratch:
        scratch = getattr(cache, "_kernel_scratch", None)
        if scratch is None:
            scratch = cache._kernel_scratch = _Scratch(cache.m, self.net.dtype, self.net.n_layers)
        return scratch

    def forward(self, A0, cache, *, training: bool = False, dropout=None, rng=None):
        """As :meth:`Network.forward_columns`, with fused bias + activation kernels."""
        net = self.net
        W, b, L = net.weights, net.biases, net.n_layers
        scratch = self._scratch_for(cache)
        cache.A[0] = A0
        for l in range(1, L + 1):
            Z = np.matmul(W[l - 1], cache.A[l - 1], out=cache.Z[l])
            kind = self.kinds[l - 1]
            if kind == "softmax":
                layers.forward_softmax(Z, b[l - 1], cache.G[l], 0.0, scratch.col_max[l], scratch.col_sum[l])
            elif kind is not None:
                layers.FORWARD[kind](Z, b[l - 1], cache.G[l], self.alphas[l - 1])
            else:
                Z += b[l - 1]
                net.activations[l - 1].forward(Z, out=cache.G[l])
            rate = dropout[l - 1] if (training and dropout is not None and l < L) else 0.0
            if rate > 0:
                cache.drop(l, rate, rng)
            else:
                cache.A[l] = cache.G[l]
                cache.mask[l] = None
        return cache

    def gradient(self, cache, A0, Y, coef, grad, *, training=False, dropout=None, rng=None) -> float:
        """Forward pass, cost J and the flat gradient (into ``grad``) for one batch; returns J."""
        net = self.net
        L = net.n_layers
        scratch = self._scratch_for(cache)
        scalar = isinstance(coef, float) or np.ndim(coef) == 0
        if scalar:
            scratch.coef[0] = coef
            coefs = scratch.coef
        else:
            coefs = coef
        if self.small is not None and not (training and dropout is not None):
            return float(self.small.gradient(cache, A0, Y, coefs, scalar, grad))
        self.forward(A0, cache, training=training, dropout=dropout, rng=rng)
        dW, db = net._gradient_views(grad)
        W, A, Z, dZ, dA = net.weights, cache.A, cache.Z, cache.dZ, cache.dA
        fused = self.fused_output
        if fused == "softmax":
            cost = losses.softmax_categorical_crossentropy(Z[L], A[L], Y, coefs, scalar, dA[L], dZ[L], db[L - 1],
                                                           scratch.col_max[L], scratch.col_sum[L])
        elif fused is not None:
            cost = fused(Z[L], A[L], Y, coefs, scalar, dA[L], dZ[L], db[L - 1])
        else:  # the numpy engine's cost and output error, then the kernel for g' and db
            cost = net.cost_columns(cache, Y, coef)
            if net.fused_output:
                net.loss.fused_output_error(A[L], Y, coef, out=dZ[L])
                np.matmul(dZ[L], cache.ones, out=db[L - 1])
            else:
                dA_L = net.loss.gradient(A[L], Y, coef, out=dA[L])
                self._activation_backward(L, dA_L, cache, db, scratch)
        for l in range(L, 0, -1):
            np.matmul(dZ[l], A[l - 1].T, out=dW[l - 1])
            if l > 1:
                if W[l - 1].shape[0] == 1:
                    back = np.multiply(W[l - 1].T, dZ[l], out=dA[l - 1])
                else:
                    back = np.matmul(W[l - 1].T, dZ[l], out=dA[l - 1])
                self._activation_backward(l - 1, back, cache, db, scratch)
        return float(cost)

    def _activation_backward(self, l, dA_l, cache, db, scratch) -> None:
        """dZ[l] = dA ⊙ mask ⊙ g'(Z[l]) and db[l] = Σ_i dZ[l] (one kernel, or numpy's code)."""
        kind = self.kinds[l - 1]
        mask = cache.mask[l]
        masked = mask is not None
        mask_arg = mask if masked else dA_l
        if kind == "softmax":
            layers.backward_softmax(dA_l, cache.Z[l], cache.G[l], mask_arg, masked, cache.dZ[l], db[l - 1],
                                    0.0, scratch.col_max[l])
        elif kind is not None:
            layers.BACKWARD[kind](dA_l, cache.Z[l], cache.G[l], mask_arg, masked, cache.dZ[l], db[l - 1],
                                  self.alphas[l - 1])
        else:
            if masked:
                dA_l *= mask
            self.net.activations[l - 1].backward(dA_l, cache.Z[l], cache.G[l], out=cache.dZ[l])
            np.matmul(cache.dZ[l], cache.ones, out=db[l - 1])
