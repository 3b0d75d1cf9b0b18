"""Fused output kernels for the canonical loss/activation pairs: the cost J and the output error
``dZ[L] = c ⊙ (A − Y)`` with its bias gradient ``db[L] = Σ_i dZ[L]``, in one pass over the outputs.

The formulas are the numpy engine's (:mod:`backprop.core.losses`), costs from the logits:

- sigmoid + binary cross-entropy: ℓ = Σ_k max(z_k, 0) + log1p(e^(−|z_k|)) − y_k z_k;
- softmax + categorical cross-entropy: ℓ = (Σ_k y_k)(log Σ_k e^(z_k − max z) + max z) − Σ_k y_k z_k
  (the softmax forward kernel leaves max z and Σ e^(z − max z) per column);
- identity + squared error: ℓ = ½ Σ_k (z_k − y_k)².

``coef`` is an array of the per-example coefficients c_i (shape (m,)) or, when ``scalar``, of one
coefficient for all (shape (1,)). ``S`` is scratch of the outputs' shape (the cache's dA[L]).
Each kernel returns J, summed as numpy sums it (the loss terms first, then times c when c is one
number), so a cost that overflows in one engine overflows in the other.
"""

from __future__ import annotations

from ._jit import jit
from .layers import row_sum, sum_rows_into
from .vmath import exp, log, log1p


@jit
def _output_error(A, Y, coef, scalar, dZ):
    for k in range(A.shape[0]):
        for i in range(A.shape[1]):
            c = coef[0] if scalar else coef[i]
            dZ[k, i] = (A[k, i] - Y[k, i]) * c


@jit
def sigmoid_binary_crossentropy(Z, A, Y, coef, scalar, S, dZ, db):
    for k in range(Z.shape[0]):
        for i in range(Z.shape[1]):
            z = float(Z[k, i])
            c = 1.0 if scalar else coef[i]
            S[k, i] = ((z if z > 0.0 else 0.0) + log1p(exp(-abs(z))) - Y[k, i] * z) * c
    _output_error(A, Y, coef, scalar, dZ)
    sum_rows_into(dZ, db)
    total = row_sum(S.ravel())
    return coef[0] * total if scalar else total


@jit
def softmax_categorical_crossentropy(Z, A, Y, coef, scalar, S, dZ, db, col_max, col_sum):
    n, m = Z.shape
    for i in range(m):  # S[0] holds the per-example loss
        S[0, i] = log(float(col_sum[i])) + col_max[i]
    for i in range(m):
        y_total = 0.0
        y_z = 0.0
        for k in range(n):
            y_total += Y[k, i]
            y_z += Y[k, i] * Z[k, i]
        c = 1.0 if scalar else coef[i]
        S[0, i] = (S[0, i] * y_total - y_z) * c
    _output_error(A, Y, coef, scalar, dZ)
    sum_rows_into(dZ, db)
    total = row_sum(S[0])
    return coef[0] * total if scalar else total


@jit
def identity_squared_error(Z, A, Y, coef, scalar, S, dZ, db):
    for k in range(Z.shape[0]):
        for i in range(Z.shape[1]):
            r = float(Z[k, i] - Y[k, i])
            c = 1.0 if scalar else coef[i]
            S[k, i] = r * r * c
    _output_error(A, Y, coef, scalar, dZ)
    sum_rows_into(dZ, db)
    total = row_sum(S.ravel())
    return 0.5 * (coef[0] * total if scalar else total)


FUSED = {
    ("binary_crossentropy", "sigmoid"): sigmoid_binary_crossentropy,
    ("mse", "identity"): identity_squared_error,
}
