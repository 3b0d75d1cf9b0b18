"""Pictures of training (matplotlib, the optional extra ``backprop[plot]``).

- :func:`decision_boundary`: the classes a 2-D classifier assigns over the plane;
- :func:`learning_curves`: training and validation loss (and accuracy) per epoch;
- :func:`gradient_norms`: ‖dW[l]‖ per layer over the epochs on a log scale, the picture
  of vanishing (or exploding) gradients.

matplotlib is imported only when a plot is drawn, and the backend is never changed: in a
notebook the pictures show inline, in a script a later ``plt.show()`` shows them, and on a
machine without a screen matplotlib falls back to Agg by itself. Every function takes ``ax=``
(draw into your own axes, pyplot untouched) or creates a figure with pyplot when none is given,
and returns what it drew on. With ``path`` the figure is also saved (PNG unless the path names
another format); a figure the function created is then closed when pyplot is not interactive
(scripts, the command line), so saving many plots does not pile up open figures.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .core.validation import InputTypeError, ShapeError, ValidationError, as_float_matrix, describe

__all__ = ["decision_boundary", "learning_curves", "gradient_norms"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'backprop-mlp[plot]'") from None
    return plt


_FIGURE_CLASS: Any = None


def _figure_class() -> Any:
    """A matplotlib Figure that a notebook shows once.

    Returned as a cell's last value, a plain Figure is drawn twice in Jupyter: once as the
    cell's result and once more by the inline backend, which shows every open pyplot figure at
    the end of the cell. This subclass draws itself once as a PNG and closes itself with the
    inline backend (as the inline backend would at the end of the cell); with a window backend
    pyplot shows it, and a closed figure shown later draws as a PNG.
    """
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        from matplotlib.figure import Figure

        class BackpropFigure(Figure):
            def _ipython_display_(self) -> None:
                import io

                import matplotlib
                from IPython.display import Image, display
                from matplotlib import pyplot as plt

                manager = getattr(self.canvas, "manager", None)
                open_in_pyplot = manager is not None and plt.fignum_exists(manager.num)
                if open_in_pyplot and "inline" not in matplotlib.get_backend():
                    return  # a window (or widget) backend shows it
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", bbox_inches="tight")
                display(Image(data=buffer.getvalue(), format="png"))
                if open_in_pyplot:
                    plt.close(self)  # shown: the inline backend must not show it again

        _FIGURE_CLASS = BackpropFigure
    return _FIGURE_CLASS


def _check_ax(ax: Any, name: str = "ax") -> Any:
    if ax is not None and not (hasattr(ax, "plot") and hasattr(ax, "figure")):
        raise InputTypeError(f"{name}: expected a matplotlib Axes (or None for a new figure), received {describe(ax)}")
    return ax


def _finish(fig: Any, path: Any, dpi: int, created: bool, **save: Any) -> None:
    """Save ``fig`` when ``path`` is given; close a figure we created when pyplot is not interactive."""
    if path is None:
        return
    path = _check_path(path)
    has_format = bool(os.path.splitext(path)[1])
    fig.savefig(path, dpi=dpi, format=None if has_format else "png", **save)
    if created:
        plt = _pyplot()
        if not plt.isinteractive():
            plt.close(fig)


def decision_boundary(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    path: str | None = None,
    *,
    ax: Any = None,
    title: str | None = None,
    resolution: int = 300,
) -> Any:
    """Shade the classes ``model.predict`` assigns over the plane, with the points on top.

    X has shape (n_samples, 2), y (n_samples,) of any labels (colours follow their sorted
    order). Draws into ``ax`` when given (else a new pyplot figure), saves a PNG to ``path``
    when given, and returns the matplotlib Axes.
    """
    _check_ax(ax)
    if not callable(getattr(model, "predict", None)):
        raise InputTypeError(f"model: expected a network or an estimator with predict(X), received {describe(model)}")
    X = as_float_matrix(X, "X")
    if X.shape[1] != 2:
        raise ShapeError(f"X: expected shape (n_samples, 2) for a decision boundary, received {X.shape}")
    n_in = getattr(model, "layer_sizes", (2,))[0]
    if n_in != 2:
        raise ShapeError(f"model: a decision boundary needs a model of 2 inputs, received one of {n_in}")
    if y is None or np.ndim(y) != 1 or len(y) != X.shape[0]:
        raise ShapeError(f"y: expected {X.shape[0]} labels (shape ({X.shape[0]},)) to match X, "
                         f"received {describe(y if y is None else np.asarray(y))}")
    _, codes = np.unique(np.asarray(y), return_inverse=True)  # string labels colour too
    if path is not None:
        _check_path(path)
    created = ax is None
    if created:
        _, ax = _pyplot().subplots(figsize=(6, 5))
    pad = 0.5
    x0 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    x1 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    labels = np.asarray(model.predict(np.c_[g0.ravel(), g1.ravel()])).reshape(g0.shape)
    if labels.dtype.kind not in "iufb":  # text labels: colour by their place among all labels, like the points
        values = np.unique(np.concatenate([np.asarray(y).astype(str), labels.ravel().astype(str)]))
        codes = np.searchsorted(values, np.asarray(y).astype(str))
        labels = np.searchsorted(values, labels.astype(str))
    ax.contourf(g0, g1, labels, alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=codes.ravel(), s=12, cmap="coolwarm", edgecolors="k", linewidths=0.3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    _finish(ax.figure, path, 100, created, bbox_inches="tight")
    return ax


def _check_path(path: Any) -> str:
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path (str or os.PathLike), received {describe(path)}")
    return os.fspath(path)


def _history_dict(history: Any) -> dict[str, list[float]]:
    """The per-epoch lists of a History, of ``History.to_dict()``, or of a plain dict of lists."""
    if hasattr(history, "logs") and isinstance(history.logs, Mapping):
        history = history.logs
    elif isinstance(history, Mapping) and isinstance(history.get("history"), Mapping):
        history = history["history"]
    if not isinstance(history, Mapping):
        raise InputTypeError(f"history: expected a History or a dict of per-epoch lists, received {describe(history)}")
    if not history.get("loss"):
        raise ValidationError(f"history: expected a non-empty 'loss' list, received keys {sorted(history)}")
    try:
        return {key: list(map(float, values)) for key, values in history.items()}
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"history: expected lists of numbers, {exc}") from None


def learning_curves(
    history: Any,
    path: str | os.PathLike | None = None,
    *,
    title: str | None = None,
    figsize: tuple[float, float] = (10.0, 4.0),
    dpi: int = 100,
    ax: Any = None,
) -> Any:
    """Loss per epoch (training and validation) and, for classifiers, accuracy beside it.

    ``history``: a :class:`~backprop.train.History`, its ``to_dict()``, or a dict of
    per-epoch lists with at least "loss" (and optionally "val_loss", "accuracy",
    "val_accuracy"). ``ax``: one Axes (the loss only) or two (loss, accuracy) to draw into;
    None: a new pyplot figure. Saves to ``path`` when given. Returns the Figure.
    """
    logs = _history_dict(history)
    has_accuracy = "accuracy" in logs or "val_accuracy" in logs
    created = ax is None
    if created:
        fig, axes = _pyplot().subplots(1, 2 if has_accuracy else 1, figsize=figsize, squeeze=False,
                                       FigureClass=_figure_class())
        axes = list(axes[0])
    else:
        axes = [_check_ax(a) for a in (list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax])]
        if not 1 <= len(axes) <= 2:
            raise ValidationError(f"ax: expected one Axes or two (loss, accuracy), received {len(axes)}")
        fig = axes[0].figure
    has_accuracy = has_accuracy and len(axes) == 2
    panels = [("loss", axes[0])] + ([("accuracy", axes[1])] if has_accuracy else [])
    for metric, ax in panels:
        for key, label, style in ((metric, "training", "-"), (f"val_{metric}", "validation", "--")):
            values = logs.get(key)
            if values:
                ax.plot(np.arange(1, len(values) + 1), values, style, marker="o" if len(values) < 30 else None,
                        markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if has_accuracy:
        axes[1].set_ylim(-0.02, 1.02)
    if created:
        fig.suptitle(title or "learning curves")
        fig.tight_layout()
    elif title:
        axes[0].set_title(title)
    _finish(fig, path, dpi, created)
    return fig


def gradient_norms(
    norms: Any,
    path: str | os.PathLike | None = None,
    *,
    title: str | None = None,
    figsize: tuple[float, float] = (6.0, 4.0),
    dpi: int = 100,
    ax: Any = None,
) -> Any:
    """‖dW[l]‖ for each layer l over the epochs, on a log scale.

    ``norms``: shape (n_epochs, L), e.g. ``GradientNorms().norms`` (a list of (L,) arrays).
    Layers whose norms fall orders of magnitude below the others are learning little:
    the vanishing-gradient picture. Zeros are drawn at the smallest positive float.
    Draws into ``ax`` when given (else a new pyplot figure); saves to ``path`` when given.
    Returns the Figure.
    """
    _check_ax(ax)
    if isinstance(norms, (str, bytes)) or not isinstance(norms, (Sequence, np.ndarray)):
        raise InputTypeError(f"norms: expected an array of shape (n_epochs, n_layers), received {describe(norms)}")
    try:
        values = np.asarray(norms, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError("norms: expected a rectangular array of numbers, shape (n_epochs, n_layers)") from None
    if values.ndim != 2 or values.size == 0:
        raise ShapeError(f"norms: expected shape (n_epochs, n_layers) with at least one entry, received {values.shape}")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValidationError("norms: expected finite, non-negative gradient norms")
    created = ax is None
    if created:
        fig, ax = _pyplot().subplots(figsize=figsize, FigureClass=_figure_class())
    fig = ax.figure
    epochs = np.arange(1, values.shape[0] + 1)
    tiny = np.finfo(np.float64).tiny
    for l in range(values.shape[1]):
        ax.semilogy(epochs, np.maximum(values[:, l], tiny), marker="o" if len(epochs) < 30 else None,
                    markersize=3, label=f"layer {l + 1}: ‖dW[{l + 1}]‖")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm (log scale)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title or "gradient norm per layer")
    if created:
        fig.tight_layout()
    _finish(fig, path, dpi, created)
    return fig


def confusion_matrix(C: Any, classes: Any, path: Any = None, *, ax: Any = None, title: str = "confusion matrix",
                     dpi: int = 100) -> Any:
    """Draw the confusion matrix C (K, K) (rows: true class, columns: predicted) with its counts.

    Draws on ``ax`` when given (and returns it), else on a new figure saved to ``path``.
    """
    ax = _check_ax(ax)
    C = np.asarray(C)
    labels = [str(c) for c in np.asarray(classes).tolist()]
    if C.ndim != 2 or C.shape[0] != C.shape[1] or C.shape[0] != len(labels):
        raise ShapeError(f"C: expected a square matrix of {len(labels)} classes, received shape {C.shape}")
    if path is not None:
        _check_path(path)
    created = ax is None
    if created:
        size = min(2.0 + 0.5 * len(labels), 14.0)
        _, ax = _pyplot().subplots(figsize=(size + 1.0, size))
    image = ax.imshow(C, cmap="Blues")
    ax.figure.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if len(labels) <= 30:
        high = C.max() if C.size else 0
        for i in range(C.shape[0]):
            for j in range(C.shape[1]):
                ax.text(j, i, str(C[i, j]), ha="center", va="center", color="white" if C[i, j] > 0.6 * high else "black")
    if created:
        ax.figure.tight_layout()
    _finish(ax.figure, path, dpi, created)
    return ax
