"""The ``backprop`` command: ``train``, ``evaluate``, ``predict``, ``gradcheck``, ``info``, ``plot``,
``explain``, ``check`` and ``demo``; ``backprop --version``.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args)``.
Exit codes: 0 success, 2 usage errors (argparse's, and the ValueError/TypeError of
validation), 1 other failures (files, missing extras, divergence, a failed check);
errors print one line on stderr (the traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

from .._version import __version__
from ..distributed.comm import launched_rank, launched_size
from . import attribute, check, demo, evaluate, explain, export, gradcheck, info, playground, plot, predict, train
from ._common import error_line, exit_code
from ._output import cli_warnings, guarded_output

SUBCOMMANDS = (train, evaluate, predict, gradcheck, info, plot, explain, check, attribute, export, playground, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop",
        description="Train feed-forward neural networks with explicit, checkable backpropagation.",
        epilog="Run 'backprop COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"backprop {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


@contextlib.contextmanager
def _silent_unless_first_process() -> Iterator[None]:
    """Under an MPI launcher, only rank 0 prints what argparse says (help, usage errors): every rank says the same."""
    if launched_size() > 1 and launched_rank() > 0:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
            yield
    else:
        yield


def main(argv: Sequence[str] | None = None) -> int:
    with guarded_output() as (out, _), cli_warnings():
        code = _main(argv)
        if out.closed_early and code == 0:  # the reader went away; the command still did its work
            print("backprop: note: standard output was closed early; the rest of the output was dropped",
                  file=sys.stderr)
        return code


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    with _silent_unless_first_process():
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("backprop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`backprop info m.npz | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - every error becomes one line and an exit code
        if args.debug:
            raise
        print(error_line(args.command, exc), file=sys.stderr)
        return exit_code(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
