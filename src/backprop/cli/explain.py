"""``backprop explain``: one forward and one backward pass of a small network, equation by equation.

The forward pass is the engine's (``Network.forward_columns``); every backward equation is
then written out here in numpy on the arrays of the engine's cache, printed with its
shape and numbers, and the assembled gradient is checked against the engine's
``backward_columns`` and against finite differences (``check_gradients``).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..core.gradcheck import check_gradients, relative_difference
from ..core.validation import ValidationError, check_int, check_positive_float
from ..model import Network
from ._common import describe_network, make_parser, parse_hidden_layers
from ._data import data_names, label_codes, load_data
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop explain                                  # 2 -> 3 tanh -> 1 sigmoid, BCE, 4 flower examples
  backprop explain --layers 4,3 --activation relu --examples 3
  backprop explain --loss mse --output-activation sigmoid   # an output error that does not cancel
  backprop explain --data spirals --loss categorical_crossentropy --precision 6

data: a .csv/.tsv/.npz file, or one of: """

_FUSED_TEXT = {
    "binary_crossentropy": "sigmoid's g' = A(1 − A) cancels against dJ/dA = (1/m)(A − Y) / (A(1 − A))",
    "categorical_crossentropy": "softmax's Jacobian cancels against dJ/dA = −(1/m) Y / A",
    "mse": "identity's g' = 1, and dJ/dA = (1/m)(A − Y) for J = (1/2m) Σ ‖A − Y‖²",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "explain",
        help="print one backpropagation step equation by equation, with shapes and numbers, and check it",
        description="Build a small seeded network, run one forward pass with the engine, then print every "
        "backpropagation equation (dZ[L], dW[L], db[L], then dZ[l] = W[l+1]ᵀ dZ[l+1] ⊙ g'(Z[l]), dW[l], db[l] "
        "for each hidden layer) with its shape and its numbers, and check the gradient they assemble against "
        "the engine's backward pass and against finite differences.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    p.add_argument("--layers", default="3", help="hidden layer sizes, comma-separated (default 3)")
    p.add_argument("--activation", default="tanh", help="hidden activation(s), comma-separated (default tanh)")
    p.add_argument("--loss", default="binary_crossentropy", help="default binary_crossentropy")
    p.add_argument("--output-activation", help="default: the loss's canonical one (sigmoid, softmax, identity)")
    p.add_argument("--examples", type=int, default=4, help="m, the number of examples (default 4)")
    p.add_argument("--data", default="flower", help="where the examples come from (default flower)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and of the examples chosen (default 0)")
    p.add_argument("--precision", type=int, default=4, help="digits printed after the point (default 4)")
    p.add_argument("--eps", type=float, default=1e-7, help="finite-difference step ε (default 1e-7)")
    p.set_defaults(run=run)


class _Printer:
    def __init__(self, precision: int):
        self.precision = precision

    def section(self, title: str) -> None:
        print(f"\n{title}")

    def array(self, symbol: str, equation: str | None, value: np.ndarray, note: str | None = None) -> None:
        """``symbol = equation  shape (r, c)``, an optional note, then the numbers, indented."""
        head = symbol if equation is None else f"{symbol} = {equation}"
        print(f"{head}    shape {value.shape}")
        if note:
            print(f"  ({note})")
        value = value + 0.0  # print −0.0 as 0.0
        text = np.array2string(value, precision=self.precision, max_line_width=160, threshold=sys.maxsize,
                               separator=" ", sign=" ")
        print("\n".join("    " + line for line in text.splitlines()))


def _output_error(name: str, A: np.ndarray, Y: np.ndarray, m: int, loss, L: int) -> tuple[np.ndarray, str]:
    """dA[L] = dJ/dA[L] written out for the built-in losses (the engine's loss object otherwise)."""
    AL = f"A[{L}]"
    if name == "binary_crossentropy":
        return (A - Y) / (A * (1 - A)) / m, f"(1/m) ({AL} − Y) / ({AL} ⊙ (1 − {AL}))"
    if name == "categorical_crossentropy":
        return -Y / A / m, f"−(1/m) Y / {AL}"
    if name == "mse":
        return (A - Y) / m, f"(1/m)({AL} − Y)"
    if name == "mae":
        return np.sign(A - Y) / m, f"(1/m) sign({AL} − Y)"
    if name == "huber":
        delta = loss.delta
        return np.clip(A - Y, -delta, delta) / m, f"(1/m) clip({AL} − Y, −{delta:g}, {delta:g})"
    return loss.gradient(A, Y, 1.0 / m), f"dJ/dA[{L}] of {name} (from backprop.core.losses)"


def _derivative(activation, Z: np.ndarray, A: np.ndarray, l: int) -> tuple[np.ndarray, str]:
    """g'(Z[l]) written out for the element-wise activations, from what the forward pass cached."""
    name = activation.name
    if name == "tanh":
        return 1 - A**2, f"1 − A[{l}]²"
    if name == "sigmoid":
        return A * (1 - A), f"A[{l}] ⊙ (1 − A[{l}])"
    if name == "relu":
        return (Z > 0).astype(Z.dtype), f"1[Z[{l}] > 0]"
    if name == "identity":
        return np.ones_like(Z), "1"
    if name == "leaky_relu":
        return np.where(Z > 0, 1.0, activation.alpha), f"1 where Z[{l}] > 0, else {activation.alpha:g}"
    if name == "elu":
        return np.where(Z > 0, 1.0, A + activation.alpha), f"1 where Z[{l}] > 0, else A[{l}] + {activation.alpha:g}"
    if name == "softplus":
        return 1 / (1 + np.exp(-Z)), f"σ(Z[{l}])"
    return activation.derivative(Z, A), f"{name}'(Z[{l}]) (from backprop.core.activations)"


def _backward_through(activation, dA: np.ndarray, Z: np.ndarray, A: np.ndarray, l: int, out: _Printer,
                      dA_text: str) -> np.ndarray:
    """dZ[l] = dA[l] ⊙ g'(Z[l]) (printed), or the softmax Jacobian-vector product."""
    if activation.name == "softmax":
        dZ = A * (dA - (A * dA).sum(axis=0, keepdims=True))
        out.array(f"dZ[{l}]", f"A[{l}] ⊙ ({dA_text} − Σ_k A[{l}]_k ({dA_text})_k)", dZ,
                  "softmax couples its units: its Jacobian-vector product, not an element-wise g'")
        return dZ
    g_prime, formula = _derivative(activation, Z, A, l)
    out.array(f"g'(Z[{l}])", formula, g_prime)
    dZ = dA * g_prime
    out.array(f"dZ[{l}]", f"{dA_text} ⊙ g'(Z[{l}])", dZ)
    return dZ


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, data=("data",), positional=())
    m = check_int(args.examples, "--examples")
    precision = check_int(args.precision, "--precision", minimum=0)
    eps = check_positive_float(args.eps, "--eps")
    seed = check_int(args.seed, "--seed", minimum=0)
    hidden, acts = parse_hidden_layers(args.layers, args.activation)

    data = load_data(args.data)
    if data.y is None:
        raise ValidationError(f"--data: {data.name!r} has no target column")
    if m > data.X.shape[0]:
        raise ValidationError(f"--examples: {data.name!r} has {data.X.shape[0]} examples, received {m}")
    from ..core.losses import get_loss
    from ..core.tasks import output_layer, problem_of

    loss = get_loss(args.loss)
    if problem_of(loss, data.categorical) == "classification":
        if not data.categorical:
            raise ValidationError(f"--loss: {loss.name} needs class labels, {data.name!r} has a numeric target")
        codes = label_codes(data.y, data.classes)
        n_out, output, _ = output_layer(len(data.classes), loss, args.output_activation)
        targets = codes if n_out > 1 else codes.astype(np.float64)
    else:
        n_out, output, _ = output_layer(None, loss, args.output_activation)
        if data.categorical and output == "softmax":  # e.g. softmax + squared error: one-hot targets
            targets = label_codes(data.y, data.classes)
            n_out = len(data.classes)
        else:
            targets = (label_codes(data.y, data.classes) if data.categorical else data.y).astype(np.float64)
    net = Network([data.X.shape[1], *hidden, n_out], [*acts, output], loss, dtype=np.float64, seed=seed)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(data.X.shape[0], size=m, replace=False))
    X = data.X[rows]
    A0 = np.ascontiguousarray(X.T)
    Y = net.targets(targets[rows], m)  # (n_L, m), one-hot for softmax
    L = net.n_layers
    out = _Printer(precision)

    print("backprop explain: one forward and one backward pass, equation by equation")
    print(f"network {describe_network(net)}, loss {loss.name}, m = {m} examples of {data.name} (seed {seed})")
    print("Examples are columns, as in the course: A[0] = X has shape (n_0, m); W[l] is (n_l, n_{l-1}).")

    out.section("Parameters (initialised with the random seed)")
    for l in range(1, L + 1):
        out.array(f"W[{l}]", None, net.weights[l - 1])
        out.array(f"b[{l}]", None, net.biases[l - 1])

    out.section("Forward pass (the engine: Network.forward_columns; every array below is read from its cache)")
    cache = net.forward_columns(A0)
    out.array("A[0]", "X", cache.A[0])
    out.array("Y", None, Y)
    for l in range(1, L + 1):
        out.array(f"Z[{l}]", f"W[{l}] A[{l - 1}] + b[{l}]", cache.Z[l])
        out.array(f"A[{l}]", f"{net.activations[l - 1].name}(Z[{l}])", cache.A[l])
    cost = net.cost_columns(cache, Y, 1.0 / m)
    print(f"J = (1/m) Σ_i loss(A[{L}][:, i], Y[:, i]) = {cost:.{max(precision, 6)}g}")

    out.section("Backward pass, equation by equation (numpy on the cached arrays)")
    A, Z, W = cache.A, cache.Z, net.weights
    dW: list[np.ndarray] = [np.empty(0)] * (L + 1)
    db: list[np.ndarray] = [np.empty(0)] * (L + 1)
    if net.fused_output:
        dZ = (A[L] - Y) / m
        out.array(f"dZ[{L}]", f"(1/m)(A[{L}] − Y)", dZ,
                  f"fused, the cancelled form: {_FUSED_TEXT.get(loss.name, 'the canonical pair cancels')}")
    else:
        dA, formula = _output_error(loss.name, A[L], Y, m, loss, L)
        out.array(f"dA[{L}]", formula, dA, f"not fused: {output} is not the canonical output of {loss.name}")
        dZ = _backward_through(net.activations[L - 1], dA, Z[L], A[L], L, out, f"dA[{L}]")
    for l in range(L, 0, -1):
        dW[l] = dZ @ A[l - 1].T
        out.array(f"dW[{l}]", f"dZ[{l}] A[{l - 1}]ᵀ", dW[l])
        db[l] = dZ.sum(axis=1, keepdims=True)
        out.array(f"db[{l}]", f"Σ_i dZ[{l}][:, i]", db[l])
        if l > 1:
            dA_prev = W[l - 1].T @ dZ
            out.array(f"dA[{l - 1}]", f"W[{l}]ᵀ dZ[{l}]", dA_prev)
            dZ = _backward_through(net.activations[l - 2], dA_prev, Z[l - 1], A[l - 1], l - 1, out,
                                   f"W[{l}]ᵀ dZ[{l}]")

    grad = np.empty(net.n_params)
    for l, (w, b) in enumerate(net.layer_slices(), start=1):
        grad[w], grad[b] = dW[l].ravel(), db[l].ravel()

    out.section("Checks of the gradient assembled from dW[l] and db[l] above")
    engine = net.backward_columns(cache, Y, 1.0 / m)
    engine_difference = relative_difference(grad, engine)
    print(f"against the engine (Network.backward_columns): relative difference {engine_difference:.3e}")
    check = check_gradients(net, X, Y.T, eps)
    fd_difference = relative_difference(grad, check.numeric)
    print(f"against finite differences (check_gradients, ε = {eps:g}): relative difference {fd_difference:.3e}")
    for l, (w, b) in enumerate(net.layer_slices(), start=1):
        layer = relative_difference(np.concatenate([grad[w], grad[b]]), np.concatenate([check.numeric[w], check.numeric[b]]))
        print(f"  layer {l} (dW[{l}], db[{l}]): relative difference {layer:.3e}")
    passed = engine_difference < 1e-10 and fd_difference < check.tolerance
    verdict = "PASS" if passed else "FAIL"
    print(f"verdict: {verdict} (engine below 1e-10, finite differences below {check.tolerance:g})")
    return 0 if passed else 1
