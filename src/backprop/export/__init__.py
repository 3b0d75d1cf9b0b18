"""Exporting trained networks to other runtimes: ONNX (:mod:`backprop.export.onnx`).

Needs the optional extra ``pip install 'backprop-mlp[onnx]'`` (onnx, onnxruntime, skl2onnx);
importing this package does not import any of them: they are imported when an export runs.

- :func:`to_onnx`: a :class:`backprop.Network`, a fitted scikit-learn estimator of
  :mod:`backprop.sklearn` or a model file as an ``onnx.ModelProto`` (written atomically
  when a path is given).
- :func:`onnx_inputs`: the feed for ``onnxruntime`` from a DataFrame, CSV or array (a model
  trained on a table with text columns takes one input per column).
- :func:`register_skl2onnx`: registers converters for ``NeuralNetClassifier`` and
  ``NeuralNetRegressor`` with skl2onnx, so ``skl2onnx.to_onnx(pipeline, X[:1])`` exports a
  scikit-learn ``Pipeline`` ending in one of them as a whole. Registration is explicit:
  call it once before ``skl2onnx.to_onnx`` (importing this package does not register).
"""

from __future__ import annotations

from .onnx import (
    DEFAULT_OPSET,
    MIN_OPSET,
    SUPPORTED_ACTIVATIONS,
    ONNXExportWarning,
    onnx_inputs,
    to_onnx,
)
from ._skl2onnx import register_skl2onnx

__all__ = [
    "DEFAULT_OPSET",
    "MIN_OPSET",
    "SUPPORTED_ACTIVATIONS",
    "ONNXExportWarning",
    "onnx_inputs",
    "register_skl2onnx",
    "to_onnx",
]
