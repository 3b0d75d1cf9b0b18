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
