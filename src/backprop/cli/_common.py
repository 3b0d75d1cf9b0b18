"""Helpers the subcommands share: argument parsing, the network's description, progress output."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

from ..core.validation import ValidationError
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
    """Refuse, before any work is done, an output file whose directory is missing or unwritable."""
    if os.path.isdir(path):
        raise ValidationError(f"{option}: expected a file name, received the directory {path!r}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValidationError(f"{option}: the directory {directory!r} does not exist, received {path!r}")
    if not os.access(directory, os.W_OK):
        raise ValidationError(f"{option}: the directory {directory!r} is not writable, received {path!r}")
    return path


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
