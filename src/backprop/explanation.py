"""``backprop.explain``: gradient descent steps written out equation by equation, with their numbers.

By default it is the deeplearning.ai course's own exercise (course 1, week 3, "Planar data
classification with one hidden layer"): the flower data (400 examples), the 2 → 4 tanh → 1
sigmoid network with ``W = 0.01·N(0, 1)`` drawn as the course draws them
(``np.random.seed(2)``, then W1, then W2), binary cross-entropy and the update with α = 1.2.
So every number can be compared with the course notebook's (W1, b1, W2, b2, the cost
0.693048 before the first step, the gradients of the first step).

The forward pass is the engine's (its cache is read, not recomputed); every backward
equation is then written out here in plain numpy, where 1/m enters as in the course
(``dW = (1/m) dZ A_prevᵀ``), and the gradient it assembles is checked against the engine's
backward pass and against finite differences. The result prints as text in a terminal and
renders as HTML with typeset equations in a notebook; both stay a few thousand characters
(wide arrays are summarised, as numpy prints them).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .core.gradcheck import check_gradients, relative_difference
from .core.network import Network
from .core.validation import InputTypeError, ValidationError, check_int, check_positive_float, describe

__all__ = ["explain", "Explanation", "course_network", "course_parameters"]

# --------------------------------------------------------------------------- formulas, text and LaTeX

_ACTIVATION = {  # name: (text of g(Z), LaTeX of g(Z)) with {Z} the argument
    "tanh": ("tanh({Z})", r"\tanh({Z})"),
    "sigmoid": ("σ({Z}) = 1 / (1 + e^(−{Z}))", r"\sigma({Z}) = \frac{{1}}{{1 + e^{{-{Z}}}}}"),
    "relu": ("max(0, {Z})", r"\max(0, {Z})"),
    "identity": ("{Z}", "{Z}"),
    "softmax": ("e^{Z} / Σ_k e^{Z}_k", r"\frac{{e^{{{Z}}}}}{{\sum_k e^{{{Z}_k}}}}"),
}

_COST = {  # loss: (text, LaTeX)
    "binary_crossentropy": ("−(1/m) Σ_i [Y log A[L] + (1 − Y) log(1 − A[L])]",
                            r"-\frac{1}{m} \sum_{i=1}^{m} \left[ y^{(i)} \log a^{[L](i)} + (1 - y^{(i)}) \log\left(1 - a^{[L](i)}\right) \right]"),
    "categorical_crossentropy": ("−(1/m) Σ_i Σ_k Y_k log A[L]_k",
                                 r"-\frac{1}{m} \sum_{i=1}^{m} \sum_k y_k^{(i)} \log a_k^{[L](i)}"),
    "mse": ("(1/2m) Σ_i ‖A[L] − Y‖²", r"\frac{1}{2m} \sum_{i=1}^{m} \left\| a^{[L](i)} - y^{(i)} \right\|^2"),
    "mae": ("(1/m) Σ_i Σ_k |A[L]_k − Y_k|", r"\frac{1}{m} \sum_{i=1}^{m} \sum_k \left| a_k^{[L](i)} - y_k^{(i)} \right|"),
    "huber": ("(1/m) Σ_i Σ_k huber_δ(A[L]_k − Y_k)", r"\frac{1}{m} \sum_{i=1}^{m} \sum_k \mathrm{huber}_\delta\left(a_k^{[L](i)} - y_k^{(i)}\right)"),
}

_FUSED = {
    "binary_crossentropy": "sigmoid's σ' = A(1 − A) cancels against ∂ℓ/∂A = (A − Y) / (A(1 − A))",
    "categorical_crossentropy": "softmax's Jacobian cancels against ∂ℓ/∂A = −Y / A",
    "mse": "identity's g' = 1, and ∂ℓ/∂A = A − Y for ℓ = ½‖A − Y‖²",
}


def _tex(symbol: str) -> str:
    """``dW[2]`` → ``dW^{[2]}``, ``g'(Z[1])`` → ``g'(Z^{[1]})``: layer indices as the course's superscripts."""
    return re.sub(r"\[(\d+)\]", r"^{[\1]}", symbol)


def _tex_t(symbol: str) -> str:
    """The transpose as the course writes it: ``A[0]`` → ``A^{[0]T}``."""
    tex = _tex(symbol)
    return tex[:-1] + "T}" if tex.endswith("]}") else tex + "^T"


def _output_error(loss: Any, A: np.ndarray, Y: np.ndarray, L: int) -> tuple[np.ndarray, str, str]:
    """dA[L] = ∂ℓ/∂A[L] per example (the 1/m enters in dW and db), with its text and LaTeX."""
    name = loss.name
    a, tex_a = f"A[{L}]", _tex(f"A[{L}]")
    if name == "binary_crossentropy":
        return (-(Y / A - (1 - Y) / (1 - A)), f"−(Y / {a} − (1 − Y) / (1 − {a}))",
                rf"-\left(\frac{{Y}}{{{tex_a}}} - \frac{{1 - Y}}{{1 - {tex_a}}}\right)")
    if name == "categorical_crossentropy":
        return -Y / A, f"−Y / {a}", rf"-\frac{{Y}}{{{tex_a}}}"
    if name == "mse":
        return A - Y, f"{a} − Y", f"{tex_a} - Y"
    if name == "mae":
        return np.sign(A - Y), f"sign({a} − Y)", rf"\operatorname{{sign}}({tex_a} - Y)"
    if name == "huber":
        d = loss.delta
        return (np.clip(A - Y, -d, d), f"clip({a} − Y, −{d:g}, {d:g})",
                rf"\operatorname{{clip}}({tex_a} - Y, -{d:g}, {d:g})")
    m = A.shape[1]
    return loss.gradient(A, Y, float(m)), f"∂ℓ/∂{a} of {name}", rf"\partial \ell / \partial {tex_a}"


def _derivative(activation: Any, Z: np.ndarray, A: np.ndarray, l: int) -> tuple[np.ndarray, str, str]:
    """g'(Z[l]) written out for the element-wise activations, from what the forward pass cached."""
    name, a, z = activation.name, f"A[{l}]", f"Z[{l}]"
    ta, tz = _tex(a), _tex(z)
    if name == "tanh":
        return 1 - A**2, f"1 − {a}²", f"1 - ({ta})^2"
    if name == "sigmoid":
        return A * (1 - A), f"{a} ⊙ (1 − {a})", rf"{ta} \odot (1 - {ta})"
    if name == "relu":
        return (Z > 0).astype(Z.dtype), f"1[{z} > 0]", rf"\mathbb{{1}}[{tz} > 0]"
    if name == "identity":
        return np.ones_like(Z), "1", "1"
    if name == "leaky_relu":
        al = activation.alpha
        return np.where(Z > 0, 1.0, al), f"1 where {z} > 0, else {al:g}", rf"\mathbb{{1}}[{tz} > 0] + {al:g}\,\mathbb{{1}}[{tz} \le 0]"
    if name == "elu":
        al = activation.alpha
        return (np.where(Z > 0, 1.0, A + al), f"1 where {z} > 0, else {a} + {al:g}",
                rf"\mathbb{{1}}[{tz} > 0] + ({ta} + {al:g})\,\mathbb{{1}}[{tz} \le 0]")
    if name == "softplus":
        return 1 / (1 + np.exp(-Z)), f"σ({z})", rf"\sigma({tz})"
    return activation.derivative(Z, A), f"{name}'({z})", rf"\mathrm{{{name}}}'({tz})"


# --------------------------------------------------------------------------- the record


@dataclass
class Step:
    """One equation: its symbol, text and LaTeX forms, its value, and an optional note."""

    symbol: str
    equation: str | None
    latex: str | None
    value: np.ndarray
    note: str | None = None


@dataclass
class Section:
    title: str
    steps: list[Step] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # free text (costs, checks)

    def add(self, symbol: str, equation: str | None, latex: str | None, value: Any, note: str | None = None) -> np.ndarray:
        value = np.array(value, dtype=np.float64)  # a copy: the parameters change at the update
        self.steps.append(Step(symbol, equation, latex, value, note))
        return value


@dataclass(repr=False)
class Explanation:
    """What :func:`explain` returns: the equations of each step with their numbers, and checks.

    ``parameters[k]``: the dict ``{"W1", "b1", …}`` before step k (``parameters[steps]`` after the
    last); ``grads[k]``: ``{"dW1", "db1", …, "dZ1", …}`` of step k; ``costs[k]``: J before step k
    (``costs[steps]`` after the last). ``engine_difference`` and ``check``: the first step's
    gradient against the engine and against finite differences. ``passed``: both agree.
    """

    title: str
    sections: list[Section]
    parameters: list[dict[str, np.ndarray]]
    grads: list[dict[str, np.ndarray]]
    costs: list[float]
    learning_rate: float
    engine_difference: float
    check: Any
    precision: int | None = None

    @property
    def passed(self) -> bool:
        return self.engine_difference < 1e-10 and bool(self.check.passed)

    @property
    def steps(self) -> int:
        return len(self.grads)

    def _digits(self, value: np.ndarray | None = None) -> int:
        """``precision`` when given; else 8 digits for small arrays (the course prints W1 so) and 4 for wide ones."""
        if self.precision is not None:
            return self.precision
        return 8 if value is None or value.size <= 16 else 4

    def _array_text(self, value: np.ndarray) -> str:
        value = value + 0.0  # print −0.0 as 0.0
        return np.array2string(value, precision=self._digits(value), max_line_width=160, threshold=200, edgeitems=3,
                               separator=" ", sign=" ", floatmode="maxprec_equal")

    def __str__(self) -> str:
        out = [self.title]
        for section in self.sections:
            out.append(f"\n{section.title}")
            for s in section.steps:
                head = s.symbol if s.equation is None else f"{s.symbol} = {s.equation}"
                if s.value.ndim == 0:  # a number: the cost
                    out.append(f"{head} = {float(s.value):.{max(self._digits(), 6)}f}")
                    continue
                out.append(f"{head}    shape {s.value.shape}")
                if s.note:
                    out.append(f"  ({s.note})")
                out.extend("    " + line for line in self._array_text(s.value).splitlines())
            out.extend(section.lines)
        return "\n".join(out)

    def __repr__(self) -> str:
        costs = " → ".join(_number(c) for c in (self.costs if len(self.costs) <= 4 else [self.costs[0], self.costs[-1]]))
        return (f"<Explanation of {self.steps} step{'s' * (self.steps != 1)}: {self.title.splitlines()[1]}; J {costs}; "
                f"{'PASS' if self.passed else 'FAIL'}>")

    def _repr_html_(self) -> str:
        parts = ["<div class='bp-explain' style='font-size:13px'><style>.bp-explain pre{margin:2px 0 6px 16px;"
                 "font-size:11px}.bp-explain i,.bp-explain span{color:#555}</style><p><b>{html.escape(self.title.splitlines()[0])}</b><br>"
                 f"{'<br>'.join(html.escape(line) for line in self.title.splitlines()[1:])}</p>"]
        for section in self.sections:
            parts.append(f"<h4>{html.escape(section.title)}</h4>")
            for s in section.steps:
                math = _tex(s.symbol) if s.latex is None else f"{_tex(s.symbol)} = {s.latex}"
                if s.value.ndim == 0:
                    parts.append(f"<div>\\({html.escape(math)} = {float(s.value):.{max(self._digits(), 6)}f}\\)</div>")
                    continue
                note = f" <i>({html.escape(s.note)})</i>" if s.note else ""
                parts.append(f"<div>\\({html.escape(math)}\\) <span>shape {s.value.shape}</span>{note}"
                             f"<pre>{html.escape(self._array_text(s.value))}</pre></div>")
            if section.lines:
                parts.append("<pre>" + html.escape("\n".join(section.lines)) + "</pre>")
        parts.append("</div>")
        return "".join(parts)


# --------------------------------------------------------------------------- the course's network and data


def course_parameters(layer_sizes: tuple[int, ...] = (2, 4, 1), seed: int = 2) -> dict[str, np.ndarray]:
    """W[l] = 0.01·N(0, 1) drawn as the course draws them: ``np.random.seed(seed)``, then W1, W2, … in order.

    Uses its own ``RandomState(seed)`` (the same numbers), so the global numpy state is left alone.
    Biases are zero.
    """
    rs = np.random.RandomState(seed)
    params: dict[str, np.ndarray] = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = rs.randn(layer_sizes[l], layer_sizes[l - 1]) * 0.01
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
    return params


def course_network(layer_sizes: tuple[int, ...] = (2, 4, 1), activations: Any = ("tanh", "sigmoid"),
                   loss: Any = "binary_crossentropy", seed: int = 2) -> Network:
    """A float64 network with the course's initial weights (see :func:`course_parameters`)."""
    from .model import Network as ModelNetwork

    net = ModelNetwork(list(layer_sizes), list(activations), loss, init=None, dtype=np.float64)
    params = course_parameters(tuple(layer_sizes), seed)
    for l in range(1, net.n_layers + 1):
        net.weights[l - 1][...] = params[f"W{l}"]
        net.biases[l - 1][...] = params[f"b{l}"]
    return net


def _describe(net: Network) -> str:
    parts = [str(net.layer_sizes[0])] + [f"{n} {a.name}" for n, a in zip(net.layer_sizes[1:], net.activations)]
    return " → ".join(parts)


# --------------------------------------------------------------------------- explain


def _problem(net: Any, X: Any, Y: Any, data_name: str | None) -> tuple[Network, Any, Any, str | None]:
    """The network and data :func:`explain` traces: the course's network and flower data by default."""
    if net is None:
        net = course_network()
    elif not isinstance(net, Network):
        raise InputTypeError(f"net: expected a backprop.Network or None (the course's 2-4-1 network), received {describe(net)}")
    if (X is None) != (Y is None):
        raise ValidationError("X and Y: give both (inputs and targets) or neither (the course's flower data)")
    if X is None:
        from .data import planar_flower

        if net.layer_sizes[0] != 2:
            raise ValidationError(f"X: the default flower data has 2 features, the network takes {net.layer_sizes[0]}; pass X and Y")
        X, Y = planar_flower()
        data_name = data_name or "flower (the course's planar data)"
    return net, X, Y, data_name


def explain(
    net: Network | None = None,
    X: Any = None,
    Y: Any = None,
    *,
    steps: int = 1,
    learning_rate: float = 1.2,
    precision: int | None = None,
    eps: float = 1e-7,
    data_name: str | None = None,
) -> Explanation:
    """Gradient descent, ``steps`` full-batch iterations, written out equation by equation.

    Parameters
    ----------
    net : Network or None
        The network (copied to float64; the original is not changed). None: the course's
        2 → 4 tanh → 1 sigmoid network with its initial weights (:func:`course_network`).
    X : array of shape (n_samples, n_features) or None
        None: the course's flower data (400 examples), ``backprop.data.planar_flower()``.
    Y : array of shape (n_samples,) or (n_samples, n_outputs) or None
        Targets as :meth:`Network.fit` takes them; None with X None: the flower's labels.
    steps : int
        Iterations traced; the first is written out in full, each later one as its cost.
    learning_rate : float
        α of the update ``W[l] := W[l] − α dW[l]`` (the course's 1.2 by default).
    precision : int or None
        Digits printed after the point; None: 8 for small arrays (as the course prints the
        parameters), 4 for arrays with more than 16 numbers.
    eps : float
        Step of the finite-difference check of the first step's gradient.

    Returns
    -------
    Explanation
        Prints as text (``print(result)``), renders as HTML with typeset equations in a
        notebook; ``.costs``, ``.grads``, ``.parameters`` hold the numbers, ``.passed`` the checks.
    """
    steps = check_int(steps, "steps")
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    precision = None if precision is None else check_int(precision, "precision", minimum=0)
    net, X, Y, data_name = _problem(net, X, Y, data_name)
    net = net.astype(np.float64)
    A0 = net._columns(X)
    m = A0.shape[1]
    Yc = net.targets(Y, m)
    L = net.n_layers
    alpha = learning_rate

    title = (f"backprop explain: {steps} step{'s' * (steps != 1)} of gradient descent, equation by equation\n"
             f"network {_describe(net)}, loss {net.loss.name}, m = {m} examples"
             f"{f' of {data_name}' if data_name else ''}, α = {alpha:g}\n"
             "Examples are columns, as in the course: A[0] = X has shape (n_0, m); W[l] is (n_l, n_{l-1}).")
    sections: list[Section] = []
    params_trace, grads_trace, costs = [], [], []
    engine_difference, check = float("nan"), None

    for k in range(steps):
        full = k == 0
        params_trace.append({**{f"W{l}": net.weights[l - 1].copy() for l in range(1, L + 1)},
                             **{f"b{l}": net.biases[l - 1].copy() for l in range(1, L + 1)}})
        cache = net.forward_columns(A0)
        A, Z, W = cache.A, cache.Z, net.weights
        J = net.cost_columns(cache, Yc, 1.0 / m)
        costs.append(J)
        if full:
            init = Section("Parameters before step 1")
            for l in range(1, L + 1):
                init.add(f"W[{l}]", None, None, net.weights[l - 1])
                init.add(f"b[{l}]", None, None, net.biases[l - 1])
            sections.append(init)
            fwd = Section("Forward pass, step 1 (the engine's Network.forward_columns; each array read from its cache)")
            fwd.add("A[0]", "X", "X", A[0])
            fwd.add("Y", None, None, Yc)
            for l in range(1, L + 1):
                fwd.add(f"Z[{l}]", f"W[{l}] A[{l - 1}] + b[{l}]", f"{_tex(f'W[{l}]')} {_tex(f'A[{l - 1}]')} + {_tex(f'b[{l}]')}", Z[l])
                text, tex = _ACTIVATION.get(net.activations[l - 1].name, (net.activations[l - 1].name + "({Z})",) * 2)
                fwd.add(f"A[{l}]", text.format(Z=f"Z[{l}]"), tex.format(Z=_tex(f"Z[{l}]")), A[l])
            cost_text, cost_tex = _COST.get(net.loss.name, (f"(1/m) Σ_i {net.loss.name}", r"\frac{1}{m}\sum_i \ell"))
            fwd.add("J", cost_text, cost_tex, J)
            sections.append(fwd)
            bwd = Section("Backward pass, step 1 (plain numpy on the cached arrays; 1/m enters in dW and db, as in the course)")
        else:
            bwd = Section("")  # computed, not shown
        grads: dict[str, np.ndarray] = {}
        if net.fused_output:
            dZ = bwd.add(f"dZ[{L}]", f"A[{L}] − Y", f"{_tex(f'A[{L}]')} - Y", A[L] - Yc,
                         f"the canonical pair: {_FUSED.get(net.loss.name, 'g′ cancels against ∂ℓ/∂A')}")
        else:
            dA, text, tex = _output_error(net.loss, A[L], Yc, L)
            bwd.add(f"dA[{L}]", text, tex, dA, f"not fused: {net.activations[-1].name} is not the canonical output of {net.loss.name}")
            dZ = _through(net.activations[L - 1], dA, Z[L], A[L], L, bwd, f"dA[{L}]")
        for l in range(L, 0, -1):
            grads[f"dZ{l}"] = dZ
            grads[f"dW{l}"] = bwd.add(f"dW[{l}]", f"(1/m) dZ[{l}] A[{l - 1}]ᵀ",
                                      rf"\frac{{1}}{{m}} {_tex(f'dZ[{l}]')} {_tex_t(f'A[{l - 1}]')}", dZ @ A[l - 1].T / m)
            grads[f"db{l}"] = bwd.add(f"db[{l}]", f"(1/m) Σ_i dZ[{l}][:, i]",
                                      rf"\frac{{1}}{{m}} \sum_{{i=1}}^{{m}} {_tex(f'dZ[{l}]')}_{{:,i}}",
                                      dZ.sum(axis=1, keepdims=True) / m)
            if l > 1:
                dA_prev = bwd.add(f"dA[{l - 1}]", f"W[{l}]ᵀ dZ[{l}]", f"{_tex_t(f'W[{l}]')} {_tex(f'dZ[{l}]')}", W[l - 1].T @ dZ)
                dZ = _through(net.activations[l - 2], dA_prev, Z[l - 1], A[l - 1], l - 1, bwd, f"dA[{l - 1}]")
        grads_trace.append(grads)
        if full:
            sections.append(bwd)
            grad = np.empty(net.n_params)
            for l, (w, b) in enumerate(net.layer_slices(), start=1):
                grad[w], grad[b] = grads[f"dW{l}"].ravel(), grads[f"db{l}"].ravel()
            engine = net.backward_columns(cache, Yc, 1.0 / m)
            engine_difference = relative_difference(grad, engine)
            check = check_gradients(net, A0.T, Yc.T, eps)
            checks = Section("Checks of the gradient assembled from dW[l] and db[l] above", lines=[
                f"against the engine (Network.backward_columns): relative difference {engine_difference:.3e}",
                f"against finite differences (check_gradients, ε = {eps:g}): relative difference "
                f"{relative_difference(grad, check.numeric):.3e}, finite-difference error ≈ {check.error_estimate:.1e}",
                *(f"  layer {l} (dW[{l}], db[{l}]): relative difference {d:.3e}"
                  for l, d in enumerate(check.per_layer, start=1)),
            ])
            upd = Section(f"Update, step 1: gradient descent with α = {alpha:g}")
        for l in range(1, L + 1):
            net.weights[l - 1] -= alpha * grads[f"dW{l}"]
            net.biases[l - 1] -= alpha * grads[f"db{l}"]
            if full:
                upd.add(f"W[{l}]", f"W[{l}] − α dW[{l}]", rf"{_tex(f'W[{l}]')} - \alpha\, {_tex(f'dW[{l}]')}", net.weights[l - 1])
                upd.add(f"b[{l}]", f"b[{l}] − α db[{l}]", rf"{_tex(f'b[{l}]')} - \alpha\, {_tex(f'db[{l}]')}", net.biases[l - 1])
        if full:
            sections.append(upd)
    params_trace.append({**{f"W{l}": net.weights[l - 1].copy() for l in range(1, L + 1)},
                         **{f"b{l}": net.biases[l - 1].copy() for l in range(1, L + 1)}})
    costs.append(net.cost_columns(net.forward_columns(A0), Yc, 1.0 / m))
    shown = [k for k in range(steps) if steps <= 12 or k < 5 or k >= steps - 5]
    lines = [f"  before step {k + 1}: J = {_number(costs[k])}" for k in shown]
    if steps > 12:
        lines.insert(5, "  …")
    trace = Section(f"Cost J over {steps} step{'s' * (steps != 1)} (α = {alpha:g})",
                    lines=[*lines, f"  after step {steps}: J = {_number(costs[-1])}"])
    sections.append(trace)
    assert check is not None
    verdict = "PASS" if engine_difference < 1e-10 and check.passed else "FAIL"
    checks.lines.append(f"verdict: {verdict} (engine below 1e-10, finite differences within their error estimate)")
    sections.insert(sections.index(upd), checks)
    return Explanation(title, sections, params_trace, grads_trace, costs, alpha, engine_difference, check, precision)


def _number(value: float) -> str:
    return f"{value:.6f}" if abs(value) < 1e5 else f"{value:.6e}"


def _through(activation: Any, dA: np.ndarray, Z: np.ndarray, A: np.ndarray, l: int, out: Section, dA_text: str) -> np.ndarray:
    """dZ[l] = dA[l] ⊙ g'(Z[l]) (recorded), or the softmax Jacobian-vector product."""
    if activation.name == "softmax":
        return out.add(f"dZ[{l}]", f"A[{l}] ⊙ ({dA_text} − Σ_k A[{l}]_k ({dA_text})_k)",
                       rf"{_tex(f'A[{l}]')} \odot \left({_tex(dA_text)} - \sum_k {_tex(f'A[{l}]')}_k {_tex(dA_text)}_k\right)",
                       A * (dA - (A * dA).sum(axis=0, keepdims=True)),
                       "softmax couples its units: its Jacobian-vector product, not an element-wise g'")
    g_prime, text, tex = _derivative(activation, Z, A, l)
    out.add(f"g'(Z[{l}])", text, tex, g_prime)
    return out.add(f"dZ[{l}]", f"{dA_text} ⊙ g'(Z[{l}])", rf"{_tex(dA_text)} \odot g'({_tex(f'Z[{l}]')})", dA * g_prime)
