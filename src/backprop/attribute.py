"""Explain predictions with backpropagation itself: input gradients and integrated gradients.

Backpropagation does not have to stop at ``dW[1]``. One more step of equation 3,

    dA[0] = W[1]ᵀ dZ[1],

gives the gradient of an output with respect to the input (the engine's
:meth:`~backprop.core.Network.input_gradient_columns`, seeded at the output with the unit
vector of the explained output instead of the loss's error). Three attributions are
built on it, one number per example and feature, like SHAP's values:

===================== ============================================================
``gradient``          ``∂f/∂x_j`` at x (saliency)
``gradient_x_input``  ``x_j · ∂f/∂x_j``
``integrated_gradients`` ``(x_j − x'_j) ∫₀¹ ∂f/∂x_j(x' + α(x − x')) dα`` (Sundararajan
                      et al., 2017), the integral by a quadrature rule of ``steps``
                      points; completeness: ``Σ_j IG_j = f(x) − f(x') + δ``, with the
                      quadrature error δ returned by ``return_delta=True``
===================== ============================================================

``f`` is the explained output: the predicted probability of a class (or a regression
output) by default, its logit ``Z[L]`` with ``output="logit"``, or the example's loss
with ``output="loss"`` (then the starting gradient IS step 1 of the engine's backward pass). Every
example and every integration step is one column of a single batched forward and
backward pass: no per-example Python loop.

Models with preprocessing are explained on the user's original columns through an
:class:`InputMap` (column j → the model features ``groups[j]``): an affine column
(standardisation) by the chain rule, a column feeding several features (one-hot) by
summing its features' attributions back into it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from .core.network import Network as _EngineNetwork
from .core.validation import (
    DivergenceError,
    InputTypeError,
    ShapeError,
    ValidationError,
    as_float_matrix,
    check_int,
    describe,
)
from .input_map import InputMap

__all__ = ["attribute", "InputMap", "importance", "ranking", "column_names", "METHODS", "OUTPUTS", "RULES"]

METHODS = ("integrated_gradients", "gradient", "gradient_x_input")
OUTPUTS = ("prediction", "logit", "loss")
RULES = ("gauss_legendre", "midpoint", "trapezoid")
_MAX_BUFFER_BYTES = 64 * 2**20  # the forward/backward buffers of one chunk of columns


# --------------------------------------------------------------------------- models


@dataclass
class _Model:
    """What attribution needs of a model, whatever its kind."""

    net: _EngineNetwork
    input_map: InputMap
    classes: list[Any] | None  # the class labels (2 for binary), or None
    shown: list[tuple[int, float]]  # the model's predict_proba columns as (unit, sign)
    stored_mean: np.ndarray | None  # the training mean of the raw columns, when the model stores it


def _stored_mean(net: Any, n: int) -> np.ndarray | None:
    metadata = getattr(net, "metadata_", None) or {}
    for found in ((metadata.get("standardize") or {}).get("mean"), metadata.get("input_mean")):
        if found is not None and np.shape(found) == (n,):
            return np.asarray(found, dtype=np.float64)
    return None


def _unwrap(model: Any) -> tuple[list[Any], Any, Any, Any, list[tuple[int, float]]]:
    """(Pipeline preprocessing steps, network, feature names, classes, binary outputs shown) of ``model``."""
    steps = []
    if isinstance(getattr(model, "steps", None), list) and model.steps:  # a Pipeline
        steps = [s for _, s in model.steps[:-1] if s not in (None, "passthrough")]
        model = model.steps[-1][1]
    if isinstance(model, _EngineNetwork):
        return steps, model, getattr(model, "feature_names_", None), getattr(model, "classes_", None), [(0, 1.0)]
    if any(c.__module__.startswith("backprop.sklearn") for c in type(model).__mro__):
        if not hasattr(model, "network_"):
            raise ValidationError(f"model: the {type(model).__name__} is not fitted yet; call fit(X, y) first")
        return (steps, model.network_, getattr(model, "feature_names_in_", None), getattr(model, "classes_", None),
                [(0, -1.0), (0, 1.0)])
    raise InputTypeError(
        "model: expected a backprop.Network, a fitted NeuralNetClassifier/NeuralNetRegressor or a scikit-learn "
        f"Pipeline ending in one, received {describe(model)}"
    )


def _input_map(preprocessing: Any, steps: list[Any], names: list[str] | None, n_in: int) -> InputMap:
    """The map from the user's columns to the network's inputs."""
    if preprocessing is None:
        return InputMap.identity(n_in, names=names)
    if isinstance(preprocessing, InputMap):
        return preprocessing
    try:
        return InputMap.from_scaler(preprocessing, names=names)
    except InputTypeError:
        if steps:
            raise ValidationError(f"model: the Pipeline step {type(preprocessing).__name__} is not supported; "
                                  "expected a StandardScaler (or pass preprocessing=InputMap(...))") from None
        raise


def _resolve(model: Any, preprocessing: Any) -> _Model:
    steps, net, names, classes, shown_binary = _unwrap(model)
    if steps:
        if preprocessing is not None:
            raise ValidationError("preprocessing: the Pipeline already holds the preprocessing; pass one or the other")
        if len(steps) > 1:
            raise ValidationError(f"model: expected a Pipeline of one StandardScaler and the estimator, received "
                                  f"{len(steps)} preprocessing steps ({', '.join(type(s).__name__ for s in steps)})")
        preprocessing = steps[0]
        names = getattr(preprocessing, "feature_names_in_", names)
    n_in = net.layer_sizes[0]
    names = None if names is None else [str(n) for n in names]
    input_map = _input_map(preprocessing, steps, names, n_in)
    if input_map.n_features != n_in:
        raise ShapeError(f"preprocessing: the network has {n_in} inputs, the map gives {input_map.n_features} features")
    task = net.task
    shown = shown_binary if task == "binary" else [(k, 1.0) for k in range(net.layer_sizes[-1])]
    if classes is not None:
        classes = list(np.asarray(classes).tolist())
        n_classes = 2 if task == "binary" else net.layer_sizes[-1]
        if task in ("binary", "multiclass") and len(classes) != n_classes:
            classes = None
    stored = _stored_mean(net, input_map.n_columns) if input_map.n_columns == n_in and preprocessing is None else None
    return _Model(net, input_map, classes, shown, stored)


# --------------------------------------------------------------------------- targets


def _class_outputs(m: _Model) -> list[tuple[int, float]] | None:
    """(unit, sign) of each class for binary and multi-class models; None otherwise."""
    task = m.net.task
    if task == "binary":
        return [(0, -1.0), (0, 1.0)]  # p(class 0) = 1 − A[L], p(class 1) = A[L]
    if task == "multiclass":
        return [(k, 1.0) for k in range(m.net.layer_sizes[-1])]
    return None


def _target_index(value: Any, m: _Model, choices: list[tuple[int, float]]) -> int:
    if m.classes is not None and m.net.task in ("binary", "multiclass"):
        for i, c in enumerate(m.classes):
            if value == c or str(value) == str(c):
                return i
        raise ValidationError(f"target: expected one of the classes {m.classes[:10]} or 'all', received {value!r}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Integral, np.integer)):
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        else:
            raise InputTypeError(f"target: expected an output index in [0, {len(choices) - 1}] or 'all', "
                                 f"received {describe(value)}")
    if not 0 <= int(value) < len(choices):
        raise ValidationError(f"target: expected an output index in [0, {len(choices) - 1}] or 'all', received {value}")
    return int(value)


def _targets(target: Any, m: _Model, F: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray] | list:
    """Per-row (units (n,), signs (n,)), or the list of (unit, sign) to explain them all."""
    n = F.shape[0]
    classes = _class_outputs(m)
    choices = classes if classes is not None else m.shown
    if isinstance(target, str) and target == "all":
        return list(m.shown)
    if target is None:
        if classes is None:
            if len(m.shown) == 1:
                return np.zeros(n, np.intp), np.ones(n, dtype)
            return list(m.shown)
        out = m.net.predict_proba(F)
        picked = (out[:, 0] > 0.5).astype(np.intp) if m.net.task == "binary" else out.argmax(axis=1)
    elif np.ndim(target) == 0:
        picked = np.full(n, _target_index(target.item() if isinstance(target, np.generic) else target, m, choices))
    else:
        values = np.asarray(target)
        if values.shape != (n,):
            raise ShapeError(f"target: expected one target per row (shape ({n},)) or a single one, received shape {values.shape}")
        picked = np.array([_target_index(v, m, choices) for v in values.tolist()], dtype=np.intp)
    units = np.array([choices[i][0] for i in range(len(choices))], np.intp)[picked]
    signs = np.array([choices[i][1] for i in range(len(choices))], dtype)[picked]
    return units, signs


# --------------------------------------------------------------------------- the engine


def _chunk_columns(net: _EngineNetwork) -> int:
    per_column = 4 * sum(net.layer_sizes) * net.dtype.itemsize
    return max(1, _MAX_BUFFER_BYTES // per_column)


def _gradients(net: _EngineNetwork, A0: np.ndarray, units: np.ndarray, signs: np.ndarray, output: str,
               Y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each column i of A0 (n_0, m): ``∂f_i/∂A0_i`` (n_0, m) and ``f_i`` (m,), one batched pass.

    ``f_i = signs[i] · A[L][units[i], i]`` (output "prediction"), ``signs[i] · Z[L][units[i], i]``
    ("logit"), or the loss ℓ(A[L][:, i], Y[:, i]) ("loss": the engine's backward pass itself,
    every column weighted 1, so column i's error is that of its own loss).
    """
    L = net.n_layers
    cache = net.forward_columns(A0)
    m = A0.shape[1]
    if output == "loss":
        coef = np.ones(m, dtype=net.dtype)
        net.backward_columns(cache, Y, coef)  # steps 1 to 4; its dZ[1] is what we carry on
        value = net.loss.per_example(cache.A[L], Y)
        return net.weights[0].T @ cache.dZ[1], value  # dA[0] = W[1]ᵀ dZ[1]
    columns = np.arange(m)
    seed = np.zeros((net.layer_sizes[-1], m), dtype=net.dtype)
    seed[units, columns] = signs
    if output == "prediction":  # the starting gradient for A[L]: through the output activation's own backward
        dZ_L = net.activations[-1].backward(seed, cache.Z[L], cache.G[L])
        value = signs * cache.A[L][units, columns]
    else:
        dZ_L = seed
        value = signs * cache.Z[L][units, columns]
    return net.input_gradient_columns(cache, dZ_L), value


def _batched(net, F, units, signs, output, Y):
    """:func:`_gradients` of the rows of F (n, n_0), in chunks that keep the buffers under a fixed size;
    the gradients as rows (n, n_0)."""
    n = F.shape[0]
    step = _chunk_columns(net)
    grads, values = [], []
    for start in range(0, n, step):
        rows = slice(start, start + step)
        A0 = np.ascontiguousarray(F[rows].T, dtype=net.dtype)
        g, v = _gradients(net, A0, units[rows], signs[rows], output, None if Y is None else Y[:, rows])
        grads.append(g.T)
        values.append(v)
    return np.concatenate(grads), np.concatenate(values)


@functools.lru_cache(maxsize=16)
def _quadrature(rule: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes α_s in [0, 1] and weights w_s (Σ w_s = 1) of ∫₀¹ φ(α) dα ≈ Σ_s w_s φ(α_s) (read-only, cached)."""
    if rule == "gauss_legendre":
        t, w = np.polynomial.legendre.leggauss(steps)
        alphas, weights = (t + 1.0) / 2.0, w / 2.0
    elif rule == "midpoint":
        alphas, weights = (np.arange(steps) + 0.5) / steps, np.full(steps, 1.0 / steps)
    else:
        if steps < 2:
            raise ValidationError(f"steps: the trapezoid rule needs at least 2 steps, received {steps}")
        alphas, weights = np.linspace(0.0, 1.0, steps), np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] *= 0.5
    alphas.setflags(write=False)
    weights.setflags(write=False)
    return alphas, weights


def _integrated(net, F, B, units, signs, output, Y, rule, steps):
    """Integrated gradients in the feature space: ``(F − B) ⊙ Σ_s w_s ∂f/∂F(B + α_s (F − B))``.

    All rows and all steps are columns of one batched pass (in chunks of whole rows).
    Returns (attributions (n, n_0), f(F) − f(B) (n,)).
    """
    alphas, weights = _quadrature(rule, steps)
    n, d = F.shape
    diff = F - B
    per_chunk = max(1, _chunk_columns(net) // steps)
    total = np.empty((n, d), dtype=np.float64)
    for start in range(0, n, per_chunk):
        rows = slice(start, start + per_chunk)
        k = diff[rows].shape[0]
        # the path as columns: column s·k + i is B_i + α_s (F_i − B_i), shape (d, steps, k)
        path = B[rows].T[:, None, :] + alphas[None, :, None] * diff[rows].T[:, None, :]
        A0 = path.reshape(d, steps * k).astype(net.dtype, copy=False)
        Ys = None if Y is None else np.tile(Y[:, rows], steps)
        g, _ = _gradients(net, A0, np.tile(units[rows], steps), np.tile(signs[rows], steps), output, Ys)
        total[rows] = np.tensordot(g.reshape(d, steps, k), weights, axes=([1], [0])).T  # Σ_s w_s ∂f/∂F
    ends = np.concatenate([F, B]).astype(net.dtype, copy=False)
    both_units, both_signs = np.concatenate([units, units]), np.concatenate([signs, signs])
    _, f = _batched(net, ends, both_units, both_signs, output, None if Y is None else np.concatenate([Y, Y], axis=1))
    return diff * total, f[:n].astype(np.float64) - f[n:]


def _to_columns(contribution: np.ndarray, input_map: InputMap) -> np.ndarray:
    """Feature attributions (n, n_features) summed into the columns (n, n_columns)."""
    if input_map.one_to_one:
        return contribution
    return contribution @ input_map.sum_matrix


# --------------------------------------------------------------------------- the API


def _check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise InputTypeError(f"{name}: expected one of {list(choices)}, received {describe(value)}")
    if value not in choices:
        raise ValidationError(f"{name}: expected one of {list(choices)}, received {value!r}")
    return value


def _baseline(baseline: Any, m: _Model, X: np.ndarray) -> np.ndarray:
    """The baseline in the feature space, (n, n_features)."""
    imap, n = m.input_map, X.shape[0]
    if baseline is None:
        if imap.baseline is not None:
            return np.broadcast_to(imap.baseline, (n, imap.n_features))
        baseline = m.stored_mean if m.stored_mean is not None else "zeros"
    if isinstance(baseline, str):
        if baseline == "zeros":
            raw = np.zeros((1, imap.n_columns))
        elif baseline == "mean":
            if imap.baseline is not None:
                return np.broadcast_to(imap.baseline, (n, imap.n_features))
            if m.stored_mean is None:
                raise ValidationError("baseline: 'mean' needs the training mean stored in the model (a model trained "
                                      "with --standardize); pass baseline=X_train.mean(axis=0) instead")
            raw = m.stored_mean[None, :]
        else:
            raise ValidationError(f"baseline: expected 'zeros', 'mean', None or an array, received {baseline!r}")
    else:
        one_row = np.ndim(baseline) == 1
        raw = as_float_matrix(baseline, "baseline", ndim=1 if one_row else 2)
        if one_row:
            raw = raw[None, :]
        if raw.shape[1] != imap.n_columns or raw.shape[0] not in (1, n):
            raise ShapeError(f"baseline: expected shape ({imap.n_columns},) or ({n}, {imap.n_columns}), received {raw.shape}")
    return np.broadcast_to(np.asarray(imap.transform(raw), dtype=np.float64), (n, imap.n_features))


def _check_options(method: Any, output: Any, rule: Any, steps: Any, return_delta: Any) -> tuple[str, str, str, int]:
    """The checked (method, output, rule, steps) of :func:`attribute`."""
    method = _check_choice(method, "method", METHODS)
    output = _check_choice(output, "output", OUTPUTS)
    rule = _check_choice(rule, "rule", RULES)
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (Integral, np.integer)):
        raise InputTypeError(f"steps: expected a positive integer, received {describe(steps)}")
    steps = check_int(steps, "steps")
    if not isinstance(return_delta, (bool, np.bool_)):
        raise InputTypeError(f"return_delta: expected True or False, received {describe(return_delta)}")
    if return_delta and method != "integrated_gradients":
        raise ValidationError(f"return_delta: completeness holds for integrated_gradients only, received method={method!r}")
    return method, output, rule, steps


def _what_to_explain(output: str, y: Any, target: Any, m: _Model, Fn: np.ndarray) -> tuple[np.ndarray | None, Any]:
    """(targets Y for output='loss', else None; the (units, signs) of each row, or a list of (unit, sign))."""
    net, n = m.net, Fn.shape[0]
    if output == "loss":
        if y is None:
            raise ValidationError("y: output='loss' needs the targets y of the rows of X")
        if target is not None:
            raise ValidationError(f"target: output='loss' explains the loss, not an output; received target={target!r}")
        return net.targets(y, n, "y"), (np.zeros(n, np.intp), np.ones(n, net.dtype))
    if y is not None:
        raise ValidationError("y: only output='loss' uses targets; received y with output=" + repr(output))
    return None, _targets(target, m, Fn, net.dtype)


def attribute(
    model: Any,
    X: Any,
    *,
    method: str = "integrated_gradients",
    target: Any = None,
    baseline: Any = None,
    steps: int = 64,
    output: str = "prediction",
    y: Any = None,
    preprocessing: Any = None,
    rule: str = "gauss_legendre",
    return_delta: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Attribute each prediction to the input columns, by backpropagation to the input.

    Parameters
    ----------
    model : backprop.Network, NeuralNetClassifier, NeuralNetRegressor, or a Pipeline of a StandardScaler and one
    X : array (n_samples, n_columns)
        The examples to explain, in the user's original columns.
    method : "integrated_gradients", "gradient" or "gradient_x_input"
        See the module's table.
    target : None, a class label / output index, an array of one per row, or "all"
        Which output f is explained. None: the predicted class (classifiers), the output
        (one-output regression), every output (multi-label, multi-output). A class is
        named by its label when the model knows them (``classes_``), else by its index
        (binary: 0 or 1, where p(0) = 1 − p(1)). "all": every column of the model's
        ``predict_proba`` (a binary Network has one, a binary classifier estimator two).
    baseline : None, "zeros", "mean", or an array (n_columns,) or (n_samples, n_columns)
        The reference x' of integrated gradients. None: the training mean stored in the
        model (a model trained with ``--standardize``, or the map's baseline), else zeros.
    steps : int
        Quadrature points of the integral along the path (integrated gradients only).
    output : "prediction", "logit" or "loss"
        What f is: the output ``A[L]`` (probabilities, or the regression value), its
        pre-activation ``Z[L]``, or the example's loss against ``y`` (then ``target`` must be None).
    y : targets for ``output="loss"``, as :meth:`Network.fit` takes them.
    preprocessing : None, InputMap, or a fitted StandardScaler
        How X's columns become the network's inputs, when the network was trained on transformed data.
    rule : "gauss_legendre" (default, as Captum), "midpoint" or "trapezoid"
    return_delta : bool
        Also return the completeness gap δ = Σ_j attribution_j − (f(x) − f(x')) of
        integrated gradients, shape (n_samples,) (or (n_samples, n_outputs)).

    Returns
    -------
    attributions : (n_samples, n_columns), or (n_samples, n_columns, n_outputs) when
    several outputs are explained (as SHAP's values); float64.
    """
    m = _resolve(model, preprocessing)
    method, output, rule, steps = _check_options(method, output, rule, steps, return_delta)
    net, imap = m.net, m.input_map
    Xr = as_float_matrix(X, "X", dtype=np.float64)
    if Xr.shape[1] != imap.n_columns:
        raise ShapeError(f"X: expected {imap.n_columns} columns (shape (n_samples, {imap.n_columns})), received shape {Xr.shape}")
    F = np.asarray(imap.transform(Xr), dtype=np.float64)
    if F.shape != (Xr.shape[0], imap.n_features):
        raise ShapeError(f"preprocessing: transform gave shape {F.shape}, expected {(Xr.shape[0], imap.n_features)}")
    Fn = F.astype(net.dtype, copy=False)
    Y, wanted = _what_to_explain(output, y, target, m, Fn)
    B = _baseline(baseline, m, Xr) if method == "integrated_gradients" else None

    def one(units: np.ndarray, signs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if method == "integrated_gradients":
            contribution, gap = _integrated(net, F, B, units, signs, output, Y, rule, steps)
            return _to_columns(contribution, imap), gap
        g, _ = _batched(net, Fn, units, signs, output, Y)
        g = g.astype(np.float64)
        contribution = g * F  # Σ_k F_k ∂f/∂F_k for groups
        affine = imap.affine
        if affine.any():
            chain = g[:, affine] * imap.slopes[affine]  # ∂f/∂x_j = s_j ∂f/∂F_k
            if method == "gradient_x_input":
                chain = chain * Xr[:, imap.column_of[affine]]
            contribution[:, affine] = chain
        return _to_columns(contribution, imap), None

    with np.errstate(over="ignore", invalid="ignore"):  # overflow raises DivergenceError below
        if isinstance(wanted, list):
            n = Xr.shape[0]
            parts = [one(np.full(n, unit, np.intp), np.full(n, sign, net.dtype)) for unit, sign in wanted]
            result = np.stack([p[0] for p in parts], axis=-1)
            gaps = np.stack([p[1] for p in parts], axis=-1) if return_delta else None
            if result.shape[-1] == 1:
                result = result[..., 0]
                gaps = None if gaps is None else gaps[..., 0]
        else:
            result, gaps = one(*wanted)
    if not np.isfinite(result).all():
        raise DivergenceError(
            f"attribute: the attributions overflowed to inf or NaN (|X| up to {float(np.abs(Xr).max()):.3g}); "
            "scale the inputs (or the baseline)"
        )
    if return_delta:
        return result, result.sum(axis=1) - gaps
    return result


# --------------------------------------------------------------------------- summaries


def importance(attributions: Any) -> np.ndarray:
    """Global importance of each column: the mean absolute attribution over the rows
    (and the outputs, for 3-D attributions), shape (n_columns,)."""
    a = np.asarray(attributions, dtype=np.float64) if not isinstance(attributions, np.ndarray) else attributions
    if a.dtype.kind not in "fiu" or a.ndim not in (2, 3) or a.shape[0] == 0:
        raise ShapeError(f"attributions: expected numbers of shape (n_samples, n_columns[, n_outputs]), "
                         f"received {describe(attributions)}")
    axes = (0, 2) if a.ndim == 3 else 0
    return np.abs(a).mean(axis=axes)


def ranking(attributions: Any, names: Sequence[str] | None = None) -> list[tuple[str, float]]:
    """``(column name, importance)`` pairs, most important first (ties keep the column order)."""
    scores = importance(attributions)
    if names is None:
        names = [f"x{j + 1}" for j in range(scores.shape[0])]
    names = [str(n) for n in names]
    if len(names) != scores.shape[0]:
        raise ValidationError(f"names: expected {scores.shape[0]} column names, received {len(names)}")
    order = np.argsort(-scores, kind="stable")
    return [(names[j], float(scores[j])) for j in order]


def column_names(model: Any, preprocessing: Any = None) -> list[str]:
    """The names of the columns attributions are reported on (x1, x2, … when the model has none)."""
    return list(_resolve(model, preprocessing).input_map.names)
