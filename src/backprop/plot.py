"""Pictures of training (matplotlib, the optional extra ``backprop[plot]``).

matplotlib is imported only when a plot is drawn, with the non-interactive Agg
backend when no figure is passed in, so plotting works on machines without a screen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["decision_boundary"]


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'backprop[plot]'") from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


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

    X has shape (n_samples, 2), y (n_samples,). Saves a PNG to ``path`` when given and
    returns the matplotlib Axes.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X: expected shape (n_samples, 2) for a decision boundary, received {X.shape}")
    plt = _pyplot()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 5))
    pad = 0.5
    x0 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    x1 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    labels = np.asarray(model.predict(np.c_[g0.ravel(), g1.ravel()])).reshape(g0.shape)
    ax.contourf(g0, g1, labels, alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=np.asarray(y).ravel(), s=12, cmap="coolwarm", edgecolors="k", linewidths=0.3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    if path is not None:
        (fig or ax.figure).savefig(path, dpi=100, bbox_inches="tight")
    if fig is not None and path is not None:
        plt.close(fig)
    return ax
