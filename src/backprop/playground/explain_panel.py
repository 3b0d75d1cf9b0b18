"""The equation panel and the step-through walk: the course's equations with the engine's numbers.

For a clicked weight ``W[l]ᵢⱼ``, bias ``b[l]ᵢ`` or neuron ``(l, i)`` the panel shows, from the last
update's forward cache and flat gradient (:class:`backprop.core.network.Network`):

- forward: ``Z[l] = W[l] A[l−1] + b[l]`` and ``A[l] = g(Z[l])`` with the shapes, and for the first
  example of the batch the sum written out with its numbers;
- backward: ``dZ[L] = (A[L] − Y)/m`` (the canonical pairs) or ``dJ/dA[L] ⊙ g′(Z[L])``,
  ``dZ[l] = W[l+1]ᵀ dZ[l+1] ⊙ g′(Z[l])``, ``dW[l] = dZ[l] A[l−1]ᵀ``, ``db[l] = Σ dZ[l]``;
- the update the optimizer just made, before → after.

Every number comes from the engine's arrays; this module only picks entries and formats them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.validation import ValidationError

__all__ = ["explain", "stepthrough_phase", "fmt"]

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
G_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "identity": "id", "softmax": "softmax",
            "leaky_relu": "LeakyReLU", "elu": "ELU", "softplus": "softplus", "gelu": "GELU", "silu": "SiLU"}


def fmt(x: float, digits: int = 4) -> str:
    """A number for reading: 4 significant digits, a real minus sign."""
    x = float(x)
    if not np.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}×10{str(int(exp)).translate(SUP)}"
    return text.replace("-", "−")


def _sub(n: int) -> str:
    return str(n).translate(SUB)


def _line(eq: str, num: str = "", testid: str | None = None, value: float | None = None, note: str = "") -> dict:
    line: dict[str, Any] = {"eq": eq, "num": num}
    if testid:
        line["testid"] = testid
    if value is not None:
        line["value"] = repr(float(value))
    if note:
        line["note"] = note
    return line


def _record(session: Any) -> tuple[dict[str, Any], bool]:
    """The last update's record, or a probe (forward and backward on the next batch, no update)."""
    if session.last is not None:
        return session.last, False
    if session.diverged:
        raise ValidationError("training diverged: press reset to see the equations with numbers")
    A0, Y, idx = session._next_batch()
    cache, cost, _ = session._forward_backward(A0, Y)
    params = session.net.params.copy()
    return {"A0": A0, "Y": Y, "idx": idx, "cache": cache, "grad": session.grad.copy(), "cost": cost,
            "before": params, "after": params, "iteration": session.iteration,
            "dropout": session.dropout is not None}, True


def _gprime(act: Any, Z: np.ndarray, G: np.ndarray) -> np.ndarray:
    """g′(Z) element by element, from the activation's own backward (dA = 1)."""
    with np.errstate(all="ignore"):
        return act.backward(np.ones_like(Z), Z, G)


def _check_index(session: Any, select: dict) -> tuple[str, int, int, int]:
    net = session.net
    kind = select.get("kind")
    if kind not in ("weight", "bias", "neuron"):
        raise ValidationError(f"kind: expected 'weight', 'bias' or 'neuron', received {kind!r}")
    try:
        l, i, j = int(select.get("l", 0)), int(select.get("i", 0)), int(select.get("j", 0))
    except (TypeError, ValueError):
        raise ValidationError(f"select: expected integer l, i, j, received {select!r}") from None
    low = 0 if kind == "neuron" else 1
    if not low <= l <= net.n_layers:
        raise ValidationError(f"l: expected a layer in [{low}, {net.n_layers}], received {l}")
    if not 0 <= i < net.layer_sizes[l]:
        raise ValidationError(f"i: expected a unit of layer {l} in [0, {net.layer_sizes[l] - 1}], received {i}")
    if kind == "weight" and not 0 <= j < net.layer_sizes[l - 1]:
        raise ValidationError(f"j: expected a unit of layer {l - 1} in [0, {net.layer_sizes[l - 1] - 1}], received {j}")
    return kind, l, i, j


def _forward_lines(session: Any, rec: dict, l: int, i: int, W: list, b: list, k: int = 0) -> list[dict]:
    """``Z[l] = W[l] A[l−1] + b[l]`` and ``A[l] = g(Z[l])`` for unit i, example k, with numbers."""
    net, cache = session.net, rec["cache"]
    m = cache.m
    n_l, n_prev = net.layer_sizes[l], net.layer_sizes[l - 1]
    g = net.activations[l - 1].name
    a_prev = cache.A[l - 1][:, k]
    w = W[l - 1][i]
    terms = [f"({fmt(w[j])})({fmt(a_prev[j])})" for j in range(min(n_prev, 4))]
    more = f" + … ({n_prev} terms)" if n_prev > 4 else ""
    z = cache.Z[l][i, k]
    a = cache.A[l][i, k]
    L_ = _sub(l)
    lines = [
        _line(f"Z[{l}] = W[{l}] A[{l - 1}] + b[{l}]",
              note=f"shapes ({n_l}, {m}) = ({n_l}, {n_prev}) · ({n_prev}, {m}) + ({n_l}, 1), broadcast over m = {m} examples"),
        _line(f"z{_sub(i)}[{l}] = Σⱼ W[{l}]{_sub(i)}ⱼ a[{l - 1}]ⱼ + b[{l}]{_sub(i)}",
              " + ".join(terms) + more + f" + ({fmt(b[l - 1][i, 0])}) = {fmt(z)}", "eq-z", z,
              note=f"example 1 of the batch, x = ({', '.join(fmt(v) for v in rec['A0'][:, k][:4])})"),
    ]
    if g == "softmax":
        lines.append(_line(f"A[{l}] = softmax(Z[{l}])", f"a{_sub(i)} = e^z{_sub(i)} / Σᵣ e^zᵣ = {fmt(a)}", "eq-a", a))
    else:
        note = ""
        if cache.mask[l] is not None:
            note = f"dropout: this unit's mask entry is {fmt(cache.mask[l][i, k])} (kept units scaled by 1/(1 − rate))"
        lines.append(_line(f"A[{l}] = {G_SYMBOL.get(g, g)}(Z[{l}])",
                           f"a{_sub(i)} = {G_SYMBOL.get(g, g)}({fmt(z)}) = {fmt(a)}", "eq-a", a, note=note))
    del L_
    return lines


def _dz_lines(session: Any, rec: dict, l: int, i: int, W_before: list, k: int = 0) -> list[dict]:
    """How dZ[l] of unit i (example k) came from the layer above (or from the loss)."""
    net, cache = session.net, rec["cache"]
    L = net.n_layers
    m = cache.m
    dz = cache.dZ[l][i, k]
    if l == L:
        if net.fused_output:
            a, y = cache.A[L][i, k], rec["Y"][i, k]
            return [_line(f"dZ[{L}] = (A[{L}] − Y) / m",
                          f"({fmt(a)} − {fmt(y)}) / {m} = {fmt(dz)}", "eq-dz", dz,
                          note=f"{net.loss.name} with a {net.activations[-1].name} output: g′ cancels (shape ({net.layer_sizes[L]}, {m}))")]
        da = cache.dA[L][i, k]
        act = net.activations[-1]
        if act.elementwise:
            gp = _gprime(act, cache.Z[L][:, k:k + 1], cache.G[L][:, k:k + 1])[i, 0]
            num = f"({fmt(da)}) · ({fmt(gp)}) = {fmt(dz)}"
        else:
            num = f"Jacobian-vector product = {fmt(dz)}"
        return [_line(f"dZ[{L}] = dJ/dA[{L}] ⊙ g′(Z[{L}])", num, "eq-dz", dz,
                      note=f"{net.loss.name}: dJ/dA already holds the mean's 1/m (shape ({net.layer_sizes[L]}, {m}))")]
    n_next = net.layer_sizes[l + 1]
    w_col = W_before[l][:, i]
    dz_next = cache.dZ[l + 1][:, k]
    terms = [f"({fmt(w_col[r])})({fmt(dz_next[r])})" for r in range(min(n_next, 4))]
    more = f" + … ({n_next} terms)" if n_next > 4 else ""
    da = cache.dA[l][i, k]
    act = net.activations[l - 1]
    gp = _gprime(act, cache.Z[l][:, k:k + 1], cache.G[l][:, k:k + 1])[i, 0]
    mask = cache.mask[l]
    note = f"shapes ({net.layer_sizes[l]}, {m}) = ({net.layer_sizes[l]}, {n_next}) · ({n_next}, {m}) ⊙ ({net.layer_sizes[l]}, {m})"
    if mask is not None:
        note += f"; dropout mask entry {fmt(mask[i, k])} multiplies W[{l + 1}]ᵀ dZ[{l + 1}]"
    gname = act.name
    gp_form = {"tanh": f"1 − a² = 1 − ({fmt(cache.G[l][i, k])})²", "sigmoid": f"a(1 − a) = ({fmt(cache.G[l][i, k])})(1 − {fmt(cache.G[l][i, k])})"}.get(gname, f"{G_SYMBOL.get(gname, gname)}′({fmt(cache.Z[l][i, k])})")
    return [
        _line(f"dZ[{l}] = W[{l + 1}]ᵀ dZ[{l + 1}] ⊙ g′(Z[{l}])", note=note),
        _line(f"(W[{l + 1}]ᵀ dZ[{l + 1}]){_sub(i)} = Σᵣ W[{l + 1}]ᵣ{_sub(i)} dZ[{l + 1}]ᵣ",
              " + ".join(terms) + more + f" = {fmt(da)}", "eq-da", da),
        _line(f"g′(z{_sub(i)}) = {gp_form}", f"= {fmt(gp)}", "eq-gprime", gp),
        _line(f"dz{_sub(i)}[{l}] = {fmt(da)} · {fmt(gp)}", f"= {fmt(dz)}", "eq-dz", dz,
              note="example 1 of the batch"),
    ]


def _sum_terms(x: np.ndarray, y: np.ndarray | None, count: int = 3) -> str:
    n = x.shape[0]
    if y is None:
        parts = [f"({fmt(x[k])})" for k in range(min(n, count))]
    else:
        parts = [f"({fmt(x[k])})({fmt(y[k])})" for k in range(min(n, count))]
    return " + ".join(parts) + (f" + … ({n} terms)" if n > count else "")


def _update_lines(session: Any, rec: dict, before: float, after: float, grad: float, name: str, probe: bool) -> list[dict]:
    opt = session.optimizer
    lr = session.config["learning_rate"]
    if probe:
        return [_line("no update yet", f"{name} = {fmt(after)}: press play or step to train", "eq-value", after)]
    delta = after - before
    # 7 digits before and after: a small step must show in the number it changed
    if opt.name == "sgd":
        eq = f"{name} ← {name} − α d{name}"
        num = f"{fmt(before, 7)} − ({fmt(lr)})({fmt(grad)}) = {fmt(after, 7)}"
    else:
        eq = f"{name} ← {name} − step   ({type(opt).__name__}, α = {fmt(lr)})"
        num = f"{fmt(before, 7)} − ({fmt(-delta)}) = {fmt(after, 7)}"
    return [
        _line(eq, num, "eq-value", after, note=f"update of iteration {rec['iteration']}"),
        _line(f"Δ{name}", f"= {fmt(delta)}", "eq-update", delta),
    ]


def explain(session: Any, select: dict) -> dict[str, Any]:
    """The equation panel for ``select`` = {kind: weight|bias|neuron, l, i, j} (l 1-based, units 0-based)."""
    kind, l, i, j = _check_index(session, select)
    net = session.net
    rec, probe = _record(session)
    Wb, bb = net.unflatten(rec["before"])
    Wa, ba = net.unflatten(rec["after"])
    dW, db = net.unflatten(rec["grad"])
    cache = rec["cache"]
    m = cache.m
    l2 = session.config["l2"]
    sections = []
    if kind == "neuron" and l == 0:
        x = rec["A0"][i, 0]
        name = session.feature_names[i] if i < len(session.feature_names) else f"x{_sub(i + 1)}"
        sections.append({"title": "input", "lines": [
            _line(f"A[0] = X, unit {i} is the feature {name}", f"a{_sub(i)}[0] = {fmt(x)}", "eq-a", x,
                  note=f"shape ({net.layer_sizes[0]}, {m}): one example per column")]})
        return {"kind": kind, "id": f"neuron-0-{i}", "title": f"input unit {i} ({name})", "sections": sections,
                "probe": probe}
    sections.append({"title": "forward", "lines": _forward_lines(session, rec, l, i, Wb, bb)})
    back = _dz_lines(session, rec, l, i, Wb)
    if kind == "weight":
        A_prev = cache.A[l - 1]
        grad = dW[l - 1][i, j]
        decay = l2 / m * Wb[l - 1][i, j] if l2 else 0.0
        back.append(_line(f"dW[{l}] = dZ[{l}] A[{l - 1}]ᵀ",
                          note=f"shapes ({net.layer_sizes[l]}, {net.layer_sizes[l - 1]}) = ({net.layer_sizes[l]}, {m}) · ({m}, {net.layer_sizes[l - 1]})"))
        num = _sum_terms(cache.dZ[l][i], A_prev[j])
        if l2:
            num += f" + (λ/m) W = … + ({fmt(l2)}/{m})({fmt(Wb[l - 1][i, j])}) [{fmt(decay)}]"
        back.append(_line(f"dW[{l}]{_sub(i)}{_sub(j)} = Σₖ dZ[{l}]{_sub(i)}ₖ A[{l - 1}]{_sub(j)}ₖ" + (" + (λ/m) W" if l2 else ""),
                          num + f" = {fmt(grad)}", "eq-gradient", grad))
        sections.append({"title": "backward", "lines": back})
        sections.append({"title": "update", "lines": _update_lines(
            session, rec, Wb[l - 1][i, j], Wa[l - 1][i, j], grad, f"W[{l}]{_sub(i)}{_sub(j)}", probe)})
        title = f"weight W[{l}]{_sub(i)}{_sub(j)}: from unit {j} of layer {l - 1} to unit {i} of layer {l}"
        ident = f"weight-{l}-{i}-{j}"
    elif kind == "bias":
        grad = db[l - 1][i, 0]
        back.append(_line(f"db[{l}] = Σₖ dZ[{l}]:,ₖ", note=f"shape ({net.layer_sizes[l]}, 1): the sum over the m = {m} examples"))
        back.append(_line(f"db[{l}]{_sub(i)} = Σₖ dZ[{l}]{_sub(i)}ₖ", _sum_terms(cache.dZ[l][i], None) + f" = {fmt(grad)}",
                          "eq-gradient", grad))
        sections.append({"title": "backward", "lines": back})
        sections.append({"title": "update", "lines": _update_lines(
            session, rec, bb[l - 1][i, 0], ba[l - 1][i, 0], grad, f"b[{l}]{_sub(i)}", probe)})
        title = f"bias b[{l}]{_sub(i)} of unit {i} in layer {l}"
        ident = f"bias-{l}-{i}"
    else:
        back.append(_line(f"‖dW[{l}]{_sub(i)},:‖ (its incoming weights' gradient)",
                          f"= {fmt(float(np.linalg.norm(dW[l - 1][i])))}", "eq-gradient-norm",
                          float(np.linalg.norm(dW[l - 1][i]))))
        sections.append({"title": "backward", "lines": back})
        title = f"neuron {i} of layer {l} ({net.activations[l - 1].name})"
        ident = f"neuron-{l}-{i}"
    return {"kind": kind, "id": ident, "title": title, "sections": sections, "probe": probe,
            "batch": m, "cost": float(rec["cost"])}


def stepthrough_phase(session: Any, st: dict) -> dict[str, Any]:
    """What the step-through walk shows at its current phase (forward l, cost, backward l, update)."""
    net = session.net
    phase, l = st["phases"][st["at"]]
    cache = st["cache"]
    m = cache.m
    L = net.n_layers
    k = 0

    def column(arr: np.ndarray) -> str:
        vals = arr[:6, k]
        return "(" + ", ".join(fmt(v, 3) for v in vals) + (", …" if arr.shape[0] > 6 else "") + ")"

    lines = []
    if phase == "forward":
        g = G_SYMBOL.get(net.activations[l - 1].name, net.activations[l - 1].name)
        lines.append(_line(f"Z[{l}] = W[{l}] A[{l - 1}] + b[{l}]", f"z[{l}] = {column(cache.Z[l])}",
                           note=f"({net.layer_sizes[l]}, {m}) = ({net.layer_sizes[l]}, {net.layer_sizes[l - 1]}) · ({net.layer_sizes[l - 1]}, {m}) + ({net.layer_sizes[l]}, 1); example 1 shown"))
        lines.append(_line(f"A[{l}] = {g}(Z[{l}])", f"a[{l}] = {column(cache.A[l])}"))
        title = f"forward, layer {l}"
    elif phase == "cost":
        lines.append(_line("J = (1/m) Σₖ ℓ(a[L]ₖ, yₖ)", f"= {fmt(st['cost'])}", "eq-cost", st["cost"],
                           note=f"{net.loss.name} over the batch of m = {m} examples" + (" (+ L2 term)" if session.config["l2"] else "")))
        title = "cost"
    elif phase == "backward":
        dW, db = net.unflatten(st["grad"])
        if l == L:
            eq = f"dZ[{L}] = (A[{L}] − Y) / m" if net.fused_output else f"dZ[{L}] = dJ/dA[{L}] ⊙ g′(Z[{L}])"
        else:
            eq = f"dZ[{l}] = W[{l + 1}]ᵀ dZ[{l + 1}] ⊙ g′(Z[{l}])"
        lines.append(_line(eq, f"dz[{l}] = {column(cache.dZ[l])}", note="example 1 shown"))
        lines.append(_line(f"dW[{l}] = dZ[{l}] A[{l - 1}]ᵀ", f"‖dW[{l}]‖ = {fmt(float(np.linalg.norm(dW[l - 1])))}",
                           note=f"shape ({net.layer_sizes[l]}, {net.layer_sizes[l - 1]})"))
        lines.append(_line(f"db[{l}] = Σₖ dZ[{l}]:,ₖ", f"db[{l}] = ({', '.join(fmt(v, 3) for v in db[l - 1][:6, 0])})"))
        title = f"backward, layer {l}"
    else:
        lines.append(_line("θ ← θ − step", f"{session.optimizer.name}, α = {fmt(session.config['learning_rate'])}: "
                           f"every W[l], b[l] updated (‖∇‖ = {fmt(float(np.sqrt(st['g2'])))})"))
        title = "update"
    return {"phase": phase, "layer": l, "at": st["at"], "count": len(st["phases"]), "title": title, "lines": lines}
