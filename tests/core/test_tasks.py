"""Every name of a loss builds the same network in `backprop train`, `gradcheck`, `explain` and in Python.

The task, the output layer and the loss of a fresh network come from one table
(:mod:`backprop.core.tasks`). Before it, ``backprop gradcheck --loss log_loss`` built a 2-unit
softmax with binary cross-entropy on two classes while ``backprop train`` built one sigmoid unit.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from backprop.core.losses import _ALIASES, LOSSES, get_loss
from backprop.core.tasks import OutputLayer, output_layer, problem_of, task_of
from backprop.core.validation import ValidationError
from backprop.model import Network

ALL_NAMES = sorted(set(LOSSES) | set(_ALIASES))
# What each canonical loss builds on the two-class moons data (2 inputs, 3 tanh hidden units).
EXPECTED = {
    "binary_crossentropy": ("2 -> 3 tanh -> 1 sigmoid", "binary_crossentropy"),
    "categorical_crossentropy": ("2 -> 3 tanh -> 2 softmax", "categorical_crossentropy"),
    "mse": ("2 -> 3 tanh -> 1 identity", "mse"),
    "mae": ("2 -> 3 tanh -> 1 identity", "mae"),
    "huber": ("2 -> 3 tanh -> 1 identity", "huber"),
}
_NETWORK = re.compile(r"(\d+(?: (?:->|→) \d+ \w+)+), loss (\w+)")  # explain prints →, the others ->


def _commands(name, tmp_path):
    common = ["--layers", "3", "--activation", "tanh", "--loss", name]
    return {
        "train": ["train", "moons", "--samples", "40", "--epochs", "1", "--quiet", *common,
                  "--out", str(tmp_path / f"{name}.npz")],
        "gradcheck": ["gradcheck", "--data", "moons", "--examples", "4", *common],
        "explain": ["explain", "--data", "moons", "--examples", "3", *common],
    }


def test_every_alias_builds_the_same_network_in_every_command(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    jobs = [(name, command, subprocess.Popen([sys.executable, "-m", "backprop", *args], stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True, env=env))
            for name in ALL_NAMES for command, args in _commands(name, tmp_path).items()]
    built = {}
    for name, command, process in jobs:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, (name, command, stderr)
        match = _NETWORK.search(stdout)
        assert match, (name, command, stdout)
        built[name, command] = (match[1].replace("→", "->"), match[2])
    for name in ALL_NAMES:
        expected = EXPECTED[get_loss(name).name]
        for command in ("train", "gradcheck", "explain"):
            assert built[name, command] == expected, (name, command)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_alias_builds_the_same_network_in_python(name):
    canonical = get_loss(name).name
    n_classes = 2 if problem_of(name, categorical=True) == "classification" else None
    out = output_layer(n_classes, name)
    assert out == output_layer(n_classes, canonical)
    net = Network([2, 3, out.n_outputs], ["tanh", out.activation], name, seed=0)
    assert net.loss is LOSSES[canonical]
    assert (out.activation, net.layer_sizes[-1]) == {
        "binary_crossentropy": ("sigmoid", 1), "categorical_crossentropy": ("softmax", 2),
    }.get(canonical, ("identity", 1))
    assert net.task == task_of(canonical, out.n_outputs)


def test_output_layer_table():
    assert output_layer(None) == OutputLayer(1, "identity", "mse")
    assert output_layer(2) == OutputLayer(1, "sigmoid", "binary_crossentropy")
    assert output_layer(3) == OutputLayer(3, "softmax", "categorical_crossentropy")
    assert output_layer(2, "cce") == OutputLayer(2, "softmax", "categorical_crossentropy")
    assert output_layer(2, "squared_error", "softmax") == OutputLayer(2, "softmax", "mse")
    with pytest.raises(ValidationError, match="binary_crossentropy needs 2 classes, the target has 3"):
        output_layer(3, "log_loss")
    with pytest.raises(ValidationError, match="at least 2 classes"):
        output_layer(1)


def test_task_of_compares_canonical_names():
    assert [task_of(n, 1) for n in ("bce", "log_loss", "binary_crossentropy")] == ["binary"] * 3
    assert task_of("bce", 3) == "multilabel"
    assert task_of("cross_entropy", 3) == "multiclass"
    assert task_of("squared_error", 2) == "regression"
    assert problem_of("mean_absolute_error", categorical=True) == "regression"
    assert problem_of(None, categorical=True) == "classification"
    assert problem_of(None, categorical=False, task="classification") == "classification"
    assert np.all([problem_of(n, True) == "classification" for n in ("bce", "cce", "crossentropy")])
