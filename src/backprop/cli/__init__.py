"""The ``backprop`` command: ``backprop demo``, ``backprop --version``.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args)``.
Exit codes: 0 success, 2 usage errors, 1 other failures; errors print one line
(the traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..core.validation import BackpropError
from . import demo

SUBCOMMANDS = (demo,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop",
        description="Train feed-forward neural networks with explicit, checkable backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"backprop {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


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
    except (BackpropError, OSError, ValueError, TypeError) as exc:
        if args.debug:
            raise
        print(f"backprop {args.command}: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (ValueError, TypeError)) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
