"""``backprop train``: train a network on a data set or a file and save it as a model file."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from typing import Any

import numpy as np

from .. import io as model_io
from ..core.validation import (
    ShapeError,
    ValidationError,
    check_positive_float,
    check_positive_int,
    check_probability,
)
from ..data import StandardScaler, train_test_split
from ..distributed import (
    RootOnly,
    abort_on_error,
    fit_scaler,
    get_comm,
    root_print,
    unique_labels,
)
from ..distributed import evaluate as distributed_evaluate
from ..distributed.comm import launched_rank, launched_size
from ..model import Network
from ..optim import get_optimizer, get_schedule
from ..train import Callback, Dataset, GradientNorms, History, LocalComm, Trainer
from ._common import (
    check_output_path,
    describe_network,
    fmt,
    make_parser,
    parse_names,
    parse_sizes,
    parse_spec,
    progress_callback,
    report_once,
)
from ._data import Data, data_names, label_codes, load_data

EXAMPLES = """examples:
  backprop train moons --layers 16,16 --epochs 200 --out moons.npz
  backprop train iris --standardize --validation-split 0.2 --early-stopping --plot plots/
  backprop train flowers.csv --target species --optimizer sgd --learning-rate 0.1 --batch-size full
  backprop train spirals --layers 64,64 --schedule cosine:decay_steps=5000 \\
      --checkpoint-every 50 --checkpoint ckpt-{epoch}.npz
  backprop train --resume ckpt-50.npz --epochs 200 --out spirals.npz
  mpiexec -n 4 backprop train big.csv --shard --layers 64,64 --batch-size 1024 --out big.npz

data: a .csv/.tsv/.npz file, or one of: """

REGRESSION_LOSSES = ("mse", "mae", "huber")
_OPTION_KEYS = (
    "target", "samples", "data_seed", "task", "layers", "activations", "output_activation", "loss", "optimizer",
    "learning_rate", "schedule", "batch_size", "l2", "dropout", "clip_norm", "validation_split", "early_stopping",
    "patience", "seed", "dtype", "standardize",
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "train",
        help="train a network on a data set or a CSV/NPZ file and save it",
        description="Train a feed-forward network by backpropagation and save it as a model file (.npz). "
        "The task (binary, multiclass, regression) and its loss follow from the target unless given.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
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
    t.add_argument("--backend", choices=("numpy", "numba", "auto"), default="numpy",
                   help="what computes each step: numpy (default), numba (pip install 'backprop-mlp[fast]'), "
                   "or auto: numba when it is installed and works, else numpy")
    o = p.add_argument_group("output")
    o.add_argument("--out", default="model.npz", help="where to save the model (default model.npz)")
    o.add_argument("--plot", metavar="DIR", help="save learning curves, gradient norms and (2-D data) the decision boundary")
    o.add_argument("--checkpoint-every", type=int, metavar="N", help="save a checkpoint every N epochs")
    o.add_argument("--checkpoint", default="checkpoint.npz", metavar="PATH",
                   help="checkpoint file; '{epoch}' in it is replaced by the epoch (default checkpoint.npz)")
    o.add_argument("--resume", metavar="PATH", help="continue the run saved in this checkpoint up to --epochs")
    o.add_argument("--quiet", action="store_true", help="no per-epoch output")
    m = p.add_argument_group("several processes (MPI: pip install 'backprop[mpi]', then mpiexec -n N backprop train ...)")
    m.add_argument("--mpi", choices=("auto", "on", "off"), default="auto",
                   help="auto: data-parallel over the processes when started by mpiexec/srun, else alone (default); "
                   "on: always through MPI; off: never (each process would train alone)")
    m.add_argument("--shard", action="store_true",
                   help="each process reads only its own part of the rows of the data (not with --validation-split); "
                   "the weights are the same as without it, to rounding")
    p.set_defaults(run=run)


# --------------------------------------------------------------------------- options


_TEXT_OPTIONS = ("task", "output_activation", "loss", "optimizer", "schedule", "dtype")


def _checked_resume_options(opts: dict[str, Any], path: str) -> dict[str, Any]:
    """A checkpoint's stored options, with the text ones checked for type (the numeric ones are
    checked where they are used); a file edited by hand must fail with one clear line."""
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
            batch = check_positive_int(int(batch), "--batch-size")
        except ValueError:
            raise ValidationError(f"--batch-size: expected a positive integer or 'full', received {batch!r}") from None
    elif batch is not None:
        batch = "full"
    if args.samples is not None:
        check_positive_int(args.samples, "--samples")
    return {
        "target": args.target, "samples": args.samples, "data_seed": args.data_seed, "task": args.task,
        "layers": hidden, "activations": acts, "output_activation": args.output_activation, "loss": args.loss,
        "optimizer": args.optimizer, "learning_rate": None if args.learning_rate is None else
        check_positive_float(args.learning_rate, "--learning-rate"),
        "schedule": args.schedule, "batch_size": batch,
        "l2": check_positive_float(args.l2, "--l2", allow_zero=True),
        "dropout": check_probability(args.dropout, "--dropout"),
        "clip_norm": None if args.clip_norm is None else check_positive_float(args.clip_norm, "--clip-norm"),
        "validation_split": check_probability(args.validation_split, "--validation-split"),
        "early_stopping": bool(args.early_stopping), "patience": check_positive_int(args.patience, "--patience", minimum=0),
        "seed": check_positive_int(args.seed, "--seed", minimum=0), "dtype": args.dtype, "standardize": bool(args.standardize),
    }


def _task(opts: dict[str, Any], data: Data) -> str:
    """'classification' or 'regression', from --task, --loss and the target."""
    if data.y is None:
        raise ValidationError(f"data: {data.name!r} has no target column to train on")
    loss = (opts["loss"] or "").lower()
    if opts["task"] != "auto":
        task = opts["task"]
    elif loss in REGRESSION_LOSSES:
        task = "regression"
    elif loss:
        task = "classification"
    else:
        task = "classification" if data.categorical else "regression"
    if task == "regression" and data.y.dtype.kind not in "iuf":
        raise ValidationError(f"--task: regression needs a numeric target, {data.target_name!r} holds text labels")
    return task


def _architecture(opts: dict[str, Any], task: str, n_in: int, n_classes: int) -> tuple[list[int], list[str], str]:
    loss = opts["loss"]
    if task == "regression":
        n_out, default_loss, default_out = 1, "mse", "identity"
    else:
        if n_classes < 2:
            raise ValidationError(f"data: classification needs at least 2 classes, the target has {n_classes}")
        binary = n_classes == 2 and (loss or "binary_crossentropy").lower() in ("binary_crossentropy", "bce", "log_loss",
                                                                                 "binary_cross_entropy")
        if loss and not binary and loss.lower() in ("binary_crossentropy", "bce", "log_loss", "binary_cross_entropy"):
            raise ValidationError(
                f"--loss: binary_crossentropy needs 2 classes, the target has {n_classes}; use categorical_crossentropy"
            )
        n_out = 1 if binary else n_classes
        default_loss = "binary_crossentropy" if binary else "categorical_crossentropy"
        default_out = "sigmoid" if binary else "softmax"
    return [n_in, *opts["layers"], n_out], [*opts["activations"], opts["output_activation"] or default_out], loss or default_loss


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


# --------------------------------------------------------------------------- callbacks


class _Checkpoints(Callback):
    """Saves a checkpoint every ``every`` epochs (``{epoch}`` in the path is the epoch number)."""

    def __init__(self, every: int, template: str, history: History, norms: GradientNorms, save_kwargs: dict[str, Any]):
        self.every, self.template, self.history, self.norms, self.save_kwargs = every, template, history, norms, save_kwargs
        self.trainer: Trainer | None = None
        self.saved: list[str] = []

    def on_train_begin(self, trainer):
        self.trainer = trainer

    def on_epoch_end(self, epoch, logs):
        done = epoch + 1
        if done % self.every:
            return
        path = self.template.replace("{epoch}", str(done))
        metadata = dict(self.save_kwargs["metadata"], gradient_norms=[n.tolist() for n in self.norms.norms])
        model_io.save_checkpoint(path, self.trainer, history=self.history, metadata=metadata,
                                 **{k: v for k, v in self.save_kwargs.items() if k != "metadata"})
        self.saved.append(path)


# --------------------------------------------------------------------------- the run


def _fold_standardization(net: Network, mean: np.ndarray, scale: np.ndarray) -> Network:
    """A network on raw inputs equal to ``net`` on standardized ones.

    W[1] (x − μ)/σ + b[1] = (W[1] / σ) x + (b[1] − (W[1] / σ) μ).
    """
    folded = Network(net.layer_sizes, net.activations, net.loss, dtype=net.dtype, init=None)
    folded.params = net.params
    W = net.weights[0].astype(np.float64) / scale[None, :]
    b = net.biases[0].astype(np.float64) - W @ mean[:, None]
    folded.weights[0][...] = W
    folded.biases[0][...] = b
    return folded


def _metrics(net: Network, X: np.ndarray, targets: np.ndarray, comm: Any = None) -> dict[str, float]:
    """The loss and accuracy, or the loss, MSE and R²; with ``comm`` (sharded rows) of all ranks' rows (collective)."""
    if comm is not None and comm.size > 1:
        return _metrics_of_shards(net, X, targets, comm)
    scores = net.evaluate(X, targets)
    if net.task == "regression":
        prediction = net.predict(X)
        residual = targets - prediction
        scores["mse"] = float(np.mean(residual**2))
        total = float(np.sum((targets - targets.mean()) ** 2))
        scores["r2"] = 1.0 - float(np.sum(residual**2)) / total if total > 0 else float("nan")
    return scores


def _metrics_of_shards(net: Network, X: np.ndarray, targets: np.ndarray, comm: Any) -> dict[str, float]:
    """:func:`_metrics` of the concatenated shards: sums over the ranks, the mean first for R² (as one process)."""
    scores = distributed_evaluate(net, X, targets, comm)
    if net.task == "regression":
        residual = targets - net.predict(X) if len(X) else np.zeros(0)
        sums = np.array([np.sum(residual**2), np.sum(targets), len(targets)], dtype=np.float64)
        comm.allreduce_(sums)
        squares, m = float(sums[0]), float(sums[2])
        total = np.array([np.sum((targets - sums[1] / m) ** 2)], dtype=np.float64)
        comm.allreduce_(total)
        scores["mse"] = squares / m
        scores["r2"] = 1.0 - squares / float(total[0]) if total[0] > 0 else float("nan")
    return scores


def _format_scores(scores: dict[str, float]) -> str:
    parts = []
    for key, value in scores.items():
        parts.append(f"{key} {value:.2%}" if key.endswith("accuracy") else f"{key} {fmt(value)}")
    return "  ".join(parts)


def _check_plotting() -> None:
    from ..plot import _pyplot

    _pyplot()  # ImportError naming backprop[plot] before any training happens


def _communicator(args: argparse.Namespace) -> Any:
    """The run's communicator (``--mpi``): MPI's under ``mpiexec``/``srun`` (auto) or when asked, else a local one."""
    try:
        return get_comm(mpi={"auto": None, "on": True, "off": False}[args.mpi])
    except ImportError:
        if launched_size() > 1 and launched_rank() > 0:  # every process fails alike: rank 0 alone says so
            raise SystemExit(1) from None
        raise


def _trainer_options(opts: dict[str, Any]) -> dict[str, Any]:
    """Trainer's keyword arguments (a fresh learning-rate schedule each call: schedules hold state)."""
    return {"optimizer": opts["optimizer"], "learning_rate": _learning_rate(opts), "batch_size": _batch_size(opts),
            "shuffle": True, "seed": opts["seed"], "l2": opts["l2"], "dropout": opts["dropout"],
            "clip_norm": opts["clip_norm"]}


def _on_root(callback: Callback, comm: Any) -> Callback:
    return callback if comm.size == 1 else RootOnly(callback, comm)


def _count(n: int, comm: Any) -> int:
    """``n`` summed over the ranks of ``comm`` (collective)."""
    if comm.size == 1:
        return n
    total = np.array([float(n)])
    comm.allreduce_(total)
    return int(total[0])


def run(args: argparse.Namespace) -> int:
    """Train; on several MPI processes (``mpiexec -n 4 backprop train …``) every rank trains, rank 0 alone writes.

    The run has four parts. Those that every rank does on its own (reading the options,
    the checkpoint and the data; building the network) run under :func:`report_once`: an
    error there on any rank stops every rank, and the job prints it once. Those that talk
    to the other ranks (the classes, the count and the scaler of sharded data; training;
    the final scores) run under ``abort_on_error``: an error there on one rank aborts the
    job instead of leaving the others waiting. With one process both do nothing.
    """
    comm = _communicator(args)
    debug = bool(getattr(args, "debug", False))
    sharded = bool(args.shard)
    data_comm = comm if sharded else LocalComm()  # the ranks among which the rows are divided

    # 1. On each rank alone: the options, the checkpoint, the data (with --shard, this rank's rows).
    with report_once(comm, "train", debug):
        state = None
        if args.resume:
            net, state = model_io.load_checkpoint(args.resume)
            meta = net.metadata_
            if not isinstance(meta.get("options"), dict):
                raise ValidationError(f"--resume: {args.resume!r} was not written by 'backprop train' (no options in it)")
            opts = _checked_resume_options({key: meta["options"].get(key) for key in _OPTION_KEYS}, args.resume)
            spec = args.data or meta.get("data")
            if spec is None:
                raise ValidationError("data: give the data set (the checkpoint does not name one)")
        else:
            if args.data is None:
                raise ValidationError("data: expected a data set name or a .csv/.npz file (or --resume CHECKPOINT)")
            opts, spec = _options(args), args.data
        if sharded and opts["validation_split"]:
            raise ValidationError("--validation-split: not with --shard (each process holds only its own rows, so "
                                  "no process could draw the split); hold out a validation file instead")
        epochs = check_positive_int(args.epochs, "--epochs")
        check_output_path(args.out, "--out")  # before training: a run must not end unable to save
        if args.checkpoint_every is not None:
            check_positive_int(args.checkpoint_every, "--checkpoint-every")
            check_output_path(args.checkpoint.replace("{epoch}", "1"), "--checkpoint")
        if args.plot and comm.rank == 0:
            _check_plotting()

        shard = (comm.rank, comm.size) if data_comm.size > 1 else None
        data = load_data(spec, target=opts["target"], n_samples=opts["samples"], seed=opts["data_seed"], shard=shard)
        if shard is not None and len(data.X) == 0:  # array_split: only when the rows are fewer than the processes
            raise ValidationError(f"--shard: {data.name!r} has fewer rows than the {comm.size} processes, so this "
                                  "one has none; use fewer processes, or no --shard")
        task = _task(opts, data)
        if task == "classification" and data.classes is None and not np.array_equal(data.y, np.round(data.y)):
            raise ValidationError(f"--task: classification needs class labels, {data.target_name!r} holds "
                                  "fractional numbers; use a regression loss (mse, mae, huber)")

    # 2. With --shard, what needs every rank's rows: the classes, the number of examples, the scaler.
    with abort_on_error(comm, traceback=debug):
        X = data.X
        classes = None
        if task == "classification":
            classes = data.classes
            if classes is None:  # integer labels (a shard may lack some), or numbers asked to be classes
                classes = unique_labels(data.y.astype(np.int64), data_comm)
                data.y, data.classes = data.y.astype(np.int64), classes
        n_examples = _count(X.shape[0], data_comm)
        scaler = fit_scaler(X, data_comm) if sharded and opts["standardize"] else None

    # 3. On each rank alone: the targets, the network, the trainer's options and the checkpoint's state.
    with report_once(comm, "train", debug):
        targets = label_codes(data.y, classes) if classes is not None else data.y.astype(np.float64)
        sizes, activations, loss = _architecture(opts, task, X.shape[1], 0 if classes is None else len(classes))

        seed = opts["seed"]
        if opts["validation_split"]:
            counts = np.bincount(targets) if classes is not None else None
            stratify = counts is not None and counts.min() >= 2
            X_train, X_val, y_train, y_val = train_test_split(X, targets, opts["validation_split"], seed=seed,
                                                              stratify=stratify)
        else:
            X_train, X_val, y_train, y_val = X, None, targets, None
        if opts["standardize"] and scaler is None:
            scaler = StandardScaler().fit(X_train)
        if scaler is not None:
            X_train = scaler.transform(X_train)
            X_val = None if X_val is None else scaler.transform(X_val)

        if state is None:
            net = Network(sizes, activations, loss, dtype=opts["dtype"], seed=seed)
        elif list(net.layer_sizes) != sizes:
            raise ShapeError(f"--resume: the checkpoint's network has layer sizes {list(net.layer_sizes)}, "
                             f"the data and options imply {sizes}")
        trainer = Trainer(net, backend=args.backend, **_trainer_options(opts))  # with several ranks, a stand-in that checks the options
        norms = GradientNorms()
        history = History()
        if state is not None:
            trainer.load_state_dict(state)
            history = History.from_dict(state.get("history") or {})
            norms.norms = [np.asarray(n, dtype=np.float64) for n in net.metadata_.get("gradient_norms", [])]
        remaining = epochs - trainer.epoch
        if remaining < 1:
            raise ValidationError(f"--epochs: the checkpoint is at epoch {trainer.epoch}; expected more epochs than "
                                  f"that, received {epochs}")

    # 4. Together: training, the final scores; rank 0 alone prints and writes files.
    with abort_on_error(comm, traceback=debug):
        if comm.size > 1:  # the real trainer: rank 0's parameters and random state, on every rank
            trainer = Trainer(net, comm=comm, backend=args.backend, **_trainer_options(opts))
            if state is not None:
                trainer.load_state_dict(state)
        net.trainer_, net.history_ = trainer, history
        n_train = n_examples if sharded else int(X_train.shape[0])

        metadata: dict[str, Any] = {
            "data": spec, "task": task, "options": opts, "n_train": n_train,
            "n_validation": 0 if X_val is None else int(X_val.shape[0]),
            "standardize": None if scaler is None else {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()},
        }
        save_kwargs = {"metadata": metadata, "classes": classes, "feature_names": data.feature_names,
                       "target_name": data.target_name}
        callbacks: list[Callback] = [_on_root(norms, comm)]
        checkpoints = None
        if args.checkpoint_every:
            checkpoints = _Checkpoints(args.checkpoint_every, args.checkpoint, history, norms, save_kwargs)
            callbacks.append(_on_root(checkpoints, comm))
        progress = progress_callback(epochs, trainer.epoch, args.quiet)
        if progress is not None:
            callbacks.append(_on_root(progress, comm))

        n_classes = "" if classes is None else f", {len(classes)} classes"
        split = "" if X_val is None else f" ({X_train.shape[0]} training, {X_val.shape[0]} validation)"
        root_print(f"data: {data.name}, {n_examples} examples, {X.shape[1]} features{n_classes}{split}", comm=comm)
        root_print(f"network: {describe_network(net)}, loss {net.loss.name}, {net.n_params} parameters, "
                   f"{net.dtype.name}", comm=comm)
        rate = trainer.schedule if opts["schedule"] else (f"{trainer.schedule(0):g}" if trainer.schedule is not None else "n/a")
        batch = _batch_size(opts)
        span = f"epochs {trainer.epoch + 1}-{epochs}" if state is not None else f"{epochs} epochs"
        root_print(f"training: {trainer.optimizer.name}, learning rate {rate}, batch size {batch or 'full'}, {span}, "
                   f"seed {seed}", comm=comm)
        if comm.size > 1:
            rows = "each reading only its own part of the rows" if sharded else "each holding every row"
            root_print(f"processes: {comm.size} (MPI), {rows}; rank 0 prints and writes the files", comm=comm)
        if state is not None:
            root_print(f"resuming from {args.resume} at epoch {trainer.epoch}", comm=comm)
        sys.stdout.flush()

        train_data = Dataset(net, X_train, y_train, shard_comm=comm if sharded else None)
        validation = None if X_val is None else Dataset(net, X_val, y_val)
        try:
            trainer.run(train_data, remaining, validation=validation, callbacks=callbacks,
                        early_stopping=opts["early_stopping"], patience=opts["patience"], history=history)
        finally:
            if checkpoints is not None and checkpoints.saved:
                shown = ", ".join(checkpoints.saved[-3:])
                root_print(f"checkpoints saved: {'… ' if len(checkpoints.saved) > 3 else ''}{shown}", comm=comm)

        final = net if scaler is None else _fold_standardization(net, scaler.mean_, scaler.scale_)
        X_train_raw = X_train if scaler is None else scaler.inverse_transform(X_train)
        scores = {f"train_{k}": v for k, v in _metrics(final, X_train_raw, y_train, comm if sharded else None).items()}
        if X_val is not None:
            X_val_raw = scaler.inverse_transform(X_val) if scaler is not None else X_val
            scores.update({f"val_{k}": v for k, v in _metrics(final, X_val_raw, y_val).items()})
        status = "interrupted" if history.interrupted else "stopped early" if history.stopped_early else "done"
        best = f", best epoch {history.best_epoch + 1} restored" if history.best_epoch is not None else ""
        root_print(f"{status} after {trainer.epoch} epochs{best}: {_format_scores(scores)}", comm=comm)

        if comm.rank == 0:
            metadata.update(
                created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                epochs=trainer.epoch, history=history.to_dict(), gradient_norms=[n.tolist() for n in norms.norms],
                scores=scores, command=" ".join(["backprop", *sys.argv[1:]]) if sys.argv else "backprop train",
            )
            model_io.save(final, args.out, **save_kwargs)
            print(f"model saved to {args.out}")
            if args.plot:
                _plots(args.plot, final, history, norms, data, task)
        return 130 if history.interrupted else 0


def _plots(directory: str, net: Network, history: History, norms: GradientNorms, data: Data, task: str) -> None:
    from .. import plot

    os.makedirs(directory, exist_ok=True)
    saved = []
    if len(history):
        saved.append(os.path.join(directory, "learning_curves.png"))
        plot.learning_curves(history, saved[-1], title=f"learning curves: {data.name}")
    if norms.norms:
        saved.append(os.path.join(directory, "gradient_norms.png"))
        plot.gradient_norms(norms.norms, saved[-1], title=f"gradient norm per layer: {describe_network(net)}")
    if task == "classification" and data.X.shape[1] == 2:
        saved.append(os.path.join(directory, "decision_boundary.png"))
        codes = label_codes(data.y, data.classes)
        plot.decision_boundary(net, data.X, codes, path=saved[-1], title=f"{describe_network(net)} on {data.name}")
    print(f"plots saved: {', '.join(saved)}")
