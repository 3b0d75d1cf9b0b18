"""ONNX graphs of models trained on real tables with text columns: one input per column, the
imputation, missing indicators and one-hot encoding in the graph, compared with what
``predict``/``predict_proba`` give on the same raw rows (CSV and DataFrame), and the feed
built by ``backprop.export.onnx_inputs``."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pd = pytest.importorskip("pandas")

import backprop as bp  # noqa: E402
from backprop.cli import main  # noqa: E402
from backprop.data.tabular import TableWarning  # noqa: E402
from backprop.export import ONNXExportWarning, onnx_inputs, to_onnx  # noqa: E402

RTOL = {"float32": 1e-5, "float64": 1e-10}


def messy_rows(n, seed, unseen=False):
    """id, age (numeric, missing cells), region (text, missing cells as '' and 'NA'), income, plan (text)."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["east", "west", "north"], n).astype(object)
    region[rng.random(n) < 0.12] = ""
    region[rng.random(n) < 0.05] = "NA"
    if unseen:
        region[:3] = "south"  # never seen in training
    age = rng.normal(40, 10, n)
    age[rng.random(n) < 0.1] = np.nan
    income = rng.normal(50, 20, n)
    plan = rng.choice(["basic", "plus"], n)
    east = np.array([r in ("east", "", "NA") for r in region])
    label = np.where(east ^ (income > 50), "yes", "no")
    return [{"id": i, "age": a, "region": r, "income": m, "plan": p, "bought": y}
            for i, (a, r, m, p, y) in enumerate(zip(age, region, income, plan, label))]


def write_csv(path, rows, target=True):
    cols = ["id", "age", "region", "income", "plan"] + (["bought"] if target else [])
    with open(path, "w") as f:
        f.write(";".join(cols) + "\n")  # semicolons: sniffed
        for r in rows:
            f.write(";".join("" if isinstance(r[c], float) and np.isnan(r[c]) else
                             (f"{r[c]:.6f}" if isinstance(r[c], float) else str(r[c])) for c in cols) + "\n")


def run_graph(proto, feed):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))


def assert_close(out, ref, dtype):
    ref = np.asarray(ref, dtype=np.float64)
    rtol = RTOL[dtype]
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), ref, rtol=rtol, atol=rtol * np.abs(ref).max())


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``backprop train`` on a messy semicolon CSV (only --target and --drop), then ``backprop export``."""
    tmp = tmp_path_factory.mktemp("onnx_tables")
    write_csv(tmp / "train.csv", messy_rows(240, 0))
    write_csv(tmp / "new.csv", messy_rows(60, 1, unseen=True), target=False)
    assert main(["train", str(tmp / "train.csv"), "--target", "bought", "--drop", "id", "--layers", "8",
                 "--activation", "tanh", "--epochs", "20", "--out", str(tmp / "m.npz"), "--quiet"]) == 0
    return tmp


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_graph_of_a_messy_csv_model_predicts_the_raw_csv_as_backprop_does(trained, dtype):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out_path = trained / f"m_{dtype}.onnx"
    result = subprocess.run([sys.executable, "-m", "backprop", "export", str(trained / "m.npz"), "--onnx", str(out_path),
                             "--dtype", dtype], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr  # everything the model holds is in the graph
    assert f"{dtype}; inputs, one per column (N, 1): age, region (text), income, plan (text); outputs label, " \
           "probabilities" in result.stdout
    proto = onnx.load(str(out_path))
    kinds = {i.name: i.type.tensor_type.elem_type for i in proto.graph.input}
    float_elem = onnx.TensorProto.FLOAT if dtype == "float32" else onnx.TensorProto.DOUBLE
    assert kinds == {"age": float_elem, "region": onnx.TensorProto.STRING, "income": float_elem,
                     "plan": onnx.TensorProto.STRING}  # one input per column the model uses; "id" was dropped
    net = bp.load(trained / "m.npz")
    for data in (trained / "new.csv", pd.read_csv(trained / "new.csv", sep=";", keep_default_na=False)):
        out = run_graph(proto, onnx_inputs(proto, data))
        with pytest.warns(TableWarning, match="south"):  # backprop's policy for unseen values: all-zero group
            proba, labels = net.predict_proba(data), net.predict(data)
        assert_close(out["probabilities"][:, 1], proba[:, 0], dtype)
        np.testing.assert_array_equal(out["label"], labels)  # the original labels, "yes"/"no"
    assert set(out["label"]) <= {"yes", "no"}


def test_missing_and_unseen_text_cells_give_the_preprocessors_features(trained):
    """The graph's features, read off before the first layer, equal TablePreprocessor.transform cell by cell."""
    net = bp.load(trained / "m.npz")
    proto = to_onnx(net, dtype="float64")
    features = onnx.helper.make_tensor_value_info("X_features", onnx.TensorProto.DOUBLE, None)
    proto.graph.output.append(features)
    frame = pd.DataFrame({"age": [np.nan, 30.0, 41.0, 50.0, np.nan, 20.0],
                          "region": ["", "NA", "n/a", "south", "west", "None"],
                          "income": [10.0, np.nan, 70.0, 20.0, 55.0, 90.0],
                          "plan": ["plus", "basic", "?", "gold", "plus", "basic"]})
    out = run_graph(proto, onnx_inputs(proto, frame))
    with pytest.warns(TableWarning):
        expected = net.preprocessor_.transform(frame)
    np.testing.assert_array_equal(out["X_features"], expected)
    names = net.preprocessor_.feature_names_
    row = dict(zip(names, out["X_features"][3]))
    assert all(row[n] == 0 for n in names if n.startswith("region=") and n != "region=missing")  # unseen: all zero
    assert row["region=missing"] == 0


def test_regression_on_a_table_with_text_columns(tmp_path):
    rows = messy_rows(150, 4)
    frame = pd.DataFrame(rows).drop(columns=["bought", "id"])
    frame["spend"] = np.nan_to_num(frame["age"].to_numpy(), nan=40.0) * 0.5 + (frame["region"] == "west") * 10.0
    net = bp.fit_table(frame, "spend", task="regression", hidden=(6,), activation="softplus", epochs=15)
    for dtype in ("float32", "float64"):
        proto = to_onnx(net, dtype=dtype)
        out = run_graph(proto, onnx_inputs(proto, frame))
        assert_close(out["variable"], net.predict(frame).reshape(len(frame), -1), dtype)


def test_unknown_error_policy_is_reported_as_not_in_the_graph():
    frame = pd.DataFrame(messy_rows(80, 5)).drop(columns=["id"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = bp.fit_table(frame, "bought", unknown="error", hidden=(4,), epochs=2)
    with pytest.warns(ONNXExportWarning, match="unknown='error'.*all-zero one-hot group"):
        proto = to_onnx(net)
    assert "unknown='error'" in {p.key: p.value for p in proto.metadata_props}["backprop.not_in_graph"]


def test_column_names_that_collide_with_the_graphs_own_names():
    frame = pd.DataFrame({"X": [1.0, 2.0, np.nan, 4.0] * 10, "X_features": ["a", "b", "", "a"] * 10,
                          "y": [0, 1, 0, 1] * 10})
    net = bp.fit_table(frame, "y", hidden=(3,), epochs=2)
    proto = to_onnx(net, dtype="float64")
    out = run_graph(proto, onnx_inputs(proto, frame[["X_features", "X"]]))  # any column order
    assert_close(out["probabilities"][:, 1], net.predict_proba(frame)[:, 0], "float64")


def test_onnx_inputs_names_what_is_wrong(trained):
    proto = to_onnx(bp.load(trained / "m.npz"))
    with pytest.raises(bp.ValidationError, match=r"the columns \['plan'\] the graph takes are missing"):
        onnx_inputs(proto, pd.DataFrame({"age": [1.0], "region": ["east"], "income": [2.0]}))
    with pytest.raises(bp.ValidationError, match="column 'age' should be numeric, it holds text"):
        onnx_inputs(proto, {"age": ["old"], "region": ["east"], "income": [2.0], "plan": ["plus"]})
    with pytest.raises(bp.InputTypeError, match="one input per table column"):
        onnx_inputs(proto, np.zeros((2, 4)))
    with pytest.raises(bp.InputTypeError, match="model: expected an onnx.ModelProto"):
        onnx_inputs(42, {"age": [1.0]})
    plain = to_onnx(bp.Network([3, 2], ["softmax"], "categorical_crossentropy", seed=0))
    feed = onnx_inputs(plain, [[1, 2, 3]])
    assert feed["X"].dtype == np.float32 and feed["X"].shape == (1, 3)
