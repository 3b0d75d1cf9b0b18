"""The ONNX graph writer behind :func:`backprop.export.onnx.to_onnx` and the skl2onnx converter:
the node builders (a graph of its own, or skl2onnx's container), each activation as ONNX
operators (numerically careful forms: clipped tanh, expm1, log1p), and the layers' forward pass, the optional standardisation in front and the outputs (label,
probabilities or variable) behind.

Private: :mod:`backprop.export.onnx` re-exports what others use.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import activations as _act
from ..core.validation import ValidationError

_INSTALL = "pip install 'backprop-mlp[onnx]'"

class _Builder:
    """Writes nodes and constants; :class:`_Standalone` and the skl2onnx back end implement the storage."""

    def __init__(self, dtype: np.dtype, opset: int):
        self.dtype = dtype
        self.opset = opset
        self._scalars: dict[float, str] = {}

    def const(self, hint: str, array: np.ndarray) -> str:
        raise NotImplementedError

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, output: str | None = None, **attrs: Any) -> str:
        raise NotImplementedError

    def scalar(self, value: float) -> str:
        """A 0-d constant of the export dtype (shared by every node that needs the same value)."""
        if value not in self._scalars:
            self._scalars[value] = self.const(f"c_{value:g}".replace("-", "m").replace(".", "_"),
                                              np.array(value, dtype=self.dtype))
        return self._scalars[value]

    def reduce(self, op_type: str, x: str, axis: int, hint: str) -> str:
        """ReduceMax / ReduceSum over one axis with keepdims=1, in the opset's spelling."""
        takes_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if takes_input:
            return self.op(op_type, [x, self.const(f"axes_{axis}", np.array([axis], dtype=np.int64))], hint, keepdims=1)
        return self.op(op_type, [x], hint, axes=[axis], keepdims=1)


class _Standalone(_Builder):
    """Collects the nodes and initializers of a graph of its own."""

    def __init__(self, dtype: np.dtype, opset: int):
        super().__init__(dtype, opset)
        from onnx import helper, numpy_helper

        self._helper, self._numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = {"X"}

    def reserve(self, names: Any) -> None:
        """Names the graph's inputs take (so no node output is given one of them)."""
        self._names.update(names)

    def unique(self, hint: str) -> str:
        name, k = hint, 1
        while name in self._names:
            k += 1
            name = f"{hint}_{k}"
        self._names.add(name)
        return name

    def const(self, hint: str, array: np.ndarray) -> str:
        name = self.unique(hint)
        self.initializers.append(self._numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, hint=None, output=None, **attrs):
        out = output if output is not None else self.unique(hint or op_type.lower())
        if output is not None:
            self._names.add(output)
        self.nodes.append(self._helper.make_node(op_type, inputs, [out], name=self.unique(f"{op_type}_node"), **attrs))
        return out


def _tanh_op(g: _Builder, x: str, hint: str) -> str:
    """tanh, clipped to [−1, 1]: onnxruntime's float32 Tanh can return 1.0000001 (numpy's never leaves
    [−1, 1]), which would make σ slightly negative and tanh-based formulas cross their bounds."""
    return g.op("Clip", [g.op("Tanh", [x], f"{hint}_raw"), g.scalar(-1.0), g.scalar(1.0)], hint)


def _sigmoid(g: _Builder, z: str, hint: str) -> str:
    t = _tanh_op(g, g.op("Mul", [z, g.scalar(0.5)], f"{hint}_half"), f"{hint}_tanh")
    return g.op("Add", [g.op("Mul", [t, g.scalar(0.5)], f"{hint}_halftanh"), g.scalar(0.5)], hint)


def _expm1(g: _Builder, m: str, hint: str) -> str:
    """e^m − 1 = 2t / (1 − t), t = tanh(m/2): no cancellation for m near 0 (m ≤ 0 here)."""
    t = _tanh_op(g, g.op("Mul", [m, g.scalar(0.5)], f"{hint}_half"), f"{hint}_tanh")
    return g.op("Div", [g.op("Mul", [t, g.scalar(2.0)], f"{hint}_2t"), g.op("Sub", [g.scalar(1.0), t], f"{hint}_1mt")], hint)


def _log1p(g: _Builder, e: str, hint: str) -> str:
    """log(1 + e) to a few ulps: e log(u) / (u − 1), u = 1 + e; e itself where u rounds to 1."""
    u = g.op("Add", [g.scalar(1.0), e], f"{hint}_u")
    ratio = g.op("Div", [g.op("Mul", [g.op("Log", [u], f"{hint}_log"), e], f"{hint}_elog"),
                         g.op("Sub", [u, g.scalar(1.0)], f"{hint}_um1")], f"{hint}_ratio")
    return g.op("Where", [g.op("Equal", [u, g.scalar(1.0)], f"{hint}_rounds"), e, ratio], hint)


def _identity(g, act, z, hint):
    return z


def _tanh(g, act, z, hint):
    return _tanh_op(g, z, hint)


def _relu(g, act, z, hint):
    return g.op("Relu", [z], hint)


def _leaky_relu(g, act, z, hint):
    return g.op("Max", [z, g.op("Mul", [z, g.scalar(act.alpha)], f"{hint}_alphaz")], hint)


def _elu(g, act, z, hint):
    m = g.op("Min", [z, g.scalar(0.0)], f"{hint}_min0")
    negative = g.op("Mul", [_expm1(g, m, f"{hint}_expm1"), g.scalar(act.alpha)], f"{hint}_neg")
    return g.op("Where", [g.op("Greater", [z, g.scalar(0.0)], f"{hint}_pos"), z, negative], hint)


def _softplus(g, act, z, hint):
    e = g.op("Exp", [g.op("Neg", [g.op("Abs", [z], f"{hint}_abs")], f"{hint}_negabs")], f"{hint}_exp")
    return g.op("Add", [g.op("Relu", [z], f"{hint}_relu"), _log1p(g, e, f"{hint}_log1p")], hint)


def _gelu(g, act, z, hint):
    c = g.op("Clip", [z, g.scalar(-10.0), g.scalar(10.0)], f"{hint}_clip")
    cube = g.op("Mul", [g.op("Mul", [c, c], f"{hint}_c2"), c], f"{hint}_c3")
    inner = g.op("Add", [c, g.op("Mul", [cube, g.scalar(0.044715)], f"{hint}_kc3")], f"{hint}_inner")
    u = g.op("Mul", [inner, g.scalar(_act._SQRT_2_OVER_PI)], f"{hint}_u")
    half = g.op("Mul", [g.op("Add", [_tanh_op(g, u, f"{hint}_tanh"), g.scalar(1.0)], f"{hint}_1pt"), g.scalar(0.5)],
                f"{hint}_halfpt")
    return g.op("Mul", [half, z], hint)


def _silu(g, act, z, hint):
    return g.op("Mul", [_sigmoid(g, z, f"{hint}_sigmoid"), z], hint)


def _softmax(g, act, z, hint):
    shifted = g.op("Sub", [z, g.reduce("ReduceMax", z, 1, f"{hint}_max")], f"{hint}_shifted")
    e = g.op("Exp", [shifted], f"{hint}_exp")
    return g.op("Div", [e, g.reduce("ReduceSum", e, 1, f"{hint}_sum")], hint)


_ACTIVATION_GRAPHS = {
    _act.Identity: _identity,
    _act.Sigmoid: lambda g, act, z, hint: _sigmoid(g, z, hint),
    _act.Tanh: _tanh,
    _act.ReLU: _relu,
    _act.LeakyReLU: _leaky_relu,
    _act.ELU: _elu,
    _act.Softplus: _softplus,
    _act.GELU: _gelu,
    _act.SiLU: _silu,
    _act.Softmax: _softmax,
}
#: The activations :func:`to_onnx` can export (every built-in one).
SUPPORTED_ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu", "softmax")


def _check_activations(net: Any) -> None:
    for l, act in enumerate(net.activations, start=1):
        if type(act) not in _ACTIVATION_GRAPHS:
            raise ValidationError(
                f"model: layer {l}'s activation {act.name!r} has no ONNX form (a user-registered activation is "
                f"Python code); the exporter writes {', '.join(SUPPORTED_ACTIVATIONS)}"
            )


def _forward(g: _Builder, net: Any, x: str) -> str:
    """The layers: ``A = g(MatMul(A, W[l]ᵀ) + b[l])``; returns the name of the output A[L] (N, n_L)."""
    for l, (W, b, act) in enumerate(zip(net.weights, net.biases, net.activations), start=1):
        Wt = g.const(f"W{l}_T", np.ascontiguousarray(W.T, dtype=g.dtype))
        bias = g.const(f"b{l}", np.asarray(b[:, 0], dtype=g.dtype))
        z = g.op("Add", [g.op("MatMul", [x, Wt], f"Z{l}_matmul"), bias], f"Z{l}")
        x = _ACTIVATION_GRAPHS[type(act)](g, act, z, f"A{l}")
    return x


def _standardize(g: _Builder, x: str, mean: np.ndarray, scale: np.ndarray) -> str:
    centred = g.op("Sub", [x, g.const("scaler_mean", mean.astype(g.dtype))], "X_centred")
    return g.op("Div", [centred, g.const("scaler_scale", scale.astype(g.dtype))], "X_standardized")


def _label_array(classes: list[Any] | None, strict: bool) -> tuple[np.ndarray | None, str | None]:
    """The labels as a constant for Gather: (array, note). Strings stay strings, integers become int64;
    float labels become int64 when all are whole numbers, else float64 (refused when ``strict``, as skl2onnx does)."""
    if classes is None:
        return None, None
    if all(isinstance(c, str) for c in classes):
        return np.array(classes, dtype=object), None
    if all(isinstance(c, (bool, int, np.integer, np.bool_)) for c in classes):
        return np.array([int(c) for c in classes], dtype=np.int64), None
    values = [float(c) for c in classes]
    if all(math.isfinite(v) and v == round(v) for v in values):
        return np.array([int(v) for v in values], dtype=np.int64), "float class labels are whole numbers: exported as int64"
    if strict:
        raise ValidationError(f"classes: skl2onnx needs integer or string class labels, received {classes}")
    return np.array(values, dtype=np.float64), None


def _head(g: _Builder, net: Any, a: str, labels: np.ndarray | None, names: dict[str, str]) -> None:
    """The outputs: ``label`` and ``probabilities`` (classifiers) or ``variable`` (regressors)."""
    task = net.task
    if task == "regression":
        g.op("Identity", [a], output=names["variable"])
        return
    if task == "binary":
        g.op("Concat", [g.op("Sub", [g.scalar(1.0), a], "proba_negative"), a], output=names["probabilities"], axis=1)
        above = g.op("Reshape", [g.op("Greater", [a, g.scalar(0.5)], "above_half"),
                                 g.const("shape_flat", np.array([-1], dtype=np.int64))], "above_half_flat")
        index = g.op("Cast", [above], "class_index", to=7)  # 7: INT64
    elif task == "multiclass":
        g.op("Identity", [a], output=names["probabilities"])
        index = g.op("ArgMax", [a], "class_index", axis=1, keepdims=0)
    else:  # multilabel: several sigmoid units, predict gives the 0/1 matrix
        g.op("Identity", [a], output=names["probabilities"])
        g.op("Cast", [g.op("Greater", [a, g.scalar(0.5)], "above_half")], output=names["label"], to=7)
        return
    if labels is None:
        g.op("Identity", [index], output=names["label"])
    else:
        g.op("Gather", [g.const("classes", labels), index], output=names["label"], axis=0)
