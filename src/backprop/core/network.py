"""A feed-forward network over one flat parameter vector, and backpropagation through it.

Notation (the course's): layer l = 1 … L has weights ``W[l]`` (n_l, n_{l-1}), bias
``b[l]`` (n_l, 1), pre-activation ``Z[l] = W[l] A[l-1] + b[l]`` and activation
``A[l] = g[l](Z[l])``; ``A[0] = X`` holds one example per column, shape (n_0, m).

Backpropagation (:meth:`Engine.backward_columns`) is the four backpropagation equations:

1. ``dZ[L] = dJ/dA[L] ⊙ g'(Z[L])``  — or ``c ⊙ (A[L] − Y)`` for a canonical loss/activation pair
2. ``dW[L] = dZ[L] A[L-1]ᵀ``,  ``db[L] = Σ_i dZ[L][:, i]``
3. ``dZ[l] = W[l+1]ᵀ dZ[l+1] ⊙ g'(Z[l])``
4. ``dW[l] = dZ[l] A[l-1]ᵀ``,  ``db[l] = Σ_i dZ[l][:, i]``

The mean's 1/m lives in ``c`` (see :mod:`backprop.core.losses`) and enters only at step 1.

All weights and biases live in ONE contiguous vector, ``net.params``, laid out as
``[W[1], …, W[L], b[1], …, b[L]]`` (each row-major); ``net.weights`` and ``net.biases``
are views into it and the gradient has the same layout. Optimizers, gradient checking,
L-BFGS, all-reduce and model files all work on that one vector.

The public methods take ``X`` of shape (n_samples, n_features) and ``Y`` of shape
(n_samples, n_outputs), like every other Python library, and transpose at the
boundary. The ``*_columns`` methods are the engine: they take column-major arrays
(examples as columns) and preallocated buffers, and are what the training loop calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .cache import Cache
from .init import auto_initializer, get_initializer
from .losses import Loss, get_loss
from .tasks import task_of
from .validation import (
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    check_memory,
    check_weight_sum,
    reject_masked,
    as_generator,
    check_int,
    check_nonnegative_float,
    check_probability,
    describe,
)

__all__ = ["Engine", "Network", "Cache"]

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Engine:
    """A fully connected feed-forward network trained by backpropagation.

    The engine: forward and backward passes over one flat parameter vector. ``backprop.Network``
    adds training and model files to it.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_0, n_1, …, n_L]``: inputs, hidden units per layer, outputs. At least 2 entries.
    activations : str, Activation, or sequence of them
        One per layer 1 … L (length L), or one used by every layer.
    loss : str or Loss
        ``"binary_crossentropy"``, ``"categorical_crossentropy"``, ``"mse"``, ``"mae"``, ``"huber"``.
    init : str, callable or sequence of them
        Weight initialiser(s) (see :mod:`backprop.core.init`); ``"auto"``: He for
        ReLU-family layers, Glorot uniform otherwise; ``None``: all zero, to be filled
        in by the caller. Biases start at zero.
    dtype : numpy float32 or float64
        Every buffer of the network has this dtype.
    seed : int, numpy.random.Generator or None
        Randomness of the initialisation.

    Examples
    --------
    >>> net = Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    >>> Y_hat, cache = net.forward(np.zeros((5, 2)))
    >>> Y_hat.shape
    (5, 1)
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activations: str | Activation | Sequence[str | Activation],
        loss: str | Loss,
        *,
        init: Any = "auto",
        dtype: Any = np.float64,
        seed: int | np.random.Generator | None = None,
    ):
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence | np.ndarray):
            raise InputTypeError(f"layer_sizes: expected a sequence of positive integers, received {describe(layer_sizes)}")
        sizes = tuple(check_int(n, f"layer_sizes[{i}]") for i, n in enumerate(layer_sizes))
        if len(sizes) < 2:
            raise ValidationError(f"layer_sizes: expected at least 2 sizes (inputs and outputs), received {list(sizes)}")
        L = len(sizes) - 1
        if isinstance(activations, (str, Activation)):
            activations = [activations] * L
        if not isinstance(activations, Sequence | np.ndarray):
            raise InputTypeError(
                f"activations: expected a name, an Activation or one per layer, received {describe(activations)}"
            )
        activations = list(activations)
        if len(activations) != L:
            raise ValidationError(
                f"activations: expected one per layer ({L}) or a single name, received {len(activations)}"
            )
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise InputTypeError(f"dtype: expected float32 or float64, received {dtype!r}") from None
        if dtype not in _DTYPES:
            raise ValidationError(f"dtype: expected float32 or float64, received {dtype}")

        self.layer_sizes: tuple[int, ...] = sizes
        self._L = L
        self.activations: list[Activation] = [get_activation(a) for a in activations]
        self.loss: Loss = get_loss(loss)
        self.dtype: np.dtype = dtype
        output = self.activations[-1]
        if self.loss.needs_probabilities and not output.outputs_probabilities:
            raise ValidationError(
                f"loss {self.loss.name!r} needs outputs in (0, 1): expected an output activation "
                f"such as 'sigmoid' or 'softmax', received {output.name!r}"
            )
        if output.name == "softmax" and sizes[-1] < 2:
            raise ValidationError(
                f"activations: a softmax output needs at least 2 units, received {sizes[-1]}; use 'sigmoid' for one"
            )
        # Canonical pair: g' cancels against dJ/dA and dZ[L] = c ⊙ (A − Y).
        self.fused_output = self.loss.canonical_activation == output.name

        # One flat vector: [W[1] … W[L], b[1] … b[L]]; weights first so L2 is one slice.
        n_weights = sum(sizes[l] * sizes[l - 1] for l in range(1, L + 1))
        n_params = n_weights + sum(sizes[1:])  # Python ints: no overflow whatever the sizes
        check_memory(n_params * dtype.itemsize, "layer_sizes", f"{list(sizes)}: {n_params:,} parameters in {dtype}")
        self._params = np.zeros(n_params, dtype=dtype)
        self.n_weights = n_weights
        self._layer_slices: list[tuple[slice, slice]] = []
        w_at, b_at = 0, n_weights
        for l in range(1, L + 1):
            n_out, n_in = sizes[l], sizes[l - 1]
            self._layer_slices.append((slice(w_at, w_at + n_out * n_in), slice(b_at, b_at + n_out)))
            w_at += n_out * n_in
            b_at += n_out
        self.weights, self.biases = self.unflatten(self._params)
        self._grad_memo: tuple | None = None
        if init is not None:
            self.initialize(init=init, seed=seed)

    # ----------------------------------------------------------------- parameters
    @property
    def n_layers(self) -> int:
        """L, the number of layers with weights."""
        return self._L

    @property
    def n_params(self) -> int:
        return self._params.size

    @property
    def params(self) -> np.ndarray:
        """Every weight and bias in one contiguous 1-D array; writing into it changes the network."""
        return self._params

    @params.setter
    def params(self, value: Any) -> None:
        value = np.asarray(value)
        if value.shape != self._params.shape:
            raise ShapeError(f"params: expected shape {self._params.shape}, received {value.shape}")
        if value.dtype.kind not in "fiu":
            raise InputTypeError(f"params: expected numbers, received {describe(value)}")
        if not np.isfinite(value).all():
            bad = int(value.size - np.count_nonzero(np.isfinite(value)))
            raise ValidationError(f"params: expected finite values, received {bad} NaN or inf entries")
        np.copyto(self._params, value, casting="same_kind" if value.dtype.kind == "f" else "unsafe")

    def layer_slices(self) -> list[tuple[slice, slice]]:
        """For each layer, the (weights, bias) slices of the flat vector."""
        return list(self._layer_slices)

    def unflatten(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Views of a flat vector as per-layer weights (n_l, n_{l-1}) and biases (n_l, 1)."""
        sizes = self.layer_sizes
        weights = [flat[w].reshape(sizes[l + 1], sizes[l]) for l, (w, _) in enumerate(self._layer_slices)]
        biases = [flat[b].reshape(sizes[l + 1], 1) for l, (_, b) in enumerate(self._layer_slices)]
        return weights, biases

    def initialize(self, *, init: Any = "auto", seed: int | np.random.Generator | None = None) -> "Engine":
        """(Re-)draw every weight with ``init`` and set every bias to zero, in place."""
        rng = as_generator(seed)
        inits = list(init) if isinstance(init, (list, tuple)) else [init] * self.n_layers
        if len(inits) != self.n_layers:
            raise ValidationError(f"init: expected one per layer ({self.n_layers}) or one for all, received {len(inits)}")
        for l, (W, spec) in enumerate(zip(self.weights, inits)):
            f = auto_initializer(self.activations[l].name) if isinstance(spec, str) and spec == "auto" else get_initializer(spec)
            drawn = as_float_matrix(f(W.shape[0], W.shape[1], rng, self.dtype), f"init (layer {l + 1})", dtype=self.dtype)
            if drawn.shape != W.shape:
                raise ShapeError(f"init (layer {l + 1}): expected an array of shape {W.shape}, received shape {drawn.shape}")
            np.copyto(W, drawn)
        for b in self.biases:
            b.fill(0)
        return self

    def dropout_rates(self, dropout: Any) -> list[float] | None:
        """Validated drop rates for :meth:`forward_columns`: one per layer 1 … L (the output's is 0).

        ``dropout`` is one rate in [0, 1) for every hidden layer or a sequence of one per hidden
        layer (L − 1). Returns None when every rate is 0.
        """
        hidden = self.n_layers - 1
        if isinstance(dropout, (int, float, np.floating)) and not isinstance(dropout, bool):
            rates = [check_probability(dropout, "dropout")] * hidden
        elif isinstance(dropout, Sequence | np.ndarray) and not isinstance(dropout, str):
            if len(dropout) != hidden:
                raise ValidationError(f"dropout: expected one rate per hidden layer ({hidden}), received {len(dropout)}")
            rates = [check_probability(r, f"dropout[{i}]") for i, r in enumerate(dropout)]
        else:
            raise InputTypeError(f"dropout: expected a rate or a list of rates, received {describe(dropout)}")
        return rates + [0.0] if any(rates) else None

    # ----------------------------------------------------------------- the engine
    def make_cache(self, m: int) -> Cache:
        """Buffers for a forward and backward pass over m examples."""
        return Cache(self.layer_sizes, m, self.dtype)

    def forward_columns(
        self,
        A0: np.ndarray,
        cache: Cache | None = None,
        *,
        training: bool = False,
        dropout: Sequence[float] | None = None,
        rng: np.random.Generator | None = None,
    ) -> Cache:
        """Forward pass on examples as columns: ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g(Z[l])``.

        ``A0`` has shape (n_0, m) and the network's dtype. ``dropout[l-1]`` is the drop
        rate of hidden layer l (1 … L−1), applied only when ``training`` is true.
        Returns the cache (``cache.A[L]`` is the output), reusing ``cache`` if given.
        """
        m = A0.shape[1]
        if cache is None or cache.m != m:
            cache = self.make_cache(m)
        W, b = self.weights, self.biases
        cache.A[0] = A0
        L = self._L
        for l in range(1, L + 1):
            Z = np.matmul(W[l - 1], cache.A[l - 1], out=cache.Z[l])
            Z += b[l - 1]
            self.activations[l - 1].forward(Z, out=cache.G[l])
            rate = dropout[l - 1] if (training and dropout is not None and l < L) else 0.0
            if rate > 0:
                cache.drop(l, rate, rng)
            else:
                cache.A[l] = cache.G[l]
                cache.mask[l] = None
        return cache

    def backward_columns(
        self, cache: Cache, Y: np.ndarray, coef: float | np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Backpropagation: the flat gradient ``[dW[1] … dW[L], db[1] … db[L]]`` of J.

        ``Y`` has shape (n_L, m); ``coef`` is 1/m, or per-example coefficients of shape (m,)
        (see :mod:`backprop.core.losses`). Writes into ``out`` when given. Reads the
        cache without changing it, so calling it twice gives the same gradient.
        """
        L = self._L
        grad = np.empty_like(self._params) if out is None else out
        dW, db = self._gradient_views(grad)
        W, g, A, Z, G, dZ = self.weights, self.activations, cache.A, cache.Z, cache.G, cache.dZ
        # 1. Output-layer error.
        if self.fused_output:
            self.loss.fused_output_error(A[L], Y, coef, out=dZ[L])
        else:
            dA_L = self.loss.gradient(A[L], Y, coef, out=cache.dA[L])
            g[L - 1].backward(dA_L, Z[L], G[L], out=dZ[L])
        for l in range(L, 0, -1):
            # 2./4. Gradients of layer l.
            np.matmul(dZ[l], A[l - 1].T, out=dW[l - 1])
            np.matmul(dZ[l], cache.ones, out=db[l - 1])  # Σ_i dZ[l][:, i] (a BLAS product: ENGINE.md §7)
            if l > 1:
                # 3. Error propagated back: dZ[l-1] = W[l]ᵀ dZ[l] ⊙ g'(Z[l-1]).
                if W[l - 1].shape[0] == 1:  # one unit: an outer product, ~2x cheaper as a broadcast multiply
                    dA = np.multiply(W[l - 1].T, dZ[l], out=cache.dA[l - 1])
                else:
                    dA = np.matmul(W[l - 1].T, dZ[l], out=cache.dA[l - 1])
                if cache.mask[l - 1] is not None:
                    dA *= cache.mask[l - 1]
                g[l - 2].backward(dA, Z[l - 1], G[l - 1], out=dZ[l - 1])
        return grad

    def input_gradient_columns(self, cache: Cache, dZ_L: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Backpropagation carried one step past ``dW[1]``, to the input: ``dA[0] = W[1]ᵀ dZ[1]``.

        ``dZ_L`` (n_L, m) replaces step 1's output error by any seed (for output k of column i: e_k for
        the logit ``Z[L]``, ``g.backward(e_k, Z[L], A[L])`` for ``A[L]``); step 3 then runs down to layer 1
        as in :meth:`backward_columns` (no dW, db). Column i of the result (n_0, m), written into ``out``
        when given, is ``∂⟨dZ_L[:, i], Z[L][:, i]⟩ / ∂A[0][:, i]``. Overwrites the cache's dZ and dA buffers.
        """
        L, W, g, Z, G, dZ = self._L, self.weights, self.activations, cache.Z, cache.G, cache.dZ
        if dZ_L is not dZ[L]:
            np.copyto(dZ[L], dZ_L)
        for l in range(L, 1, -1):
            if W[l - 1].shape[0] == 1:  # one unit: an outer product, cheaper as a broadcast multiply
                dA = np.multiply(W[l - 1].T, dZ[l], out=cache.dA[l - 1])
            else:
                dA = np.matmul(W[l - 1].T, dZ[l], out=cache.dA[l - 1])
            if cache.mask[l - 1] is not None:
                dA *= cache.mask[l - 1]
            g[l - 2].backward(dA, Z[l - 1], G[l - 1], out=dZ[l - 1])
        return np.matmul(W[0].T, dZ[1], out=out)  # dA[0] = W[1]ᵀ dZ[1]

    def _gradient_views(self, grad: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``unflatten(grad)``, remembered for the last buffer (the trainer reuses one)."""
        memo = self._grad_memo
        if memo is None or memo[0] is not grad:
            memo = self._grad_memo = (grad, *self.unflatten(grad))
        return memo[1], memo[2]

    def cost_columns(self, cache: Cache, Y: np.ndarray, coef: float | np.ndarray) -> float:
        """J from a forward pass's cache: from the logits for a canonical pair (stable)."""
        L = self._L
        if self.fused_output:  # dA[L] is free until the backward pass: the cost's scratch
            return self.loss.value_from_logits(cache.Z[L], Y, coef, scratch=cache.dA[L])
        return self.loss.value(cache.A[L], Y, coef)

    def add_l2(self, grad: np.ndarray | None, l2_over_m: float, scratch: np.ndarray | None = None) -> float:
        """L2 regularisation: adds ``(λ/m) W`` to ``grad``'s weights; returns ``λ/(2m) Σ‖W‖²``.

        Biases are not penalised (the weights are the first ``n_weights`` entries of the
        flat vector, so this is one slice). ``l2_over_m`` is λ/m; ``scratch``, a buffer
        of at least ``n_weights`` entries, avoids a temporary.
        """
        w = self._params[: self.n_weights]
        if grad is not None:
            if scratch is None:
                grad[: self.n_weights] += l2_over_m * w
            else:
                decay = np.multiply(w, l2_over_m, out=scratch[: self.n_weights])
                grad[: self.n_weights] += decay
        return 0.5 * l2_over_m * float(w @ w)

    # ------------------------------------------------------------ the public API
    def _columns(self, X: Any, name: str = "X") -> np.ndarray:
        """Validate X (n_samples, n_features) and return its columns view (n_features, n_samples)."""
        X = as_float_matrix(X, name, dtype=self.dtype)
        n_in = self.layer_sizes[0]
        if X.shape[1] != n_in:
            hint = ""
            if X.shape[0] == n_in:
                hint = " (X looks transposed: pass (n_samples, n_features); backprop.shallow takes the course's (n_x, m))"
            raise ShapeError(f"{name}: expected {n_in} features (shape (n_samples, {n_in})), received shape {X.shape}{hint}")
        return X.T

    def targets(self, Y: Any, m: int, name: str = "Y") -> np.ndarray:
        """Validate Y and return it as columns (n_L, m) in the network's dtype.

        Accepts (m, n_L); a 1-D (m,) array for one output; and integer class labels
        (m,) for a softmax (or categorical cross-entropy) output, which are one-hot encoded.
        Targets of a cross-entropy loss must lie in [0, 1]. ``name`` is the argument's name
        in error messages.
        """
        n_out = self.layer_sizes[-1]
        if Y is None:
            raise InputTypeError(f"{name}: expected an array of targets, received None")
        reject_masked(Y, name)
        Y_arr = np.asarray(Y)
        if Y_arr.ndim == 1 and n_out > 1:
            if not (self.task == "multiclass" or self.activations[-1].name == "softmax"):
                raise ShapeError(
                    f"{name}: expected shape ({m}, {n_out}) for {n_out} outputs, received shape {Y_arr.shape}; "
                    "1-D class labels need a softmax output"
                )
            labels = as_float_matrix(Y_arr, name, ndim=1)
            if labels.shape[0] != m:
                raise ShapeError(f"{name}: expected {m} labels to match X's rows, received {labels.shape[0]}")
            bad = (labels != np.round(labels)) | (labels < 0) | (labels >= n_out)
            if bad.any():
                row = int(np.argmax(bad))
                raise ValidationError(
                    f"{name}: 1-D targets for {n_out} outputs must be integer class labels in [0, {n_out - 1}], "
                    f"received values in [{labels.min()}, {labels.max()}] (row {row}: {float(labels[row])})"
                )
            one_hot = np.zeros((n_out, m), dtype=self.dtype)
            one_hot[labels.astype(np.intp), np.arange(m)] = 1
            return one_hot
        Y_arr = as_float_matrix(Y_arr, name, dtype=self.dtype, allow_1d=True)
        if Y_arr.shape[0] != m:
            raise ShapeError(f"{name}: expected {m} rows to match X, received shape {Y_arr.shape}")
        if Y_arr.shape[1] != n_out:
            raise ShapeError(f"{name}: expected {n_out} outputs (shape ({m}, {n_out})), received shape {Y_arr.shape}")
        if self.loss.needs_probabilities:
            low, high = Y_arr.min(), Y_arr.max()
            if low < 0 or high > 1:
                hint = ""
                if n_out == 1 and high > 1 and np.array_equal(Y_arr, np.round(Y_arr)):
                    hint = f"; {int(high) + 1} classes need a softmax output with {int(high) + 1} units"
                raise ValidationError(
                    f"{name}: expected targets in [0, 1] for the loss {self.loss.name!r}, "
                    f"received values in [{float(low)}, {float(high)}]{hint}"
                )
        return np.ascontiguousarray(Y_arr.T)

    @staticmethod
    def coefficients(m: int, sample_weight: Any = None, dtype: np.dtype = np.dtype(np.float64)) -> float | np.ndarray:
        """The per-example coefficients c of J = Σ c_i ℓ_i: 1/m, or w / Σ w."""
        if sample_weight is None:
            return 1.0 / m
        w = as_float_matrix(sample_weight, "sample_weight", ndim=1, dtype=np.float64)
        if w.shape[0] != m:
            raise ShapeError(f"sample_weight: expected {m} weights to match X's rows, received {w.shape[0]}")
        if (w < 0).any():
            raise ValidationError(f"sample_weight: expected non-negative weights, received a minimum of {float(w.min())}")
        total = check_weight_sum(w, "sample_weight")  # in float64 whatever the network's dtype
        if total <= 0:
            raise ValidationError(f"sample_weight: expected weights with a positive sum, received a sum of {total}")
        return (w / total).astype(dtype, copy=False)

    def forward(
        self,
        X: Any,
        training: bool = False,
        *,
        dropout: Sequence[float] | None = None,
        rng: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, Cache]:
        """Forward pass. ``X`` (n_samples, n_features) → (output (n_samples, n_L), cache).

        Dropout (one rate, or one per hidden layer) applies only with ``training=True`` and an ``rng``.
        """
        if training and dropout is not None:
            dropout = self.dropout_rates(dropout)
            if dropout is not None and not isinstance(rng, np.random.Generator):
                error = ValidationError if rng is None else InputTypeError
                raise error(f"rng: dropout in training mode needs a numpy.random.Generator, received {describe(rng)}")
        A0 = self._columns(X)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
            cache = self.forward_columns(A0, training=training, dropout=dropout, rng=rng)
        out = cache.A[self.n_layers]
        if not np.isfinite(out).all():
            raise self._overflow("forward: the outputs", A0)
        return out.T, cache

    def backward(self, cache: Cache, Y: Any, sample_weight: Any = None) -> np.ndarray:
        """The gradient of the mean cost for the forward pass in ``cache``, as a new flat array."""
        if not isinstance(cache, Cache):
            raise InputTypeError(f"cache: expected the Cache returned by forward, received {describe(cache)}")
        m = cache.m
        Yc, coef = self.targets(Y, m), self.coefficients(m, sample_weight, self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            grad = self.backward_columns(cache, Yc, coef)
        if not np.isfinite(grad).all():
            raise self._overflow("backward: the gradient", cache.A[0])
        return grad

    def cost_and_gradient(self, X: Any, Y: Any, sample_weight: Any = None, l2: float = 0.0) -> tuple[float, np.ndarray]:
        """(J, dJ/dparams) on the data; with ``l2`` = λ adds λ/(2m)Σ‖W‖² and (λ/m)W (m = Σ weights)."""
        l2 = check_nonnegative_float(l2, "l2")
        A0 = self._columns(X)
        m = A0.shape[1]
        Yc = self.targets(Y, m)
        coef = self.coefficients(m, sample_weight, self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
            cache = self.forward_columns(A0)
            grad = self.backward_columns(cache, Yc, coef)
            cost = self.cost_columns(cache, Yc, coef)
            if l2:
                cost += self.add_l2(grad, l2 * self._l2_scale(m, sample_weight))
        if not (np.isfinite(cost) and np.isfinite(grad).all()):
            raise self._overflow(f"cost_and_gradient: the cost ({cost}) or the gradient", A0)
        return cost, grad

    def cost(self, X: Any, Y: Any, sample_weight: Any = None, l2: float = 0.0) -> float:
        """J on the data (inference mode), with the L2 term when ``l2`` > 0."""
        l2 = check_nonnegative_float(l2, "l2")
        A0 = self._columns(X)
        m = A0.shape[1]
        Yc = self.targets(Y, m)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
            cost = self.cost_columns(self.forward_columns(A0), Yc, self.coefficients(m, sample_weight, self.dtype))
            if l2:
                cost += self.add_l2(None, l2 * self._l2_scale(m, sample_weight))
        if not np.isfinite(cost):
            raise self._overflow(f"cost: the cost ({cost})", A0)
        return cost

    def _overflow(self, what: str, A0: np.ndarray) -> DivergenceError:
        """The error for a result that overflowed although the inputs and parameters are finite."""
        return DivergenceError(
            f"{what} overflowed to inf or NaN (|X| up to {float(np.max(np.abs(A0))):.3g}, |parameters| up to "
            f"{float(np.max(np.abs(self._params))):.3g}): scale the inputs (backprop.data.StandardScaler) or "
            "lower the learning rate that grew the weights"
        )

    @staticmethod
    def _l2_scale(m: int, sample_weight: Any) -> float:
        """1/m, with m the total sample weight when weights are given."""
        return 1.0 / (m if sample_weight is None else float(np.sum(sample_weight)))

    @property
    def task(self) -> str:
        """'binary', 'multilabel', 'multiclass' or 'regression', from the loss and the outputs."""
        return task_of(self.loss, self.layer_sizes[-1])

    #: The most memory one chunk of ``predict_proba`` holds in forward buffers (32 MiB).
    PREDICT_CHUNK_BYTES = 32 << 20

    def predict_proba(self, X: Any) -> np.ndarray:
        """The network's output ``A[L]ᵀ``, shape (n_samples, n_L), inference mode.

        The rows go through the network in chunks whose forward buffers hold at most
        ``PREDICT_CHUNK_BYTES`` (no gradient buffers), so memory stays bounded for any number of rows.
        Raises :class:`DivergenceError` when the outputs overflow (inputs or weights far too large).
        """
        A0 = self._columns(X)
        m = A0.shape[1]
        rows = max(1, self.PREDICT_CHUNK_BYTES // (2 * sum(self.layer_sizes[1:]) * self.dtype.itemsize))
        out = np.empty((m, self.layer_sizes[-1]), dtype=self.dtype)
        cache = None
        for start in range(0, m, rows):
            stop = min(start + rows, m)
            if cache is None or cache.m != stop - start:
                cache = Cache(self.layer_sizes, stop - start, self.dtype, backward=False)
            with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
                out[start:stop] = self.forward_columns(A0[:, start:stop], cache).A[self.n_layers].T
        if not np.isfinite(out).all():
            raise self._overflow("predict_proba: the outputs", A0)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, shape (n_samples,) or (n_samples, n_L).

        binary: 0/1 labels (output > 0.5); multilabel: a 0/1 matrix; multiclass: the arg max
        of the outputs; regression: the outputs ((n_samples,) for one output).
        """
        out = self.predict_proba(X)
        task = self.task
        if task == "binary":
            return (out[:, 0] > 0.5).astype(np.int64)
        if task == "multilabel":
            return (out > 0.5).astype(np.int64)
        if task == "multiclass":
            return out.argmax(axis=1)
        return out[:, 0] if out.shape[1] == 1 else out

    # ----------------------------------------------------------------- utilities
    def get_config(self) -> dict[str, Any]:
        """The architecture as plain JSON-able values (activations and loss by name)."""
        return {
            "layer_sizes": list(self.layer_sizes),
            "activations": [a.name for a in self.activations],
            "loss": self.loss.name,
            "dtype": self.dtype.name,
        }

    def astype(self, dtype: Any) -> "Engine":
        """A copy of the network with every parameter converted to ``dtype``."""
        clone = type(self)(self.layer_sizes, self.activations, self.loss, dtype=dtype, init=None)
        np.copyto(clone._params, self._params, casting="unsafe")
        return clone

    def copy(self) -> "Engine":
        """An independent copy (same dtype, same parameters)."""
        return self.astype(self.dtype)

    def __getstate__(self) -> dict[str, Any]:
        # ``weights`` and ``biases`` are views of ``_params``; pickle would store them as
        # separate copies, so they are left out and re-created as views on loading. The
        # gradient-views memo refers to a trainer's buffer: not part of the model.
        state = self.__dict__.copy()
        del state["weights"], state["biases"]
        state["_grad_memo"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.weights, self.biases = self.unflatten(self._params)

    def __repr__(self) -> str:
        acts = ", ".join(a.name for a in self.activations)
        return (
            f"Network(layer_sizes={list(self.layer_sizes)}, activations=[{acts}], "
            f"loss={self.loss.name!r}, dtype={self.dtype.name}, n_params={self.n_params})"
        )


Network = Engine  # the engine's name before 0.x (``backprop.Network`` is the trainable subclass)
