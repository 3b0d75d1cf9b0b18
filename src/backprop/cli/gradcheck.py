"""``backprop gradcheck``: backpropagation against finite differences, layer by layer."""

from __future__ import annotations

import argparse

import numpy as np

from .. import io as model_io
from ..core.gradcheck import check_gradients
from ..core.tasks import loss_name, output_layer, problem_of
from ..core.validation import (
    ValidationError,
    check_int,
    check_nonnegative_float,
    check_positive_float,
)
from ..model import Network
from ._common import describe_network, make_parser, parse_hidden_layers
from ._data import data_names, label_codes, load_data, model_targets
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop gradcheck                                   # a fresh 2 -> 4 tanh -> 1 sigmoid net on the flower data
  backprop gradcheck --data spirals --layers 8,8 --activation gelu
  backprop gradcheck model.npz --data moons --examples 50
  backprop gradcheck --data diabetes --loss huber --l2 0.1

Prints the relative difference ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖) of the backpropagated gradient g and
the two-sided finite differences ĝ, per layer and overall, beside the finite differences' own
error (estimated from the steps ε and 2ε and float64 rounding at the cost's scale), and exits
with 1 when the difference is above --tolerance + 2 × that error (FAIL): then backpropagation
disagrees with the cost by more than finite differences can be wrong.

data: a .csv/.tsv/.npz file, or one of: """


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "gradcheck",
        help="check backpropagation against finite differences (PASS/FAIL, exit 1 on FAIL)",
        description="Compare a network's backpropagated gradient with two-sided finite differences on a few "
        "examples, for a saved model or for a fresh network built from --layers/--activation for the data's task.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    p.add_argument("model", nargs="?", help="a model file (default: a fresh network)")
    p.add_argument("--data", help="data set or file (default: the model's training data, else flower)")
    p.add_argument("--target", help="the target column of a CSV (name or index)")
    p.add_argument("--examples", type=int, default=16, help="examples to check on (default 16)")
    p.add_argument("--layers", default="4", help="hidden sizes of a fresh network (default 4)")
    p.add_argument("--activation", default="tanh", help="hidden activation(s) of a fresh network, comma-separated (default tanh)")
    p.add_argument("--output-activation", help="output activation of a fresh network (default: from the task)")
    p.add_argument("--loss", help="loss of a fresh network (default: from the task)")
    p.add_argument("--l2", type=float, default=0.0, help="include the L2 penalty λ")
    p.add_argument("--eps", type=float, default=1e-7, help="finite-difference step ε (default 1e-7)")
    p.add_argument("--tolerance", type=float, default=1e-7, help="largest relative difference that passes (default 1e-7)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fresh network and of the examples chosen")
    p.set_defaults(run=run)


def _fresh_network(args: argparse.Namespace, data) -> tuple[Network, np.ndarray, np.ndarray | None]:
    hidden, acts = parse_hidden_layers(args.layers, args.activation)
    if problem_of(args.loss, data.categorical) == "regression":
        if data.y.dtype.kind not in "iuf":
            raise ValidationError(f"--loss: {loss_name(args.loss)} is a regression loss, {data.name!r} holds text labels")
        y, classes = data.y.astype(np.float64), None
        out = output_layer(None, args.loss, args.output_activation)
    else:
        if not data.categorical:
            raise ValidationError(f"--loss: {loss_name(args.loss)} needs class labels, {data.name!r} has a numeric target")
        classes = data.classes
        y = label_codes(data.y, classes)
        out = output_layer(len(classes), args.loss, args.output_activation)
    net = Network([data.X.shape[1], *hidden, out.n_outputs], [*acts, out.activation], out.loss,
                  dtype=np.float64, seed=args.seed)
    return net, y, classes


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, models=("model",), data=("data",), positional=("model",))
    examples = check_int(args.examples, "--examples")
    eps = check_positive_float(args.eps, "--eps")
    tolerance = check_positive_float(args.tolerance, "--tolerance")
    l2 = check_nonnegative_float(args.l2, "--l2")
    if args.model:
        model = model_io.read_model(args.model)
        net = model.net
        spec = args.data or model.metadata.get("data") or "flower"
        data = load_data(spec, target=args.target, n_inputs=net.layer_sizes[0], target_name=model.target_name,
                         feature_names=model.feature_names)
        if data.y is None:
            raise ValueError(f"--data: {data.name!r} has no target column")
        y = model_targets(net, model.classes, data.y)
        source = args.model
    else:
        data = load_data(args.data or "flower", target=args.target)
        if data.y is None:
            raise ValueError(f"--data: {data.name!r} has no target column")
        net, y, _ = _fresh_network(args, data)
        source = "a fresh network"
    rng = np.random.default_rng(args.seed)
    rows = np.sort(rng.choice(data.X.shape[0], size=min(examples, data.X.shape[0]), replace=False))
    X, Y = data.X[rows], y[rows]
    print(f"gradient check of {source}: {describe_network(net)}, loss {net.loss.name}, {net.n_params} parameters")
    print(f"on {len(rows)} examples of {data.name}, ε = {eps:g}{f', L2 λ = {l2:g}' if l2 else ''} "
          f"({4 * net.n_params} forward passes, steps ε and 2ε, in float64)")
    result = check_gradients(net, X, Y, eps, l2=l2, tolerance=tolerance)
    for name, difference, estimate, ok in result._rows()[:-1]:
        print(f"  {name}: relative difference {difference:.3e}, finite-difference error ≈ {estimate:.1e}: "
              f"{'PASS' if ok else 'FAIL'}")
    verdict = "PASS" if result.passed else "FAIL"
    print(f"overall: relative difference {result.relative_difference:.3e}, finite-difference error ≈ "
          f"{result.error_estimate:.1e} (PASS below tolerance {tolerance:g} + 2 × that error): {verdict}")
    return 0 if result.passed else 1
