"""``backprop attribute``: why a saved model predicts what it does, per row and per feature."""

from __future__ import annotations

import argparse
import csv
import io
import os

import numpy as np

from .. import io as model_io
from ..attribute import METHODS, OUTPUTS, RULES, attribute, importance
from ..core.validation import ValidationError
from ._common import describe_network, make_parser
from ._data import data_names, load_data
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop attribute model.npz data.csv                       # integrated gradients, ranked summary
  backprop attribute model.npz data.csv --out attributions.csv --plot plots/
  backprop attribute model.npz data.csv --method gradient --target virginica
  backprop attribute flower.npz flower --plot plots/          # 2 inputs: the input-gradient field too

The attributions of a row sum to f(x) - f(baseline) (integrated gradients), where f is the
probability of the explained class (default: the predicted one) and the baseline the
training mean stored in the model (--standardize), else zeros.

data: a .csv/.tsv/.npz file, or one of: """


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "attribute",
        help="attribute a model's predictions to the input features (integrated gradients)",
        description="Backpropagate each prediction one step past the first layer, to the input (dA[0] = W[1]^T "
        "dZ[1]), and attribute it to the features: per-row attributions (--out) and a ranked global summary, the "
        "mean absolute attribution per feature.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    p.add_argument("model", help="a model file written by 'backprop train' (or backprop.io.save)")
    p.add_argument("data", help="a data set name or a .csv/.npz file (the rows to explain)")
    p.add_argument("--method", default="integrated_gradients", choices=METHODS,
                   help="integrated_gradients (default), gradient or gradient_x_input")
    p.add_argument("--target", help="the class (label) or output index to explain, or 'all'; default: the "
                   "predicted class")
    p.add_argument("--steps", type=int, default=64, help="integration steps (default 64)")
    p.add_argument("--rule", default="gauss_legendre", choices=RULES, help="quadrature rule (default gauss_legendre)")
    p.add_argument("--baseline", default=None, choices=("mean", "zeros"),
                   help="the reference point (default: the stored training mean, else zeros)")
    p.add_argument("--output", default="prediction", choices=OUTPUTS[:2],
                   help="explain the probability/value (prediction, default) or its logit")
    p.add_argument("--data-target", dest="data_target", metavar="COLUMN",
                   help="the data's target column to leave out (name or index)")
    p.add_argument("--top", type=int, default=20, help="features shown in the summary and the bar chart")
    p.add_argument("--out", help="write per-row attributions as CSV here (atomically)")
    p.add_argument("--plot", metavar="DIR", help="save importance.png (and gradient_field.png for 2 inputs) here")
    p.add_argument("--samples", type=int, help="number of examples of a built-in data set")
    p.add_argument("--data-seed", type=int, help="seed of a built-in data set (default: its canonical one)")
    p.set_defaults(run=run)


def _check_args(args: argparse.Namespace) -> None:
    check_command_paths(args, models=("model",), data=("data",), outputs=("out",))  # --out is no input
    if args.plot is not None and os.path.exists(args.plot) and not os.path.isdir(args.plot):
        raise ValidationError(f"--plot: expected a directory, received the file {args.plot!r}")
    if args.steps < 1:
        raise ValidationError(f"--steps: expected a positive integer, received {args.steps}")
    if args.top < 1:
        raise ValidationError(f"--top: expected a positive integer, received {args.top}")


def _table(columns: list[str], attributions: np.ndarray, target_column: list[str] | None, labels: list[str] | None):
    """The CSV: one row per example (and per explained output, for several)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if attributions.ndim == 2:
        writer.writerow(["row", *(["target"] if target_column else []), *columns])
        for i, row in enumerate(attributions.tolist()):
            writer.writerow([i, *([target_column[i]] if target_column else []), *map(repr, row)])
    else:
        writer.writerow(["row", "target", *columns])
        for i in range(attributions.shape[0]):
            for k in range(attributions.shape[2]):
                writer.writerow([i, labels[k], *map(repr, attributions[i, :, k].tolist())])
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    model = model_io.read_model(args.model)
    net = model.predictor()  # a --standardize checkpoint: its scaling folded in, as in the final model
    data = load_data(args.data, target=args.data_target, n_samples=args.samples, seed=args.data_seed,
                     n_inputs=net.layer_sizes[0], target_name=model.target_name, feature_names=model.feature_names)
    columns = list(model.feature_names or data.feature_names)
    baseline = args.baseline
    kwargs = dict(method=args.method, target=args.target, steps=args.steps, rule=args.rule, output=args.output)
    if args.method == "integrated_gradients":
        A, delta = attribute(net, data.X, baseline=baseline, return_delta=True, **kwargs)
    else:
        A, delta = attribute(net, data.X, **kwargs), None

    classes = None if model.classes is None else [str(c) for c in model.classes.tolist()]
    if A.ndim == 3:
        labels = classes if classes and len(classes) == A.shape[2] else [str(k) for k in range(A.shape[2])]
        explained = f"every output ({', '.join(labels)})"
        per_row = None
    else:
        labels = None
        if args.target is not None:
            explained = f"target {args.target}"
            per_row = [str(args.target)] * A.shape[0]
        elif net.task in ("binary", "multiclass"):
            per_row = [str(label) for label in np.asarray(net.predict(data.X)).tolist()]  # labels when stored
            explained = "the predicted class of each row"
        else:
            explained, per_row = "the output", None
    stored = (net.metadata_ or {}).get("standardize") if args.method == "integrated_gradients" else None
    base = "" if args.method != "integrated_gradients" else (
        ", baseline " + (baseline or ("the training mean" if stored else "zeros")))
    print(f"model: {describe_network(net)} ({net.task}); data: {data.name}, {A.shape[0]} rows, {len(columns)} features")
    print(f"method: {args.method} of the {args.output} for {explained}"
          f"{f', {args.steps} steps ({args.rule})' if args.method == 'integrated_gradients' else ''}{base}")
    if delta is not None:
        print(f"completeness: |sum of attributions - (f(x) - f(baseline))| <= {float(np.abs(delta).max()):.2g} "
              f"(max over rows; more --steps lowers it)")

    scores = importance(A)
    order = np.argsort(-scores, kind="stable")
    top = order[: args.top]
    width = max(len(columns[j]) for j in top)
    peak = float(scores[order[0]]) or 1.0
    print(f"global importance (mean |attribution| per feature), {len(top)} of {len(columns)}:")
    for rank, j in enumerate(top, start=1):
        bar = "#" * int(round(30 * scores[j] / peak))
        print(f"  {rank:>3}. {columns[j]:<{width}}  {scores[j]:.4g}  {bar}")

    if args.out is not None:
        text = _table(columns, A, per_row, labels).encode("utf-8")
        model_io.atomic_write(args.out, lambda handle: handle.write(text))
        print(f"attributions written to {os.path.abspath(args.out)}")
    if args.plot is not None:
        _plots(args.plot, net, data, A, columns, args.top)
    return 0


def _plots(directory: str, net, data, A: np.ndarray, columns: list[str], top: int) -> None:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install 'backprop-mlp[plot]'") from None
    from ..attribution_plot import gradient_field, importance_bar

    os.makedirs(directory, exist_ok=True)
    saved = []
    shown = min(top, len(columns))
    fig = Figure(figsize=(6.5, 1.2 + 0.35 * shown))
    importance_bar(A, columns, ax=fig.add_subplot(), top=top, title=f"global importance: {describe_network(net)}")
    saved.append(os.path.join(directory, "importance.png"))
    fig.savefig(saved[-1], dpi=100, bbox_inches="tight")
    if len(columns) == 2 and net.task == "binary":
        fig = Figure(figsize=(7, 5.5))
        gradient_field(net, data.X, data.y, ax=fig.add_subplot())
        saved.append(os.path.join(directory, "gradient_field.png"))
        fig.savefig(saved[-1], dpi=100, bbox_inches="tight")
    print(f"plots saved: {', '.join(saved)}")
