"""The ``backprop`` command: ``train``, ``evaluate``, ``predict``, ``gradcheck``, ``info``, ``plot``,
``explain`` and ``demo``; ``backprop --version``.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args)``.
Exit codes: 0 success, 2 usage errors (argparse's, and the ValueError/TypeError of
validation), 1 other failures (files, missing extras, divergence, a failed check);
errors print one line on stderr (the traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from . import demo, evaluate, explain, gradcheck, info, plot, predict, train

SUBCOMMANDS = (train, evaluate, predict, gradcheck, info, plot, explain, demo)


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


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
        usage = isinstance(exc, (ValueError, TypeError))
        kind = "" if usage or isinstance(exc, (OSError, ImportError)) else f"{type(exc).__name__}: "
        print(f"backprop {args.command}: error: {kind}{_one_line(exc)}", file=sys.stderr)
        return 2 if usage else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
