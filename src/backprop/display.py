"""Rich, short output for notebooks: the ``_repr_html_`` of networks, histories and checks.

Each function returns a small HTML fragment (a table, an inline SVG picture) of bounded size:
a few thousand characters whatever the network or the run, never the arrays themselves. The
text reprs stay one line or a few. No dependency beyond numpy: pictures are inline SVG.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

__all__ = ["gradient_check_html", "history_html", "network_html", "table_html", "history_text"]

_STYLE = "border-collapse:collapse;font-family:monospace;font-size:12px"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"


def table_html(header: list[str], rows: list[list[Any]], caption: str | None = None) -> str:
    """A plain HTML table; cells are escaped (pass already-built HTML as ``_Raw``)."""
    def cell(value: Any, tag: str) -> str:
        text = value.html if isinstance(value, _Raw) else html.escape(str(value))
        return f'<{tag} style="{_CELL}">{text}</{tag}>'

    head = "".join(cell(h, "th") for h in header)
    body = "".join("<tr>" + "".join(cell(v, "td") for v in row) + "</tr>" for row in rows)
    cap = f'<caption style="text-align:left;font-weight:bold">{html.escape(caption)}</caption>' if caption else ""
    return f'<table style="{_STYLE}">{cap}<tr>{head}</tr>{body}</table>'


class _Raw:
    def __init__(self, html_text: str):
        self.html = html_text


def _verdict(ok: bool) -> _Raw:
    colour = "#1a7f37" if ok else "#cf222e"
    return _Raw(f'<b style="color:{colour}">{"PASS" if ok else "FAIL"}</b>')


def gradient_check_html(check: Any) -> str:
    """The per-layer table of a :class:`~backprop.core.GradientCheck` with PASS/FAIL."""
    rows = [[name, f"{d:.3e}", f"{e:.1e}", _verdict(ok)] for name, d, e, ok in check._rows()]
    note = (f"<div style='font-size:11px;color:#555'>relative difference ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖) of backpropagation g and "
            f"finite differences ĝ (step h = {check.eps:g}, float64); PASS below tolerance {check.tolerance:g} "
            "+ 2 × the finite differences' own error estimate</div>")
    return "<div>" + table_html(["", "relative difference", "finite-difference error ≈", "verdict"], rows,
                                 "gradient check") + note + "</div>"


def _diagram_svg(sizes: tuple[int, ...], names: list[str]) -> str:
    """Layers as columns of circles (at most 6 drawn per layer, with '…' and the count)."""
    width, height, shown = 90 * len(sizes), 190, 6
    parts, centres = [], []
    for j, n in enumerate(sizes):
        k = min(n, shown)
        x = 45 + 90 * j
        ys = [20 + (150 * (i + 0.5) / k) for i in range(k)]
        centres.append([(x, y) for y in ys])
    segments = "".join(f"M{x0} {y0:.0f}L{x1} {y1:.0f}" for a, b in zip(centres, centres[1:])
                       for x0, y0 in a for x1, y1 in b)
    parts.append(f'<path d="{segments}" stroke="#bbb" stroke-width="0.5" fill="none"/>')
    for j, (n, points) in enumerate(zip(sizes, centres)):
        fill = "#dde" if j == 0 else "#fde68a" if j == len(sizes) - 1 else "#bfdbfe"
        parts.extend(f'<circle cx="{x}" cy="{y:.0f}" r="6" fill="{fill}" stroke="#555"/>' for x, y in points)
        label = f"{n}" + ("" if n <= shown else " (…)")
        parts.append(f'<text x="{points[0][0]}" y="186" font-size="11" text-anchor="middle">{label} {html.escape(names[j])}</text>')
    return f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'


def network_html(net: Any) -> str:
    """A summary table (layer, W and b shapes, activation, parameters) and a small diagram."""
    sizes = tuple(net.layer_sizes)
    rows = [["0 (input)", f"X: ({sizes[0]}, m)", "", "", ""]]
    for l in range(1, len(sizes)):
        n = sizes[l] * sizes[l - 1] + sizes[l]
        rows.append([str(l), f"W[{l}]: ({sizes[l]}, {sizes[l - 1]})", f"b[{l}]: ({sizes[l]}, 1)",
                     net.activations[l - 1].name, f"{n:,}"])
    caption = (f"Network {' → '.join(map(str, sizes))}: loss {net.loss.name}, {net.dtype.name}, "
               f"{net.n_params:,} parameters")
    names = ["in"] + [a.name for a in net.activations]
    diagram = _diagram_svg(sizes, names) if len(sizes) <= 10 else ""
    return ("<div style='display:flex;gap:16px;align-items:flex-start'>"
            + table_html(["layer", "weights", "bias", "activation", "parameters"], rows, caption)
            + diagram + "</div>")


def _curve_svg(series: dict[str, list[float]], width: int = 320, height: int = 140) -> str:
    """A learning curve as SVG polylines (at most 120 points each, evenly subsampled)."""
    finite = [v for vals in series.values() for v in vals if np.isfinite(v)]
    if not finite:
        return ""
    lo, hi = min(finite), max(finite)
    hi = hi if hi > lo else lo + 1.0
    n = max(len(v) for v in series.values())
    colours = {"loss": "#1f77b4", "val_loss": "#ff7f0e"}
    parts = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="white" stroke="#ccc"/>']
    for key, values in series.items():
        idx = np.unique(np.linspace(0, len(values) - 1, min(len(values), 120)).round().astype(int))
        pts = " ".join(f"{30 + (width - 40) * i / max(n - 1, 1):.0f},{10 + (height - 30) * (hi - values[i]) / (hi - lo):.0f}"
                       for i in idx if np.isfinite(values[i]))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colours.get(key, "#333")}" stroke-width="1.5"/>')
    parts.append(f'<text x="2" y="14" font-size="10">{hi:.3g}</text><text x="2" y="{height - 20}" font-size="10">{lo:.3g}</text>')
    parts.append(f'<text x="{width // 2}" y="{height - 4}" font-size="10" text-anchor="middle">epoch 1 … {n}</text>')
    legend = "".join(f'<tspan fill="{colours.get(k, "#333")}">— {k} </tspan>' for k in series)
    parts.append(f'<text x="{width - 8}" y="14" font-size="10" text-anchor="end">{legend}</text>')
    return f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'


def _summary_rows(history: Any) -> list[list[str]]:
    rows = []
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        values = history.logs.get(key)
        if not values:
            continue
        best = min(values) if "loss" in key else max(values)
        best_at = values.index(best) + 1
        rows.append([key, f"{values[-1]:.6g}", f"{best:.6g}", best_at])
    return rows


def history_text(history: Any) -> str:
    """A few lines: epochs, last and best values, how the run ended."""
    n = len(history)
    if not n:
        return "History(no epochs yet)"
    parts = [f"{key} {last} (best {best} at epoch {at})" for key, last, best, at in _summary_rows(history)]
    ended = ("stopped early" if history.stopped_early else "interrupted" if history.interrupted else "")
    best = f", best epoch {history.best_epoch + 1} restored" if history.best_epoch is not None else ""
    return f"History({n} epochs{', ' + ended if ended else ''}{best}: " + "; ".join(parts) + ")"


def history_html(history: Any) -> str:
    """A small table of last and best values and an SVG learning curve."""
    n = len(history)
    if not n:
        return "<div>History: no epochs yet</div>"
    table = table_html(["", "last", "best", "best at epoch"], _summary_rows(history), f"History: {n} epochs")
    curves = {k: history.logs[k] for k in ("loss", "val_loss") if history.logs.get(k)}
    return f"<div style='display:flex;gap:16px;align-items:flex-start'>{table}{_curve_svg(curves)}</div>"
