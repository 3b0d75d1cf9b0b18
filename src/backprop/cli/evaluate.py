"""``backprop evaluate``: a saved model's loss and accuracy (or MSE and R²) on data."""

from __future__ import annotations

import argparse

import numpy as np

from .. import io as model_io
from .. import metrics
from ._common import describe_network, fmt, make_parser
from ._data import data_names, load_data, model_targets
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop evaluate model.npz moons
  backprop evaluate model.npz moons --data-seed 7 --samples 1000   # fresh examples
  backprop evaluate model.npz test.csv --target species

data: a .csv/.tsv/.npz file, or one of: """


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "evaluate",
        help="print a model's loss and accuracy (or MSE and R²) on data",
        description="Load a model file and print its mean loss on the data, with the accuracy for classifiers "
        "or the mean squared error, mean absolute error and R² for regression.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    p.add_argument("model", help="a model file written by 'backprop train' (or backprop.io.save)")
    p.add_argument("data", help="a data set name or a .csv/.npz file with the target column")
    p.add_argument("--target", help="the target column (name or index); default: the model's target, else the last")
    p.add_argument("--samples", type=int, help="number of examples of a built-in data set")
    p.add_argument("--data-seed", type=int, help="seed of a built-in data set (default: its canonical one)")
    p.set_defaults(run=run)


def evaluate(net, classes, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """loss and accuracy, or loss, mse, mae and r2, of ``net`` on (X, original labels y)."""
    return metrics.scores(net, X, model_targets(net, classes, y), regression=("mse", "mae", "r2"))


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, models=("model",), data=("data",))
    model = model_io.read_model(args.model)
    net = model.net
    data = load_data(args.data, target=args.target, n_samples=args.samples, seed=args.data_seed,
                     n_inputs=net.layer_sizes[0], target_name=model.target_name, feature_names=model.feature_names)
    if data.y is None:
        raise ValueError(f"data: {data.name!r} has no target column to evaluate against; use 'backprop predict'")
    scores = evaluate(net, model.classes, data.X, data.y)
    print(f"model: {args.model} ({describe_network(net)}, {net.loss.name})")
    print(f"data: {data.name}, {data.X.shape[0]} examples")
    m = data.X.shape[0]
    for key, value in scores.items():
        if key == "accuracy":
            print(f"accuracy: {value:.2%} ({int(round(value * m))}/{m})")
        else:
            print(f"{key}: {fmt(value) if key != 'loss' else f'{value:.6g}'}")
    return 0
