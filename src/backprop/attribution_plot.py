"""Pictures of attributions (matplotlib, the optional extra ``backprop-mlp[plot]``).

- :func:`importance_bar`: the global ranking, mean |attribution| per column;
- :func:`gradient_field`: for a model of 2 inputs (the flower), the input gradient
  ``∂p/∂x`` as arrows over the decision boundary: each arrow is ``dA[0]``, the step of
  backpropagation past ``dW[1]``, and points where the explained probability rises fastest.

Each takes ``ax=`` (drawn into, and returned) and never changes matplotlib's backend or
global state: without ``ax`` a new figure comes from ``matplotlib.pyplot.subplots``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .attribute import attribute, column_names, importance
from .core.validation import InputTypeError, ShapeError, ValidationError, as_float_matrix, check_int, describe

__all__ = ["importance_bar", "gradient_field"]


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        if not hasattr(ax, "barh") or not hasattr(ax, "figure"):
            raise InputTypeError(f"ax: expected a matplotlib Axes, received {describe(ax)}")
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'backprop-mlp[plot]'") from None
    return plt.subplots(figsize=figsize)[1]


def importance_bar(
    attributions: Any,
    names: Sequence[str] | None = None,
    *,
    ax: Any = None,
    top: int = 20,
    title: str | None = None,
) -> Any:
    """Horizontal bars of the mean absolute attribution per column, the most important on top.

    ``attributions``: (n_samples, n_columns) or (n_samples, n_columns, n_outputs), as
    :func:`backprop.attribute` returns them; ``names``: the n_columns column names;
    ``top``: how many columns to show. Returns the Axes.
    """
    scores = importance(attributions)
    top = check_int(top, "top")
    if names is None:
        names = [f"x{j + 1}" for j in range(scores.shape[0])]
    names = [str(n) for n in names]
    if len(names) != scores.shape[0]:
        raise ValidationError(f"names: expected {scores.shape[0]} column names, received {len(names)}")
    order = np.argsort(-scores, kind="stable")[:top]
    ax = _axes(ax, (6.0, 0.9 + 0.32 * len(order)))
    positions = np.arange(len(order))[::-1]
    ax.barh(positions, scores[order], color="#3b75af")
    ax.set_yticks(positions)
    ax.set_yticklabels([names[j] for j in order])
    ax.set_xlabel("mean |attribution|")
    for y, value in zip(positions, scores[order]):
        ax.annotate(f"{value:.3g}", (value, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.margins(x=0.15)
    shown = "" if len(order) == len(names) else f" (top {len(order)} of {len(names)})"
    ax.set_title(title if title is not None else f"global importance{shown}")
    return ax


def gradient_field(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    ax: Any = None,
    target: Any = None,
    grid: int = 21,
    resolution: int = 200,
    title: str | None = None,
) -> Any:
    """The input gradient of a 2-input classifier as arrows over its decision boundary.

    The background is the probability of class ``target`` (None: a binary model's second
    class, the one its single output gives) over the plane with
    the 0.5 contour (the decision boundary); the arrows on a ``grid`` × ``grid`` lattice
    are ``∂p/∂x`` from :func:`backprop.attribute` (``method="gradient"``): each points
    where p rises fastest, its length on a log scale of ``|∂p/∂x|`` (a full lattice step
    for the largest, nothing below 1e-4 of it), as the gradient spans decades between
    the flat, saturated regions and the boundary. ``X`` (n_samples, 2) sets the extent and is drawn as points,
    coloured by ``y`` (n_samples,) when given. Returns the Axes.
    """
    X = as_float_matrix(X, "X")
    if X.shape[1] != 2:
        raise ShapeError(f"X: expected shape (n_samples, 2) for a gradient field, received {X.shape}")
    names = column_names(model)
    if len(names) != 2:
        raise ShapeError(f"model: a gradient field needs a model of 2 inputs, received one of {len(names)}")
    grid = check_int(grid, "grid", minimum=2)
    resolution = check_int(resolution, "resolution", minimum=2)
    if y is not None and (np.ndim(y) != 1 or len(y) != X.shape[0]):
        raise ShapeError(f"y: expected {X.shape[0]} labels (shape ({X.shape[0]},)) to match X, received "
                         f"{describe(np.asarray(y))}")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    low, high = X.min(axis=0) - pad, X.max(axis=0) + pad

    def plane(n):
        g0, g1 = np.meshgrid(np.linspace(low[0], high[0], n), np.linspace(low[1], high[1], n))
        return g0, g1, np.column_stack([g0.ravel(), g1.ravel()])

    target, probability, label = _explained_class(model, target)
    g0, g1, points = plane(resolution)
    proba = probability(points).reshape(g0.shape)
    a0, a1, arrows = plane(grid)
    G = attribute(model, arrows, method="gradient", target=target)
    ax = _axes(ax, (6.5, 5.5))
    shade = ax.contourf(g0, g1, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
    ax.contour(g0, g1, proba, levels=[0.5], colors="k", linewidths=1.2)
    ax.figure.colorbar(shade, ax=ax, label=f"p({label})")
    if y is not None:
        _, codes = np.unique(np.asarray(y), return_inverse=True)
        ax.scatter(X[:, 0], X[:, 1], c=codes.ravel(), cmap="coolwarm", s=9, edgecolors="k", linewidths=0.25, alpha=0.8)
    else:
        ax.scatter(X[:, 0], X[:, 1], c="0.2", s=6, alpha=0.6)
    # |∂p/∂x| spans decades (flat where p saturates, steep at the boundary): the arrows keep the direction
    # and show the size on a log scale, 0 at 1e-4 of the largest to a full lattice step at the largest.
    size = np.hypot(G[:, 0], G[:, 1])
    peak = float(size.max()) if size.size and size.max() > 0 else 1.0
    length = np.clip(np.log10(np.maximum(size, 1e-300) / peak) + 4.0, 0.0, 4.0) / 4.0
    step = min((high[0] - low[0]), (high[1] - low[1])) / (grid - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        U = np.where(size > 0, G[:, 0] / size, 0.0) * length * 0.9 * step
        V = np.where(size > 0, G[:, 1] / size, 0.0) * length * 0.9 * step
    ax.quiver(a0.ravel(), a1.ravel(), U, V, color="k", angles="xy", scale_units="xy", scale=1.0, pivot="tail",
              width=0.0035, alpha=0.85)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(title if title is not None else "input gradient ∂p/∂x over the decision boundary")
    return ax


def _explained_class(model: Any, target: Any) -> tuple[Any, Any, str]:
    """(the target as attribute takes it, a function of raw points giving its probability, its name)."""
    from .attribute import _class_outputs, _resolve, _target_index

    m = _resolve(model, None)
    choices = _class_outputs(m)
    if choices is None:
        raise ValidationError(f"model: a gradient field needs a classifier (binary or multi-class), received a "
                              f"{m.net.task} model")
    if target is None:
        if m.net.task != "binary":
            raise ValidationError("target: a multi-class model needs the class whose probability is drawn, received None")
        index = 1
    else:
        index = _target_index(target, m, choices)
    unit, sign = choices[index]
    named = m.classes[index] if m.classes is not None else index

    def probability(points: np.ndarray) -> np.ndarray:
        p = m.net.predict_proba(m.input_map.transform(points))[:, unit]
        return p if sign > 0 else 1.0 - p

    return named, probability, str(named)
