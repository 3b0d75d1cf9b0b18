"""Fused layer kernels: forward ``Z += b; G = g(Z)`` and backward ``dZ = dA ⊙ mask ⊙ g'; db = Σ_i dZ``.

The matrix products stay with numpy/BLAS; these kernels do the element-wise work around them
in one pass over the layer instead of one numpy call per operation. Arrays are the engine's:
(n_units, m), C-contiguous, one column per example; ``b`` is the (n_units, 1) bias view of the
flat parameter vector, ``db`` the (n_units, 1) view of the flat gradient. Every formula is the
numpy engine's (:mod:`backprop.core.activations`), derivatives taken from what the forward
pass cached (tanh' = 1 − A², σ' = A(1 − A), ReLU' = sign(A)).

One kernel per activation and direction (compiled on first use, cached on disk). ``alpha`` is
the activation's parameter (leaky ReLU's slope, ELU's α) and ignored by the others. In the
backward kernels ``mask`` is the dropout mask of the layer (same shape) when ``masked``, else
any array.
"""

from __future__ import annotations

import numpy as np

from ._jit import inline, jit, reduce_jit
from .vmath import exp, expm1, log1p, sigmoid, tanh

_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))


@reduce_jit
def row_sum(x):
    """Σ of a contiguous 1-D array (reassociated: vectorised)."""
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i]
    return total


@reduce_jit
def sum_rows_into(S, out):
    """out[j, 0] = Σ_i S[j, i]."""
    for j in range(S.shape[0]):
        total = 0.0
        for i in range(S.shape[1]):
            total += S[j, i]
        out[j, 0] = total


# ----------------------------------------------------------------- scalar activations
@inline
def _relu(z):
    return 0.0 if z < 0.0 else z  # NaN stays NaN, as np.maximum(z, 0)


@inline
def _leaky_relu(z, alpha):
    s = alpha * z
    return z if z > s else (s if s == s else z)  # max(z, αz), NaN propagated


@inline
def _elu(z, alpha):
    return z if z > 0.0 else alpha * expm1(z if z < 0.0 else 0.0)


@inline
def _softplus(z):
    return (z if z > 0.0 else 0.0) + log1p(exp(-abs(z)))


@inline
def _gelu_tanh_u(z):
    zc = z if z < 10.0 else 10.0
    zc = zc if zc > -10.0 else -10.0
    zc = zc if z == z else z
    return zc, tanh(_SQRT_2_OVER_PI * (zc + 0.044715 * (zc * zc * zc)))


@inline
def _gelu(z):
    zc, t = _gelu_tanh_u(z)
    return (1.0 + t) * 0.5 * z


@inline
def _gelu_derivative(z):
    zc, t = _gelu_tanh_u(z)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * (zc * zc))
    return ((1.0 + t) + zc * (1.0 - t * t) * du) * 0.5


# ----------------------------------------------------------------- forward: Z += b; G = g(Z)
@jit
def forward_identity(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = z


@jit
def forward_sigmoid(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = sigmoid(float(z))


@jit
def forward_tanh(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = tanh(float(z))


@jit
def forward_relu(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = _relu(z)


@jit
def forward_leaky_relu(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = _leaky_relu(z, alpha)


@jit
def forward_elu(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = _elu(float(z), alpha)


@jit
def forward_softplus(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = _softplus(float(z))


@jit
def forward_gelu(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = _gelu(float(z))


@jit
def forward_silu(Z, b, G, alpha):
    for j in range(Z.shape[0]):
        bj = b[j, 0]
        for i in range(Z.shape[1]):
            z = Z[j, i] + bj
            Z[j, i] = z
            G[j, i] = sigmoid(float(z)) * z


@jit
def forward_softmax(Z, b, G, alpha, col_max, col_sum):
    """Softmax over the units of each column, max-shifted; leaves max and Σ e^(z − max) per column
    in ``col_max`` and ``col_sum`` (m,) for the cross-entropy kernel."""
    n, m = Z.shape
    for i in range(m):
        col_max[i] = -np.inf
        col_sum[i] = 0.0
    for j in range(n):
        bj = b[j, 0]
        for i in range(m):
            z = Z[j, i] + bj
            Z[j, i] = z
            col_max[i] = z if z > col_max[i] else (z if z != z else col_max[i])
    for j in range(n):
        for i in range(m):
            e = exp(float(Z[j, i] - col_max[i]))
            G[j, i] = e
            col_sum[i] += e
    for j in range(n):
        for i in range(m):
            G[j, i] = G[j, i] / col_sum[i]


# ------------------------------------------------- backward: dZ = dA ⊙ mask ⊙ g'; db = Σ_i dZ
@jit
def backward_identity(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            dZ[j, i] = d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_sigmoid(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            a = G[j, i]
            dZ[j, i] = (1 - a) * a * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_tanh(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            a = G[j, i]
            dZ[j, i] = (1 - a * a) * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_relu(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            a = G[j, i]
            s = 1.0 if a > 0 else 0.0  # sign(A), A ≥ 0
            s = s if a == a else a
            dZ[j, i] = s * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_leaky_relu(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            dZ[j, i] = (1.0 if Z[j, i] > 0 else alpha) * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_elu(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            dZ[j, i] = (1.0 if Z[j, i] > 0 else G[j, i] + alpha) * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_softplus(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            dZ[j, i] = sigmoid(float(Z[j, i])) * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_gelu(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            dZ[j, i] = _gelu_derivative(float(Z[j, i])) * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_silu(dA, Z, G, mask, masked, dZ, db, alpha):
    for j in range(dZ.shape[0]):
        for i in range(dZ.shape[1]):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            z = float(Z[j, i])
            s = sigmoid(z)
            dZ[j, i] = s * (1.0 + z * (1.0 - s)) * d
        db[j, 0] = row_sum(dZ[j])


@jit
def backward_softmax(dA, Z, G, mask, masked, dZ, db, alpha, weighted):
    """dZ = A ⊙ (dA − Σ_k A_k dA_k) per column (``weighted``, shape (m,), is scratch)."""
    n, m = dZ.shape
    for i in range(m):
        weighted[i] = 0.0
    for j in range(n):
        for i in range(m):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            weighted[i] += G[j, i] * d
    for j in range(n):
        for i in range(m):
            d = dA[j, i]
            if masked:
                d = d * mask[j, i]
            dZ[j, i] = (d - weighted[i]) * G[j, i]
        db[j, 0] = row_sum(dZ[j])


FORWARD = {
    "identity": forward_identity, "sigmoid": forward_sigmoid, "tanh": forward_tanh, "relu": forward_relu,
    "leaky_relu": forward_leaky_relu, "elu": forward_elu, "softplus": forward_softplus, "gelu": forward_gelu,
    "silu": forward_silu,
}
BACKWARD = {
    "identity": backward_identity, "sigmoid": backward_sigmoid, "tanh": backward_tanh, "relu": backward_relu,
    "leaky_relu": backward_leaky_relu, "elu": backward_elu, "softplus": backward_softplus, "gelu": backward_gelu,
    "silu": backward_silu,
}
