"""``backprop info``: what a model (or checkpoint) file holds."""

from __future__ import annotations

import argparse
import json

from .. import io as model_io
from ._common import describe_network, make_parser
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop info model.npz
  backprop info checkpoint.npz --metadata     # also the full metadata (history, options) as JSON
"""

_SHORT_KEYS = ("data", "task", "created", "epochs", "n_train", "n_validation", "command")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = make_parser(
        subparsers, "info",
        help="show a model file's architecture, parameter counts, dtype, classes and metadata",
        description="Check a model or checkpoint file (every field and hash) and describe it: layers with "
        "their shapes and parameter counts, loss, dtype, classes, feature names and training metadata.",
        epilog=EXAMPLES,
    )
    p.add_argument("model", help="a model or checkpoint file")
    p.add_argument("--metadata", action="store_true", help="print the full metadata as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, models=("model",))
    model = model_io.read_model(args.model)
    net, config = model.net, model.config
    print(f"file: {args.model} ({config['format']} version {config['version']}, {config['kind']}, {config['library']})")
    print(f"network: {describe_network(net)}")
    print(f"loss: {net.loss.name} (task: {net.task})")
    print(f"dtype: {net.dtype.name}")
    width = len(str(net.n_params))
    for l, (W, b) in enumerate(zip(net.weights, net.biases), start=1):
        print(f"  layer {l}: W[{l}] {str(W.shape):>10}  b[{l}] {str(b.shape):>8}  "
              f"{W.size + b.size:>{width}} parameters  {net.activations[l - 1].name}")
    print(f"parameters: {net.n_params} (sha256 {config['params_sha256'][:16]}…)")
    if model.classes is not None:
        shown = ", ".join(map(str, model.classes.tolist()[:20]))
        print(f"classes ({len(model.classes)}): {shown}{', …' if len(model.classes) > 20 else ''}")
    if model.feature_names is not None:
        shown = ", ".join(model.feature_names[:10])
        print(f"features ({len(model.feature_names)}): {shown}{', …' if len(model.feature_names) > 10 else ''}")
    if model.target_name is not None:
        print(f"target: {model.target_name}")
    if model.preprocessor is not None:
        print(f"preprocessing: {model.preprocessor.describe()}")
    if model.state is not None:
        optimizer = model.state.get("optimizer", {})
        print(f"checkpoint: epoch {model.state.get('epoch')}, step {model.state.get('step')}, "
              f"optimizer {optimizer.get('name') if isinstance(optimizer, dict) else optimizer}")
    meta = model.metadata
    for key in _SHORT_KEYS:
        if key in meta:
            print(f"{key}: {meta[key]}")
    if isinstance(meta.get("scores"), dict):
        print("scores: " + "  ".join(f"{k} {v:.4g}" for k, v in meta["scores"].items() if isinstance(v, (int, float))))
    if isinstance(meta.get("options"), dict):
        options = {k: v for k, v in meta["options"].items() if v is not None and v is not False}
        print("options: " + ", ".join(f"{k}={v}" for k, v in options.items()))
    other = sorted(set(meta) - set(_SHORT_KEYS) - {"scores", "options"})
    if other and not args.metadata:
        print(f"more metadata: {', '.join(other)} (--metadata shows it)")
    if args.metadata:
        print(json.dumps(meta, indent=2, sort_keys=True))
    return 0
