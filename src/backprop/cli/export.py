"""``backprop export``: a model file as an ONNX graph (needs ``pip install 'backprop-mlp[onnx]'``)."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from ._common import make_parser
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop export model.npz --onnx model.onnx
  backprop export model.npz --onnx model64.onnx --dtype float64
  backprop export checkpoint-100.npz --onnx ck.onnx --opset 18

The graph takes X (N, n_features) — or, for a model trained on a table with text columns,
one (N, 1) input per column of the table (text as strings) — and gives 'label' and 'probabilities' (classifiers, labels
in the model's classes) or 'variable' (regression), computed as the library computes them.
Needs: pip install 'backprop-mlp[onnx]'
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "export",
        help="write a model file as an ONNX graph (float32 or float64), for onnxruntime and other runtimes",
        description="Convert a model (or checkpoint) file to ONNX: the layers with the library's own "
        "activation formulas, the labels and probabilities of a classifier, the stored standardisation. "
        "Anything the model holds that the graph does not compute is named in a warning.",
        epilog=EXAMPLES,
    )
    p.add_argument("model", help="a model or checkpoint file written by 'backprop train' (or backprop.io.save)")
    p.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX file to write (atomically)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="dtype of the input, the weights and the computation (default: float32)")
    p.add_argument("--opset", type=int, help="ONNX opset (default: 17)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..export.onnx import ONNXExportWarning, to_onnx

    check_command_paths(args, models=("model",), outputs=("onnx",))  # a readable model; --onnx is not it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ONNXExportWarning)
        proto = to_onnx(args.model, args.onnx, dtype=args.dtype, opset=args.opset)
    props = {p.key: p.value for p in proto.metadata_props}
    outputs = ", ".join(o.name for o in proto.graph.output)
    inputs = proto.graph.input
    if len(inputs) == 1:
        described = f"input {inputs[0].name} (N, {inputs[0].type.tensor_type.shape.dim[1].dim_value})"
    else:  # one input per table column
        text = {i.name for i in inputs if i.type.tensor_type.elem_type == 8}  # TensorProto.STRING
        described = f"inputs, one per column (N, 1): {', '.join(n + (' (text)' if n in text else '') for n in (i.name for i in inputs))}"
    print(f"model: {args.model} ({props['backprop.source']}, task {props['backprop.task']})")
    print(f"ONNX: {args.onnx} (opset {proto.opset_import[0].version}, {args.dtype}; {described}; outputs {outputs})")
    for note in json.loads(props["backprop.preprocessing"]):
        print(f"in the graph: {note}")
    for warning in caught:
        if issubclass(warning.category, ONNXExportWarning):
            print(f"backprop export: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    return 0

