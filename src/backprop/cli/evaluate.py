"""``backprop evaluate``: a saved model's loss and accuracy (or MSE and R²) on data."""

from __future__ import annotations

import argparse
import os

import numpy as np

from .. import metrics
from ._common import check_output_path, describe_network, fmt, make_parser
from ._data import data_names, model_targets
from ._tables import model_and_data
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
    p.add_argument("--delimiter", help="the CSV delimiter (default: sniffed among , ; tab |)")
    p.add_argument("--plot", metavar="PATH", help="save the confusion matrix as an image (classifiers)")
    p.set_defaults(run=run)


def evaluate(net, classes, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """loss and accuracy, or loss, mse, mae and r2, of ``net`` on (X, original labels y)."""
    return metrics.scores(net, X, model_targets(net, classes, y), regression=("mse", "mae", "r2"))


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, models=("model",), data=("data",))
    if args.plot is not None:
        check_output_path(args.plot, "--plot")
        from ..plot import _pyplot

        _pyplot()  # the missing extra named before any work
    model, net, data = model_and_data(args, need_target=True)
    if data.y is None:
        raise ValueError(f"data: {data.name!r} has no target column to evaluate against; use 'backprop predict'")
    if net.task == "regression" and np.asarray(data.y).dtype.kind not in "iuf":
        raise ValueError("y: a regression model needs a numeric target, the data holds text labels")
    targets = model_targets(net, model.classes, data.y)  # codes: an unknown label is named here
    net.classes_ = None  # (so net.evaluate takes the codes; the report names the classes below)
    scores = net.evaluate(data.X, targets, report=True)
    if model.classes is not None and "classes" in scores:
        scores["classes"] = model.classes.tolist()
    print(f"model: {args.model} ({describe_network(net)}, {net.loss.name})")
    print(f"data: {data.name}, {data.X.shape[0]} examples")
    m = data.X.shape[0]
    for key in ("loss", "accuracy", "mse", "rmse", "mae", "r2"):
        if key not in scores:
            continue
        value = scores[key]
        if key == "accuracy":
            print(f"accuracy: {value:.2%} ({int(round(value * m))}/{m})")
        else:
            print(f"{key}: {fmt(value) if key != 'loss' else f'{value:.6g}'}")
    if "confusion_matrix" in scores:
        _print_report(scores)
        if args.plot is not None:
            from .. import plot

            plot.confusion_matrix(scores["confusion_matrix"], scores["classes"], args.plot,
                                  title=f"confusion matrix on {os.path.basename(str(data.name))}")
            print(f"plot saved: {args.plot}")
    elif args.plot is not None:
        raise ValueError("--plot: a confusion matrix needs a classifier (one label per example)")
    return 0


def _print_report(scores: dict) -> None:
    """Per-class precision, recall, F1 and support, then the confusion matrix (rows true, columns predicted)."""
    names = [str(c) for c in scores["classes"]]
    width = max(8, *(len(n) for n in names))
    print(f"{'class':<{width}}  precision  recall     f1  support")
    for k, name in enumerate(names):
        print(f"{name:<{width}}  {scores['precision'][k]:9.3f}  {scores['recall'][k]:6.3f}  {scores['f1'][k]:5.3f}  "
              f"{int(scores['support'][k]):7d}")
    C = scores["confusion_matrix"]
    cell = max(5, *(len(n) for n in names), len(str(int(C.max()))) if C.size else 1)
    print("confusion matrix (rows: true class, columns: predicted):")
    print(" " * width + "  " + " ".join(f"{n:>{cell}}" for n in names))
    for k, name in enumerate(names):
        print(f"{name:<{width}}  " + " ".join(f"{int(v):>{cell}}" for v in C[k]))
