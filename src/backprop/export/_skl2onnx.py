"""skl2onnx converters for :mod:`backprop.sklearn`'s estimators (see :func:`backprop.export.register_skl2onnx`).

The graph is the one :func:`backprop.export.to_onnx` writes (same layers, same activation
formulas, same ``label`` / ``probabilities`` head), emitted through skl2onnx's scope and
container so that it joins the rest of a converted ``Pipeline``. skl2onnx's parser then adds
its usual classifier post-processing (``ZipMap`` unless ``options={'zipmap': False}``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._onnx_ops import _INSTALL, _Builder, _check_activations, _forward, _head, _label_array

_registered = False


class _Skl2onnxBuilder(_Builder):
    """Writes nodes and initializers into a skl2onnx container, with names from its scope."""

    def __init__(self, scope: Any, container: Any, dtype: np.dtype):
        super().__init__(dtype, int(container.target_opset))
        self.scope, self.container = scope, container

    def const(self, hint, array):
        from onnx import TensorProto
        from onnx.helper import np_dtype_to_tensor_dtype

        array = np.asarray(array)
        name = self.scope.get_unique_variable_name(hint)
        if array.dtype == object:
            values = [str(v).encode("utf-8") for v in array.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape), values)
        else:
            self.container.add_initializer(name, np_dtype_to_tensor_dtype(array.dtype), list(array.shape),
                                           array.ravel().tolist())
        return name

    def op(self, op_type, inputs, hint=None, output=None, **attrs):
        out = output if output is not None else self.scope.get_unique_variable_name(hint or op_type.lower())
        self.container.add_node(op_type, inputs, [out], name=self.scope.get_unique_operator_name(op_type), **attrs)
        return out


def _graph_dtype(input_type: Any) -> np.dtype:
    from skl2onnx.common.data_types import DoubleTensorType

    return np.dtype(np.float64) if isinstance(input_type, DoubleTensorType) else np.dtype(np.float32)


def _tensor_type(dtype: np.dtype) -> Any:
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    return DoubleTensorType if dtype == np.float64 else FloatTensorType


def _check_input(operator: Any) -> None:
    estimator = operator.raw_operator
    if len(operator.inputs) != 1:
        raise RuntimeError(f"{type(estimator).__name__}: expected one input tensor, received {len(operator.inputs)}")
    shape = getattr(operator.inputs[0].type, "shape", None)
    n_in = estimator.network_.layer_sizes[0]
    if shape is not None and len(shape) == 2 and isinstance(shape[1], int) and shape[1] != n_in:
        raise RuntimeError(f"{type(estimator).__name__}: expected an input with {n_in} features, "
                           f"received shape {list(shape)}")


def _classes(scope: Any, estimator: Any) -> list[Any] | None:
    if scope.get_options(estimator, dict(nocl=False))["nocl"]:
        return None
    return [c.item() if isinstance(c, np.generic) else c for c in np.asarray(estimator.classes_).tolist()]


def _shape_classifier(operator: Any) -> None:
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    _check_input(operator)
    estimator = operator.raw_operator
    net = estimator.network_
    N = operator.inputs[0].get_first_dimension()
    dtype = _graph_dtype(operator.inputs[0].type)
    n_out = net.layer_sizes[-1]
    if net.task == "multilabel":
        operator.outputs[0].type = Int64TensorType([N, n_out])
    else:
        labels, _ = _label_array(_classes(operator.scope_inst, estimator), strict=True)
        label_type = StringTensorType if labels is not None and labels.dtype == object else Int64TensorType
        operator.outputs[0].type = label_type([N])
    operator.outputs[1].type = _tensor_type(dtype)([N, 2 if net.task == "binary" else n_out])


def _shape_regressor(operator: Any) -> None:
    _check_input(operator)
    net = operator.raw_operator.network_
    N = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _tensor_type(_graph_dtype(operator.inputs[0].type))([N, net.layer_sizes[-1]])


def _network_input(g: _Skl2onnxBuilder, operator: Any) -> str:
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    x = operator.inputs[0].full_name
    wanted = DoubleTensorType if g.dtype == np.float64 else FloatTensorType
    if not isinstance(operator.inputs[0].type, wanted):
        x = g.op("Cast", [x], "X_cast", to=1 if g.dtype == np.float32 else 11)  # 1: FLOAT, 11: DOUBLE
    return x


def _convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    estimator = operator.raw_operator
    net = estimator.network_
    _check_activations(net)
    g = _Skl2onnxBuilder(scope, container, _graph_dtype(operator.inputs[0].type))
    a = _forward(g, net, _network_input(g, operator))
    labels, _ = _label_array(_classes(scope, estimator), strict=True)
    _head(g, net, a, labels, {"label": operator.outputs[0].full_name, "probabilities": operator.outputs[1].full_name})


def _convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    net = operator.raw_operator.network_
    _check_activations(net)
    g = _Skl2onnxBuilder(scope, container, _graph_dtype(operator.inputs[0].type))
    a = _forward(g, net, _network_input(g, operator))
    _head(g, net, a, None, {"variable": operator.outputs[0].full_name})


def register_skl2onnx() -> None:
    """Register converters for NeuralNetClassifier and NeuralNetRegressor with skl2onnx.

    Afterwards ``skl2onnx.to_onnx(pipeline, X[:1])`` converts a scikit-learn ``Pipeline``
    (or the estimator alone) whose last step is one of them. Registration is explicit and
    idempotent: call it once per process before converting. The classifier accepts
    skl2onnx's classifier options (``zipmap``, ``nocl``, ``output_class_labels``); its raw
    outputs are ``label`` and ``probabilities`` as in :func:`to_onnx`. The graph's dtype is
    that of the converter's input (float64 input: float64 graph; anything else: float32).
    """
    global _registered
    try:
        from skl2onnx import update_registered_converter
    except ImportError:
        raise ImportError(f"registering the skl2onnx converters needs skl2onnx: {_INSTALL}") from None
    from ..sklearn import NeuralNetClassifier, NeuralNetRegressor

    update_registered_converter(
        NeuralNetClassifier, "BackpropNeuralNetClassifier", _shape_classifier, _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True], "output_class_labels": [False, True]},
    )
    update_registered_converter(NeuralNetRegressor, "BackpropNeuralNetRegressor", _shape_regressor, _convert_regressor)
    _registered = True
