"""``backprop plot``: pictures of a saved model's training and of its decision boundary."""

from __future__ import annotations

import argparse
import os

from .. import io as model_io
from ._common import describe_network, make_parser
from ._data import data_names, load_data, model_targets
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop plot model.npz --out plots/              # learning curves, gradient norms, decision boundary
  backprop plot model.npz --data test.csv --out plots/

Learning curves and gradient norms come from the history 'backprop train' stores in the
model file; the decision boundary needs a classifier on 2 features and data (default:
the data set it was trained on, when that is a built-in one or a file that still exists).

data: a .csv/.tsv/.npz file, or one of: """


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "plot",
        help="save learning curves, gradient norms and the decision boundary of a model as PNG",
        description="Draw what a model file records: training and validation loss and accuracy per epoch, the "
        "gradient norm of every layer per epoch (log scale), and for 2-D classifiers the decision boundary.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    p.add_argument("model", help="a model or checkpoint file")
    p.add_argument("--data", help="data for the decision boundary (default: the training data)")
    p.add_argument("--target", help="the target column of a CSV (name or index)")
    p.add_argument("--out", default=".", metavar="DIR", help="directory for the PNG files (default: here)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import plot

    plot._pyplot()  # fail early, with the extra's name, when matplotlib is missing
    check_command_paths(args, models=("model",), data=("data",), directories=("out",), positional=("model",))
    model = model_io.read_model(args.model)
    net, meta = model.predictor(), model.metadata  # a --standardize checkpoint: its scaling folded in
    os.makedirs(args.out, exist_ok=True)
    saved = []
    history = meta.get("history") or (model.state or {}).get("history")
    if history and history.get("history", {}).get("loss"):
        saved.append(os.path.join(args.out, "learning_curves.png"))
        plot.learning_curves(history, saved[-1], title=f"learning curves: {meta.get('data', args.model)}")
    if meta.get("gradient_norms"):
        saved.append(os.path.join(args.out, "gradient_norms.png"))
        plot.gradient_norms(meta["gradient_norms"], saved[-1], title=f"gradient norm per layer: {describe_network(net)}")
    spec = args.data or meta.get("data")
    if net.task in ("binary", "multiclass") and net.layer_sizes[0] == 2 and spec is not None:
        if args.data is not None or spec in data_names() or os.path.isfile(spec):
            data = load_data(spec, target=args.target, n_inputs=2, target_name=model.target_name,
                             feature_names=model.feature_names)
            net.classes_ = None  # the boundary is drawn in class codes
            if data.y is not None:
                codes = model_targets(net, model.classes, data.y)
            else:  # features only: colour the points by the model's own predictions
                codes = net.predict(data.X)
            saved.append(os.path.join(args.out, "decision_boundary.png"))
            plot.decision_boundary(net, data.X, codes, path=saved[-1], title=f"{describe_network(net)} on {data.name}")
    if not saved:
        raise ValueError(f"{args.model}: nothing to plot (no training history in it, and no 2-D data for a boundary)")
    print(f"plots saved: {', '.join(saved)}")
    return 0
