"""`backprop attribute` through a subprocess: exit codes, the printed ranking, the CSV, the plots, errors."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop.attribute import attribute, importance
from backprop.data.preprocessing import fold_standardization as _fold_standardization


def run_cli(*args, cwd=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 3-class model on standardized inputs, saved as `backprop train --standardize` saves it, and its CSV."""
    tmp = tmp_path_factory.mktemp("attr")
    rng = np.random.default_rng(0)
    mean, scale = np.array([5.0, -2.0, 100.0, 0.0]), np.array([2.0, 0.5, 30.0, 1.0])
    Z = rng.normal(size=(40, 4))
    X = mean + scale * Z
    y = np.array(["a", "b", "c"])[(Z[:, 0] + 2 * Z[:, 1] > 0).astype(int) + (Z[:, 2] > 1)]
    net = bp.Network([4, 6, 3], ["tanh", "softmax"], "categorical_crossentropy", seed=0)
    net.fit((X - mean) / scale, np.searchsorted(["a", "b", "c"], y), epochs=30, seed=0)
    folded = _fold_standardization(net, mean, scale)
    model = tmp / "model.npz"
    folded.save(model, classes=["a", "b", "c"], feature_names=["height", "weight", "price", "noise"],
                target_name="kind", metadata={"standardize": {"mean": mean.tolist(), "scale": scale.tolist()}})
    data = tmp / "data.csv"
    with open(data, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["height", "weight", "price", "noise", "kind"])
        writer.writerows([[*map(repr, row), label] for row, label in zip(X.tolist(), y)])
    return tmp, model, data, X


def test_ranking_csv_and_default_baseline(files):
    tmp, model, data, X = files
    out = tmp / "attributions.csv"
    result = run_cli("attribute", model, data, "--out", out)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "integrated_gradients of the prediction for the predicted class of each row" in text
    assert "baseline the training mean" in text
    assert "completeness: |sum of attributions - (f(x) - f(baseline))| <=" in text
    loaded = bp.load(model)
    expected = attribute(loaded, X)  # default baseline: the stored training mean
    scores = importance(expected)
    names = ["height", "weight", "price", "noise"]
    ranked = [line.split()[1] for line in text.splitlines() if line.strip()[:2] in ("1.", "2.", "3.", "4.")]
    assert ranked == [names[j] for j in np.argsort(-scores)]
    rows = list(csv.reader(out.read_text().splitlines()))
    assert rows[0] == ["row", "target", *names]
    assert [r[1] for r in rows[1:]] == loaded.predict(X).tolist()
    np.testing.assert_allclose(np.array([r[2:] for r in rows[1:]], float), expected, rtol=1e-12)


def test_target_all_and_gradient(files):
    tmp, model, data, X = files
    out = tmp / "all.csv"
    result = run_cli("attribute", model, data, "--target", "all", "--method", "gradient", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "gradient of the prediction for every output (a, b, c)" in result.stdout
    rows = list(csv.reader(out.read_text().splitlines()))
    assert len(rows) == 1 + 3 * len(X) and [r[1] for r in rows[1:4]] == ["a", "b", "c"]
    expected = attribute(bp.load(model), X, method="gradient", target="all")
    np.testing.assert_allclose(np.array([r[2:] for r in rows[1:4]], float), expected[0].T, rtol=1e-12)
    result = run_cli("attribute", model, data, "--target", "b", "--method", "gradient_x_input", "--top", "2")
    assert result.returncode == 0, result.stderr
    assert "for target b" in result.stdout and "2 of 4" in result.stdout


def test_refuses_to_overwrite_an_input_file(files):
    tmp, model, data, _ = files
    before = data.read_bytes(), model.read_bytes()
    for victim in (data, model):
        result = run_cli("attribute", model, data, "--out", victim)
        assert result.returncode == 2
        assert "--out: refusing to overwrite the input" in result.stderr  # the shared path check
        assert "Traceback" not in result.stderr
    assert (data.read_bytes(), model.read_bytes()) == before
    result = run_cli("attribute", model, data, "--out", os.path.relpath(data, tmp), cwd=tmp)  # the same file, relatively
    assert result.returncode == 2 and "refusing to overwrite the input data" in result.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--method", "shap"], 2, "invalid choice: 'shap'"),
        (["--steps", "0"], 2, "--steps: expected a positive integer, received 0"),
        (["--target", "rose"], 2, "target: expected one of the classes ['a', 'b', 'c'] or 'all', received 'rose'"),
        (["--baseline", "median"], 2, "invalid choice: 'median'"),
    ],
)
def test_usage_errors(files, args, code, message):
    _, model, data, _ = files
    result = run_cli("attribute", model, data, *args)
    assert result.returncode == code
    assert message in result.stderr and "Traceback" not in result.stderr


def test_missing_model_is_exit_1(files, tmp_path):
    _, _, data, _ = files
    result = run_cli("attribute", tmp_path / "nope.npz", data)
    assert result.returncode == 1 and "backprop attribute: error" in result.stderr


def test_help():
    result = run_cli("attribute", "--help")
    assert result.returncode == 0 and "backprop attribute model.npz data.csv --out attributions.csv" in result.stdout


def test_plots_for_the_flower(tmp_path):
    pytest.importorskip("matplotlib")
    from backprop.data import planar_flower

    X, y = planar_flower()
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    net.fit(X, y, optimizer="sgd", learning_rate=1.2, epochs=300, batch_size=None)
    net.save(tmp_path / "flower.npz", feature_names=["x1", "x2"])
    result = run_cli("attribute", tmp_path / "flower.npz", "flower", "--plot", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "baseline zeros" in result.stdout
    for name in ("importance.png", "gradient_field.png"):
        png = tmp_path / "plots" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    (tmp_path / "file").write_text("x")
    result = run_cli("attribute", tmp_path / "flower.npz", "flower", "--plot", tmp_path / "file")
    assert result.returncode == 2 and "--plot: expected a directory" in result.stderr


def test_a_model_trained_with_standardize_is_explained_on_raw_columns_from_its_training_mean(files):
    tmp, _, data, X = files
    model = tmp / "trained.npz"
    result = run_cli("train", data, "--target", "kind", "--standardize", "--layers", "5", "--activation", "tanh",
                     "--epochs", "20", "--quiet", "--out", model)
    assert result.returncode == 0, result.stderr
    loaded = bp.load(model)
    mean = np.asarray(loaded.metadata_["standardize"]["mean"])
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-12)  # every row trains (no validation split)
    out = tmp / "trained.csv"
    result = run_cli("attribute", model, data, "--target", "c", "--out", out, "--steps", "128")
    assert result.returncode == 0, result.stderr
    assert "baseline the training mean" in result.stdout
    rows = list(csv.reader(out.read_text().splitlines()))
    assert rows[0][2:] == ["height", "weight", "price", "noise"]
    A = np.array([r[2:] for r in rows[1:]], float)
    p = loaded.predict_proba(X)[:, 2] - loaded.predict_proba(mean[None])[0, 2]
    np.testing.assert_allclose(A.sum(axis=1), p, atol=1e-6)  # completeness on the user's columns
