"""`backprop export MODEL.npz --onnx OUT.onnx` through a real process: exit codes, output, the file onnxruntime runs."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import backprop as bp  # noqa: E402
from backprop.cli import main  # noqa: E402


def run_cli(*args, cwd=None, env_extra=None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A 3-class model with string labels, trained with --standardize on features of very different scales."""
    tmp = tmp_path_factory.mktemp("cli_export")
    rng = np.random.default_rng(11)
    X = rng.normal(size=(90, 2)) * [500.0, 0.1] + [2000.0, 1.0]
    level = np.where(X[:, 0] > 2200, "high", np.where(X[:, 1] > 1.0, "mid", "low"))
    with open(tmp / "d.csv", "w") as f:
        f.write("price,ratio,level\n")
        f.writelines(f"{a:.4f},{b:.6f},{c}\n" for (a, b), c in zip(X, level))
    assert main(["train", str(tmp / "d.csv"), "--layers", "5", "--activation", "gelu", "--standardize", "--epochs",
                 "5", "--out", str(tmp / "m.npz"), "--quiet"]) == 0
    return tmp, X


def outputs(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, {"X": X})))


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-10)])
def test_export_writes_a_graph_equal_to_the_model(model, dtype, rtol):
    tmp, X = model
    args = ["export", tmp / "m.npz", "--onnx", tmp / f"m-{dtype}.onnx"] + (["--dtype", dtype] if dtype == "float64" else [])
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"model: {tmp / 'm.npz'} (model file, task multiclass)"
    assert lines[1] == (f"ONNX: {tmp / f'm-{dtype}.onnx'} (opset 17, {dtype}; input X (N, 2); "
                        "outputs label, probabilities)")
    assert "folded into the first layer's weights" in lines[2]
    net = bp.load(tmp / "m.npz")
    out = outputs(tmp / f"m-{dtype}.onnx", X.astype(dtype))
    ref = net.predict_proba(X)
    np.testing.assert_allclose(out["probabilities"], ref, rtol=rtol, atol=rtol * np.abs(ref).max())
    np.testing.assert_array_equal(out["label"], net.predict(X))  # the stored labels
    assert set(out["label"]) <= {"high", "mid", "low"}


def test_export_warns_on_one_line_about_what_is_not_in_the_graph(tmp_path):
    net = bp.Network([2, 3, 1], ["tanh", "identity"], "mse", seed=0)
    bp.save(net, tmp_path / "m.npz", metadata={"impute": {"median": [0.0, 1.0]}})
    result = run_cli("export", tmp_path / "m.npz", "--onnx", tmp_path / "m.onnx", "--opset", "18")
    assert result.returncode == 0, result.stderr
    assert "(opset 18, float32; input X (N, 2); outputs variable)" in result.stdout
    warning_lines = result.stderr.splitlines()
    assert len(warning_lines) == 1
    assert warning_lines[0].startswith("backprop export: warning: ONNX export: metadata entry 'impute': unknown to "
                                       "this exporter, not applied")
    assert (tmp_path / "m.onnx").exists()


def test_export_refuses_to_overwrite_the_input_model(model):
    tmp, _ = model
    before = (tmp / "m.npz").read_bytes()
    for target in (tmp / "m.npz", os.path.join(str(tmp), ".", "m.npz")):
        result = run_cli("export", tmp / "m.npz", "--onnx", target)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()  # the shared path check of every command
        assert len(lines) == 1 and lines[0].startswith(
            f"backprop export: error: --onnx: refusing to overwrite the input model {str(tmp / 'm.npz')!r}")
    assert (tmp / "m.npz").read_bytes() == before


def test_export_errors_are_one_line_with_the_exit_code(tmp_path, model):
    tmp, _ = model
    missing = run_cli("export", tmp_path / "nope.npz", "--onnx", tmp_path / "x.onnx")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "backprop export: error: path: no such model file" in missing.stderr and "nope.npz" in missing.stderr
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    damaged = run_cli("export", tmp_path / "bad.npz", "--onnx", tmp_path / "x.onnx")
    assert damaged.returncode == 2 and damaged.stderr.count("\n") == 1 and "not a backprop model file" in damaged.stderr
    no_dir = run_cli("export", tmp / "m.npz", "--onnx", tmp_path / "nowhere" / "x.onnx")
    assert no_dir.returncode == 2 and "--onnx: the directory" in no_dir.stderr and no_dir.stderr.count("\n") == 1
    opset = run_cli("export", tmp / "m.npz", "--onnx", tmp_path / "x.onnx", "--opset", "5")
    assert opset.returncode == 2 and "opset: expected an ONNX opset from 13" in opset.stderr
    usage = run_cli("export", tmp / "m.npz")
    assert usage.returncode == 2 and "the following arguments are required: --onnx" in usage.stderr
    dtype = run_cli("export", tmp / "m.npz", "--onnx", tmp_path / "x.onnx", "--dtype", "float16")
    assert dtype.returncode == 2 and "invalid choice: 'float16'" in dtype.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_export_without_onnx_installed_names_the_extra(model, tmp_path):
    tmp, _ = model
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "__init__.py").write_text("raise ImportError('no onnx here')\n")
    result = run_cli("export", tmp / "m.npz", "--onnx", tmp_path / "x.onnx",
                     env_extra={"PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])})
    assert result.returncode == 1
    assert result.stderr == ("backprop export: error: ONNX export needs the onnx package: "
                             "pip install 'backprop-mlp[onnx]'\n")


def test_export_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: backprop export" in out and "examples:" in out and "--onnx" in out
    assert "pip install 'backprop-mlp[onnx]'" in out


def test_missing_numeric_cells_are_imputed_in_the_graph_as_in_python(tmp_path):
    """A table model whose columns are numeric with missing cells: the graph imputes NaN like predict."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    X[rng.random(X.shape) < 0.1] = np.nan  # missing cells in every column...
    X[:, 2][np.isnan(X[:, 2])] = 0.5  # ...except the last: its imputation is learnt but needs no indicator
    with open(tmp_path / "t.csv", "w") as f:
        f.write("a,b,c,label\n")
        f.writelines(",".join("" if np.isnan(v) else f"{v:.6f}" for v in row) + f",{lab}\n" for row, lab in zip(X, y))
    assert main(["train", str(tmp_path / "t.csv"), "--target", "label", "--layers", "4", "--epochs", "3",
                 "--impute", "median", "--out", str(tmp_path / "t.npz"), "--quiet"]) == 0
    result = run_cli("export", tmp_path / "t.npz", "--onnx", tmp_path / "t.onnx", "--dtype", "float64")
    assert result.returncode == 0, result.stderr
    net = bp.load(tmp_path / "t.npz")
    indicators = [c["indicator"] for c in net.preprocessor_.get_config()["columns"]]
    assert indicators == [True, True, False]  # the NAME=missing features the graph must compute too
    assert "one-hot" not in result.stderr
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    out = outputs(tmp_path / "t.onnx", X)
    np.testing.assert_allclose(out["probabilities"][:, 1], net.predict_proba(frame)[:, 0], rtol=1e-10)
