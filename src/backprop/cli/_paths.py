"""Every command's files, checked before any work: inputs are regular files, outputs are writable
and none of them is an input (:mod:`backprop.io.paths`). One call at the start of each command."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Sequence
from typing import Any

from ..core.validation import ValidationError
from ..io.paths import PathSpec, check_distinct, check_input_file, check_output_file, describe_kind

__all__ = ["PLOT_FILES", "check_command_paths", "check_plot_directory", "checkpoint_paths"]

#: The files ``backprop train --plot DIR`` and ``backprop plot --out DIR`` may write in DIR.
PLOT_FILES = ("learning_curves.png", "gradient_norms.png", "decision_boundary.png")

#: At most this many of a ``{epoch}`` checkpoint template's names are compared with the inputs.
_MAX_TEMPLATE_NAMES = 10_000


def _check_input(option: str, path: Any, data: bool) -> None:
    """A model file must be a regular file; a data argument too, when it names something on disk
    (else it is a data set's name, which the data loader checks)."""
    if path is None:
        return
    if not data:
        if isinstance(path, str) and os.path.exists(path) and not os.path.isdir(path):  # else the loader says so
            check_input_file(path, option, "a model file")
        return
    if isinstance(path, str) and os.path.lexists(path) and not os.path.isfile(path):
        try:
            mode = os.stat(path).st_mode
        except OSError:
            raise FileNotFoundError(f"{option}: no such file (a broken symbolic link): {path!r}") from None
        if os.path.isdir(path):
            raise IsADirectoryError(f"{option}: expected a .csv/.npz file or a data set name, received the directory {path!r}")
        raise ValidationError(f"{option}: expected a .csv/.npz file (a regular file), received {describe_kind(mode)}: {path!r}")


def check_plot_directory(path: Any, option: str) -> list[PathSpec]:
    """A directory for PNG files: existing, or creatable (its parent exists and is writable), never a file.

    Returns the ``(option, file)`` pairs of the PNG files it may receive, to compare with the inputs.
    """
    if path is None:
        return []
    if not isinstance(path, str) or not path:
        raise ValidationError(f"{option}: expected a directory name, received {path!r}")
    if os.path.lexists(path) and not os.path.isdir(path):
        what = "a file" if os.path.isfile(path) else "not a directory"
        raise ValidationError(f"{option}: expected a directory for the PNG files, received {what}: {path!r} "
                              "(the plots are named learning_curves.png, gradient_norms.png, decision_boundary.png)")
    if os.path.isdir(path):
        if not os.access(path, os.W_OK):
            raise ValidationError(f"{option}: the directory {path!r} is not writable")
        files = [(option, os.path.join(path, name)) for name in PLOT_FILES]
        for opt, file in files:
            if os.path.lexists(file):
                check_output_file(file, f"{opt} ({os.path.basename(file)})")
        return files
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValidationError(f"{option}: cannot create {path!r}: the directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValidationError(f"{option}: cannot create {path!r}: the directory {parent!r} is not writable")
    return []


def checkpoint_paths(template: str, every: int | None, epochs: Any) -> list[str]:
    """The file names a ``--checkpoint`` template gives (``{epoch}`` replaced), as far as they are known."""
    if "{epoch}" not in template:
        return [template]
    if not isinstance(every, int) or not isinstance(epochs, int) or every < 1 or epochs < every:
        return [template.replace("{epoch}", "1")]
    return [template.replace("{epoch}", str(e)) for e in range(every, epochs + 1, every)][:_MAX_TEMPLATE_NAMES]


def check_command_paths(
    args: argparse.Namespace,
    *,
    models: Sequence[str] = (),
    data: Sequence[str] = (),
    outputs: Sequence[str] = (),
    streams: Sequence[str] = (),
    directories: Sequence[str] = (),
    extra_outputs: Iterable[PathSpec] = (),
    may_rewrite: Iterable[tuple[str, str]] = (),
    positional: Sequence[str] = ("model", "data"),
) -> None:
    """Check a command's files before it does anything.

    ``models``/``data``: the names of ``args``' attributes holding input files (data may also
    be a data set's name); ``outputs``: those holding output files (``streams``: those that
    may also be ``-``, ``/dev/stdout``, a pipe or a device); ``directories``: those holding
    a directory for PNG files; ``extra_outputs``: further ``(option, path)`` outputs.
    ``may_rewrite``: ``(output option, input option)`` pairs that may be one file (a
    checkpoint updated in place by the run it holds). Messages name ``args.name`` as
    ``--name``, or ``name`` when it is in ``positional``.
    """

    def option(attr: str) -> str:
        return attr if attr in positional else "--" + attr.replace("_", "-")

    ins: list[PathSpec] = []
    for attr in models:
        _check_input(option(attr), getattr(args, attr, None), data=False)
        ins.append((option(attr), getattr(args, attr, None)))
    for attr in data:
        _check_input(option(attr), getattr(args, attr, None), data=True)
        ins.append((option(attr), getattr(args, attr, None)))
    outs: list[PathSpec] = []
    for attr in outputs:
        path = getattr(args, attr, None)
        if path is not None:
            check_output_file(path, option(attr), stream=attr in streams)
            outs.append((option(attr), path))
    for attr in directories:
        outs.extend(check_plot_directory(getattr(args, attr, None), option(attr)))
    for opt, path in extra_outputs:
        check_output_file(path, opt)
        outs.append((opt, path))
    allowed = set(may_rewrite)
    for out in outs:
        check_distinct([spec for spec in ins if (out[0], spec[0]) not in allowed], [out])
    check_distinct([], outs)


def check_train_paths(args: argparse.Namespace) -> None:
    """``backprop train``: data and --resume are inputs; --out, --checkpoint (when written) and --plot's
    files are outputs. The checkpoint a run resumes from may be the one it goes on writing."""
    every = args.checkpoint_every if isinstance(args.checkpoint_every, int) and args.checkpoint_every > 0 else None
    checkpoints = [("--checkpoint", p) for p in checkpoint_paths(args.checkpoint, every, args.epochs)] if every else []
    check_command_paths(args, models=("resume",), data=("data",), outputs=("out",), directories=("plot",),
                        extra_outputs=checkpoints, may_rewrite=[("--checkpoint", "--resume")])
