"""``backprop predict``: a saved model's predictions as CSV, in the original labels."""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys

import numpy as np

from .. import io as model_io
from ..io.atomic import write_output
from ..io.paths import is_stream
from ._common import make_parser
from ._data import data_names, predicted_labels
from ._tables import model_and_data
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop predict model.npz new.csv                      # CSV on stdout
  backprop predict model.npz new.csv --proba --out predictions.csv
  backprop predict model.npz moons --samples 10

A CSV with exactly as many columns as the model has inputs is read as features only;
otherwise the target column (the model's, --target, or the last) is left out.

data: a .csv/.tsv/.npz file, or one of: """


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "predict",
        help="write a model's predictions (original labels, or probabilities) as CSV",
        description="Load a model file and write one row per example: the predicted label (the original "
        "class labels the model was trained on), or the numbers of a regression; with --proba also the "
        "probability of every class.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    p.add_argument("model", help="a model file written by 'backprop train' (or backprop.io.save)")
    p.add_argument("data", help="a data set name or a .csv/.npz file")
    p.add_argument("--target", help="the target column to leave out (name or index)")
    p.add_argument("--delimiter", help="the CSV delimiter (default: sniffed among , ; tab |)")
    p.add_argument("--proba", action="store_true", help="add one probability column per class")
    p.add_argument("--out", help="write the CSV here (atomically) instead of to stdout; '-', /dev/stdout or a pipe "
                   "are streamed")
    p.add_argument("--samples", type=int, help="number of examples of a built-in data set")
    p.add_argument("--data-seed", type=int, help="seed of a built-in data set (default: its canonical one)")
    p.set_defaults(run=run)


def _number(value: float) -> str:
    return repr(float(value))


def _rows(net, classes, X: np.ndarray, proba: bool) -> tuple[list[str], list[list[str]]]:
    labels = predicted_labels(net, classes, X)
    task = net.task
    n_out = net.layer_sizes[-1]
    names = [str(c) for c in classes.tolist()] if classes is not None else None
    if labels.ndim == 2:  # multilabel or multi-output regression
        outputs = names if names and len(names) == n_out else [f"output_{k}" for k in range(n_out)]
        header = [f"prediction_{o}" for o in outputs]
        body = [[_number(v) if task == "regression" else str(v) for v in row] for row in labels.tolist()]
    else:
        header = ["prediction"]
        body = [[_number(v) if task == "regression" else str(v)] for v in labels.tolist()]
    if proba:
        if task == "regression":
            raise ValueError("--proba: a regression model has no class probabilities")
        P = net.predict_proba(X)
        if task == "binary":
            P = np.column_stack([1.0 - P[:, 0], P[:, 0]])
        columns = names if names and len(names) == P.shape[1] else [str(k) for k in range(P.shape[1])]
        header += [f"proba_{c}" for c in columns]
        for row, p in zip(body, P.tolist()):
            row.extend(_number(v) for v in p)
    return header, body


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, models=("model",), data=("data",), outputs=("out",), streams=("out",))
    model, net, data = model_and_data(args, need_target=False)
    header, body = _rows(net, model.classes, data.X, args.proba)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    if args.out is None:
        sys.stdout.write(buffer.getvalue())
        return 0
    text = buffer.getvalue().encode("utf-8")
    if is_stream(args.out):  # '-', /dev/stdout, a pipe, a device: streamed, and nothing else printed there
        write_output(args.out, lambda handle: handle.write(text), "--out")
        return 0
    model_io.atomic_write(args.out, lambda handle: handle.write(text))
    print(f"{len(body)} predictions written to {os.path.abspath(args.out)}")
    return 0
