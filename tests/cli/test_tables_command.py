"""From a messy CSV to a deployed model on the command line (issue 16), through a real subprocess."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop.io import read_model


def _cli(*args, cwd, env=None, timeout=180):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=full_env)


def _messy(path, n=200, seed=0):
    """Semicolons, an id column, a text column with missing cells, missing numbers, an integer target."""
    rng = np.random.default_rng(seed)
    lines = ["id;age;region;bmi;smoker;cost"]
    for i in range(n):
        age, region = int(rng.integers(20, 70)), ["east", "west", "north"][int(rng.integers(3))]
        bmi, smoker = round(float(rng.normal(27, 4)), 1), ["yes", "no"][int(rng.integers(2))]
        cost = int(100 + 2 * age + 30 * (region == "east") + 3 * (bmi - 27) + 40 * (smoker == "yes")
                   + rng.normal(0, 5))
        cells = [str(1000 + i), str(age), region, str(bmi), smoker, str(cost)]
        if rng.random() < 0.1:
            cells[3] = ""
        if rng.random() < 0.05:
            cells[2] = ""
        lines.append(";".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def _new_rows(path):
    path.write_text("id;age;region;bmi;smoker\n5000;30;east;25.5;no\n5001;31;south;;no\n5002;32;west;25.5;yes\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The done-when run: only --target, --task and --drop (plus the run's length and the test split)."""
    tmp = tmp_path_factory.mktemp("messy")
    data = _messy(tmp / "messy.csv")
    proc = _cli("train", data, "--target", "cost", "--task", "regression", "--drop", "id", "--standardize",
                "--epochs", "300", "--test-split", "0.2", "--quiet", "--out", "cost.npz", cwd=tmp)
    return tmp, data, proc


def test_the_messy_csv_trains_from_one_command(trained):
    tmp, _, proc = trained
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "columns: 2 numeric (age, bmi); one-hot: region (3 values), smoker (2 values); imputed: region (" in out
    assert "bmi (" in out and "+ indicator" in out and "-> 9 features" in out
    assert "160 examples, 9 features, 40 more held out for testing" in out
    assert "test_mse" in out and "test_r2" in out
    assert "Traceback" not in proc.stderr and "identifier" not in proc.stderr  # id was dropped
    model = read_model(tmp / "cost.npz")
    assert model.preprocessor is not None and model.net.task == "regression"
    assert model.metadata["scores"]["test_r2"] > 0.8  # a real fit on rows it never saw


def test_its_model_predicts_a_raw_csv(trained):
    tmp, _, _ = trained
    proc = _cli("predict", "cost.npz", _new_rows(tmp / "new.csv"), cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["prediction"] and len(rows) == 4
    assert "column 'region': 1 rows hold values not seen in training ('south')" in proc.stderr
    # the same numbers as the Python model on the same raw rows (a DataFrame)
    pd = pytest.importorskip("pandas")
    net = bp.load(tmp / "cost.npz")
    expected = net.predict(pd.read_csv(tmp / "new.csv", sep=";"))
    np.testing.assert_allclose([float(r[0]) for r in rows[1:]], expected, rtol=1e-12)


def test_evaluate_on_the_raw_csv_gives_regression_scores(trained):
    tmp, data, _ = trained
    proc = _cli("evaluate", "cost.npz", data, cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
    assert {"loss", "mse", "rmse", "mae", "r2"} <= set(lines)
    np.testing.assert_allclose(float(lines["rmse"]) ** 2, float(lines["mse"]), rtol=1e-4)


def test_before_the_fix_a_plain_run_warns_about_the_id_and_the_integer_target(tmp_path):
    data = _messy(tmp_path / "messy.csv")
    proc = _cli("train", data, "--target", "cost", "--epochs", "2", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "backprop: warning: column 'id' holds a different value in every row" in proc.stderr
    assert "--drop id" in proc.stderr
    assert "is being treated as" in proc.stderr and "pass --task regression" in proc.stderr


def test_text_labels_come_back_from_predict(tmp_path):
    rng = np.random.default_rng(1)
    lines = ["colour,size,kind"]
    for _ in range(120):
        colour = ["red", "blue"][int(rng.integers(2))]
        size = float(rng.normal(5 if colour == "red" else 8, 0.5))
        lines.append(f"{colour},{size:.2f},{'apple' if colour == 'red' else 'plum'}")
    (tmp_path / "fruit.csv").write_text("\n".join(lines) + "\n")
    proc = _cli("train", "fruit.csv", "--epochs", "60", "--quiet", "--out", "fruit.npz", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "new.csv").write_text("colour,size\nred,5.1\nblue,8.2\n")
    proc = _cli("predict", "fruit.npz", "new.csv", "--proba", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["prediction", "proba_apple", "proba_plum"]
    assert [r[0] for r in rows[1:]] == ["apple", "plum"]
    proc = _cli("evaluate", "fruit.npz", "fruit.csv", "--plot", "cm.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "precision  recall" in proc.stdout and "confusion matrix (rows: true class, columns: predicted)" in proc.stdout
    assert (tmp_path / "cm.png").stat().st_size > 1000


def test_evaluate_report_equals_the_python_numbers(tmp_path):
    proc = _cli("train", "iris", "--epochs", "30", "--quiet", "--out", "iris.npz", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = _cli("evaluate", "iris.npz", "iris", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    from sklearn.datasets import load_iris

    bunch = load_iris()
    net = bp.load(tmp_path / "iris.npz")
    report = net.evaluate(bunch.data, bunch.target_names[bunch.target], report=True)
    assert f"accuracy: {report['accuracy']:.2%}" in proc.stdout
    for k, name in enumerate(report["classes"]):
        row = next(line for line in proc.stdout.splitlines() if line.startswith(name + " "))
        assert row.split()[1:4] == [f"{report['precision'][k]:.3f}", f"{report['recall'][k]:.3f}",
                                    f"{report['f1'][k]:.3f}"]


@pytest.mark.parametrize("args, message", [
    (("--drop", "nope"), "drop: no column 'nope'"),
    (("--features", "9"), "features: column index 9 is out of range"),
    (("--delimiter", ";;"), "--delimiter: expected one character"),
    (("--test-split", "1.5"), "--test-split"),
])
def test_bad_table_options_are_one_line_usage_errors(tmp_path, args, message):
    data = _messy(tmp_path / "messy.csv", n=30)
    proc = _cli("train", data, "--target", "cost", "--epochs", "1", *args, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_a_forced_delimiter_reads_a_file_the_sniffer_would_not(tmp_path):
    (tmp_path / "d.csv").write_text("a|b|y\n" + "\n".join(f"{i}|{i % 4}|{i % 2}" for i in range(40)) + "\n")
    proc = _cli("train", "d.csv", "--delimiter", "|", "--epochs", "1", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "2 numeric (a, b)" in proc.stdout


def test_a_high_learning_rate_is_called_out(tmp_path):
    proc = _cli("train", "iris", "--learning-rate", "50", "--epochs", "30", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0
    assert "backprop: warning: the training loss" in proc.stderr and "learning rate (50)" in proc.stderr


def test_features_on_distant_scales_suggest_standardize(tmp_path):
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(0, 1, 60), rng.normal(0, 5000, 60)]
    rows = "\n".join(f"{a},{b},{int(a > 0)}" for a, b in X)
    (tmp_path / "s.csv").write_text("small,big,y\n" + rows + "\n")
    proc = _cli("train", "s.csv", "--epochs", "1", "--quiet", cwd=tmp_path)
    assert "feature scales differ by a factor of" in proc.stderr and "--standardize" in proc.stderr
    proc = _cli("train", "s.csv", "--epochs", "1", "--quiet", "--standardize", cwd=tmp_path)
    assert "feature scales" not in proc.stderr


def test_resuming_a_table_run_refits_the_same_preprocessing_bit_for_bit(tmp_path):
    data = _messy(tmp_path / "messy.csv", n=80)
    common = ["--target", "cost", "--task", "regression", "--drop", "id", "--validation-split", "0.25", "--quiet"]
    proc = _cli("train", data, *common, "--epochs", "6", "--checkpoint-every", "3", "--checkpoint", "ck-{epoch}.npz",
                "--out", "whole.npz", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = _cli("train", "--resume", "ck-3.npz", "--epochs", "6", "--out", "resumed.npz", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    whole, resumed = read_model(tmp_path / "whole.npz"), read_model(tmp_path / "resumed.npz")
    assert whole.net.params.tobytes() == resumed.net.params.tobytes()
    assert whole.preprocessor.get_config() == resumed.preprocessor.get_config()
