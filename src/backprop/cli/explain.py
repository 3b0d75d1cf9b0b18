"""``backprop explain``: gradient descent steps of a small network, equation by equation (see :mod:`backprop.explanation`).

By default the deeplearning.ai course's exercise: the flower data (all 400 examples), 2 -> 4
tanh -> 1 sigmoid with the course's initial weights (0.01·N(0, 1) after np.random.seed(2)),
binary cross-entropy, α = 1.2. The loss follows the data as in ``backprop train``.
"""

from __future__ import annotations

import argparse

import numpy as np

from ..core.tasks import is_classification_loss, loss_name, output_layer
from ..core.validation import ValidationError, check_int, check_positive_float
from ..explanation import course_network, explain
from ..model import Network
from ._common import make_parser, parse_hidden_layers
from ._data import data_names, label_codes, load_data
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop explain                                  # the course's 2 -> 4 tanh -> 1 sigmoid on the flower data
  backprop explain --steps 3 --examples 4           # three steps on 4 examples, every number printed
  backprop explain --layers 4,3 --activation relu --examples 3
  backprop explain --loss mse --output-activation sigmoid --examples 2   # an output error that does not cancel
  backprop explain --data wine --examples 5         # 3 classes: softmax and categorical cross-entropy

data: a .csv/.tsv/.npz file, or one of: """

def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "explain",
        help="print gradient descent steps equation by equation, with shapes and numbers, and check them",
        description="Run full-batch gradient descent on a small network and print every equation of the first "
        "step with its shape and numbers: the forward pass Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]), the cost J, "
        "the backward pass dZ[L], dW[l] = (1/m) dZ[l] A[l-1]ᵀ, db[l], dA[l-1] = W[l]ᵀ dZ[l], dZ[l] = dA[l] ⊙ g'(Z[l]), "
        "and the update W[l] := W[l] − α dW[l]; then check the gradient against the engine and finite differences. "
        "The defaults are the deeplearning.ai course's planar-data exercise, so every number can be compared.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    p.add_argument("--layers", default="4", help="hidden layer sizes, comma-separated (default 4)")
    p.add_argument("--activation", default="tanh", help="hidden activation(s), comma-separated (default tanh)")
    p.add_argument("--loss", help="default: from the data (binary_crossentropy for 2 classes, categorical_crossentropy "
                   "for more, mse for a numeric target)")
    p.add_argument("--output-activation", help="default: the loss's canonical one (sigmoid, softmax, identity)")
    p.add_argument("--examples", type=int, help="m, the number of examples (default: all of the data)")
    p.add_argument("--data", default="flower", help="where the examples come from (default flower)")
    p.add_argument("--init", default="course", help="'course': W = 0.01·N(0, 1) drawn as the course draws them "
                   "(np.random.seed(SEED), then W1, W2, …); or an initialiser name such as glorot_uniform (default course)")
    p.add_argument("--seed", type=int, default=2, help="seed of the weights and of the examples chosen (default 2, the course's)")
    p.add_argument("--steps", type=int, default=1, help="gradient descent steps traced (default 1)")
    p.add_argument("--learning-rate", type=float, default=1.2, help="α of the update (default 1.2, the course's)")
    p.add_argument("--precision", type=int, help="digits printed after the point (default 8 for small arrays, 4 for wide)")
    p.add_argument("--eps", type=float, default=1e-7, help="finite-difference step ε (default 1e-7)")
    p.set_defaults(run=run)


def _loss_and_targets(args: argparse.Namespace, data) -> tuple[str, str, np.ndarray, int]:
    """The loss, output activation, targets and output count, from the one table ``train`` and
    ``gradcheck`` use (:func:`backprop.core.tasks.output_layer`), so every alias builds the same network."""
    classification_loss = args.loss is None or is_classification_loss(args.loss)
    if args.loss is not None and classification_loss and not data.categorical:
        raise ValidationError(f"--loss: {loss_name(args.loss)} needs class labels, {data.name!r} has a numeric target")
    by_class = data.categorical and (classification_loss or args.output_activation == "softmax")
    layer = output_layer(len(data.classes) if by_class else None, args.loss, args.output_activation)
    if by_class:
        codes = label_codes(data.y, data.classes)
        targets = codes if layer.n_outputs > 1 else codes.astype(np.float64)
        return layer.loss, layer.activation, targets, layer.n_outputs
    y = (label_codes(data.y, data.classes) if data.categorical else data.y).astype(np.float64)
    return layer.loss, layer.activation, y, 1


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, data=("data",), positional=())
    precision = None if args.precision is None else check_int(args.precision, "--precision", minimum=0)
    eps = check_positive_float(args.eps, "--eps")
    seed = check_int(args.seed, "--seed", minimum=0)
    steps = check_int(args.steps, "--steps")
    learning_rate = check_positive_float(args.learning_rate, "--learning-rate")
    hidden, acts = parse_hidden_layers(args.layers, args.activation)

    data = load_data(args.data)
    if data.y is None:
        raise ValidationError(f"--data: {data.name!r} has no target column")
    n = data.X.shape[0]
    m = n if args.examples is None else check_int(args.examples, "--examples")
    if m > n:
        raise ValidationError(f"--examples: {data.name!r} has {n} examples, received {m}")
    loss, output, targets, n_out = _loss_and_targets(args, data)
    sizes = [data.X.shape[1], *hidden, n_out]
    if args.init == "course":
        if seed >= 2**32:
            raise ValidationError(f"--seed: expected an int below 2**32 for --init course, received {seed}")
        net = course_network(tuple(sizes), [*acts, output], loss, seed=seed)
    else:
        net = Network(sizes, [*acts, output], loss, init=args.init, dtype=np.float64, seed=seed)
    rows = np.arange(n) if m == n else np.sort(np.random.default_rng(seed).choice(n, size=m, replace=False))
    result = explain(net, data.X[rows], targets[rows], steps=steps, learning_rate=learning_rate, precision=precision,
                     eps=eps, data_name=data.name)
    print(result)
    return 0 if result.passed else 1
