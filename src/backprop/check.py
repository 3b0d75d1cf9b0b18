"""``check_backprop``: run a learner's backward pass against the equations and say what is wrong.

It recognises the functions of the deeplearning.ai Deep Learning Specialization by their
parameter names, builds the course's inputs for them (its cache layouts and dictionary keys)
on several seeded networks and shapes (m = 1 and a single hidden unit among them), runs the
learner's function and the reference equations (:mod:`backprop.reference`) on them, and
reports the first wrong array by its course name (``dW1``, ``db2``, ``dA0`` …): the element,
the expected and received numbers, the equation that produces it, and a diagnosis of the usual
mistakes (a missing or double 1/m, a transpose, ``keepdims`` lost, the wrong activation
derivative, an off-by-one layer or cache index, the caller's arrays changed in place …).

The diagnosis is found by running the same equations with each usual mistake put in on
purpose and seeing which one reproduces the learner's numbers.

Recognised signatures:

========================================================  ===========================================
``backward_propagation(parameters, cache, X, Y)``           course 1, week 3: 2 layers, tanh → sigmoid
``linear_backward(dZ, cache)``                              course 1, week 4: cache ``(A_prev, W, b)``
``linear_activation_backward(dA, cache, activation)``       course 1, week 4: cache ``((A_prev, W, b), Z)``
``L_model_backward(AL, Y, caches)``                         course 1, week 4: relu … relu → sigmoid
``backward_propagation_with_regularization(X, Y, cache, lambd)``  course 2, week 1: L2, 3 layers
``backward_propagation_with_dropout(X, Y, cache, keep_prob)``     course 2, week 1: dropout, 3 layers
========================================================  ===========================================
"""

from __future__ import annotations

import copy
import html
import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._check_cases import _CASES, _Case, _Wrong
from .core.validation import InputTypeError, ValidationError, describe

__all__ = ["check_backprop", "BackpropCheck", "SIGNATURES"]

SIGNATURES: dict[tuple[str, ...], str] = {
    ("parameters", "cache", "X", "Y"): "backward_propagation",
    ("dZ", "cache"): "linear_backward",
    ("dA", "cache", "activation"): "linear_activation_backward",
    ("AL", "Y", "caches"): "L_model_backward",
    ("X", "Y", "cache", "lambd"): "backward_propagation_with_regularization",
    ("X", "Y", "cache", "keep_prob"): "backward_propagation_with_dropout",
}
_WHERE = {
    "backward_propagation": "course 1, week 3 (2-layer network, tanh → sigmoid)",
    "linear_backward": "course 1, week 4 (the linear part of one layer)",
    "linear_activation_backward": "course 1, week 4 (one layer, relu or sigmoid)",
    "L_model_backward": "course 1, week 4 (L layers, relu … relu → sigmoid)",
    "backward_propagation_with_regularization": "course 2, week 1 (L2 regularisation, relu → relu → sigmoid)",
    "backward_propagation_with_dropout": "course 2, week 1 (dropout, relu → relu → sigmoid)",
}

# --------------------------------------------------------------------------- the report


@dataclass(repr=False)
class BackpropCheck:
    """What :func:`check_backprop` found.

    ``passed``: every array of every case right (and no input changed). Otherwise ``name``
    (the first wrong array's course name, e.g. "dW1"), ``case`` (the network and shapes),
    ``index``, ``expected`` and ``received`` (that element's numbers, or the shapes),
    ``equation`` (text) and ``latex``, ``diagnosis`` (the usual mistake that reproduces the
    learner's numbers, when one does), ``in_place`` (inputs the function changed) and
    ``error`` (an exception the function raised).
    """

    function: str
    signature: str
    cases: list[str]
    passed: bool
    name: str | None = None
    case: str | None = None
    index: tuple[int, ...] | None = None
    expected: Any = None
    received: Any = None
    equation: str | None = None
    latex: str | None = None
    diagnosis: str | None = None
    in_place: list[str] = field(default_factory=list)
    error: str | None = None

    def _lines(self) -> list[str]:
        args = next(a for a, n in SIGNATURES.items() if n == self.signature)
        head = f"check_backprop: {self.function} as {self.signature}({', '.join(args)}), {_WHERE[self.signature]}"
        lines = [head, f"cases: {'; '.join(self.cases)}"]
        if self.passed:
            lines.append(f"PASS: every array equals the equations on all {len(self.cases)} cases (no input changed)")
            return lines
        lines.append("FAIL")
        if self.error:
            lines.append(f"  the function raised on case {self.case}: {self.error}")
        if self.name:
            lines.append(f"  first wrong array: {self.name}  (case {self.case})")
            if self.index is not None:
                lines.append(f"  at {self.name}[{', '.join(map(str, self.index))}]: expected {self.expected:.10g}, "
                             f"received {self.received:.10g}")
            elif self.expected is not None:
                lines.append(f"  expected {self.expected}, received {self.received}")
            if self.equation:
                lines.append(f"  equation: {self.equation}")
        if self.in_place:
            lines.append(f"  changed the caller's {', '.join(self.in_place)} in place: work on copies (dZ = dA * …, "
                         "not dA *= …), the caller still needs them")
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        elif self.name and not self.error:
            lines.append("  diagnosis: none of the usual mistakes reproduces these numbers; compare the line that "
                         "computes it with the equation above")
        return lines

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        if self.passed:
            return f"<BackpropCheck {self.function}: PASS on {len(self.cases)} cases>"
        if self.name:
            where = f"first wrong array {self.name}"
        elif self.error:
            where = self.error.split(" (line")[0][:100]
        else:
            where = f"changed {', '.join(self.in_place)} in place"
        return f"<BackpropCheck {self.function}: FAIL, {where}{f'; {self.diagnosis}' if self.diagnosis else ''}>"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#cf222e"
        lines = self._lines()
        parts = [f"<div style='font-size:13px'><b>{html.escape(lines[0])}</b><br>",
                 f"<span style='color:#555'>{html.escape(lines[1])}</span><br>",
                 f"<b style='color:{colour}'>{'PASS' if self.passed else 'FAIL'}</b>"]
        if self.latex:
            parts.append(f"<div>the equation: \\({html.escape(self.latex)}\\)</div>")
        parts.append("<pre style='font-size:12px'>" + html.escape("\n".join(lines[3:] if not self.passed else lines[2:])) + "</pre></div>")
        return "".join(parts)


# --------------------------------------------------------------------------- the check


def _recognise(fn: Callable) -> str:
    try:
        names = tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        raise InputTypeError(f"fn: expected a Python function, received {describe(fn)}") from None
    if names in SIGNATURES:
        return SIGNATURES[names]
    known = "; ".join(f"{name}({', '.join(args)})" for args, name in SIGNATURES.items())
    raise ValidationError(f"fn: {getattr(fn, '__name__', 'the function')}({', '.join(names)}) has none of the course's "
                          f"signatures (recognised by their parameter names): {known}")


def _snapshot(value: Any) -> Any:
    return copy.deepcopy(value)


def _changed(before: Any, after: Any, path: str) -> list[str]:
    """Paths of the arrays in ``after`` that differ from ``before``."""
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after)
        return [] if same else [path]
    if isinstance(before, dict):
        return [p for k in before for p in _changed(before[k], after.get(k) if isinstance(after, dict) else None, f"{path}[{k!r}]")]
    if isinstance(before, (tuple, list)):
        return [p for i, v in enumerate(before) for p in _changed(v, after[i] if len(after) > i else None, f"{path}[{i}]")]
    return []


def _compare(expected: dict[str, np.ndarray], received: dict[str, Any]) -> tuple[str, str, Any, Any, Any] | None:
    """The first wrong array in computing order: (name, kind, index, expected, received), or None."""
    for name in expected:
        if name not in received:
            return name, "missing", None, f"a key {name!r}", f"the keys {sorted(map(str, received))}"
    for name, want in expected.items():
        got = received[name]
        try:
            got_array = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return name, "type", None, f"an array of shape {want.shape}", describe(got)
        if got_array.shape != want.shape:
            return name, "shape", None, f"shape {want.shape}", f"shape {got_array.shape}"
        bad = ~np.isclose(got_array, want, rtol=1e-7, atol=1e-10)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            return name, "value", index, float(want[index]), float(got_array[index])
    return None


def _same(a: Any, b: np.ndarray) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def _diagnose(case: _Case, received: dict[str, Any], first: str) -> str | None:
    """The usual mistake whose numbers equal the learner's first wrong array (the most arrays, on ties)."""
    best, best_score = None, 0
    for text, knob in case.mistakes:
        try:
            with np.errstate(all="ignore"):
                wrong = case.redo(knob)
        except (ValueError, IndexError):  # the mistake cannot even be made on these shapes
            continue
        if first not in wrong or first not in received or not _same(received[first], wrong[first]):
            continue
        score = sum(_same(received[k], wrong[k]) for k in wrong if k in received)
        if score > best_score:
            best, best_score = text, score
    if best is not None:
        return best
    want = case.expected[first]
    got = received.get(first)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if got.shape == want.shape[:1] and want.ndim == 2 and want.shape[1] == 1:
        return "keepdims lost: np.sum(dZ, axis=1) without keepdims=True gives the shape (n,) instead of (n, 1)"
    if got.ndim == 0 and want.size > 1:
        return "summed over every axis: np.sum(dZ) without axis=1 (and keepdims=True)"
    if want.ndim == 2 and got.shape == want.T.shape and want.shape != want.T.shape:
        return f"a transpose: received the shape of {first}ᵀ"
    if got.shape == want.shape and np.any(want):
        ratio = float(np.vdot(got, want) / np.vdot(want, want))
        if np.allclose(got, ratio * want, rtol=1e-6, atol=1e-12):
            return (f"{first} is the right array times {ratio:.6g}: " +
                    ("the sign is flipped" if np.isclose(ratio, -1) else "a constant factor is wrong (a 1/m, a ½, a 2?)"))
    return None


def check_backprop(fn: Callable, *, seed: int = 0) -> BackpropCheck:
    """Check a learner's backward-pass function against the equations; see the module notes.

    ``fn`` is recognised by its parameter names (``backward_propagation(parameters, cache, X,
    Y)``, ``linear_backward(dZ, cache)``, ``linear_activation_backward(dA, cache, activation)``,
    ``L_model_backward(AL, Y, caches)``, and the course-2 L2 and dropout variants). It is run on
    several seeded cases (including m = 1 and a single hidden unit) in the course's layouts.
    Returns a :class:`BackpropCheck`: ``.passed``, the first wrong array by its course name, the
    element, expected and received numbers, the equation, and a diagnosis. Prints as text and
    renders in a notebook.
    """
    if not callable(fn):
        raise InputTypeError(f"fn: expected a function such as backward_propagation, received {describe(fn)}")
    signature = _recognise(fn)
    function = getattr(fn, "__name__", signature)
    rng = np.random.default_rng(seed)
    cases = list(_CASES[signature](rng))
    descriptions = [c.description for c in cases]
    first: BackpropCheck | None = None
    for case in cases:
        report = _run_case(fn, function, signature, descriptions, case)
        if report is None:
            continue
        if first is None:
            first = report
        if first.error and not report.error and report.diagnosis:  # a later case shows what the error came from
            first.diagnosis = f"{report.diagnosis} (seen on case {report.case}, where the function ran)"
            break
        if not first.error:
            break
    return first or BackpropCheck(function, signature, descriptions, True)


def _learner_lines(exc: BaseException) -> str:
    """The traceback's lines from the learner's code down (not this module's)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return " → ".join(f"line {f.lineno}: {f.line}" for f in frames[-3:])


def _run_case(fn: Callable, function: str, signature: str, descriptions: list[str], case: _Case) -> BackpropCheck | None:
    """None when the case passes, else the report of what is wrong in it."""
    before = _snapshot(case.args)
    args = _snapshot(before)  # the learner's own copy, watched for changes
    try:
        with np.errstate(all="ignore"):
            result = fn(*args)
    except Exception as exc:  # noqa: BLE001 - the learner's error is the report
        return BackpropCheck(function, signature, descriptions, False, case=case.description,
                             error=f"{type(exc).__name__}: {exc} ({_learner_lines(exc)})")
    in_place = [p.replace("args", "", 1) for p in _changed(before, args, "args")]
    in_place = [_arg_name(signature, p) for p in in_place]
    try:
        received = case.convert(result)
    except _Wrong as exc:
        return BackpropCheck(function, signature, descriptions, False, case=case.description, error=str(exc),
                             in_place=in_place)
    wrong = _compare(case.expected, received)
    if wrong is None and not in_place:
        return None
    report = BackpropCheck(function, signature, descriptions, False, case=case.description, in_place=in_place)
    if wrong is not None:
        name, kind, index, expected, got = wrong
        report.name, report.index, report.expected, report.received = name, index, expected, got
        report.equation, report.latex = case.equations.get(name, (None, None))
        if kind in ("shape", "value"):
            report.diagnosis = _diagnose(case, received, name)
        elif kind == "missing":
            report.diagnosis = _missing_key(name, list(case.expected), received)
    return report


def _missing_key(name: str, keys: list[str], received: dict) -> str:
    """A missing key, and whether the received keys are the right ones shifted by one layer."""
    prefix = name.rstrip("0123456789")
    want = sorted(int(k[len(prefix):]) for k in keys if k.rstrip("0123456789") == prefix)
    got = sorted(int(k[len(prefix):]) for k in map(str, received)
                 if k.rstrip("0123456789") == prefix and k[len(prefix):].isdigit())
    for shift in (1, -1):
        if got and got == [i + shift for i in want]:
            return (f"an off-by-one layer index in the keys: received {prefix}{got[0]} … {prefix}{got[-1]}, the course's "
                    f"are {prefix}{want[0]} … {prefix}{want[-1]} (grads[\"dA\" + str(l - 1)] for layer l)")
    return f"the returned dict has no {name!r}: the course's keys are {keys}, received {sorted(map(str, received))}"


def _arg_name(signature: str, path: str) -> str:
    """``[1]['A1']`` → ``cache['A1']`` using the signature's parameter names."""
    names = next(args for args, name in SIGNATURES.items() if name == signature)
    position = int(path[1:path.index("]")])
    return names[position] + path[path.index("]") + 1:]
