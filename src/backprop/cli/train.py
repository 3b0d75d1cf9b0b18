"""``backprop train``: train a network on a data set or a file and save it as a model file."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import io as model_io
from .. import metrics
from ..core.validation import (
    ShapeError,
    ValidationError,
    check_int,
)
from ..data import StandardScaler, fold_standardization, train_test_split
from ..data.tabular import TableWarning
from ..distributed import (
    RootOnly,
    abort_on_error,
    fit_scaler,
    get_comm,
    root_print,
    unique_labels,
)
from ..distributed.comm import launched_rank, launched_size
from ..io import SaveCheckpoints
from ..model import Network
from ..train import Callback, GradientNorms, History, LocalComm, Trainer, TrainingData, diagnostics
from ..train.evaluation import evaluate as evaluate_loss
from . import _tables
from ..train.agreement import check_agreement
from ._common import (
    check_output_path,
    describe_network,
    fmt,
    make_parser,
    progress_callback,
    report_once,
)
from ._data import Data, data_names, label_codes, load_data
from ._train_options import (
    HISTORY_LIMIT,
    add_arguments,
    _OPTION_KEYS,
    _architecture,
    _batch_size,
    _checked_resume_options,
    _options,
    _task,
    _trainer_options,
)
from ._output import bounded_history, kept_epochs
from ._paths import check_train_paths

EXAMPLES = """examples:
  backprop train moons --layers 16,16 --epochs 200 --out moons.npz
  backprop train iris --standardize --validation-split 0.2 --early-stopping --plot plots/
  backprop train flowers.csv --target species --optimizer sgd --learning-rate 0.1 --batch-size full
  backprop train patients.csv --target cost --task regression --drop id --test-split 0.2 --standardize
  backprop train spirals --layers 64,64 --schedule cosine:decay_steps=5000 \\
      --checkpoint-every 50 --checkpoint ckpt-{epoch}.npz
  backprop train --resume ckpt-50.npz --epochs 200 --out spirals.npz
  mpiexec -n 4 backprop train big.csv --shard --layers 64,64 --batch-size 1024 --out big.npz

data: a .csv/.tsv/.npz file, or one of: """



def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "train",
        help="train a network on a data set or a CSV/NPZ file and save it",
        description="Train a feed-forward network by backpropagation and save it as a model file (.npz). "
        "The task (binary, multiclass, regression) and its loss follow from the target unless given.",
        epilog=EXAMPLES + ", ".join(data_names()) + "\n",
    )
    add_arguments(p)
    p.set_defaults(run=run)


# --------------------------------------------------------------------------- options





@dataclass
class _Run:
    """What the phases of one ``backprop train`` run hand each other."""

    comm: Any
    debug: bool
    sharded: bool
    data_comm: Any  # the ranks among which the rows are divided (a LocalComm without --shard)
    backend: str = "auto"  # what computes each step (--backend); not stored: a run resumes with any
    opts: dict[str, Any] = field(default_factory=dict)
    spec: str = ""  # the data set or file
    state: dict[str, Any] | None = None  # the checkpoint's training state (--resume)
    net: Network | None = None
    epochs: int = 0
    data: Data | None = None
    task: str = ""  # 'classification' or 'regression'
    classes: np.ndarray | None = None
    n_examples: int = 0  # over all ranks
    scaler: StandardScaler | None = None
    X_train: np.ndarray | None = None
    y_train: np.ndarray | None = None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    trainer: Trainer | None = None
    history: History = field(default_factory=History)
    norms: GradientNorms = field(default_factory=GradientNorms)
    checkpoints: SaveCheckpoints | None = None
    table: Any = None  # a CSV read as a table: its rows (the features still raw)
    table_features: list[str] = field(default_factory=list)
    preprocessor: Any = None  # fitted on the training rows of the table
    test: tuple[Any, np.ndarray] | None = None  # (--test-split) the held-out rows (a table or X) and their labels
    initial_loss: float | None = None
    save_options: dict[str, Any] = field(default_factory=dict)  # metadata, classes, names: for every file


def run(args: argparse.Namespace) -> int:
    """Train; on several MPI processes (``mpiexec -n 4 backprop train …``) every rank trains, rank 0 alone writes.

    The run has five phases. Those that every rank does on its own (reading the options,
    the checkpoint and the data; building the network and the trainer) run under
    :func:`report_once`: an error there on any rank stops every rank, and the job prints it
    once. Those that talk to the other ranks (the classes, the count and the scaler of
    sharded data; training; the final scores) run under ``abort_on_error``: an error there
    on one rank aborts the job instead of leaving the others waiting. With one process both
    do nothing.
    """
    comm = _communicator(args)
    sharded = bool(args.shard)
    job = _Run(comm=comm, debug=bool(getattr(args, "debug", False)), sharded=sharded,
               data_comm=comm if sharded else LocalComm(), backend=args.backend)
    with report_once(comm, "train", job.debug):
        _read_inputs(args, job)  # 1. alone: the options, the checkpoint, the data (with --shard, this rank's rows)
    with abort_on_error(comm, traceback=job.debug):
        _share_data_facts(job)  # 2. together: the classes, the number of examples, the scaler of sharded data
    with report_once(comm, "train", job.debug):
        _build(job)  # 3. alone: the targets, the split, the network, the trainer and its resumed state
    with abort_on_error(comm, traceback=job.debug):
        _train(args, job)  # 4. together: training (rank 0 prints)
        return _finish(args, job)  # 5. together: the final scores; rank 0 writes the model and plots


def _read_inputs(args: argparse.Namespace, job: _Run) -> None:
    """The options (from the command line, or the checkpoint's), the checkpoint's state and this rank's data."""
    comm = job.comm
    check_train_paths(args)  # no output is an input; every output writable, every input a regular file
    if args.resume:
        job.net, job.state = model_io.load_checkpoint(args.resume)
        meta = job.net.metadata_
        if not isinstance(meta.get("options"), dict):
            raise ValidationError(f"--resume: {args.resume!r} was not written by 'backprop train' (no options in it)")
        job.opts = _checked_resume_options({key: meta["options"].get(key) for key in _OPTION_KEYS}, args.resume)
        job.spec = args.data or meta.get("data")
        if job.spec is None:
            raise ValidationError("data: give the data set (the checkpoint does not name one)")
    else:
        if args.data is None:
            raise ValidationError("data: expected a data set name or a .csv/.npz file (or --resume CHECKPOINT)")
        job.opts, job.spec = _options(args), args.data
    if job.sharded and job.opts["validation_split"]:
        raise ValidationError("--validation-split: not with --shard (each process holds only its own rows, so "
                              "no process could draw the split); hold out a validation file instead")
    job.epochs = check_int(args.epochs, "--epochs")
    check_output_path(args.out, "--out")  # before training: a run must not end unable to save
    if args.checkpoint_every is not None:
        check_int(args.checkpoint_every, "--checkpoint-every")
        check_output_path(args.checkpoint.replace("{epoch}", "1"), "--checkpoint")
    if args.plot and comm.rank == 0:
        _check_plotting()

    opts = job.opts
    shard = (comm.rank, comm.size) if job.data_comm.size > 1 else None
    job.data = data = _read_data(job, opts, shard)
    if shard is not None and len(data.X) == 0:  # array_split: only when the rows are fewer than the processes
        raise ValidationError(f"--shard: {data.name!r} has fewer rows than the {comm.size} processes, so this "
                              "one has none; use fewer processes, or no --shard")
    job.task = _task(opts, data)
    if job.task == "classification" and data.classes is None and not np.array_equal(data.y, np.round(data.y)):
        raise ValidationError(f"--task: classification needs class labels, {data.target_name!r} holds "
                              "fractional numbers; use a regression loss (mse, mae, huber)")
    if opts.get("test_split"):
        _hold_out_test(job)


def _read_data(job: _Run, opts: dict[str, Any], shard: tuple[int, int] | None) -> Data:
    """The training data: a table (CSV with preprocessing) or numbers (a data set, NPZ, or with --shard a CSV)."""
    if not job.sharded and _tables.is_table_file(job.spec):  # (--shard reads CSV files the numeric way)
        data, job.table, job.table_features = _tables.load_training_table(job.spec, opts)
        return data
    if any(opts.get(key) for key in ("features", "drop", "delimiter")) and not _tables.is_table_file(job.spec):
        raise ValidationError("--features/--drop/--delimiter: these pick columns of a CSV file, "
                              f"{job.spec!r} is not one")
    if job.sharded and any(opts.get(key) for key in ("features", "drop", "test_split")):
        raise ValidationError("--features/--drop/--test-split: not with --shard")
    try:
        return load_data(job.spec, target=opts["target"], n_samples=opts["samples"], seed=opts["data_seed"],
                         shard=shard)
    except ValidationError as exc:
        if job.sharded and ("string features" in str(exc) or "missing value" in str(exc)):
            raise ValidationError(f"{exc}; with --shard each process reads only its own rows, as numbers: text "
                                  "columns and missing cells need a preprocessing fitted on all the rows, so "
                                  "train without --shard (one process, or every process holding all rows)") from None
        raise


def _hold_out_test(job: _Run) -> None:
    """--test-split: set aside a seeded (stratified when it can be) part of the rows; they are scored at the end."""
    data, opts = job.data, job.opts
    classes = None
    if job.task == "classification":
        classes = data.classes if data.classes is not None else np.unique(data.y)
    kept, held = _tables.split_rows(len(data.y), _tables.targets_of(data, classes), opts["test_split"],
                                    opts["seed"] + 1, classes)
    kept, held = np.sort(kept), np.sort(held)
    if job.table is not None:
        job.test = (job.table.rows(held), data.y[held])
        job.table = job.table.rows(kept)
        data.X = data.X[kept]
    else:
        job.test = (data.X[held], data.y[held])
        data.X = data.X[kept]
    data.y = data.y[kept]


def _share_data_facts(job: _Run) -> None:
    """With --shard, what needs every rank's rows: the classes, the number of examples, the scaler (collective)."""
    data = job.data
    # a CSV read as a table has its features still raw here: count its feature columns
    n_features = len(job.table_features) if job.table is not None else data.X.shape[1]
    check_agreement(job.comm, {"features": n_features, "rows": None if job.sharded else
                               data.X.shape[0], "task": job.task, "epochs": job.epochs, "options": job.opts}, "train")
    if job.task == "classification":
        job.classes = data.classes
        if job.classes is None:  # integer labels (a shard may lack some), or numbers asked to be classes
            job.classes = unique_labels(data.y.astype(np.int64), job.data_comm)
            data.y, data.classes = data.y.astype(np.int64), job.classes
    job.n_examples = _count(data.X.shape[0], job.data_comm)
    if job.sharded and job.opts["standardize"]:
        job.scaler = fit_scaler(data.X, job.data_comm)


def _build(job: _Run) -> None:
    """The targets, the validation split, the scaling, the network and its trainer (resumed from the checkpoint)."""
    opts, data, classes = job.opts, job.data, job.classes
    if job.table is not None:  # the preprocessing, fitted on the training rows alone
        job.preprocessor = _tables.fit_features(data, job.table, job.table_features, opts, classes)
    X = data.X
    targets = label_codes(data.y, classes) if classes is not None else data.y.astype(np.float64)
    sizes, activations, loss = _architecture(opts, job.task, X.shape[1], 0 if classes is None else len(classes))
    if opts["validation_split"]:
        counts = np.bincount(targets) if classes is not None else None
        stratify = counts is not None and counts.min() >= 2
        job.X_train, job.X_val, job.y_train, job.y_val = train_test_split(
            X, targets, opts["validation_split"], seed=opts["seed"], stratify=stratify)
    else:
        job.X_train, job.y_train = X, targets
    if not opts["standardize"] and job.comm.rank == 0:
        note = diagnostics.scale_spread(job.X_train, data.feature_names or [f"x{i + 1}" for i in range(X.shape[1])])
        if note:
            warnings.warn(note, TableWarning, stacklevel=2)
    if opts["standardize"] and job.scaler is None:
        job.scaler = StandardScaler().fit(job.X_train)
    if job.scaler is not None:
        job.X_train = job.scaler.transform(job.X_train)
        job.X_val = None if job.X_val is None else job.scaler.transform(job.X_val)

    if job.state is None:
        job.net = Network(sizes, activations, loss, dtype=opts["dtype"], seed=opts["seed"])
    elif list(job.net.layer_sizes) != sizes:
        raise ShapeError(f"--resume: the checkpoint's network has layer sizes {list(job.net.layer_sizes)}, "
                         f"the data and options imply {sizes}")
    job.trainer = Trainer(job.net, comm=job.comm, backend=job.backend, **_trainer_options(opts))  # joins the other ranks when it runs
    if job.state is not None:
        job.trainer.load_state_dict(job.state)
        job.history = History.from_dict(job.state.get("history") or {})
        job.norms.norms = [np.asarray(n, dtype=np.float64) for n in job.net.metadata_.get("gradient_norms", [])]
    if job.epochs - job.trainer.epoch < 1:
        raise ValidationError(f"--epochs: the checkpoint is at epoch {job.trainer.epoch}; expected more epochs than "
                              f"that, received {job.epochs}")


_ENGINES = {"numpy": "numpy engine", "numba": "compiled kernels (numba)"}  # what --backend resolved to


def _train(args: argparse.Namespace, job: _Run) -> None:
    """Print what is about to run, then train (with the gradient-norm, checkpoint and progress callbacks)."""
    comm, net, trainer, opts, data = job.comm, job.net, job.trainer, job.opts, job.data
    net.trainer_, net.history_ = trainer, job.history
    scaler = job.scaler
    metadata: dict[str, Any] = {
        "data": job.spec, "task": job.task, "options": opts,
        "n_train": job.n_examples if job.sharded else int(job.X_train.shape[0]),
        "n_validation": 0 if job.X_val is None else int(job.X_val.shape[0]),
        "standardize": None if scaler is None else {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()},
    }
    job.save_options = {"metadata": metadata, "classes": job.classes, "feature_names": data.feature_names,
                        "target_name": data.target_name}
    if job.preprocessor is not None:
        job.save_options["preprocessing"] = job.preprocessor
    callbacks: list[Callback] = [_on_root(job.norms, comm)]
    if args.checkpoint_every:
        job.checkpoints = SaveCheckpoints(
            args.checkpoint_every, args.checkpoint, history=job.history,
            metadata=lambda: dict(metadata, gradient_norms=[n.tolist() for n in job.norms.norms]),
            **{k: v for k, v in job.save_options.items() if k not in ("metadata", "preprocessing")})
        callbacks.append(_on_root(job.checkpoints, comm))
    progress = progress_callback(job.epochs, trainer.epoch, args.quiet)
    if progress is not None:
        callbacks.append(_on_root(progress, comm))

    train_data = TrainingData(net, job.X_train, job.y_train, shard_comm=comm if job.sharded else None)
    _print_plan(args, job, train_data)
    if job.state is None and not job.sharded and comm.size == 1 and len(job.X_train) <= 1_000_000:
        try:
            job.initial_loss = evaluate_loss(net, train_data)["loss"]
        except ArithmeticError:
            job.initial_loss = None
    validation = None if job.X_val is None else TrainingData(net, job.X_val, job.y_val)
    try:
        trainer.run(train_data, job.epochs - trainer.epoch, validation=validation, callbacks=callbacks,
                    early_stopping=opts["early_stopping"], patience=opts["patience"], history=job.history)
    finally:
        saved = job.checkpoints.saved if job.checkpoints is not None else []
        if saved:
            root_print(f"checkpoints saved: {'… ' if len(saved) > 3 else ''}{', '.join(saved[-3:])}", comm=comm)


def _print_plan(args: argparse.Namespace, job: _Run, train_data: TrainingData) -> None:
    """The data, the network, the training options (and the processes, the resumed epoch), on rank 0."""
    comm, net, trainer, opts, data = job.comm, job.net, job.trainer, job.opts, job.data
    n_classes = "" if job.classes is None else f", {len(job.classes)} classes"
    split = "" if job.X_val is None else f" ({job.X_train.shape[0]} training, {job.X_val.shape[0]} validation)"
    if job.test is not None:
        split += f", {len(job.test[1])} more held out for testing"
    if job.preprocessor is not None:
        root_print(job.preprocessor.summary_, comm=comm)  # what was done to which columns
    root_print(f"data: {data.name}, {job.n_examples} examples, {data.X.shape[1]} features{n_classes}{split}", comm=comm)
    root_print(f"network: {describe_network(net)}, loss {net.loss.name}, {net.n_params} parameters, "
               f"{net.dtype.name}", comm=comm)
    rate = trainer.schedule if opts["schedule"] else (f"{trainer.schedule(0):g}" if trainer.schedule is not None else "n/a")
    span = f"epochs {trainer.epoch + 1}-{job.epochs}" if job.state is not None else f"{job.epochs} epochs"
    sys.stdout.flush()  # what is known so far, before numba may load or compile the kernels
    trainer.resolve_backend(train_data, job.epochs - trainer.epoch)
    root_print(f"training: {trainer.optimizer.name}, learning rate {rate}, batch size {_batch_size(opts) or 'full'}, "
               f"{span}, seed {opts['seed']}, {_ENGINES[trainer.backend.name]}", comm=comm)
    if comm.size > 1:
        rows = "each reading only its own part of the rows" if job.sharded else "each holding every row"
        root_print(f"processes: {comm.size} (MPI), {rows}; rank 0 prints and writes the files", comm=comm)
    if job.state is not None:
        root_print(f"resuming from {args.resume} at epoch {trainer.epoch}", comm=comm)
    sys.stdout.flush()


def _finish(args: argparse.Namespace, job: _Run) -> int:
    """The final scores on raw inputs (standardisation folded in), then rank 0 saves the model and the plots."""
    comm, history, scaler, trainer = job.comm, job.history, job.scaler, job.trainer
    final = job.net if scaler is None else fold_standardization(job.net, scaler.mean_, scaler.scale_)
    X_train_raw = job.X_train if scaler is None else scaler.inverse_transform(job.X_train)
    scores = {f"train_{k}": v for k, v in metrics.scores(final, X_train_raw, job.y_train, regression=_SCORES,
                                                         comm=comm if job.sharded else None).items()}
    if job.X_val is not None:
        X_val_raw = scaler.inverse_transform(job.X_val) if scaler is not None else job.X_val
        scores.update({f"val_{k}": v for k, v in metrics.scores(final, X_val_raw, job.y_val, regression=_SCORES).items()})
    if job.test is not None:
        rows, labels = job.test
        X_test = job.preprocessor.transform(rows) if job.preprocessor is not None else rows
        targets = label_codes(labels, job.classes) if job.classes is not None else labels.astype(np.float64)
        scores.update({f"test_{k}": v for k, v in metrics.scores(final, X_test, targets, regression=_SCORES).items()})
    status = "interrupted" if history.interrupted else "stopped early" if history.stopped_early else "done"
    best = f", best epoch {history.best_epoch + 1} restored" if history.best_epoch is not None else ""
    root_print(f"{status} after {trainer.epoch} epochs{best}: {_format_scores(scores)}", comm=comm)
    if job.initial_loss is not None and "loss" in history.history:
        note = diagnostics.loss_trouble(job.initial_loss, history["loss"], trainer.schedule(0)
                                        if trainer.schedule is not None else None)
        if note:
            warnings.warn(note, TableWarning, stacklevel=2)

    if comm.rank == 0:
        job.save_options["metadata"].update(
            created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            epochs=trainer.epoch,
            history=history.to_dict() if args.full_history else bounded_history(history.to_dict(), HISTORY_LIMIT),
            gradient_norms=[job.norms.norms[i].tolist() for i in
                            kept_epochs(len(job.norms.norms), len(job.norms.norms) if args.full_history
                                        else HISTORY_LIMIT)[0]],
            scores=scores, command=" ".join(["backprop", *sys.argv[1:]]) if sys.argv else "backprop train",
        )
        model_io.save(final, args.out, **job.save_options)
        print(f"model saved to {args.out}")
        if args.plot:
            _plots(args.plot, final, history, job.norms, job.data, job.task)
    return 130 if history.interrupted else 0


_SCORES = ("mse", "r2")  # what a regression run reports besides its loss


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


def _on_root(callback: Callback, comm: Any) -> Callback:
    return callback if comm.size == 1 else RootOnly(callback, comm)


def _count(n: int, comm: Any) -> int:
    """``n`` summed over the ranks of ``comm`` (collective)."""
    if comm.size == 1:
        return n
    total = np.array([float(n)])
    comm.allreduce_(total)
    return int(total[0])


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
