"""Before processes train together, they check that they agree on what must agree.

Ranks that call ``fit`` with different arguments (other ``epochs``, another network, data
with other columns) would otherwise wait for each other forever, or end in the MPI
library's own error (``message truncated``). :func:`check_agreement` costs one all-reduce of
a small table: every rank writes its row of numbers (each field's value, or a CRC-32 of its
text), the sum gives every rank every row, exactly (x + 0 = x), and when the rows differ
every rank raises the same :class:`~backprop.ValidationError` saying which fields differ
and what each rank has.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.validation import ValidationError
from .comm import Communicator

__all__ = ["MAX_FIELDS", "DisagreementError", "check_agreement", "fit_fields"]

class DisagreementError(ValidationError):
    """The processes of a distributed run disagree on what must agree; every rank raises it at the same point.

    ``collective`` tells the failure handlers (:func:`backprop.distributed.install_excepthook`,
    :func:`~backprop.distributed.abort_on_error`) that every rank fails here alike, so each may
    wait (briefly) for the others to print their message before the job is aborted.
    """

    collective = True


#: The most fields one check compares (the width of the table every rank sends).
MAX_FIELDS = 64

#: At most this many ranks are listed by value in the message; the rest are counted.
_SHOWN = 8


def _number(value: Any) -> tuple[float, bool]:
    """(a float64 that stands for ``value`` exactly or by its CRC-32, whether it is the value itself)."""
    if value is None:
        return -1.5, False  # a value no count, size or hash takes
    if isinstance(value, (bool, np.bool_)):
        return float(bool(value)), True
    if isinstance(value, (int, np.integer)) and abs(int(value)) < 2**53:
        return float(value), True
    if isinstance(value, (float, np.floating)) and math.isfinite(float(value)):
        return float(value), True
    return float(zlib.crc32(repr(value).encode("utf-8", "backslashreplace"))), False


def check_agreement(comm: Communicator, fields: Mapping[str, Any], what: str = "fit") -> None:
    """Raise :class:`DisagreementError` (a ValidationError) on every rank unless every rank passed equal ``fields`` (collective).

    ``fields``: name -> a number, a string, None, or anything with a stable ``repr`` (a list
    of layer sizes, a shape); every rank must pass the same names in the same order. With one
    process it does nothing. The message names each field that differs, with each rank's
    value (or, for a text too long to compare by value, this rank's).
    """
    if comm.size <= 1:
        return
    names = list(fields)
    if len(names) > MAX_FIELDS:
        raise ValidationError(f"fields: at most {MAX_FIELDS} fields are compared, received {len(names)}")
    encoded = [_number(fields[name]) for name in names]
    # A fixed width, so that ranks comparing other fields (another version of the program) still
    # exchange buffers of one size, and learn that they differ instead of failing inside MPI.
    table = np.zeros((comm.size, MAX_FIELDS + 1))
    table[comm.rank, :len(names)] = [value for value, _ in encoded]
    table[comm.rank, -1] = float(zlib.crc32(",".join(names).encode()))  # the same fields, in the same order
    comm.allreduce_(table)
    if np.all(table == table[0]):
        return
    if not np.all(table[:, -1] == table[0, -1]):
        raise DisagreementError(f"{what}: the processes run different versions of the program "
                              "(they check different fields before training together)")
    problems = []
    for j, name in enumerate(names):
        column = table[:, j]
        if np.all(column == column[0]):
            continue
        exact = encoded[j][1]
        groups: dict[float, list[int]] = {}
        for rank, value in enumerate(column.tolist()):
            groups.setdefault(value, []).append(rank)
        parts = []
        for value, ranks in list(groups.items())[:_SHOWN]:
            if len(ranks) == 1:
                who = f"rank {ranks[0]}"
            elif ranks == list(range(ranks[0], ranks[-1] + 1)):
                who = f"ranks {ranks[0]}-{ranks[-1]}"
            else:
                who = "ranks " + ", ".join(map(str, ranks[:_SHOWN])) + (", …" if len(ranks) > _SHOWN else "")
            if comm.rank in ranks:
                shown = repr(fields[name])
            elif exact:
                shown = repr(int(value)) if float(value).is_integer() else repr(value)
            elif value == -1.5:
                shown = "None"
            else:
                shown = "another value"
            parts.append(f"{who}: {shown}")
        if len(groups) > _SHOWN:
            parts.append(f"and {len(groups) - _SHOWN} more values")
        problems.append(f"{name} ({', '.join(parts)})")
    raise DisagreementError(
        f"{what}: the {comm.size} processes must agree on what they train, and they differ in "
        + "; ".join(problems) + f" (this is rank {comm.rank})"
    )


def _shape(value: Any) -> Any:
    shape = getattr(value, "shape", None)
    if shape is None and value is not None:
        try:
            shape = np.shape(value)
        except Exception:  # noqa: BLE001 - a ragged list: its own validation says so later
            shape = "unknown"
    return None if shape is None else tuple(int(n) for n in shape) if shape != "unknown" else shape


def fit_fields(net: Any, trainer: Any, X: Any, Y: Any, epochs: Any, *, sharded: bool, validation_data: Any,
               validation_split: Any, seed: Any, sample_weight: Any, class_weight: Any,
               run_options: Mapping[str, Any]) -> dict[str, Any]:
    """What the ranks of a distributed ``fit`` must agree on: the network, the options, the data's shapes.

    With sharded data only the rows may differ; with replicated data every rank holds all of
    them, so their number must agree too.
    """
    x_shape, y_shape = _shape(X), _shape(Y)
    fields: dict[str, Any] = {
        "layer sizes": list(net.layer_sizes),
        "activations": [a.name for a in net.activations],
        "loss": net.loss.name,
        "dtype": str(np.dtype(net.dtype)),
        "epochs": epochs,
        "sharded": bool(sharded),
        "features (columns of X)": None if x_shape in (None, "unknown") or len(x_shape) < 2 else x_shape[1:],
        "target columns (Y's shape after the rows)": None if y_shape in (None, "unknown") else y_shape[1:],
        "rows of X": None if sharded or x_shape in (None, "unknown") or not x_shape else x_shape[0],
        "sample_weight given": sample_weight is not None,
        "class_weight": None if class_weight is None else repr(class_weight),
        "validation_data given": validation_data is not None,
        "validation_split": validation_split,
        "seed (it draws the validation split)": seed if validation_split else None,
    }
    for key, value in sorted(getattr(trainer, "options", {}).items()):
        if key in ("comm", "seed"):  # rank 0's generator is shared, so seeds may differ
            continue
        fields[key] = _plain(value)
    for key, value in sorted(run_options.items()):
        if key in ("callbacks", "history", "verbose"):  # rank 0 alone may print
            continue
        fields[key] = _plain(value)
    return fields


def _plain(value: Any) -> Any:
    """A value to compare across processes: numbers, text and lists as they are, other objects by their type."""
    if isinstance(value, (int, float, str, bool, type(None), np.number)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str, bool, type(None))) for v in value):
        return list(value)
    return type(value).__name__
