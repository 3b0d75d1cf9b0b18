"""Small networks: a whole training step's forward pass, cost and backward pass in ONE kernel call.

For a network like the course's 2 → 4 tanh → 1 sigmoid, a step is ~25 numpy calls on arrays of at
most 4 × 400 and each call costs more than its arithmetic (``benchmarks/proposals/ENGINE.md``,
section 1). Here the matrix products are loops vectorised over the examples and the element-wise
work is the layer kernels of :mod:`backprop.kernels.layers` and :mod:`backprop.kernels.losses`,
all called from compiled code: one dispatch per step. Used for networks whose layers all have at
most :data:`MAX_UNITS` units, with a canonical output pair and built-in hidden activations, when
no dropout is active (the step kernel of :mod:`backprop.kernels.engine` covers the rest).

The buffers are the trainer's cache, re-pointed once to views of three flat arrays (``Z``, ``G``,
``dZ``, one block per layer) so the kernel can address every layer; ``dA`` is one more block.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit, reduce_jit
from .layers import (
    backward_elu, backward_gelu, backward_identity, backward_leaky_relu, backward_relu, backward_sigmoid,
    backward_silu, backward_softplus, backward_tanh, forward_elu, forward_gelu, forward_identity,
    forward_leaky_relu, forward_relu, forward_sigmoid, forward_silu, forward_softmax, forward_softplus,
    forward_tanh,
)
from .losses import identity_squared_error, sigmoid_binary_crossentropy, softmax_categorical_crossentropy

__all__ = ["MAX_UNITS", "KIND_CODES", "OUTPUT_CODES", "small_gradient", "supports"]

MAX_UNITS = 32
KIND_CODES = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4, "elu": 5, "softplus": 6,
              "gelu": 7, "silu": 8}
OUTPUT_CODES = {("sigmoid", "binary_crossentropy"): 0, ("softmax", "categorical_crossentropy"): 1,
                ("identity", "mse"): 2}


def supports(kinds: list, loss_name: str, layer_sizes, fused_output: bool) -> bool:
    """Whether the one-kernel step applies: small layers, built-in hidden activations, a canonical output."""
    return (fused_output and max(layer_sizes) <= MAX_UNITS and all(k in KIND_CODES for k in kinds[:-1])
            and (kinds[-1], loss_name) in OUTPUT_CODES)


@jit
def _product(W, A, Z):
    """Z = W A, vectorised over the examples (A may be a strided view of the data)."""
    n_out, m = Z.shape
    for j in range(n_out):
        for i in range(m):
            Z[j, i] = 0.0
        for k in range(W.shape[1]):
            w = W[j, k]
            for i in range(m):
                Z[j, i] += w * A[k, i]


@jit
def _back_product(W, dZ, dA):
    """dA = Wᵀ dZ."""
    n_in, m = dA.shape
    for k in range(n_in):
        for i in range(m):
            dA[k, i] = 0.0
    for j in range(W.shape[0]):
        for k in range(n_in):
            w = W[j, k]
            for i in range(m):
                dA[k, i] += w * dZ[j, i]


@reduce_jit
def _outer(dZ, A, dW):
    """dW = dZ Aᵀ: each entry a sum over the examples (reassociated, vectorised)."""
    for j in range(dW.shape[0]):
        for k in range(dW.shape[1]):
            total = 0.0
            for i in range(dZ.shape[1]):
                total += dZ[j, i] * A[k, i]
            dW[j, k] = total


@jit
def _forward_layer(kind, Z, b, G, alpha):
    if kind == 0:
        forward_identity(Z, b, G, alpha)
    elif kind == 1:
        forward_sigmoid(Z, b, G, alpha)
    elif kind == 2:
        forward_tanh(Z, b, G, alpha)
    elif kind == 3:
        forward_relu(Z, b, G, alpha)
    elif kind == 4:
        forward_leaky_relu(Z, b, G, alpha)
    elif kind == 5:
        forward_elu(Z, b, G, alpha)
    elif kind == 6:
        forward_softplus(Z, b, G, alpha)
    elif kind == 7:
        forward_gelu(Z, b, G, alpha)
    else:
        forward_silu(Z, b, G, alpha)


@jit
def _backward_layer(kind, dA, Z, G, dZ, db, alpha):
    if kind == 0:
        backward_identity(dA, Z, G, dA, False, dZ, db, alpha)
    elif kind == 1:
        backward_sigmoid(dA, Z, G, dA, False, dZ, db, alpha)
    elif kind == 2:
        backward_tanh(dA, Z, G, dA, False, dZ, db, alpha)
    elif kind == 3:
        backward_relu(dA, Z, G, dA, False, dZ, db, alpha)
    elif kind == 4:
        backward_leaky_relu(dA, Z, G, dA, False, dZ, db, alpha)
    elif kind == 5:
        backward_elu(dA, Z, G, dA, False, dZ, db, alpha)
    elif kind == 6:
        backward_softplus(dA, Z, G, dA, False, dZ, db, alpha)
    elif kind == 7:
        backward_gelu(dA, Z, G, dA, False, dZ, db, alpha)
    else:
        backward_silu(dA, Z, G, dA, False, dZ, db, alpha)


@jit
def small_gradient(params, grad, X, Y, coef, scalar, sizes, kinds, alphas, output, Zs, Gs, dZs, dAs, col_max,
                   col_sum):
    """J and the flat gradient ``[dW[1] … dW[L], db[1] … db[L]]`` (into ``grad``) for one batch.

    ``X`` (n_0, m) the inputs as columns, ``Y`` (n_L, m); ``Zs``, ``Gs``, ``dZs`` flat buffers holding
    layer l's (n_l, m) block after those of layers 1 … l−1; ``dAs`` one (max n_l · m) block;
    ``kinds``/``alphas`` per layer (``KIND_CODES``; the output's entry unused), ``output`` the
    output pair (``OUTPUT_CODES``). Returns J; ``Gs``' last block holds the outputs A[L].
    """
    L = sizes.shape[0] - 1
    m = X.shape[1]
    n_weights = 0
    for l in range(1, L + 1):
        n_weights += sizes[l] * sizes[l - 1]
    # ---- forward
    w_at, b_at, at = 0, n_weights, 0
    for l in range(1, L + 1):
        n_out, n_in = sizes[l], sizes[l - 1]
        W = params[w_at : w_at + n_out * n_in].reshape((n_out, n_in))
        b = params[b_at : b_at + n_out].reshape((n_out, 1))
        Z = Zs[at : at + n_out * m].reshape((n_out, m))
        G = Gs[at : at + n_out * m].reshape((n_out, m))
        if l == 1:
            _product(W, X, Z)
        else:
            _product(W, Gs[at - n_in * m : at].reshape((n_in, m)), Z)
        if l < L:
            _forward_layer(kinds[l - 1], Z, b, G, alphas[l - 1])
        elif output == 1:
            forward_softmax(Z, b, G, 0.0, col_max, col_sum)
        elif output == 0:
            forward_sigmoid(Z, b, G, 0.0)
        else:
            forward_identity(Z, b, G, 0.0)
        w_at += n_out * n_in
        b_at += n_out
        at += n_out * m
    # ---- output error and cost (at, w_at, b_at: one past the last layer)
    n_out = sizes[L]
    at -= n_out * m
    b_at -= n_out
    Z = Zs[at : at + n_out * m].reshape((n_out, m))
    A = Gs[at : at + n_out * m].reshape((n_out, m))
    dZ = dZs[at : at + n_out * m].reshape((n_out, m))
    db = grad[b_at : b_at + n_out].reshape((n_out, 1))
    S = dAs[: n_out * m].reshape((n_out, m))
    if output == 0:
        cost = sigmoid_binary_crossentropy(Z, A, Y, coef, scalar, S, dZ, db)
    elif output == 1:
        cost = softmax_categorical_crossentropy(Z, A, Y, coef, scalar, S, dZ, db, col_max, col_sum)
    else:
        cost = identity_squared_error(Z, A, Y, coef, scalar, S, dZ, db)
    # ---- backward
    for l in range(L, 0, -1):
        n_out, n_in = sizes[l], sizes[l - 1]
        w_at -= n_out * n_in
        W = params[w_at : w_at + n_out * n_in].reshape((n_out, n_in))
        dW = grad[w_at : w_at + n_out * n_in].reshape((n_out, n_in))
        dZ = dZs[at : at + n_out * m].reshape((n_out, m))
        if l == 1:
            _outer(dZ, X, dW)
        else:
            below = at - n_in * m
            _outer(dZ, Gs[below:at].reshape((n_in, m)), dW)
            dA = dAs[: n_in * m].reshape((n_in, m))
            _back_product(W, dZ, dA)
            b_at -= n_in
            _backward_layer(kinds[l - 2], dA, Zs[below:at].reshape((n_in, m)), Gs[below:at].reshape((n_in, m)),
                            dZs[below:at].reshape((n_in, m)), grad[b_at : b_at + n_in].reshape((n_in, 1)),
                            alphas[l - 2])
            at = below
    return cost


class SmallStep:
    """The one-kernel step for one network: flat buffers per batch size, the cache's lists re-pointed."""

    def __init__(self, net, kinds: list):
        self.net = net
        self.sizes = np.asarray(net.layer_sizes, np.int64)
        self.kinds = np.asarray([KIND_CODES.get(k, -1) for k in kinds], np.int64)
        self.alphas = np.asarray([float(getattr(a, "alpha", 0.0)) for a in net.activations], np.float64)
        self.output = OUTPUT_CODES[(kinds[-1], net.loss.name)]

    def buffers(self, cache):
        """The flat buffers of ``cache`` (made once: its Z, G, A, dZ lists become views of them)."""
        flat = getattr(cache, "_small_buffers", None)
        if flat is None:
            m, dtype, sizes = cache.m, cache.dtype, self.net.layer_sizes
            total = sum(sizes[1:]) * m
            Zs, Gs, dZs = np.empty(total, dtype), np.empty(total, dtype), np.empty(total, dtype)
            dAs = np.empty(max(sizes) * m, dtype)
            at = 0
            for l in range(1, len(sizes)):
                block = slice(at, at + sizes[l] * m)
                cache.Z[l] = Zs[block].reshape(sizes[l], m)
                cache.G[l] = cache.A[l] = Gs[block].reshape(sizes[l], m)
                cache.dZ[l] = dZs[block].reshape(sizes[l], m)
                at += sizes[l] * m
            flat = cache._small_buffers = (Zs, Gs, dZs, dAs, np.empty(m, np.float64), np.empty(m, np.float64))
        return flat

    def gradient(self, cache, A0, Y, coefs, scalar, grad) -> float:
        Zs, Gs, dZs, dAs, col_max, col_sum = self.buffers(cache)
        cache.A[0] = A0
        for l in range(1, len(self.sizes)):
            cache.A[l] = cache.G[l]
            cache.mask[l] = None
        return small_gradient(self.net.params, grad, A0, Y, coefs, scalar, self.sizes, self.kinds, self.alphas,
                              self.output, Zs, Gs, dZs, dAs, col_max, col_sum)
