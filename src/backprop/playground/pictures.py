"""The playground's pictures: the output over the input plane and every neuron's activation, as
byte heatmaps (one byte a pixel, base64), computed by the engine's batched forward pass.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .session import Session

__all__ = ["heatmaps"]


def _b64(values: np.ndarray, lo: float, hi: float) -> str:
    """Values quantised to bytes over [lo, hi], base64: a heatmap costs one byte a pixel."""
    span = hi - lo if hi > lo else 1.0
    q = np.clip(np.rint((values - lo) * (255.0 / span)), 0, 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def heatmaps(session: Session) -> dict[str, Any]:
    """The output over the input plane and every neuron's activation, as byte heatmaps.

    The plane is the two plotted features; other features (a CSV with more columns) are
    held at their training mean (0 after standardization): the view is that slice.
    """
    net = session.net
    R = session.grid_resolution()
    x0, x1, y0, y1 = session.extent
    gx = np.linspace(x0, x1, R)
    gy = np.linspace(y1, y0, R)  # row 0 is the top of the picture
    xx, yy = np.meshgrid(gx, gy)
    A0 = np.zeros((session.X_train.shape[1], R * R))
    px, py = session.plot_columns
    A0[px] = xx.ravel()
    A0[py] = yy.ravel()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        cache = net.forward_columns(A0, session._cache_eval(R * R))
    # Every unit of every layer at once: one byte a pixel over [−r, r], r = its largest |a|.
    rows = np.concatenate([cache.A[l] for l in range(1, net.n_layers + 1)])
    if not np.isfinite(rows).all():
        rows = np.nan_to_num(rows, nan=0.0, posinf=1e6, neginf=-1e6)
    radius = np.abs(rows).max(axis=1)
    radius[radius == 0] = 1.0
    q = np.rint((rows / radius[:, None] + 1.0) * 127.5).astype(np.uint8)
    neurons, at = [], 0
    for l in range(1, net.n_layers + 1):
        n = net.layer_sizes[l]
        neurons.append([{"lo": -float(radius[at + i]), "hi": float(radius[at + i]),
                         "data": base64.b64encode(q[at + i].tobytes()).decode("ascii")} for i in range(n)])
        at += n
    out = rows[at - net.layer_sizes[-1]:]
    if session.task == "regression":
        lo, hi = float(out.min()), float(out.max())
        ys = session.y_train
        lo, hi = min(lo, float(ys.min())), max(hi, float(ys.max()))
        output = {"kind": "regression", "lo": lo, "hi": hi, "data": _b64(out[0], lo, hi)}
    elif out.shape[0] == 1:
        output = {"kind": "binary", "data": _b64(out[0], 0.0, 1.0)}
    elif session.task == "binary":
        output = {"kind": "binary", "data": _b64(out[1], 0.0, 1.0)}
    else:
        output = {"kind": "multiclass", "classes": _b64(out.argmax(axis=0).astype(float), 0, 255),
                  "confidence": _b64(out.max(axis=0), 0.0, 1.0)}
    inputs = [{"lo": float(A0[k].min()), "hi": float(A0[k].max()),
               "data": _b64(A0[k], -max(abs(A0[k].min()), abs(A0[k].max()), 1e-9),
                            max(abs(A0[k].min()), abs(A0[k].max()), 1e-9))}
              for k in range(A0.shape[0])]
    for k, item in enumerate(inputs):
        r = max(abs(item["lo"]), abs(item["hi"]), 1e-9)
        item["lo"], item["hi"] = -r, r
        if k not in (px, py):
            item["constant"] = True
    return {"resolution": R, "extent": session.extent, "output": output, "neurons": neurons, "inputs": inputs}
