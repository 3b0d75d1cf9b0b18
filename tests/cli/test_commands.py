"""The `backprop` command end to end: train, evaluate, predict, gradcheck, info, plot, explain, resume, errors."""

import csv
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import io as bio
from backprop.cli import main

HAS_MATPLOTLIB = True
try:
    import matplotlib  # noqa: F401
except ImportError:
    HAS_MATPLOTLIB = False


def run_cli(*args, cwd=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


def ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


def read_csv(path_or_text):
    text = path_or_text.read_text() if hasattr(path_or_text, "read_text") else path_or_text
    rows = list(csv.reader(text.splitlines()))
    return rows[0], rows[1:]


def scores_line(stdout):
    """The numbers of train's final line: 'done after N epochs: train_loss 0.1  train_accuracy 95.00% …'."""
    line = next(l for l in stdout.splitlines() if re.match(r"(done|stopped early|interrupted) after", l))
    return {k: float(v) / (100 if pct else 1) for k, v, pct in re.findall(r"(\w+) ([-\d.e+]+)(%?)", line.split(":", 1)[1])}


@pytest.fixture
def species_csv(tmp_path):
    """Three well-separated clusters with text labels in the middle column (not the last)."""
    rng = np.random.default_rng(0)
    centres = {"ant": (-3.0, 0.0, 1.0), "bee": (3.0, 0.0, -1.0), "cat": (0.0, 4.0, 0.0)}
    rows = []
    for name, c in centres.items():
        for _ in range(30):
            x = np.array(c) + rng.normal(scale=0.6, size=3)
            rows.append((x[0], x[1], name, x[2]))
    order = rng.permutation(len(rows))
    path = tmp_path / "species.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["length", "width", "species", "depth"])
        for i in order:
            a, b, label, d = rows[i]
            writer.writerow([f"{a:.5f}", f"{b:.5f}", label, f"{d:.5f}"])
    return path


# --------------------------------------------------------------------------- train -> evaluate -> predict


def test_train_evaluate_predict_on_a_builtin_data_set(tmp_path):
    out = ok(run_cli("train", "moons", "--layers", "8", "--epochs", "40", "--learning-rate", "0.02", "--out",
                     tmp_path / "m.npz", cwd=tmp_path))
    assert len(re.findall(r"^epoch \d+/40  loss", out, re.M)) == 40  # one plain line per epoch (not a terminal)
    trained = scores_line(out)
    assert trained["train_accuracy"] >= 0.8
    evaluated = ok(run_cli("evaluate", tmp_path / "m.npz", "moons"))
    accuracy = float(re.search(r"accuracy: ([\d.]+)%", evaluated).group(1)) / 100
    loss = float(re.search(r"loss: ([\d.e+-]+)", evaluated).group(1))
    assert accuracy == pytest.approx(trained["train_accuracy"], abs=1e-4)  # same data, same model
    assert loss == pytest.approx(trained["train_loss"], abs=1e-4)
    ok(run_cli("predict", tmp_path / "m.npz", "moons", "--proba", "--out", tmp_path / "p.csv"))
    header, rows = read_csv(tmp_path / "p.csv")
    assert header == ["prediction", "proba_0", "proba_1"] and len(rows) == 200
    P = np.array([[float(v) for v in r[1:]] for r in rows])
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    labels = np.array([int(r[0]) for r in rows])
    np.testing.assert_array_equal(labels, P.argmax(axis=1))
    from backprop.data import moons

    X, y = moons(seed=0)
    net = bio.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(labels, net.predict(X))
    assert (labels == y).mean() == pytest.approx(accuracy)


def test_csv_with_string_labels_round_trips_the_labels(tmp_path, species_csv):
    out = ok(run_cli("train", species_csv, "--target", "species", "--layers", "8", "--epochs", "60",
                     "--learning-rate", "0.05", "--standardize", "--validation-split", "0.2", "--out", tmp_path / "s.npz",
                     "--quiet"))
    assert "3 classes (72 training, 18 validation)" in out and "\nepoch" not in out  # --quiet
    info = ok(run_cli("info", tmp_path / "s.npz"))
    assert "classes (3): ant, bee, cat" in info and "features (3): length, width, depth" in info
    predicted = ok(run_cli("predict", tmp_path / "s.npz", species_csv))
    header, rows = read_csv(predicted)
    truth = [r[2] for r in read_csv(species_csv)[1]]
    labels = [r[0] for r in rows]
    assert header == ["prediction"] and set(labels) <= {"ant", "bee", "cat"}
    assert np.mean([a == b for a, b in zip(labels, truth)]) >= 0.9
    # The same features without the target column (and in another column order) give the same labels.
    _, data = read_csv(species_csv)
    with open(tmp_path / "features.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["depth", "length", "width"])
        writer.writerows([[r[3], r[0], r[1]] for r in data])
    header, rows = read_csv(ok(run_cli("predict", tmp_path / "s.npz", tmp_path / "features.csv", "--proba")))
    assert header == ["prediction", "proba_ant", "proba_bee", "proba_cat"]
    assert [r[0] for r in rows] == labels
    evaluated = ok(run_cli("evaluate", tmp_path / "s.npz", species_csv))
    assert re.search(r"accuracy: \d+\.\d\d% \(\d+/90\)", evaluated)


def test_standardization_is_folded_into_the_saved_first_layer(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2)) * [1000.0, 0.01] + [5000.0, -3.0]  # wildly different scales
    y = 0.002 * (X[:, 0] - 5000) + 50 * (X[:, 1] + 3) + 0.1 * rng.normal(size=120)
    np.savetxt(tmp_path / "r.csv", np.column_stack([X, y]), delimiter=",", header="a,b,y", comments="", fmt="%.8f")
    out = ok(run_cli("train", tmp_path / "r.csv", "--layers", "8", "--epochs", "30", "--learning-rate", "0.01",
                     "--standardize", "--out", tmp_path / "r.npz", "--quiet"))
    assert "1 identity, loss mse" in out
    trained = scores_line(out)
    evaluated = ok(run_cli("evaluate", tmp_path / "r.npz", tmp_path / "r.csv"))
    assert float(re.search(r"loss: ([\d.e+-]+)", evaluated).group(1)) == pytest.approx(trained["train_loss"], rel=1e-4)
    assert float(re.search(r"r2: ([\d.e+-]+)", evaluated).group(1)) == pytest.approx(trained["train_r2"], abs=1e-4)
    assert trained["train_r2"] > 0.5
    net = bio.load(tmp_path / "r.npz")
    meta = net.metadata_["standardize"]
    np.testing.assert_allclose(meta["mean"], X.mean(axis=0), rtol=1e-9)
    # The raw-input network equals the trained one on standardized inputs (its first layer absorbed μ, σ).
    assert np.abs(net.weights[0][:, 1]).max() > 100 * np.abs(net.weights[0][:, 0]).max()


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
def test_train_plot_and_the_plot_command(tmp_path):
    ok(run_cli("train", "xor", "--layers", "4", "--epochs", "5", "--out", tmp_path / "x.npz", "--plot",
               tmp_path / "plots", "--quiet"))
    names = sorted(os.listdir(tmp_path / "plots"))
    assert names == ["decision_boundary.png", "gradient_norms.png", "learning_curves.png"]
    out = ok(run_cli("plot", tmp_path / "x.npz", "--out", tmp_path / "again"))
    assert sorted(os.listdir(tmp_path / "again")) == names and "plots saved" in out
    for name in names:
        assert (tmp_path / "again" / name).read_bytes()[:4] == b"\x89PNG"


# --------------------------------------------------------------------------- checkpoints


def test_resume_from_a_checkpoint_equals_the_uninterrupted_run(tmp_path):
    common = ["--layers", "6,6", "--epochs", "5", "--validation-split", "0.25", "--dropout", "0.2", "--standardize",
              "--schedule", "plateau:patience=0,factor=0.5", "--samples", "120", "--quiet"]
    ok(run_cli("train", "spirals", *common, "--checkpoint-every", "2", "--checkpoint", "ck-{epoch}.npz",
               "--out", "full.npz", cwd=tmp_path))
    assert sorted(p for p in os.listdir(tmp_path) if p.startswith("ck-")) == ["ck-2.npz", "ck-4.npz"]
    _, state = bio.load_checkpoint(tmp_path / "ck-2.npz")
    assert state["epoch"] == 2 and len(state["history"]["epoch"]) == 2 and state["optimizer"]["name"] == "adam"
    out = ok(run_cli("train", "--resume", "ck-2.npz", "--epochs", "5", "--out", "resumed.npz", cwd=tmp_path))
    assert "resuming from ck-2.npz at epoch 2" in out
    full, resumed = bio.load(tmp_path / "full.npz"), bio.load(tmp_path / "resumed.npz")
    assert resumed.params.tobytes() == full.params.tobytes()
    h_full, h_res = full.metadata_["history"]["history"], resumed.metadata_["history"]["history"]
    assert {k: v for k, v in h_res.items() if k != "seconds"} == {k: v for k, v in h_full.items() if k != "seconds"}
    assert len(h_full["loss"]) == 5
    assert resumed.metadata_["gradient_norms"] == full.metadata_["gradient_norms"]
    # Resuming needs more epochs than the checkpoint holds.
    result = run_cli("train", "--resume", "ck-4.npz", "--epochs", "3", "--out", "x.npz", cwd=tmp_path)
    assert result.returncode == 2 and "--epochs" in result.stderr


# --------------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_on_fresh_and_saved_networks(tmp_path):
    out = ok(run_cli("gradcheck"))
    assert "2 -> 4 tanh -> 1 sigmoid" in out and out.rstrip().endswith("PASS")
    assert re.search(r"layer 1 \(W\[1\], b\[1\]\): relative difference \d\.\d{3}e-\d+", out)
    ok(run_cli("train", "blobs", "--layers", "5", "--epochs", "2", "--out", tmp_path / "b.npz", "--quiet"))
    out = ok(run_cli("gradcheck", tmp_path / "b.npz", "--examples", "10"))
    assert "3 softmax" in out and "on 10 examples of blobs" in out and "PASS" in out
    out = ok(run_cli("gradcheck", "--data", "flower", "--loss", "huber", "--layers", "3", "--l2", "0.1"))
    assert "1 identity, loss huber" in out and "L2 λ = 0.1" in out and "PASS" in out


def _has(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_gradcheck_fails_with_exit_1_on_a_wrong_derivative(monkeypatch, capsys):
    from backprop.core import activations

    # A wrong tanh': 1 − A instead of 1 − A². Backprop then disagrees with finite differences.
    monkeypatch.setattr(activations.Tanh, "derivative", lambda self, Z, A, out=None: np.subtract(1, A, out=out))
    assert main(["gradcheck", "--examples", "8"]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith("FAIL")
    assert float(re.search(r"overall: relative difference ([\d.e+-]+)", out).group(1)) > 1e-3
    assert main(["explain"]) == 1  # explain's own equations use 1 − A², the engine does not: caught
    assert "verdict: FAIL" in capsys.readouterr().out


def test_gradcheck_does_not_blame_backprop_for_what_finite_differences_cannot_resolve():
    # A right gradient passes even with an impossible tolerance: the verdict allows the
    # finite differences' own (estimated) error, printed beside the difference.
    result = run_cli("gradcheck", "--tolerance", "1e-30")
    assert result.returncode == 0 and "finite-difference error ≈" in result.stdout


# --------------------------------------------------------------------------- explain


def parse_blocks(text):
    """{symbol: array} for every 'SYMBOL [= equation]    shape (r, c)' block explain prints."""
    blocks, lines, i = {}, text.splitlines(), 0
    number = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
    while i < len(lines):
        head = re.match(r"^(\S+)(?: = .*?)?\s+shape \((\d+), (\d+)\)$", lines[i])
        i += 1
        if not head:
            continue
        shape = (int(head.group(2)), int(head.group(3)))
        values = []
        while len(values) < shape[0] * shape[1]:
            if not lines[i].strip().startswith("("):  # skip the note line
                values += [float(v) for v in number.findall(lines[i])]
            i += 1
        assert len(values) == shape[0] * shape[1], head.group(0)
        blocks.setdefault(head.group(1), np.array(values).reshape(shape))  # the first: before the update
    return blocks


def test_explain_numbers_agree_with_finite_differences():
    out = ok(run_cli("explain", "--layers", "3", "--examples", "4", "--precision", "12"))
    assert "network 2 → 3 tanh → 1 sigmoid, loss binary_crossentropy, m = 4 examples of flower" in out
    assert "dZ[2] = A[2] − Y" in out and "canonical pair" in out
    assert "dA[1] = W[2]ᵀ dZ[2]" in out and "dZ[1] = dA[1] ⊙ g'(Z[1])" in out
    b = parse_blocks(out)
    assert b["W[1]"].shape == (3, 2) and b["dW[1]"].shape == (3, 2) and b["db[1]"].shape == (3, 1)
    assert b["A[0]"].shape == (2, 4) and b["Y"].shape == (1, 4) and b["dZ[1]"].shape == (3, 4)
    X, Y = b["A[0]"], b["Y"]

    def cost(W1, b1, W2, b2):  # an independent oracle: the course's formulas, by hand
        A1 = np.tanh(W1 @ X + b1)
        A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
        return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))

    params = [b["W[1]"], b["b[1]"], b["W[2]"], b["b[2]"]]
    for k, name in enumerate(["dW[1]", "db[1]", "dW[2]", "db[2]"]):
        numeric = np.zeros_like(params[k])
        for index in np.ndindex(params[k].shape):
            plus = [p.copy() for p in params]
            minus = [p.copy() for p in params]
            plus[k][index] += 1e-6
            minus[k][index] -= 1e-6
            numeric[index] = (cost(*plus) - cost(*minus)) / 2e-6
        np.testing.assert_allclose(b[name], numeric, rtol=1e-5, atol=1e-9, err_msg=name)
    assert float(re.search(r"^J = .* = ([\d.e+-]+)$", out, re.M).group(1)) == pytest.approx(cost(*params), rel=1e-9)
    engine = float(re.search(r"against the engine .*relative difference ([\d.e+-]+)", out).group(1))
    fd = float(re.search(r"against finite differences .*relative difference ([\d.e+-]+)", out).group(1))
    assert engine < 1e-12 and fd < 1e-7 and "verdict: PASS" in out


def test_explain_a_deeper_network_with_an_output_error_that_does_not_cancel():
    out = ok(run_cli("explain", "--layers", "4,3", "--activation", "relu,sigmoid", "--loss", "mse",
                     "--output-activation", "sigmoid", "--examples", "5", "--seed", "3", "--precision", "12"))
    assert "not fused" in out and "dA[3] = A[3] − Y" in out and "g'(Z[3]) = A[3] ⊙ (1 − A[3])" in out
    assert "g'(Z[1]) = 1[Z[1] > 0]" in out and "dZ[2] = dA[2] ⊙ g'(Z[2])" in out
    b = parse_blocks(out)
    net = bp.Network([2, 4, 3, 1], ["relu", "sigmoid", "sigmoid"], "mse", init=None)
    for l in range(3):
        net.weights[l][...] = b[f"W[{l + 1}]"]
        net.biases[l][...] = b[f"b[{l + 1}]"]
    check = bp.check_gradients(net, b["A[0]"].T, b["Y"].T)
    numeric_dW, numeric_db = net.unflatten(check.numeric)
    for l in range(3):
        np.testing.assert_allclose(b[f"dW[{l + 1}]"], numeric_dW[l], rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(b[f"db[{l + 1}]"], numeric_db[l], rtol=1e-5, atol=1e-9)
    assert "verdict: PASS" in out


def test_explain_softmax_output(capsys):
    assert main(["explain", "--data", "spirals", "--loss", "categorical_crossentropy", "--examples", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 softmax" in out and "dZ[2] = A[2] − Y" in out and "Y    shape (3, 3)" in out
    assert main(["explain", "--data", "spirals", "--loss", "mse", "--output-activation", "softmax"]) == 0
    assert "Jacobian-vector product" in capsys.readouterr().out


# --------------------------------------------------------------------------- info, help, errors


def test_info_describes_the_model(tmp_path, capsys):
    net = bp.Network([4, 5, 3], ["relu", "softmax"], "cce", dtype=np.float32, seed=0)
    bio.save(net, tmp_path / "n.npz", classes=["x", "y", "z"], metadata={"note": "hand-made"})
    assert main(["info", str(tmp_path / "n.npz"), "--metadata"]) == 0
    out = capsys.readouterr().out
    assert "network: 4 -> 5 relu -> 3 softmax" in out and "dtype: float32" in out
    assert re.search(r"layer 1: W\[1\] +\(5, 4\) +b\[1\] +\(5, 1\) +25 parameters +relu", out)
    assert re.search(r"layer 2: W\[2\] +\(3, 5\) +b\[2\] +\(3, 1\) +18 parameters +softmax", out)
    assert "parameters: 43" in out and "classes (3): x, y, z" in out and '"note": "hand-made"' in out


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "gradcheck", "info", "plot", "explain"])
def test_every_subcommand_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: backprop {command}" in out and "examples:" in out and f"backprop {command}" in out.split("\nexamples:\n")[1]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "moons", "--epochs", "0"], "--epochs"),
        (["train", "nosuch"], "data: expected an existing .csv/.npz file or one of"),
        (["train", "moons", "--layers", "3,x"], "--layers"),
        (["train", "moons", "--optimizer", "adamm", "--epochs", "1"], "optimizer: unknown name 'adamm'"),
        (["train", "moons", "--activation", "relux", "--epochs", "1"], "activation: unknown name 'relux'"),
        (["train", "moons", "--batch-size", "zero"], "--batch-size"),
        (["train", "moons", "--validation-split", "1.5"], "--validation-split"),
        (["train", "moons", "--schedule", "step:factor", "--epochs", "1"], "--schedule"),
        (["train", "iris", "--loss", "bce", "--epochs", "1"], "binary_crossentropy needs 2 classes"),
        (["train"], "data: expected a data set name"),
        (["explain", "--examples", "0"], "--examples"),
        (["explain", "--examples", "401"], "--examples"),
        (["gradcheck", "--data", "nosuch"], "data:"),
    ],
)
def test_validation_errors_exit_2_with_exactly_one_line(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if argv[1:2] == ["iris"] and not _has("sklearn"):
        pytest.skip("scikit-learn is not installed")
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"backprop {argv[0]}: error: ") and fragment in lines[0]
    assert not os.listdir(tmp_path)  # nothing written


def test_exit_codes_and_messages_in_a_real_process(tmp_path):
    result = run_cli("train", "moons", "--epochs", "-3")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--epochs" in result.stderr
    result = run_cli("train", "moons", "--epochs", "many")  # argparse's own: usage, then one error line
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].endswith("invalid int value: 'many'")
    result = run_cli("evaluate", tmp_path / "absent.npz", "moons")
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "no such model file" in result.stderr
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really")
    result = run_cli("info", tmp_path / "broken.npz")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "not a backprop model file" in result.stderr
    result = run_cli("--debug", "info", tmp_path / "broken.npz")
    assert result.returncode == 1 and "Traceback" in result.stderr and "ModelFileError" in result.stderr
    result = run_cli("info", tmp_path / "broken.npz", "--debug")  # the flag after the command works too
    assert "Traceback" in result.stderr


def test_a_damaged_model_file_is_one_clear_line(tmp_path, capsys):
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    bio.save(net, tmp_path / "m.npz")
    data = bytearray((tmp_path / "m.npz").read_bytes())
    (tmp_path / "m.npz").write_bytes(bytes(data[: len(data) // 2]))
    assert main(["predict", str(tmp_path / "m.npz"), "moons"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "m.npz" in err and "perhaps truncated" in err


# --------------------------------------------------------------------------- progress


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise(monkeypatch):
    from backprop.cli import _common
    from backprop.train import PrintProgress

    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert isinstance(_common.progress_callback(10, 0, quiet=False), PrintProgress)
    assert _common.progress_callback(10, 0, quiet=True) is None
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    if _has("tqdm"):
        bar = _common.progress_callback(10, 3, quiet=False)
        assert isinstance(bar, _common._TqdmProgress)
        bar.on_train_begin(None)
        assert bar._bar.n == 3 and bar._bar.total == 10
        bar.on_epoch_end(3, {"loss": 0.5})
        assert bar._bar.n == 4
        bar.on_train_end(None)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # tqdm missing: plain lines even on a terminal
    assert isinstance(_common.progress_callback(10, 0, quiet=False), PrintProgress)


@pytest.mark.skipif(not _has("sklearn"), reason="scikit-learn is not installed")
def test_scikit_learn_data_sets_keep_their_class_names(tmp_path, capsys):
    assert main(["train", "iris", "--layers", "6", "--epochs", "15", "--learning-rate", "0.05", "--standardize",
                 "--out", str(tmp_path / "iris.npz"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "iris.npz"), "iris"]) == 0
    header, rows = read_csv(capsys.readouterr().out)
    assert {r[0] for r in rows} <= {"setosa", "versicolor", "virginica"} and len(rows) == 150


@pytest.mark.parametrize("key", ["loss", "optimizer", "schedule", "dtype", "output_activation", "task"])
def test_resume_refuses_a_checkpoint_whose_text_option_is_not_text(tmp_path, key):
    """A hand-edited checkpoint (an option stored as a list) fails with one line, not an AttributeError."""
    from backprop import io as bio
    from backprop.train import Trainer

    result = run_cli("train", "moons", "--epochs", "1", "--checkpoint-every", "1", "--checkpoint", "ck.npz",
                     "--out", "m.npz", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    net, state = bio.load_checkpoint(tmp_path / "ck.npz")
    metadata = dict(net.metadata_, options={**net.metadata_["options"], key: ["x"]})
    trainer = Trainer(net, optimizer=state["optimizer"]["name"])
    trainer.load_state_dict(state)
    bio.save_checkpoint(tmp_path / "bad.npz", trainer, history=state.get("history"), metadata=metadata,
                        classes=net.classes_, feature_names=net.feature_names_, target_name=net.target_name_)
    result = run_cli("train", "--resume", "bad.npz", "--epochs", "2", "--quiet", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"backprop train: error: --resume: 'bad.npz' stores option '{key}' as ['x']; expected a string"
