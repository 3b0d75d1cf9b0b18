"""``backprop check FILE.py:FUNCTION``: check a learner's backward pass (see :mod:`backprop.check`)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from ..check import SIGNATURES, check_backprop
from ..core.validation import ValidationError
from ._common import make_parser

EXAMPLES = """examples:
  backprop check my_planar.py:backward_propagation     # course 1, week 3
  backprop check dnn_app.py:L_model_backward           # course 1, week 4
  backprop check reg.py:backward_propagation_with_regularization

Runs FUNCTION from FILE.py and the equations on several seeded networks and shapes (m = 1 and a
single hidden unit among them), in the course's cache layouts, and prints the first wrong array
by its course name, the element (expected and received), the equation and a diagnosis of the
usual mistake. Exit 0 when everything is right, 1 when something is wrong.

recognised signatures (by parameter names):
""" + "\n".join(f"  {name}({', '.join(args)})" for args, name in SIGNATURES.items()) + "\n"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "check",
        help="check your own backward_propagation / L_model_backward against the equations (exit 1 when wrong)",
        description="Check a backward-pass function written for the deeplearning.ai Deep Learning Specialization "
        "against the backpropagation equations, and say which array is wrong first and why.",
        epilog=EXAMPLES,
    )
    p.add_argument("target", metavar="FILE.py:FUNCTION", help="the file and the function in it")
    p.add_argument("--seed", type=int, default=0, help="seed of the networks and data of the cases (default 0)")
    p.set_defaults(run=run)


def _load(target: str):
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise ValidationError(f"FILE.py:FUNCTION: expected a file and a function such as my.py:backward_propagation, "
                              f"received {target!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"FILE.py: no such file {path!r}")
    spec = importlib.util.spec_from_file_location(f"_backprop_check_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # its own imports (helpers beside it) work
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - a learner's file: say what failed, no traceback
        raise RuntimeError(f"FILE.py: importing {path!r} failed: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.pop(0)
    fn = getattr(module, name, None)
    if not callable(fn):
        found = sorted(k for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == module.__name__)
        raise ValidationError(f"FUNCTION: {path!r} has no function {name!r}; it defines {found}")
    return fn


def run(args: argparse.Namespace) -> int:
    report = check_backprop(_load(args.target), seed=args.seed)
    print(report)
    return 0 if report.passed else 1
