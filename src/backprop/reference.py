"""Backpropagation for an L-layer network, written as the equations in plain numpy: read this one.

Names, shapes and caches are the deeplearning.ai Deep Learning Specialization's (course 1, week 4):
X is (n_0, m), one example per column; parameters["W1"] … ["WL"] are (n_l, n_{l-1}), "bl" (n_l, 1); a cache
is ((A_prev, W, b), Z) per layer. The fast engine (backprop.core) is tested equal to this to 1e-12.

    forward    Z[l] = W[l] A[l-1] + b[l],  A[l] = g[l](Z[l]);   cost  J = (1/m) Σ_i ℓ(A[L][:, i], Y[:, i])
    backward   dA[L] = ∂ℓ/∂A[L],  dZ[l] = dA[l] ⊙ g[l]'(Z[l]),  dW[l] = (1/m) dZ[l] A[l-1]ᵀ,
               db[l] = (1/m) Σ_i dZ[l][:, i],  dA[l-1] = W[l]ᵀ dZ[l]
"""

import numpy as np


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def _gelu_tanh(Z):  # tanh u of the tanh-approximated GELU, u = √(2/π)(z + 0.044715 z³)
    return np.tanh(np.sqrt(2 / np.pi) * (Z + 0.044715 * Z**3))


ACTIVATIONS = {  # name: (g(Z), g'(Z)); softmax couples its units and is handled in the backward step
    "identity": (lambda Z: Z, lambda Z: np.ones_like(Z)),
    "sigmoid": (sigmoid, lambda Z: sigmoid(Z) * (1 - sigmoid(Z))),
    "tanh": (np.tanh, lambda Z: 1 - np.tanh(Z) ** 2),
    "relu": (lambda Z: np.maximum(0, Z), lambda Z: (Z > 0) * 1.0),
    "leaky_relu": (lambda Z: np.where(Z > 0, Z, 0.01 * Z), lambda Z: np.where(Z > 0, 1.0, 0.01)),
    "elu": (lambda Z: np.where(Z > 0, Z, np.exp(np.minimum(Z, 0)) - 1), lambda Z: np.where(Z > 0, 1.0, np.exp(np.minimum(Z, 0)))),
    "softplus": (lambda Z: np.log1p(np.exp(Z)), sigmoid),
    "gelu": (lambda Z: 0.5 * Z * (1 + _gelu_tanh(Z)),
             lambda Z: 0.5 * (1 + _gelu_tanh(Z)) + 0.5 * Z * (1 - _gelu_tanh(Z) ** 2) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * Z**2)),
    "silu": (lambda Z: Z * sigmoid(Z), lambda Z: sigmoid(Z) * (1 + Z * (1 - sigmoid(Z)))),
    "softmax": (lambda Z: np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0), None),
}

LOSSES = {  # name: (ℓ(A, Y) per element, ∂ℓ/∂A); the per-example loss sums over the output units
    "binary_crossentropy": (lambda A, Y: -(Y * np.log(A) + (1 - Y) * np.log(1 - A)), lambda A, Y: -(Y / A - (1 - Y) / (1 - A))),
    "categorical_crossentropy": (lambda A, Y: -Y * np.log(A), lambda A, Y: -Y / A),
    "mse": (lambda A, Y: 0.5 * (A - Y) ** 2, lambda A, Y: A - Y),
    "mae": (lambda A, Y: np.abs(A - Y), lambda A, Y: np.sign(A - Y)),
    "huber": (lambda A, Y: np.where(np.abs(A - Y) <= 1, 0.5 * (A - Y) ** 2, np.abs(A - Y) - 0.5), lambda A, Y: np.clip(A - Y, -1, 1)),
}


def L_model_forward(X, parameters, activations=None):
    """AL, caches. ``activations``: one name per layer (default: the course's relu … relu, sigmoid)."""
    L = sum(key.startswith("W") for key in parameters)
    activations = activations or ["relu"] * (L - 1) + ["sigmoid"]
    A, caches = X, []
    for l in range(1, L + 1):
        A_prev, W, b = A, parameters["W" + str(l)], parameters["b" + str(l)]
        Z = W @ A_prev + b
        A = ACTIVATIONS[activations[l - 1]][0](Z)
        caches.append(((A_prev, W, b), Z))  # (linear_cache, activation_cache), as in the course
    return A, caches


def compute_cost(AL, Y, loss="binary_crossentropy"):
    return float(np.sum(LOSSES[loss][0](AL, Y)) / Y.shape[1])  # J = (1/m) Σ_i ℓ(A[L][:, i], Y[:, i])


def linear_backward(dZ, cache):
    """dA_prev, dW, db from dZ and the linear cache (A_prev, W, b)."""
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = (1 / m) * dZ @ A_prev.T
    db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "softmax":  # the Jacobian-vector product: dZ = A ⊙ (dA − Σ_k A_k dA_k)
        A = ACTIVATIONS["softmax"][0](Z)
        dZ = A * (dA - np.sum(A * dA, axis=0, keepdims=True))
    else:
        dZ = dA * ACTIVATIONS[activation][1](Z)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches, activations=None, loss="binary_crossentropy"):
    """grads["dA" + str(l - 1)], grads["dW" + str(l)], grads["db" + str(l)] for l = L … 1."""
    L = len(caches)
    activations = activations or ["relu"] * (L - 1) + ["sigmoid"]
    grads = {}
    dA = LOSSES[loss][1](AL, Y)  # dA[L]; the mean's 1/m enters in dW and db
    for l in reversed(range(1, L + 1)):
        dA, grads["dW" + str(l)], grads["db" + str(l)] = linear_activation_backward(dA, caches[l - 1], activations[l - 1])
        grads["dA" + str(l - 1)] = dA
    return grads


def update_parameters(parameters, grads, learning_rate):
    """W[l] := W[l] − α dW[l],  b[l] := b[l] − α db[l] (a new dict; the inputs are left unchanged)."""
    return {key: value - learning_rate * grads["d" + key] for key, value in parameters.items()}
