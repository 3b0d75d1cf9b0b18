"""Helpers the subcommands share: argument parsing, the network's description, progress output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..core.validation import ValidationError
from ..io.paths import check_output_file
from ..train import Callback, PrintProgress

__all__ = [
    "add_common",
    "make_parser",
    "parse_sizes",
    "parse_names",
    "parse_spec",
    "describe_network",
    "progress_callback",
    "fmt",
    "check_output_path",
    "error_line",
    "exit_code",
    "report_once",
]


def make_parser(subparsers: argparse._SubParsersAction, name: str, help: str, description: str, epilog: str):
    """A subcommand parser with the shared ``--debug`` flag and examples in the epilog."""
    p = subparsers.add_parser(
        name, help=help, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common(p)
    return p


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: the subcommand's flag must not reset ``backprop --debug CMD`` to False.
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks on errors")


def parse_sizes(text: str, option: str) -> list[int]:
    """``"16,16"`` -> [16, 16]; ``""`` or ``"none"`` -> [] (no hidden layer)."""
    if text.strip().lower() in ("", "none"):
        return []
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ValidationError(f"{option}: expected comma-separated positive integers such as 16,16, received {text!r}")
        sizes.append(int(part))
    return sizes


def parse_names(text: str, option: str) -> list[str]:
    """``"relu,tanh"`` -> ["relu", "tanh"]."""
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise ValidationError(f"{option}: expected comma-separated names such as relu,tanh, received {text!r}")
    return names


def parse_hidden_layers(layers: str, activation: str) -> tuple[list[int], list[str]]:
    """``--layers`` and ``--activation``: hidden sizes and one activation per hidden layer
    (a single name is used for every one)."""
    hidden = parse_sizes(layers, "--layers")
    acts = parse_names(activation, "--activation")
    if len(acts) == 1:
        acts = acts * len(hidden)
    elif len(acts) != len(hidden):
        raise ValidationError(f"--activation: expected 1 or {len(hidden)} names, received {len(acts)}")
    return hidden, acts


def _value(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def parse_spec(text: str, option: str) -> tuple[str, dict[str, Any]]:
    """``"step:factor=0.5,step_size=100"`` -> ("step", {"factor": 0.5, "step_size": 100})."""
    name, _, rest = text.partition(":")
    kwargs: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValidationError(f"{option}: expected NAME or NAME:key=value,key=value, received {text!r}")
        kwargs[key.strip()] = _value(value.strip())
    return name.strip(), kwargs


def check_output_path(path: str, option: str) -> str:
    """Refuse, before any work is done, an output file whose directory is missing or unwritable, or that
    is a directory, a device, a FIFO or a socket (only a regular file or nothing is replaced)."""
    return check_output_file(path, option)


def describe_network(net: Any) -> str:
    """``2 -> 16 relu -> 1 sigmoid`` (the architecture on one line)."""
    parts = [str(net.layer_sizes[0])]
    parts += [f"{n} {a.name}" for n, a in zip(net.layer_sizes[1:], net.activations)]
    return " -> ".join(parts)


def fmt(value: float) -> str:
    """A score with 6 significant digits (nan and inf as words)."""
    return f"{value:.6g}" if np.isfinite(value) else str(value)


class _TqdmProgress(Callback):
    """A tqdm bar over the epochs, with the latest losses as its postfix (drawn from the first epoch on)."""

    def __init__(self, tqdm: Any, total: int, initial: int):
        self._tqdm, self.total, self.initial = tqdm, total, initial
        self._bar: Any = None

    def on_train_begin(self, trainer):
        self._bar = self._tqdm(total=self.total, initial=self.initial, unit="epoch", file=sys.stdout,
                               dynamic_ncols=True, leave=True)

    def on_epoch_end(self, epoch, logs):
        shown = {k: f"{v:.4f}" for k, v in logs.items() if k in ("loss", "accuracy", "val_loss", "val_accuracy")}
        self._bar.set_postfix(shown, refresh=False)
        self._bar.update(1)

    def on_train_end(self, trainer):
        if self._bar is not None:
            self._bar.close()


def progress_callback(total_epochs: int, start_epoch: int, quiet: bool) -> Callback | None:
    """A tqdm bar when tqdm is installed and stdout is a terminal; else one plain line per epoch.

    None with ``quiet``.
    """
    if quiet:
        return None
    if sys.stdout.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return _TqdmProgress(tqdm, total_epochs, start_epoch)
    return PrintProgress(total_epochs)


# --------------------------------------------------------------------------- errors


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def exit_code(exc: BaseException) -> int:
    """The exit status for an error: 2 usage (ValueError, TypeError), 130 Ctrl-C, 1 anything else."""
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else 1
    return 2 if isinstance(exc, (ValueError, TypeError)) else 1


def error_line(command: str, exc: BaseException, where: str = "") -> str:
    """The one line an error prints on stderr: ``backprop train: error: …`` (``where``: after ``error``)."""
    if isinstance(exc, KeyboardInterrupt):
        return f"backprop{where}: interrupted"
    usage = isinstance(exc, (ValueError, TypeError))
    kind = "" if usage or isinstance(exc, (OSError, ImportError)) else f"{type(exc).__name__}: "
    return f"backprop {command}: error{where}: {kind}{_one_line(exc)}"


@contextmanager
def report_once(comm: Any, command: str, debug: bool = False) -> Iterator[None]:
    """Run a block of this rank's own work so that an error in it on any rank ends every rank, reported once.

    For the parts of a command that every process runs alike and that call nothing
    collective (reading options and data, building the network): after the block the ranks
    compare notes in one all-reduce. If the block raised on some of them, the lowest such
    rank prints its error as one process would (``backprop train: error: …``, naming the
    rank unless it is 0; the traceback with ``--debug``), and every rank exits with that
    error's status. Every rank stops at the same point, so nothing waits for anyone and no
    ``MPI_Abort`` is needed; a bad argument prints one line, not one per rank. Errors in
    collective parts (training) are :func:`backprop.distributed.abort_on_error`'s.

    With one process it does nothing: errors propagate as before.
    """
    if comm.size == 1:
        yield
        return
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:  # noqa: BLE001 - every rank must reach the all-reduce below
        error = exc
    codes = np.zeros(comm.size)
    if error is not None:
        codes[comm.rank] = exit_code(error) or 1
    comm.allreduce_(codes)
    failed = np.flatnonzero(codes)
    if failed.size == 0:
        return
    first = int(failed[0])
    if comm.rank == first:
        if debug:
            raise error  # type: ignore[misc] - the traceback; get_comm's excepthook then aborts the job
        where = "" if first == 0 else f" (rank {first} of {comm.size})"
        print(error_line(command, error, where), file=sys.stderr, flush=True)  # type: ignore[arg-type]
    raise SystemExit(int(codes[first]))
