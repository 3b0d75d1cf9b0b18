"""``check_backprop``: run a learner's backward pass against the equations and say what is wrong.

It recognises the functions of the deeplearning.ai Deep Learning Specialization by their
parameter names, builds the course's inputs for them (its cache layouts and dictionary keys)
on several seeded networks and shapes (m = 1 and a single hidden unit among them), runs the
learner's function and the reference equations (:mod:`backprop.reference`) on them, and
reports the first wrong array by its course name (``dW1``, ``db2``, ``dA0`` …): the element,
the expected and received numbers, the equation that produces it, and a diagnosis of the usual
mistakes (a missing or double 1/m, a transpose, ``keepdims`` lost, the wrong activation
derivative, an off-by-one layer or cache index, the caller's arrays changed in place …).

The diagnosis is found by running the same equations with each usual mistake put in on
purpose and seeing which one reproduces the learner's numbers.

Recognised signatures:

========================================================  ===========================================
``backward_propagation(parameters, cache, X, Y)``           course 1, week 3: 2 layers, tanh → sigmoid
``linear_backward(dZ, cache)``                              course 1, week 4: cache ``(A_prev, W, b)``
``linear_activation_backward(dA, cache, activation)``       course 1, week 4: cache ``((A_prev, W, b), Z)``
``L_model_backward(AL, Y, caches)``                         course 1, week 4: relu … relu → sigmoid
``backward_propagation_with_regularization(X, Y, cache, lambd)``  course 2, week 1: L2, 3 layers
``backward_propagation_with_dropout(X, Y, cache, keep_prob)``     course 2, week 1: dropout, 3 layers
========================================================  ===========================================
"""

from __future__ import annotations

import copy
import html
import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import reference as ref
from .core.validation import InputTypeError, ValidationError, describe

__all__ = ["check_backprop", "BackpropCheck", "SIGNATURES"]

SIGNATURES: dict[tuple[str, ...], str] = {
    ("parameters", "cache", "X", "Y"): "backward_propagation",
    ("dZ", "cache"): "linear_backward",
    ("dA", "cache", "activation"): "linear_activation_backward",
    ("AL", "Y", "caches"): "L_model_backward",
    ("X", "Y", "cache", "lambd"): "backward_propagation_with_regularization",
    ("X", "Y", "cache", "keep_prob"): "backward_propagation_with_dropout",
}
_WHERE = {
    "backward_propagation": "course 1, week 3 (2-layer network, tanh → sigmoid)",
    "linear_backward": "course 1, week 4 (the linear part of one layer)",
    "linear_activation_backward": "course 1, week 4 (one layer, relu or sigmoid)",
    "L_model_backward": "course 1, week 4 (L layers, relu … relu → sigmoid)",
    "backward_propagation_with_regularization": "course 2, week 1 (L2 regularisation, relu → relu → sigmoid)",
    "backward_propagation_with_dropout": "course 2, week 1 (dropout, relu → relu → sigmoid)",
}

# --------------------------------------------------------------------------- the equations, with mistakes on purpose

_DERIVATIVES = {  # activation: right g'(Z, A)
    "tanh": lambda Z, A: 1 - A**2,
    "sigmoid": lambda Z, A: A * (1 - A),
    "relu": lambda Z, A: (Z > 0) * 1.0,
}
_WRONG_DERIVATIVES = {  # activation: [(what the learner wrote, g'(Z, A))]
    "tanh": [("1 − A instead of 1 − A²", lambda Z, A: 1 - A), ("1 − Z² instead of 1 − A²", lambda Z, A: 1 - Z**2),
             ("A(1 − A), sigmoid's derivative, instead of tanh's 1 − A²", lambda Z, A: A * (1 - A)),
             ("no derivative at all (dZ = dA)", lambda Z, A: np.ones_like(Z))],
    "sigmoid": [("1 − A instead of A(1 − A)", lambda Z, A: 1 - A),
                ("σ(A)(1 − σ(A)), the sigmoid applied twice, instead of σ(Z)(1 − σ(Z))",
                 lambda Z, A: ref.sigmoid(A) * (1 - ref.sigmoid(A))),
                ("1 − A², tanh's derivative, instead of A(1 − A)", lambda Z, A: 1 - A**2),
                ("no derivative at all (dZ = dA)", lambda Z, A: np.ones_like(Z))],
    "relu": [("no derivative at all (dZ = dA), or 1[A ≥ 0] which is 1 everywhere", lambda Z, A: np.ones_like(Z)),
             ("Z or relu(Z) instead of the step 1[Z > 0]", lambda Z, A: np.maximum(Z, 0)),
             ("sigmoid's derivative instead of relu's", lambda Z, A: A * (1 - A))],
}

_EQUATIONS = {  # course name pattern: (text, LaTeX); {l} the layer, {p} the layer below
    "dZL": ("dZ{l} = A{l} − Y", r"dZ^{[{l}]} = A^{[{l}]} - Y"),
    "dZ": ("dZ{l} = dA{l} ⊙ g'(Z{l})", r"dZ^{[{l}]} = dA^{[{l}]} \odot g'(Z^{[{l}]})"),
    "dW": ("dW{l} = (1/m) dZ{l} A{p}ᵀ", r"dW^{[{l}]} = \frac{1}{m}\, dZ^{[{l}]} A^{[{p}]T}"),
    "dWreg": ("dW{l} = (1/m) dZ{l} A{p}ᵀ + (λ/m) W{l}", r"dW^{[{l}]} = \frac{1}{m}\, dZ^{[{l}]} A^{[{p}]T} + \frac{\lambda}{m} W^{[{l}]}"),
    "db": ("db{l} = (1/m) Σ_i dZ{l}[:, i]  (np.sum(dZ, axis=1, keepdims=True) / m)",
           r"db^{[{l}]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[{l}](i)}"),
    "dA": ("dA{p} = W{l}ᵀ dZ{l}", r"dA^{[{p}]} = W^{[{l}]T} dZ^{[{l}]}"),
    "dAdrop": ("dA{p} = D{p} ⊙ W{l}ᵀ dZ{l} / keep_prob", r"dA^{[{p}]} = D^{[{p}]} \odot W^{[{l}]T} dZ^{[{l}]} / \mathrm{keep\_prob}"),
    "dAL": ("dA{l} = −(Y / A{l} − (1 − Y) / (1 − A{l}))", r"dA^{[{l}]} = -\left(\frac{Y}{A^{[{l}]}} - \frac{1 - Y}{1 - A^{[{l}]}}\right)"),
}


@dataclass
class _Layer:
    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    A: np.ndarray
    activation: str
    mask: np.ndarray | None = None  # dropout mask D of this layer's output


def _backward(layers: list[_Layer], start: np.ndarray, *, start_is_dZ: bool, lambd: float = 0.0,
              keep_prob: float = 1.0, mistake: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """The course's backward pass from dZ[L] (or dA[L]), with an optional mistake put in.

    Returns {"dZ3": …, "dW3": …, "db3": …, "dA2": …, …} in the order it computes them.
    """
    mk = mistake or {}
    L = len(layers)
    m = layers[0].A_prev.shape[1]
    inv_m = {"missing": 1.0, "twice": 1.0 / m**2}.get(mk.get("one_over_m"), 1.0 / m)
    out: dict[str, np.ndarray] = {}
    dA = None
    for l in range(L, 0, -1):
        shift = mk.get("cache_shift", 0)
        layer = layers[l - 1]
        use = layers[l - 1 + shift] if 0 <= l - 1 + shift < L and shift else layer
        if l == L and start_is_dZ:
            dZ = start
        else:
            if l == L:
                dA = start
            g_prime = mk.get("derivative", {}).get(layer.activation, _DERIVATIVES[layer.activation])
            dZ = dA * g_prime(use.Z, use.A)
        out[f"dZ{l}"] = dZ
        A_prev = layers[l - 2].Z if mk.get("Z_for_A") and l > 1 else use.A_prev
        dW = inv_m * (A_prev @ dZ.T if mk.get("transpose_dW") else dZ @ A_prev.T)
        if lambd and not mk.get("no_l2"):
            dW = dW + mk.get("l2_factor", 1.0) * lambd / m * use.W
        out[f"dW{l}"] = dW
        out[f"db{l}"] = inv_m * (np.sum(dZ, axis=1) if mk.get("keepdims_lost") else np.sum(dZ, axis=1, keepdims=True))
        dA = use.W.T @ dZ
        if l > 1 and layers[l - 2].mask is not None:
            if not mk.get("no_mask"):
                dA = dA * layers[l - 2].mask
            if not mk.get("no_keep_prob"):
                dA = dA / keep_prob
        out[f"dA{l - 1}"] = dA
    return out


def _mistakes(activations: list[str], *, l2: bool = False, dropout: bool = False, dAL: bool = False) -> list[tuple[str, dict]]:
    """The usual mistakes, each as (its description, the knob that puts it in)."""
    found = [
        ("the factor 1/m is missing (dW = dZ A_prevᵀ and db = Σ dZ without dividing by m)", {"one_over_m": "missing"}),
        ("1/m is applied twice (divided by m², e.g. 1/m in dZ and again in dW and db)", {"one_over_m": "twice"}),
        ("keepdims lost: np.sum(dZ, axis=1) without keepdims=True gives db the shape (n,) instead of (n, 1)",
         {"keepdims_lost": True}),
        ("a transpose: np.dot(A_prev, dZ.T) gives dWᵀ; the equation is dW = (1/m) np.dot(dZ, A_prev.T)",
         {"transpose_dW": True}),
        ("an off-by-one layer or cache index: layer l read the cache of layer l + 1", {"cache_shift": 1}),
        ("an off-by-one layer or cache index: layer l read the cache of layer l − 1", {"cache_shift": -1}),
        ("Z of the layer below used where the equation has its activation A (dW = dZ Zᵀ instead of dZ Aᵀ)",
         {"Z_for_A": True}),
    ]
    for act in dict.fromkeys(activations):
        for text, g in _WRONG_DERIVATIVES.get(act, []):
            found.append((f"the wrong {act} derivative: {text}", {"derivative": {act: g}}))
    if l2:
        found += [("the L2 term (λ/m) W is missing from dW", {"no_l2": True}),
                  ("the L2 term is (λ/2m) W; its derivative is (λ/m) W (the ½ cancels the square)", {"l2_factor": 0.5}),
                  ("the L2 term is λ W (λ/m·m): the /m is missing from it", {"l2_factor": float("nan")})]
    if dropout:
        found += [("the dropout mask D is not applied to dA in the backward pass", {"no_mask": True}),
                  ("dA is not divided by keep_prob after the mask (inverted dropout scales both ways)", {"no_keep_prob": True})]
    if dAL:
        found += [("the sign of dAL: dAL = −(Y/AL − (1 − Y)/(1 − AL)), with the minus", {"dAL": "sign"}),
                  ("dAL = AL − Y is dZ[L] (after the sigmoid), not dA[L]", {"dAL": "dZ"})]
    return found


# --------------------------------------------------------------------------- the course's inputs, per signature


def _net(rng: np.random.Generator, sizes: list[int], activations: list[str], m: int, keep_prob: float | None = None):
    """Random parameters, X (n_0, m), Y (1, m) of 0/1, and the layers' forward values."""
    X = rng.normal(size=(sizes[0], m))
    Y = (rng.random((sizes[-1], m)) > 0.5).astype(float)
    layers, A = [], X
    for l in range(1, len(sizes)):
        W = rng.normal(scale=0.9, size=(sizes[l], sizes[l - 1]))
        b = rng.normal(scale=0.3, size=(sizes[l], 1))
        Z = W @ A + b
        A_new = ref.ACTIVATIONS[activations[l - 1]][0](Z)
        mask = None
        if keep_prob is not None and l < len(sizes) - 1:
            mask = (rng.random(A_new.shape) < keep_prob).astype(float)
            if m * sizes[l] > 1:
                mask.flat[0], mask.flat[-1] = 1.0, 0.0  # at least one kept and one dropped unit
            A_new = A_new * mask / keep_prob
        layers.append(_Layer(A, W, b, Z, A_new, activations[l - 1], mask))
        A = A_new
    return X, Y, layers


@dataclass
class _Case:
    description: str
    args: tuple
    expected: dict[str, np.ndarray]  # course names, in the order the equations compute them
    convert: Callable[[Any], dict[str, np.ndarray]]  # the learner's return value -> course names
    redo: Callable[[dict], dict[str, np.ndarray]]  # the expected arrays with a mistake put in
    equations: dict[str, tuple[str, str]]
    mistakes: list[tuple[str, dict]]


def _eq(kind: str, l: int) -> tuple[str, str]:
    text, tex = _EQUATIONS[kind]
    return text.replace("{l}", str(l)).replace("{p}", str(l - 1)), tex.replace("{l}", str(l)).replace("{p}", str(l - 1))


def _dict_result(keys: list[str]) -> Callable[[Any], dict[str, np.ndarray]]:
    def convert(result: Any) -> dict[str, np.ndarray]:
        if not isinstance(result, dict):
            raise _Wrong(f"expected a dict with keys {keys}, received {describe(result)}")
        return result
    return convert


def _tuple_result(names: list[str]) -> Callable[[Any], dict[str, np.ndarray]]:
    def convert(result: Any) -> dict[str, np.ndarray]:
        if not isinstance(result, (tuple, list)) or len(result) != len(names):
            raise _Wrong(f"expected a tuple ({', '.join(names)}), received {describe(result)}")
        return dict(zip(names, result))
    return convert


class _Wrong(Exception):
    """The learner's function returned something of the wrong kind."""


def _from_reference(X: np.ndarray, Y: np.ndarray, layers: list[_Layer], keys, lambd: float = 0.0) -> dict[str, np.ndarray]:
    """The expected arrays from :mod:`backprop.reference` (plus (λ/m) W with L2), in the order of ``keys``.

    ``dZ<l>`` is recovered from ``db`` and ``dW``'s layer as the reference computes it in
    linear_activation_backward; ``dA<l>`` are the reference's own.
    """
    m = X.shape[1]
    acts = [layer.activation for layer in layers]
    parameters = {}
    for l, layer in enumerate(layers, start=1):
        parameters[f"W{l}"], parameters[f"b{l}"] = layer.W, layer.b
    AL, caches = ref.L_model_forward(X, parameters, acts)
    grads = ref.L_model_backward(AL, Y, caches, acts)
    out = {}
    for key in keys:
        if key.startswith("dZ"):  # dZ[l] = dA[l] ⊙ g'(Z[l]), with dA[L] the loss's derivative
            l = int(key[2:])
            dA = grads[f"dA{l}"] if l < len(layers) else ref.LOSSES["binary_crossentropy"][1](AL, Y)
            out[key] = dA * ref.ACTIVATIONS[acts[l - 1]][1](caches[l - 1][1])
        elif key.startswith("dW") and lambd:
            out[key] = grads[key] + lambd / m * parameters["W" + key[2:]]
        else:
            out[key] = grads[key]
    return out


def _cases_backward_propagation(rng):
    for n_x, n_h, m in ((2, 4, 7), (3, 1, 5), (2, 4, 1), (5, 3, 4)):
        X, Y, layers = _net(rng, [n_x, n_h, 1], ["tanh", "sigmoid"], m)
        l1, l2 = layers
        parameters = {"W1": l1.W, "b1": l1.b, "W2": l2.W, "b2": l2.b}
        cache = {"Z1": l1.Z, "A1": l1.A, "Z2": l2.Z, "A2": l2.A}

        def redo(mistake, layers=layers, Y=Y):
            out = _backward(layers, layers[-1].A - Y, start_is_dZ=True, mistake=mistake)
            return {k: out[k] for k in ("dW2", "db2", "dW1", "db1")}

        eqs = {"dW2": _eq("dW", 2), "db2": _eq("db", 2), "dW1": _eq("dW", 1), "db1": _eq("db", 1)}
        eqs["dW1"] = ("dW1 = (1/m) dZ1 Xᵀ, with dZ1 = W2ᵀ dZ2 ⊙ (1 − A1²) and dZ2 = A2 − Y",
                      r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T,\quad dZ^{[1]} = W^{[2]T} dZ^{[2]} \odot (1 - (A^{[1]})^2)")
        expected = _from_reference(X, Y, layers, ("dW2", "db2", "dW1", "db1"))
        yield _Case(f"n_x={n_x}, n_h={n_h}, m={m}", (parameters, cache, X, Y), expected,
                    _dict_result(["dW1", "db1", "dW2", "db2"]), redo, eqs, _mistakes(["tanh"]))


def _cases_linear_backward(rng):
    for n_prev, n, m in ((3, 4, 5), (5, 1, 3), (4, 2, 1)):
        A_prev, W, b = rng.normal(size=(n_prev, m)), rng.normal(size=(n, n_prev)), rng.normal(size=(n, 1))
        dZ = rng.normal(size=(n, m))
        layer = _Layer(A_prev, W, b, W @ A_prev + b, W @ A_prev + b, "relu")

        def redo(mistake, layer=layer, dZ=dZ):
            out = _backward([layer], dZ, start_is_dZ=True, mistake=mistake)
            return {"dW": out["dW1"], "db": out["db1"], "dA_prev": out["dA0"]}

        eqs = {"dW": ("dW = (1/m) dZ A_prevᵀ", r"dW = \frac{1}{m}\, dZ\, A_{prev}^T"),
               "db": ("db = (1/m) Σ_i dZ[:, i]  (np.sum(dZ, axis=1, keepdims=True) / m)", r"db = \frac{1}{m} \sum_{i=1}^{m} dZ^{(i)}"),
               "dA_prev": ("dA_prev = Wᵀ dZ", r"dA_{prev} = W^T dZ")}
        dA_prev, dW, db = ref.linear_backward(dZ, (A_prev, W, b))
        yield _Case(f"A_prev ({n_prev}, {m}), W ({n}, {n_prev})", (dZ, (A_prev, W, b)),
                    {"dW": dW, "db": db, "dA_prev": dA_prev},
                    _tuple_result(["dA_prev", "dW", "db"]), redo, eqs, _mistakes([])[:4])


def _cases_linear_activation_backward(rng):
    for activation, (n_prev, n, m) in (("relu", (3, 4, 5)), ("sigmoid", (4, 3, 6)), ("relu", (2, 1, 1)), ("sigmoid", (3, 1, 2))):
        A_prev, W, b = rng.normal(size=(n_prev, m)), rng.normal(size=(n, n_prev)), rng.normal(size=(n, 1))
        Z = W @ A_prev + b
        layer = _Layer(A_prev, W, b, Z, ref.ACTIVATIONS[activation][0](Z), activation)
        dA = rng.normal(size=(n, m))

        def redo(mistake, layer=layer, dA=dA):
            out = _backward([layer], dA, start_is_dZ=False, mistake=mistake)
            return {"dW": out["dW1"], "db": out["db1"], "dA_prev": out["dA0"]}

        g = "1[Z > 0]" if activation == "relu" else "σ(Z)(1 − σ(Z))"
        eqs = {"dW": (f"dW = (1/m) dZ A_prevᵀ, with dZ = dA ⊙ {g}", r"dW = \frac{1}{m}\, dZ\, A_{prev}^T,\quad dZ = dA \odot g'(Z)"),
               "db": (f"db = (1/m) Σ_i dZ[:, i], with dZ = dA ⊙ {g}", r"db = \frac{1}{m} \sum_{i=1}^{m} dZ^{(i)}"),
               "dA_prev": (f"dA_prev = Wᵀ dZ, with dZ = dA ⊙ {g}", r"dA_{prev} = W^T dZ")}
        dA_prev, dW, db = ref.linear_activation_backward(dA, ((A_prev, W, b), Z), activation)
        yield _Case(f"activation={activation!r}, A_prev ({n_prev}, {m}), W ({n}, {n_prev})",
                    (dA, ((A_prev, W, b), Z), activation), {"dW": dW, "db": db, "dA_prev": dA_prev}, _tuple_result(["dA_prev", "dW", "db"]), redo, eqs,
                    _mistakes([activation])[:4] + _mistakes([activation])[7:])


def _cases_L_model_backward(rng):
    # the last case has equal sizes everywhere, so a layer that reads its neighbour's cache runs without an error
    for sizes, m in (([3, 4, 4, 1], 5), ([5, 4, 3, 3, 1], 6), ([2, 1, 1], 3), ([4, 3, 3, 1], 1), ([3, 3, 3, 3], 4)):
        L = len(sizes) - 1
        acts = ["relu"] * (L - 1) + ["sigmoid"]
        X, Y, layers = _net(rng, sizes, acts, m)
        caches = [((la.A_prev, la.W, la.b), la.Z) for la in layers]
        AL = layers[-1].A

        def redo(mistake, layers=layers, Y=Y, AL=AL, L=L):
            dAL = -(Y / AL - (1 - Y) / (1 - AL))
            if mistake.get("dAL") == "sign":
                dAL = -dAL
            elif mistake.get("dAL") == "dZ":
                dAL = AL - Y
            out = _backward(layers, dAL, start_is_dZ=False, mistake=mistake)
            names = [n for l in range(L, 0, -1) for n in (f"dA{l - 1}", f"dW{l}", f"db{l}")]
            return {n: out[n] for n in names}

        eqs = {}
        for l in range(L, 0, -1):
            eqs[f"dA{l - 1}"] = _eq("dA", l)
            eqs[f"dW{l}"], eqs[f"db{l}"] = _eq("dW", l), _eq("db", l)
        keys = [n for l in range(L, 0, -1) for n in (f"dA{l - 1}", f"dW{l}", f"db{l}")]
        grads = ref.L_model_backward(AL, Y, caches)
        yield _Case(f"layer_dims={sizes}, m={m}", (AL, Y, caches), {k: grads[k] for k in keys}, _dict_result(keys),
                    redo, eqs,
                    _mistakes(acts, dAL=True))


def _three_layer_cases(rng, variant: str):
    for sizes, m in (([3, 5, 4, 1], 6), ([2, 3, 1, 1], 4), ([4, 2, 3, 1], 1)):
        keep_prob = 0.7 if variant == "dropout" else None
        lambd = 0.7 if variant == "l2" else 0.0
        X, Y, layers = _net(rng, sizes, ["relu", "relu", "sigmoid"], m, keep_prob)
        l1, l2, l3 = layers
        if variant == "dropout":
            cache = (l1.Z, l1.mask, l1.A, l1.W, l1.b, l2.Z, l2.mask, l2.A, l2.W, l2.b, l3.Z, l3.A, l3.W, l3.b)
            args = (X, Y, cache, keep_prob)
        else:
            cache = (l1.Z, l1.A, l1.W, l1.b, l2.Z, l2.A, l2.W, l2.b, l3.Z, l3.A, l3.W, l3.b)
            args = (X, Y, cache, lambd)
        keys = ["dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"]

        def redo(mistake, layers=layers, Y=Y, lambd=lambd, keep_prob=keep_prob or 1.0, keys=keys):
            mistake = dict(mistake)
            if mistake.get("l2_factor") != mistake.get("l2_factor"):  # nan: λ W without the /m
                mistake["l2_factor"] = layers[0].A_prev.shape[1]
            out = _backward(layers, layers[-1].A - Y, start_is_dZ=True, lambd=lambd, keep_prob=keep_prob, mistake=mistake)
            return {k: out[k] for k in keys}

        eqs = {"dZ3": _eq("dZL", 3)}
        for l in (3, 2, 1):
            eqs[f"dW{l}"] = _eq("dWreg" if lambd else "dW", l)
            eqs[f"db{l}"] = _eq("db", l)
            if l < 3:
                eqs[f"dZ{l}"] = ("dZ{0} = dA{0} ⊙ 1[A{0} > 0]".format(l), rf"dZ^{{[{l}]}} = dA^{{[{l}]}} \odot \mathbb{{1}}[A^{{[{l}]}} > 0]")
                eqs[f"dA{l}"] = _eq("dAdrop" if keep_prob else "dA", l + 1)
        what = f"keep_prob={keep_prob}" if keep_prob else f"lambd={lambd}"
        # L2: the reference's gradients plus (λ/m) W; dropout's masks are not in the reference
        expected = redo({}) if keep_prob else _from_reference(X, Y, layers, keys, lambd)
        yield _Case(f"layer_dims={sizes}, m={m}, {what}", args, expected, _dict_result(keys), redo, eqs,
                    _mistakes(["relu"], l2=bool(lambd), dropout=bool(keep_prob)))


_CASES = {
    "backward_propagation": _cases_backward_propagation,
    "linear_backward": _cases_linear_backward,
    "linear_activation_backward": _cases_linear_activation_backward,
    "L_model_backward": _cases_L_model_backward,
    "backward_propagation_with_regularization": lambda rng: _three_layer_cases(rng, "l2"),
    "backward_propagation_with_dropout": lambda rng: _three_layer_cases(rng, "dropout"),
}

# --------------------------------------------------------------------------- the report


@dataclass(repr=False)
class BackpropCheck:
    """What :func:`check_backprop` found.

    ``passed``: every array of every case right (and no input changed). Otherwise ``name``
    (the first wrong array's course name, e.g. "dW1"), ``case`` (the network and shapes),
    ``index``, ``expected`` and ``received`` (that element's numbers, or the shapes),
    ``equation`` (text) and ``latex``, ``diagnosis`` (the usual mistake that reproduces the
    learner's numbers, when one does), ``in_place`` (inputs the function changed) and
    ``error`` (an exception the function raised).
    """

    function: str
    signature: str
    cases: list[str]
    passed: bool
    name: str | None = None
    case: str | None = None
    index: tuple[int, ...] | None = None
    expected: Any = None
    received: Any = None
    equation: str | None = None
    latex: str | None = None
    diagnosis: str | None = None
    in_place: list[str] = field(default_factory=list)
    error: str | None = None

    def _lines(self) -> list[str]:
        args = next(a for a, n in SIGNATURES.items() if n == self.signature)
        head = f"check_backprop: {self.function} as {self.signature}({', '.join(args)}), {_WHERE[self.signature]}"
        lines = [head, f"cases: {'; '.join(self.cases)}"]
        if self.passed:
            lines.append(f"PASS: every array equals the equations on all {len(self.cases)} cases (no input changed)")
            return lines
        lines.append("FAIL")
        if self.error:
            lines.append(f"  the function raised on case {self.case}: {self.error}")
        if self.name:
            lines.append(f"  first wrong array: {self.name}  (case {self.case})")
            if self.index is not None:
                lines.append(f"  at {self.name}[{', '.join(map(str, self.index))}]: expected {self.expected:.10g}, "
                             f"received {self.received:.10g}")
            elif self.expected is not None:
                lines.append(f"  expected {self.expected}, received {self.received}")
            if self.equation:
                lines.append(f"  equation: {self.equation}")
        if self.in_place:
            lines.append(f"  changed the caller's {', '.join(self.in_place)} in place: work on copies (dZ = dA * …, "
                         "not dA *= …), the caller still needs them")
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        elif self.name and not self.error:
            lines.append("  diagnosis: none of the usual mistakes reproduces these numbers; compare the line that "
                         "computes it with the equation above")
        return lines

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        if self.passed:
            return f"<BackpropCheck {self.function}: PASS on {len(self.cases)} cases>"
        if self.name:
            where = f"first wrong array {self.name}"
        elif self.error:
            where = self.error.split(" (line")[0][:100]
        else:
            where = f"changed {', '.join(self.in_place)} in place"
        return f"<BackpropCheck {self.function}: FAIL, {where}{f'; {self.diagnosis}' if self.diagnosis else ''}>"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#cf222e"
        lines = self._lines()
        parts = [f"<div style='font-size:13px'><b>{html.escape(lines[0])}</b><br>",
                 f"<span style='color:#555'>{html.escape(lines[1])}</span><br>",
                 f"<b style='color:{colour}'>{'PASS' if self.passed else 'FAIL'}</b>"]
        if self.latex:
            parts.append(f"<div>the equation: \\({html.escape(self.latex)}\\)</div>")
        parts.append("<pre style='font-size:12px'>" + html.escape("\n".join(lines[3:] if not self.passed else lines[2:])) + "</pre></div>")
        return "".join(parts)


# --------------------------------------------------------------------------- the check


def _recognise(fn: Callable) -> str:
    try:
        names = tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        raise InputTypeError(f"fn: expected a Python function, received {describe(fn)}") from None
    if names in SIGNATURES:
        return SIGNATURES[names]
    known = "; ".join(f"{name}({', '.join(args)})" for args, name in SIGNATURES.items())
    raise ValidationError(f"fn: {getattr(fn, '__name__', 'the function')}({', '.join(names)}) has none of the course's "
                          f"signatures (recognised by their parameter names): {known}")


def _snapshot(value: Any) -> Any:
    return copy.deepcopy(value)


def _changed(before: Any, after: Any, path: str) -> list[str]:
    """Paths of the arrays in ``after`` that differ from ``before``."""
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after)
        return [] if same else [path]
    if isinstance(before, dict):
        return [p for k in before for p in _changed(before[k], after.get(k) if isinstance(after, dict) else None, f"{path}[{k!r}]")]
    if isinstance(before, (tuple, list)):
        return [p for i, v in enumerate(before) for p in _changed(v, after[i] if len(after) > i else None, f"{path}[{i}]")]
    return []


def _compare(expected: dict[str, np.ndarray], received: dict[str, Any]) -> tuple[str, str, Any, Any, Any] | None:
    """The first wrong array in computing order: (name, kind, index, expected, received), or None."""
    for name in expected:
        if name not in received:
            return name, "missing", None, f"a key {name!r}", f"the keys {sorted(map(str, received))}"
    for name, want in expected.items():
        got = received[name]
        try:
            got_array = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return name, "type", None, f"an array of shape {want.shape}", describe(got)
        if got_array.shape != want.shape:
            return name, "shape", None, f"shape {want.shape}", f"shape {got_array.shape}"
        bad = ~np.isclose(got_array, want, rtol=1e-7, atol=1e-10)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            return name, "value", index, float(want[index]), float(got_array[index])
    return None


def _same(a: Any, b: np.ndarray) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def _diagnose(case: _Case, received: dict[str, Any], first: str) -> str | None:
    """The usual mistake whose numbers equal the learner's first wrong array (the most arrays, on ties)."""
    best, best_score = None, 0
    for text, knob in case.mistakes:
        try:
            with np.errstate(all="ignore"):
                wrong = case.redo(knob)
        except (ValueError, IndexError):  # the mistake cannot even be made on these shapes
            continue
        if first not in wrong or first not in received or not _same(received[first], wrong[first]):
            continue
        score = sum(_same(received[k], wrong[k]) for k in wrong if k in received)
        if score > best_score:
            best, best_score = text, score
    if best is not None:
        return best
    want = case.expected[first]
    got = received.get(first)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if got.shape == want.shape[:1] and want.ndim == 2 and want.shape[1] == 1:
        return "keepdims lost: np.sum(dZ, axis=1) without keepdims=True gives the shape (n,) instead of (n, 1)"
    if got.ndim == 0 and want.size > 1:
        return "summed over every axis: np.sum(dZ) without axis=1 (and keepdims=True)"
    if want.ndim == 2 and got.shape == want.T.shape and want.shape != want.T.shape:
        return f"a transpose: received the shape of {first}ᵀ"
    if got.shape == want.shape and np.any(want):
        ratio = float(np.vdot(got, want) / np.vdot(want, want))
        if np.allclose(got, ratio * want, rtol=1e-6, atol=1e-12):
            return (f"{first} is the right array times {ratio:.6g}: " +
                    ("the sign is flipped" if np.isclose(ratio, -1) else "a constant factor is wrong (a 1/m, a ½, a 2?)"))
    return None


def check_backprop(fn: Callable, *, seed: int = 0) -> BackpropCheck:
    """Check a learner's backward-pass function against the equations; see the module notes.

    ``fn`` is recognised by its parameter names (``backward_propagation(parameters, cache, X,
    Y)``, ``linear_backward(dZ, cache)``, ``linear_activation_backward(dA, cache, activation)``,
    ``L_model_backward(AL, Y, caches)``, and the course-2 L2 and dropout variants). It is run on
    several seeded cases (including m = 1 and a single hidden unit) in the course's layouts.
    Returns a :class:`BackpropCheck`: ``.passed``, the first wrong array by its course name, the
    element, expected and received numbers, the equation, and a diagnosis. Prints as text and
    renders in a notebook.
    """
    if not callable(fn):
        raise InputTypeError(f"fn: expected a function such as backward_propagation, received {describe(fn)}")
    signature = _recognise(fn)
    function = getattr(fn, "__name__", signature)
    rng = np.random.default_rng(seed)
    cases = list(_CASES[signature](rng))
    descriptions = [c.description for c in cases]
    first: BackpropCheck | None = None
    for case in cases:
        report = _run_case(fn, function, signature, descriptions, case)
        if report is None:
            continue
        if first is None:
            first = report
        if first.error and not report.error and report.diagnosis:  # a later case shows what the error came from
            first.diagnosis = f"{report.diagnosis} (seen on case {report.case}, where the function ran)"
            break
        if not first.error:
            break
    return first or BackpropCheck(function, signature, descriptions, True)


def _learner_lines(exc: BaseException) -> str:
    """The traceback's lines from the learner's code down (not this module's)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return " → ".join(f"line {f.lineno}: {f.line}" for f in frames[-3:])


def _run_case(fn: Callable, function: str, signature: str, descriptions: list[str], case: _Case) -> BackpropCheck | None:
    """None when the case passes, else the report of what is wrong in it."""
    before = _snapshot(case.args)
    args = _snapshot(before)  # the learner's own copy, watched for changes
    try:
        with np.errstate(all="ignore"):
            result = fn(*args)
    except Exception as exc:  # noqa: BLE001 - the learner's error is the report
        return BackpropCheck(function, signature, descriptions, False, case=case.description,
                             error=f"{type(exc).__name__}: {exc} ({_learner_lines(exc)})")
    in_place = [p.replace("args", "", 1) for p in _changed(before, args, "args")]
    in_place = [_arg_name(signature, p) for p in in_place]
    try:
        received = case.convert(result)
    except _Wrong as exc:
        return BackpropCheck(function, signature, descriptions, False, case=case.description, error=str(exc),
                             in_place=in_place)
    wrong = _compare(case.expected, received)
    if wrong is None and not in_place:
        return None
    report = BackpropCheck(function, signature, descriptions, False, case=case.description, in_place=in_place)
    if wrong is not None:
        name, kind, index, expected, got = wrong
        report.name, report.index, report.expected, report.received = name, index, expected, got
        report.equation, report.latex = case.equations.get(name, (None, None))
        if kind in ("shape", "value"):
            report.diagnosis = _diagnose(case, received, name)
        elif kind == "missing":
            report.diagnosis = _missing_key(name, list(case.expected), received)
    return report


def _missing_key(name: str, keys: list[str], received: dict) -> str:
    """A missing key, and whether the received keys are the right ones shifted by one layer."""
    prefix = name.rstrip("0123456789")
    want = sorted(int(k[len(prefix):]) for k in keys if k.rstrip("0123456789") == prefix)
    got = sorted(int(k[len(prefix):]) for k in map(str, received)
                 if k.rstrip("0123456789") == prefix and k[len(prefix):].isdigit())
    for shift in (1, -1):
        if got and got == [i + shift for i in want]:
            return (f"an off-by-one layer index in the keys: received {prefix}{got[0]} … {prefix}{got[-1]}, the course's "
                    f"are {prefix}{want[0]} … {prefix}{want[-1]} (grads[\"dA\" + str(l - 1)] for layer l)")
    return f"the returned dict has no {name!r}: the course's keys are {keys}, received {sorted(map(str, received))}"


def _arg_name(signature: str, path: str) -> str:
    """``[1]['A1']`` → ``cache['A1']`` using the signature's parameter names."""
    names = next(args for args, name in SIGNATURES.items() if name == signature)
    position = int(path[1:path.index("]")])
    return names[position] + path[path.index("]") + 1:]
