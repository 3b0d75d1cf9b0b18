"""The cases behind :func:`backprop.check.check_backprop`: the course's inputs for each recognised
signature, the expected arrays (from :mod:`backprop.reference`), and the usual mistakes put in
on purpose so that a learner's wrong numbers can be recognised.

Private: :mod:`backprop.check` is the public face.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import reference as ref
from .core.validation import describe

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
