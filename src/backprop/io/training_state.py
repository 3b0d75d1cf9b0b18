"""A checkpoint's training state, checked field by field as strictly as the model file around it.

:func:`read_state` turns the state stored in a checkpoint's config (JSON, its arrays as
separate members) back into the dict ``Trainer.state_dict()`` returned, refusing with
:class:`~backprop.io.ModelFileError` naming the file and the field anything a trainer could
not resume from or would resume wrongly: nesting deeper than :data:`MAX_STATE_DEPTH`,
strings or booleans where numbers belong, negative counters, NaN or inf in any stored
array, negative second moments (Adam's ``exp_avg_sq``, RMSprop's ``square_avg``: their
square roots are taken), a generator state out of range, best parameters of the wrong
shape. Fields it does not know (a custom optimizer's, a custom schedule's) are checked
only for depth and finite arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .archive import ModelFileError, _fail

__all__ = ["MAX_STATE_DEPTH", "check_resume_options", "read_state"]

#: The deepest nesting of dicts and lists accepted in a checkpoint's state (a trainer's is 4 deep).
MAX_STATE_DEPTH = 32

_ARRAY_REF = "__ndarray__"

#: The library's optimizers, whose hyperparameters are all numbers.
_NUMERIC_HYPERPARAMETERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")

#: Optimizer state arrays whose entries are squares (a square root is taken of them): never negative.
_NONNEGATIVE_ARRAYS = ("exp_avg_sq", "square_avg")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _decode(value: Any, arrays: dict[str, np.ndarray], path: str, where: str, depth: int) -> Any:
    if depth > MAX_STATE_DEPTH:
        raise _fail(path, f"checkpoint field {where}: nested more than {MAX_STATE_DEPTH} levels deep "
                          "(a trainer's state is a few levels deep): damaged or forged")
    if isinstance(value, dict):
        if set(value) == {_ARRAY_REF}:
            name = value[_ARRAY_REF]
            if not isinstance(name, str) or name not in arrays or name == "params":
                raise _fail(path, f"checkpoint field {where}: refers to an unknown array {name!r}")
            array = arrays[name].copy()
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                bad = int(np.size(array) - np.isfinite(array).sum())
                raise _fail(path, f"checkpoint field {where}: {bad} of its {array.size} values are NaN or inf "
                                  "(a training state holds only finite numbers)")
            return array
        return {key: _decode(item, arrays, path, f"{where}.{key}", depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item, arrays, path, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    return value


class _Checker:
    def __init__(self, path: str):
        self.path = path

    def fail(self, where: str, expected: str, value: Any) -> ModelFileError:
        return _fail(self.path, f"checkpoint field {where}: expected {expected}, received {_kind(value)}")

    def count(self, value: Any, where: str, optional: bool = False) -> None:
        if optional and value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(where, "a non-negative integer" + (" or null" if optional else ""), value)

    def number(self, value: Any, where: str, *, optional: bool = False, finite: bool = True,
               minimum: float | None = None) -> None:
        if optional and value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, "a number" + (" or null" if optional else ""), value)
        try:
            as_float = float(value)
        except OverflowError:  # an integer beyond float64
            raise self.fail(where, "a number within float64's range", value) from None
        if math.isnan(as_float) or (finite and math.isinf(as_float)):
            raise self.fail(where, "a finite number", value)
        if minimum is not None and value < minimum:
            raise self.fail(where, f"a number >= {minimum}", value)

    def mapping(self, value: Any, where: str, optional: bool = False) -> bool:
        if optional and value is None:
            return False
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        return True


def _check_optimizer(c: _Checker, opt: Any, n_params: int) -> None:
    where = "state.optimizer"
    c.mapping(opt, where)
    if not isinstance(opt.get("name"), str):
        raise c.fail(f"{where}.name", "the optimizer's name (a string)", opt.get("name"))
    if "t" in opt:
        c.count(opt["t"], f"{where}.t")
    hyper = opt.get("hyperparameters", {})
    c.mapping(hyper, f"{where}.hyperparameters")
    builtin = opt["name"] in _NUMERIC_HYPERPARAMETERS  # a custom optimizer's may be anything JSON
    for key, value in hyper.items():
        if value is not None and not isinstance(value, bool) and (builtin or not isinstance(value, str)):
            c.number(value, f"{where}.hyperparameters.{key}")
    arrays = opt.get("state", {})
    c.mapping(arrays, f"{where}.state")
    for key, array in arrays.items():
        field = f"{where}.state.{key}"
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
            raise c.fail(field, "an array of floating-point numbers", array)
        if array.shape != (n_params,):
            raise c.fail(field, f"an array of shape ({n_params},) (one entry per parameter)", array)
        if key in _NONNEGATIVE_ARRAYS and (array < 0).any():
            raise _fail(c.path, f"checkpoint field {field}: {int((array < 0).sum())} negative values "
                                f"(smallest {float(array.min()):.3g}); these are averages of squares, never negative")
    internal = opt.get("internal")
    if c.mapping(internal, f"{where}.internal", optional=True):
        bounds = internal.get("bounds")
        if bounds is not None:
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise c.fail(f"{where}.internal.bounds", "a list of two numbers (or nulls)", bounds)
            for i, b in enumerate(bounds):
                c.number(b, f"{where}.internal.bounds[{i}]", optional=True, minimum=0)


def _check_rng(c: _Checker, rng: Any) -> None:
    where = "state.rng"
    c.mapping(rng, where)
    if not isinstance(rng.get("bit_generator"), str):
        raise c.fail(f"{where}.bit_generator", "a generator's name (a string)", rng.get("bit_generator"))
    inner = rng.get("state")
    c.mapping(inner, f"{where}.state")
    for key, value in inner.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**128:
            raise c.fail(f"{where}.state.{key}", "an integer from 0 to 2**128 - 1", value)
    if "has_uint32" in rng and rng["has_uint32"] not in (0, 1) or isinstance(rng.get("has_uint32"), bool):
        raise c.fail(f"{where}.has_uint32", "0 or 1", rng.get("has_uint32"))
    if "uinteger" in rng:
        value = rng["uinteger"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
            raise c.fail(f"{where}.uinteger", "an integer from 0 to 2**32 - 1", value)


def _check_early_stopping(c: _Checker, es: Any, n_params: int) -> None:
    where = "state.early_stopping"
    if not c.mapping(es, where, optional=True):
        return
    c.number(es.get("best_value"), f"{where}.best_value", optional=True)
    c.count(es.get("wait", 0), f"{where}.wait")
    c.count(es.get("best_epoch"), f"{where}.best_epoch", optional=True)
    best = es.get("best_params")
    if best is not None and (not isinstance(best, np.ndarray) or best.dtype.kind != "f" or best.shape != (n_params,)):
        raise c.fail(f"{where}.best_params", f"null or an array of ({n_params},) floating-point numbers", best)


def _check_schedule(c: _Checker, schedule: Any) -> None:
    where = "state.schedule"
    if not c.mapping(schedule, where, optional=True):
        return
    for key, value in schedule.items():
        if not isinstance(value, (dict, list, str)) and value is not None:
            c.number(value, f"{where}.{key}", finite=key != "best")
        elif isinstance(value, str):
            raise c.fail(f"{where}.{key}", "a number", value)


def _check_history(c: _Checker, history: Any) -> None:
    where = "state.history"
    if not c.mapping(history, where, optional=True):
        return
    logs = history.get("history", {})
    c.mapping(logs, f"{where}.history")
    for key, values in logs.items():
        if not isinstance(values, list):
            raise c.fail(f"{where}.history.{key}", "a list of numbers", values)
        for i, v in enumerate(values):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise c.fail(f"{where}.history.{key}[{i}]", "a number", v)
    epochs = history.get("epoch", [])
    if not isinstance(epochs, list):
        raise c.fail(f"{where}.epoch", "a list of epoch indices", epochs)
    for i, e in enumerate(epochs):
        c.count(e, f"{where}.epoch[{i}]")
    c.count(history.get("best_epoch"), f"{where}.best_epoch", optional=True)


def read_state(raw: Any, arrays: dict[str, np.ndarray], path: str, n_params: int) -> dict[str, Any]:
    """The training state of a checkpoint (``Trainer.state_dict()``'s dict), every known field checked.

    ``raw``: the config's ``state`` (JSON, arrays as references); ``arrays``: the checked
    members by name; ``n_params``: the network's parameter count. Raises ModelFileError
    naming ``path`` and the field.
    """
    c = _Checker(path)
    if not isinstance(raw, dict):
        raise c.fail("state", "an object (the trainer's state)", raw)
    state = _decode(raw, arrays, path, "state", 0)
    for key in ("epoch", "step"):
        if key in state:
            c.count(state[key], f"state.{key}")
    checks: dict[str, Callable[[Any], None]] = {
        "optimizer": lambda v: _check_optimizer(c, v, n_params),
        "rng": lambda v: _check_rng(c, v),
        "early_stopping": lambda v: _check_early_stopping(c, v, n_params),
        "schedule": lambda v: _check_schedule(c, v),
        "history": lambda v: _check_history(c, v),
    }
    for key, check in checks.items():
        if key in state:
            check(state[key])
    return state


#: The numeric options ``backprop train`` stores in a checkpoint's metadata, with their ranges.
_NUMERIC_OPTIONS: dict[str, tuple[str, float | None, float | None, bool]] = {
    # name: (kind, minimum, maximum, may be null)
    "learning_rate": ("float", 0.0, None, True),
    "l2": ("float", 0.0, None, False),
    "dropout": ("float", 0.0, 1.0, False),
    "clip_norm": ("float", 0.0, None, True),
    "validation_split": ("float", 0.0, 1.0, False),
    "patience": ("int", 0, None, False),
    "seed": ("int", 0, None, False),
    "samples": ("int", 1, None, True),
    "data_seed": ("int", 0, None, True),
}


def check_resume_options(options: dict[str, Any], path: str) -> None:
    """The numeric training options a checkpoint stores (``metadata.options``): numbers in range, or
    null where allowed; ``batch_size`` a positive integer, ``'full'`` or null; flags booleans.
    Raises ModelFileError naming the file and the option."""
    c = _Checker(path)
    for key, (kind, low, high, nullable) in _NUMERIC_OPTIONS.items():
        if key not in options:
            continue
        value, where = options[key], f"metadata.options.{key}"
        if value is None and nullable:
            continue
        if kind == "int":
            c.count(value, where)
            if low is not None and value < low:
                raise c.fail(where, f"an integer >= {low:g}", value)
        else:
            c.number(value, where, minimum=low)
            if high is not None and value > high:
                raise c.fail(where, f"a number from {low:g} to {high:g}", value)
    batch = options.get("batch_size")
    if batch is not None and batch != "full" and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        raise c.fail("metadata.options.batch_size", "a positive integer, 'full' or null", batch)
    for key in ("early_stopping", "standardize"):
        if key in options and not isinstance(options[key], bool):
            raise c.fail(f"metadata.options.{key}", "true or false", options[key])
