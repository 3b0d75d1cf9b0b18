"""What the playground exports: the model file and a Python script that rebuilds and trains the network."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from ..io import save

__all__ = ["model_bytes", "python_script"]


def model_bytes(session: Any) -> bytes:
    """The trained network as a model file (``backprop.load`` reads it back), as bytes."""
    with session.lock:
        net = session.net
        # Labels go with classifier outputs only: a classification trained with squared error is,
        # for the model file, a regression network (its metadata still names the classes).
        classes = session.classes if net.task in ("binary", "multiclass") else None
        handle, path = tempfile.mkstemp(suffix=".npz")
        os.close(handle)
        try:
            feature_names = [str(n) for n in session.feature_names] if len(session.feature_names) == net.layer_sizes[0] else None
            save(net, path, classes=classes, feature_names=feature_names,
                 metadata={"source": "backprop playground", "config": session.config, "epoch": session.epoch,
                           "iteration": session.iteration, "classes": session.classes})
            with open(path, "rb") as f:
                return f.read()
        finally:
            os.unlink(path)


_DATA_CALLS = {
    "flower": "planar_flower({points}, noise={noise}, seed={data_seed})",
    "circles": "circles({points}, noise={noise}, factor=0.5, seed={data_seed})",
    "moons": "moons({points}, noise={noise}, seed={data_seed})",
    "xor": "xor({points}, noise={noise}, seed={data_seed})",
    "spirals": "spirals({points}, n_classes=3, noise={noise}, seed={data_seed})",
    "blobs": "blobs({points}, centers=[[-2.0, -1.5], [2.0, -1.0], [0.0, 2.0]], cluster_std={std}, seed={data_seed})",
}


def python_script(session: Any) -> str:
    """A short script that rebuilds the same data and network with this library and trains it."""
    with session.lock:
        cfg = dict(session.config)
        net = session.net
        epochs = max(session.epoch, 100)
        name = cfg["dataset"]
        lines = [
            "# Rebuilds and trains the network of the backprop playground (pip install backprop-mlp).",
            "import numpy as np",
            "",
            "import backprop",
            "from backprop.data import blobs, circles, moons, planar_flower, spirals, train_test_split, xor",
            "",
        ]
        if name in _DATA_CALLS:
            call = _DATA_CALLS[name].format(std=max(cfg["noise"], 1e-3) * 0.8, **cfg)
            lines.append(f"X, y = {call}")
        elif name == "wave":
            lines += [
                f"rng = np.random.default_rng({cfg['data_seed']})",
                f"X = rng.uniform(-3, 3, size=({cfg['points']}, 2))",
                f"y = np.sin(X[:, 0]) * np.cos(X[:, 1]) + rng.normal(scale={cfg['noise']}, size={cfg['points']})",
            ]
        else:
            target = session.csv.target_name if session.csv is not None else None
            lines += [
                "from backprop.data import StandardScaler, load_csv",
                "",
                f"data = load_csv('your-data.csv', target={target!r})  # the CSV you uploaded",
                "X, y = data.X, data.y",
            ]
        stratify = session.task != "regression"
        lines.append(f"X_train, X_test, y_train, y_test = train_test_split(X, y, {cfg['test_split']}, "
                     f"seed={cfg['data_seed']}, stratify={stratify})")
        if name == "csv":
            lines += ["scaler = StandardScaler().fit(X_train)",
                      "X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)"]
        if session.task == "regression":
            lines.append("y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)")
        elif net.layer_sizes[-1] == 1:
            lines.append("y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)")
        elif net.activations[-1].name != "softmax":
            lines.append("y_train, y_test = np.eye(%d)[y_train], np.eye(%d)[y_test]" % (net.layer_sizes[-1], net.layer_sizes[-1]))
        acts = [a.name for a in net.activations]
        init = cfg["init"]
        lines += [
            "",
            f"net = backprop.Network({list(net.layer_sizes)}, {acts}, {net.loss.name!r}, "
            + ("init=None)" if init == "course" else f"init={init!r}, seed={cfg['seed']})"),
        ]
        if init == "course":
            lines += [
                f"rs = np.random.RandomState({cfg['seed']})  # the course's initialisation: 0.01 * randn",
                "for W in net.weights:",
                "    W[...] = rs.randn(*W.shape) * 0.01",
            ]
        batch = "None" if cfg["batch_size"] <= 0 else str(cfg["batch_size"])
        extra = ""
        if cfg["l2"]:
            extra += f", l2={cfg['l2']}"
        if cfg["dropout"] and len(cfg["hidden"]):
            extra += f", dropout={cfg['dropout']}"
        lines += [
            f"history = net.fit(X_train, y_train, optimizer={cfg['optimizer']!r}, learning_rate={cfg['learning_rate']}, "
            f"epochs={epochs}, batch_size={batch}, seed={cfg['seed']}{extra})",
            "print('train:', net.evaluate(X_train, y_train))",
            "print('test: ', net.evaluate(X_test, y_test))",
            "backprop.save(net, 'playground-model.npz')",
            "",
        ]
        return "\n".join(lines)
