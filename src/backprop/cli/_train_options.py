"""``backprop train``'s options: read from the command line or a checkpoint, checked, and turned into
the network's architecture and the trainer's keyword arguments."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from ..core.tasks import output_layer, problem_of
from ..core.validation import ValidationError, check_int, check_nonnegative_float, check_positive_float, check_probability
from ..data.tabular import TableWarning
from ..io.training_state import check_resume_options
from ..optim import get_optimizer, get_schedule
from ..train import diagnostics
from ._common import parse_names, parse_sizes, parse_spec
from ._data import Data

HISTORY_LIMIT = 2000  # epochs of history a model file keeps without --full-history


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``backprop train``, in their help groups."""
    p.add_argument("data", nargs="?", help="a data set name or a .csv/.npz file (optional with --resume)")
    d = p.add_argument_group("data")
    d.add_argument("--target", help="the target column of a CSV (name or index; default: the last) or NPZ key (default y)")
    d.add_argument("--samples", type=int, help="number of examples of a built-in data set")
    d.add_argument("--data-seed", type=int, help="seed of a built-in data set (default: its canonical one)")
    d.add_argument("--task", choices=("auto", "classification", "regression"), default="auto",
                   help="auto: classification for text or integer targets, regression otherwise")
    d.add_argument("--standardize", action="store_true",
                   help="scale features to mean 0, std 1 (learned on the training part; folded into the saved first layer)")
    d.add_argument("--validation-split", type=float, default=0.0, help="fraction held out for validation (default 0)")
    d.add_argument("--test-split", type=float, default=0.0,
                   help="fraction held out as a test set, never trained or validated on; scores reported at the end")
    c = p.add_argument_group("tables (CSV files)")
    c.add_argument("--features", help="the feature columns, comma-separated names or indices (default: all but the target)")
    c.add_argument("--drop", help="columns to leave out, comma-separated names or indices (an id column, say)")
    c.add_argument("--delimiter", help="the CSV delimiter (default: sniffed among , ; tab |)")
    c.add_argument("--impute", choices=("median", "mean", "most_frequent"), default="median",
                   help="what a missing number becomes, learned on the training rows (default median); text columns "
                   "take their most frequent value; either way a NAME=missing indicator column is added")
    c.add_argument("--unknown", choices=("zeros", "error"), default="zeros",
                   help="a text value at prediction that training never saw: all-zero one-hot features and a "
                   "warning (default), or an error")
    n = p.add_argument_group("network")
    n.add_argument("--layers", default="16,16", help="hidden layer sizes, comma-separated; 'none' for no hidden layer (default 16,16)")
    n.add_argument("--activation", default="relu", help="activation of every hidden layer (default relu)")
    n.add_argument("--activations", help="one activation per hidden layer, comma-separated (overrides --activation)")
    n.add_argument("--output-activation", help="default: sigmoid (binary), softmax (multiclass), identity (regression)")
    n.add_argument("--loss", help="default: binary_crossentropy, categorical_crossentropy or mse, from the task")
    n.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    t = p.add_argument_group("training")
    t.add_argument("--optimizer", default="adam", help="sgd, momentum, nesterov, rmsprop, adam, adamw, lbfgs (default adam)")
    t.add_argument("--learning-rate", type=float, help="step size α (default: the optimizer's)")
    t.add_argument("--schedule", help="learning-rate schedule: NAME or NAME:key=value,... "
                   "(constant, step, exponential, inverse_time, cosine, plateau)")
    t.add_argument("--epochs", type=int, default=100, help="passes over the training data (default 100)")
    t.add_argument("--batch-size", default=None, help="examples per update, or 'full' (default 32; full for lbfgs)")
    t.add_argument("--l2", type=float, default=0.0, help="L2 penalty λ (default 0)")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout rate of the hidden layers (default 0)")
    t.add_argument("--clip-norm", type=float, help="clip the gradient to this global norm")
    t.add_argument("--early-stopping", action="store_true", help="stop when the validation loss stops improving")
    t.add_argument("--patience", type=int, default=10, help="epochs without improvement before stopping (default 10)")
    t.add_argument("--seed", type=int, default=0, help="seed of the initial weights, shuffling, dropout and split (default 0)")
    t.add_argument("--backend", choices=("numpy", "numba", "auto"), default="auto",
                   help="what computes each step: auto (default: for a run long enough to repay loading them, the "
                   "compiled kernels of numba when it is installed and works, else numpy), numba (pip install "
                   "'backprop-mlp[fast]'), or numpy (the reference engine)")
    o = p.add_argument_group("output")
    o.add_argument("--out", default="model.npz", help="where to save the model (default model.npz)")
    o.add_argument("--plot", metavar="DIR", help="save learning curves, gradient norms and (2-D data) the decision boundary")
    o.add_argument("--checkpoint-every", type=int, metavar="N", help="save a checkpoint every N epochs")
    o.add_argument("--checkpoint", default="checkpoint.npz", metavar="PATH",
                   help="checkpoint file; '{epoch}' in it is replaced by the epoch (default checkpoint.npz)")
    o.add_argument("--resume", metavar="PATH", help="continue the run saved in this checkpoint up to --epochs")
    o.add_argument("--quiet", action="store_true", help="no per-epoch output")
    o.add_argument("--full-history", action="store_true",
                   help=f"store every epoch's losses in the model file (default: at most {HISTORY_LIMIT} epochs, "
                   "evenly spaced, beyond that)")
    m = p.add_argument_group("several processes (MPI: pip install 'backprop-mlp[mpi]', then mpiexec -n N backprop train ...)")
    m.add_argument("--mpi", choices=("auto", "on", "off"), default="auto",
                   help="auto: data-parallel over the processes when started by mpiexec/srun, else alone (default); "
                   "on: always through MPI; off: never (each process would train alone)")
    m.add_argument("--shard", action="store_true",
                   help="each process reads only its own part of the rows of the data (not with --validation-split); "
                   "the weights are the same as without it, to rounding")


_TEXT_OPTIONS = ("task", "output_activation", "loss", "optimizer", "schedule", "dtype", "features", "drop",
                 "delimiter", "impute", "unknown")

_OPTION_KEYS = (
    "target", "samples", "data_seed", "task", "layers", "activations", "output_activation", "loss", "optimizer",
    "learning_rate", "schedule", "batch_size", "l2", "dropout", "clip_norm", "validation_split", "early_stopping",
    "patience", "seed", "dtype", "standardize",
    "features", "drop", "delimiter", "impute", "unknown", "test_split",
)


def _checked_resume_options(opts: dict[str, Any], path: str) -> dict[str, Any]:
    """A checkpoint's stored options, with the text ones checked for type (the numeric ones are
    checked where they are used); a file edited by hand must fail with one clear line."""
    check_resume_options(opts, path)  # numbers where numbers belong, in range
    for key in _TEXT_OPTIONS:
        value = opts.get(key)
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"--resume: {path!r} stores option {key!r} as {value!r}; expected a string")
    for key in ("layers", "activations"):
        value = opts.get(key)
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            raise ValidationError(f"--resume: {path!r} stores option {key!r} as {value!r}; expected a list")
    if opts.get("dtype") not in ("float32", "float64"):
        raise ValidationError(f"--resume: {path!r} stores option 'dtype' as {opts.get('dtype')!r}; "
                              "expected 'float32' or 'float64'")
    return opts


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The run's options as plain values (validated), as stored in the model's metadata."""
    hidden = parse_sizes(args.layers, "--layers")
    if args.activations:
        acts = parse_names(args.activations, "--activations")
        if len(acts) != len(hidden):
            raise ValidationError(f"--activations: expected {len(hidden)} names (one per hidden layer), received {len(acts)}")
    else:
        acts = [args.activation] * len(hidden)
    batch = args.batch_size
    if batch is not None and batch.strip().lower() != "full":
        try:
            batch = check_int(int(batch), "--batch-size")
        except ValueError:
            raise ValidationError(f"--batch-size: expected a positive integer or 'full', received {batch!r}") from None
    elif batch is not None:
        batch = "full"
    if args.samples is not None:
        check_int(args.samples, "--samples")
    return {
        "target": args.target, "samples": args.samples, "data_seed": args.data_seed, "task": args.task,
        "layers": hidden, "activations": acts, "output_activation": args.output_activation, "loss": args.loss,
        "optimizer": args.optimizer, "learning_rate": None if args.learning_rate is None else
        check_positive_float(args.learning_rate, "--learning-rate"),
        "schedule": args.schedule, "batch_size": batch,
        "l2": check_nonnegative_float(args.l2, "--l2"),
        "dropout": check_probability(args.dropout, "--dropout"),
        "clip_norm": None if args.clip_norm is None else check_positive_float(args.clip_norm, "--clip-norm"),
        "validation_split": check_probability(args.validation_split, "--validation-split"),
        "early_stopping": bool(args.early_stopping), "patience": check_int(args.patience, "--patience", minimum=0),
        "seed": check_int(args.seed, "--seed", minimum=0), "dtype": args.dtype, "standardize": bool(args.standardize),
        "features": args.features, "drop": args.drop, "delimiter": args.delimiter, "impute": args.impute,
        "unknown": args.unknown, "test_split": check_probability(args.test_split, "--test-split"),
    }


def _task(opts: dict[str, Any], data: Data) -> str:
    """'classification' or 'regression', from --task, --loss and the target (see :func:`problem_of`)."""
    if data.y is None:
        raise ValidationError(f"data: {data.name!r} has no target column to train on")
    task = problem_of(opts["loss"], data.categorical, opts["task"])
    if opts["task"] == "auto" and opts["loss"] is None and task == "classification":
        note = diagnostics.many_integer_classes(data.y, len(data.y))
        if note:
            warnings.warn(note, TableWarning, stacklevel=2)
    if task == "regression" and data.y.dtype.kind not in "iuf":
        raise ValidationError(f"--task: regression needs a numeric target, {data.target_name!r} holds text labels")
    return task


def _architecture(opts: dict[str, Any], task: str, n_in: int, n_classes: int) -> tuple[list[int], list[str], str]:
    out = output_layer(None if task == "regression" else n_classes, opts["loss"], opts["output_activation"])
    return [n_in, *opts["layers"], out.n_outputs], [*opts["activations"], out.activation], out.loss


def _learning_rate(opts: dict[str, Any]) -> Any:
    rate = opts["learning_rate"]
    if not opts["schedule"]:
        return rate
    if opts["optimizer"].lower() == "lbfgs":
        raise ValidationError("--schedule: the lbfgs optimizer takes no learning rate or schedule")
    name, kwargs = parse_spec(opts["schedule"], "--schedule")
    initial = rate if rate is not None else get_optimizer(opts["optimizer"]).learning_rate
    return get_schedule(name, initial, **kwargs)


def _batch_size(opts: dict[str, Any]) -> int | None:
    batch = opts["batch_size"]
    if batch is None:
        return None if opts["optimizer"].lower() == "lbfgs" else 32
    return None if batch == "full" else batch


# --------------------------------------------------------------------------- the run


def _trainer_options(opts: dict[str, Any]) -> dict[str, Any]:
    """Trainer's keyword arguments (a fresh learning-rate schedule)."""
    return {"optimizer": opts["optimizer"], "learning_rate": _learning_rate(opts), "batch_size": _batch_size(opts),
            "shuffle": True, "seed": opts["seed"], "l2": opts["l2"], "dropout": opts["dropout"],
            "clip_norm": opts["clip_norm"]}
