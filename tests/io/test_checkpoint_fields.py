"""Hand-edited or damaged checkpoints fail naming the file and the field, on ``--resume`` and ``info``
(issue 19). Before: AttributeError, "could not convert string to float", RecursionError (state
nested 600 deep), or a divergence blaming the learning rate (NaN/negative Adam moments, NaN
best parameters).

Systematic: a real checkpoint (Adam, early stopping, a reduce-on-plateau schedule, history)
is rewritten one field at a time, with each hash recomputed so that only the value is wrong;
every case is read by ``backprop.io.load_checkpoint``, ``backprop info`` and ``backprop train
--resume``.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

import backprop.io as bio
from backprop.cli import main
from backprop.io.archive import _write_archive


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    np.savetxt(d / "data.csv", np.column_stack([X, y]), delimiter=",", header="a,b,y", comments="", fmt="%.6g")
    code, _, err = run_cli(["train", d / "data.csv", "--epochs", "3", "--quiet", "--layers", "4", "--optimizer",
                            "adam", "--early-stopping", "--validation-split", "0.2", "--schedule", "plateau",
                            "--out", d / "model.npz", "--checkpoint-every", "1", "--checkpoint", d / "ckpt.npz"])
    assert code == 0, err
    return d


def _read(path):
    with zipfile.ZipFile(path) as z:
        config = json.loads(np.load(io.BytesIO(z.read("config.npy"))).tobytes().decode())
        arrays = {n[:-4]: np.load(io.BytesIO(z.read(n))) for n in z.namelist() if n != "config.npy"}
    return config, arrays


def _write(path, config, arrays):
    for name, spec in config.get("arrays", {}).items():
        a = np.ascontiguousarray(arrays[name])
        spec.update(shape=list(a.shape), dtype=a.dtype.str, sha256=hashlib.sha256(a.tobytes()).hexdigest())
    with open(path, "wb") as f:
        _write_archive(f, config, arrays)


def _array_of(config, dotted):
    """The member name of the array at state path ``dotted`` (e.g. optimizer.state.exp_avg_sq)."""
    node = config["state"]
    for key in dotted.split("."):
        node = node[key]
    return node["__ndarray__"]


def _set(config, dotted, value):
    node = config
    keys = dotted.split(".")
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


# (dotted path in the config, new value, the field named in the message)
STATE_VALUES = [
    ("state.epoch", "3", "state.epoch"),
    ("state.epoch", -1, "state.epoch"),
    ("state.epoch", 1.5, "state.epoch"),
    ("state.epoch", True, "state.epoch"),
    ("state.epoch", None, "state.epoch"),
    ("state.step", "7", "state.step"),
    ("state.step", -3, "state.step"),
    ("state.optimizer.t", "6", "state.optimizer.t"),
    ("state.optimizer.t", -1, "state.optimizer.t"),
    ("state.optimizer.name", 5, "state.optimizer.name"),
    ("state.optimizer.hyperparameters.beta_1", "0.9", "state.optimizer.hyperparameters.beta_1"),
    ("state.optimizer.hyperparameters.eps", float("nan"), "state.optimizer.hyperparameters.eps"),
    ("state.optimizer.hyperparameters.beta_2", 10**400, "state.optimizer.hyperparameters.beta_2"),
    ("state.optimizer.hyperparameters", [1, 2], "state.optimizer.hyperparameters"),
    ("state.optimizer.state", "moments", "state.optimizer.state"),
    ("state.optimizer.internal.bounds", [-1, 2], "state.optimizer.internal.bounds[0]"),
    ("state.optimizer.internal.bounds", "x", "state.optimizer.internal.bounds"),
    ("state.optimizer", "adam", "state.optimizer"),
    ("state.rng.state.state", "123", "state.rng.state.state"),
    ("state.rng.state.state", -5, "state.rng.state.state"),
    ("state.rng.state.inc", 2**200, "state.rng.state.inc"),
    ("state.rng.uinteger", 2**40, "state.rng.uinteger"),
    ("state.rng.has_uint32", 2, "state.rng.has_uint32"),
    ("state.rng.bit_generator", 7, "state.rng.bit_generator"),
    ("state.rng", [1, 2], "state.rng"),
    ("state.early_stopping.wait", -2, "state.early_stopping.wait"),
    ("state.early_stopping.wait", "2", "state.early_stopping.wait"),
    ("state.early_stopping.best_value", "low", "state.early_stopping.best_value"),
    ("state.early_stopping.best_value", float("nan"), "state.early_stopping.best_value"),
    ("state.early_stopping.best_epoch", -1, "state.early_stopping.best_epoch"),
    ("state.early_stopping.best_params", [1.0, 2.0], "state.early_stopping.best_params"),
    ("state.schedule.lr", "0.1", "state.schedule.lr"),
    ("state.schedule.lr", float("nan"), "state.schedule.lr"),
    ("state.history.history.loss", ["a"], "state.history.history.loss[0]"),
    ("state.history.history.loss", "a", "state.history.history.loss"),
    ("state.history.epoch", [-1], "state.history.epoch[0]"),
    ("state.history.best_epoch", "1", "state.history.best_epoch"),
    ("state.schedule.extra", _nested(600), "nested more than"),
    ("state.schedule.extra", _nested(40), "nested more than"),
    ("state.extra", {"a": _nested(33)}, "nested more than"),
    ("state", [1], "state"),
]

# (array at this state path, how it is damaged, the words in the message)
ARRAY_DAMAGE = [
    ("optimizer.state.exp_avg_sq", "negative", "negative values"),
    ("optimizer.state.exp_avg_sq", "nan", "NaN or inf"),
    ("optimizer.state.exp_avg", "nan", "NaN or inf"),
    ("optimizer.state.exp_avg", "inf", "NaN or inf"),
    ("optimizer.state.exp_avg", "short", "shape"),
    ("optimizer.state.exp_avg", "int", "floating-point"),
    ("early_stopping.best_params", "nan", "NaN or inf"),
    ("early_stopping.best_params", "short", "best_params"),
]

OPTIONS = [
    ("l2", "abc"), ("l2", -1.0), ("dropout", 2.0), ("dropout", "0.5"), ("seed", -1), ("seed", 1.5),
    ("learning_rate", float("nan")), ("learning_rate", -0.1), ("batch_size", 0), ("batch_size", "all"),
    ("patience", "10"), ("early_stopping", "yes"), ("standardize", 1), ("validation_split", 1.5),
    ("clip_norm", "big"), ("samples", 0),
]


def _cases():
    for dotted, value, field in STATE_VALUES:
        yield pytest.param("value", dotted, value, field, id=f"{dotted}={str(value)[:20]}")
    for dotted, how, words in ARRAY_DAMAGE:
        yield pytest.param("array", dotted, how, words, id=f"{dotted}:{how}")
    for key, value in OPTIONS:
        yield pytest.param("option", key, value, f"metadata.options.{key}", id=f"options.{key}={value}")


def _damaged(checkpoint, tmp_path, kind, where, value):
    config, arrays = _read(checkpoint / "ckpt.npz")
    config = copy.deepcopy(config)
    if kind == "value":
        if where.startswith("state.early_stopping.best_params"):
            config["state"]["early_stopping"]["best_params"] = value
        else:
            _set(config, where, value)
    elif kind == "option":
        config["metadata"]["options"][where] = value
    else:
        name = _array_of(config, where)
        a = arrays[name].copy()
        if value == "negative":
            a[0] = -1.0
        elif value == "nan":
            a[len(a) // 2] = np.nan
        elif value == "inf":
            a[-1] = np.inf
        elif value == "short":
            a = a[:-1]
        elif value == "int":
            a = a.astype(np.int64)
        arrays[name] = a
    path = tmp_path / "damaged.npz"
    _write(path, config, arrays)
    return path


@pytest.mark.parametrize(("kind", "where", "value", "named"), list(_cases()))
def test_a_damaged_checkpoint_names_the_file_and_the_field_everywhere(checkpoint, tmp_path, kind, where, value, named):
    path = _damaged(checkpoint, tmp_path, kind, where, value)
    if kind != "option":  # the options are checked where a run is resumed
        with pytest.raises(bio.ModelFileError) as info:
            bio.load_checkpoint(path)
        assert str(path) in str(info.value) and named in str(info.value), info.value
        code, _, err = run_cli(["info", path])
        assert code == 2 and named in err and str(path) in err, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, stdout, err = run_cli(["train", checkpoint / "data.csv", "--resume", path, "--epochs", "5", "--quiet",
                                 "--out", tmp_path / "resumed.npz"])
    assert code == 2, err
    assert named in err and str(path) in err, err
    assert "learning rate" not in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "resumed.npz").exists()


def test_the_undamaged_checkpoint_resumes(checkpoint, tmp_path):
    config, arrays = _read(checkpoint / "ckpt.npz")
    path = tmp_path / "same.npz"
    _write(path, config, arrays)  # rewritten by this test's writer: still valid
    code, _, err = run_cli(["train", checkpoint / "data.csv", "--resume", path, "--epochs", "5", "--quiet", "--out",
                            tmp_path / "resumed.npz"])
    assert code == 0, err
    code, stdout, err = run_cli(["info", path])
    assert code == 0, err
