"""ONNX export: onnxruntime's predictions equal the library's, for every activation, task and dtype.

Parity is measured two ways. One activation alone (a 1 → 1 network with W = 1, b = 0) is checked
element-wise over z in [−60, 60] plus tiny and huge values: |onnx − ours| ≤ rtol |ours| + 4 eps max(1, |z|),
the second term being the absolute precision of the engine's own tanh-form formulas (σ in its far
tail is rounding noise, see backprop.core.activations.Sigmoid). Whole networks are checked with
rtol relative to the outputs' magnitude: |onnx − ours| ≤ rtol (|ours| + max |ours|), since a
matrix product summed in another order cancels differently near 0. rtol = 1e-5 in float32 and
1e-10 in float64.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import backprop as bp  # noqa: E402
from backprop import io as bio  # noqa: E402
from backprop.cli import main  # noqa: E402
from backprop.export import SUPPORTED_ACTIVATIONS, ONNXExportWarning, to_onnx  # noqa: E402

RTOL = {"float32": 1e-5, "float64": 1e-10}
DTYPES = ("float32", "float64")
HIDDEN = [a for a in SUPPORTED_ACTIVATIONS if a != "softmax"]


def run(proto, X):
    """onnxruntime's outputs by name."""
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, {name: X})))


def assert_parity(out, ref, dtype):
    rtol = RTOL[dtype]
    ref = np.asarray(ref, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), ref, rtol=rtol, atol=rtol * np.abs(ref).max())


def props(proto):
    return {p.key: p.value for p in proto.metadata_props}


def random_net(sizes, activations, loss, dtype, seed=0, scale=1.5):
    net = bp.Network(sizes, activations, loss, dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed + 100)
    net.params = net.params * scale + rng.normal(scale=0.3, size=net.n_params)  # non-zero biases too
    return net


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 4)) * 2.0


# --------------------------------------------------------------------------- every activation


def _grid():
    return np.concatenate([np.linspace(-60, 60, 4001), np.geomspace(1e-12, 10, 300), -np.geomspace(1e-12, 10, 300),
                           [0.0, 1e4, -1e4, 88.0, -88.0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_each_activation_is_the_engines_formula_element_by_element(activation, dtype):
    net = bp.Network([1, 1], [activation], "mse", dtype=dtype, init=None)
    net.weights[0][...] = 1.0
    z = _grid()[:, None].astype(dtype)
    ours = net.predict_proba(z)
    theirs = run(to_onnx(net, dtype=dtype), z)["variable"]
    assert theirs.dtype == np.dtype(dtype) and theirs.shape == ours.shape
    eps = np.finfo(dtype).eps
    bound = RTOL[dtype] * np.abs(ours) + 4 * eps * np.maximum(1.0, np.abs(z))
    worst = np.argmax(np.abs(theirs - ours) - bound)
    assert (np.abs(theirs - ours) <= bound).all(), (float(z[worst, 0]), float(ours[worst, 0]), float(theirs[worst, 0]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_the_engines_formula_row_by_row(dtype):
    rng = np.random.default_rng(3)
    net = bp.Network([5, 5], ["softmax"], "categorical_crossentropy", dtype=dtype, init=None)
    net.weights[0][...] = np.eye(5)
    Z = (rng.normal(size=(300, 5)) * rng.choice([0.01, 1.0, 30.0, 500.0], size=(300, 1))).astype(dtype)
    ours = net.predict_proba(Z)
    out = run(to_onnx(net, dtype=dtype), Z)
    bound = RTOL[dtype] * np.abs(ours) + 4 * np.finfo(dtype).eps
    assert (np.abs(out["probabilities"] - ours) <= bound).all()
    np.testing.assert_array_equal(out["label"], net.predict(Z))


def test_the_engine_formulas_differ_from_the_plain_onnx_ops_where_it_matters():
    """Why the formulas are written out: LeakyRelu and Elu keep alpha in float32, exp(z) - 1 cancels near 0,
    log(1 + e) rounds e^-40 away. Each plain form misses float64's 1e-10 somewhere; the graph stays within 1e-13."""
    z = np.array([[-1e-12], [-3e-9], [-0.5], [-40.0]])
    plain = {"leaky_relu": np.maximum(z, float(np.float32(0.01)) * z), "elu": np.exp(z) - 1,
             "softplus": np.log(1 + np.exp(z))}
    for activation, naive in plain.items():
        net = bp.Network([1, 1], [activation], "mse", init=None)
        net.weights[0][...] = 1.0
        ours = net.predict_proba(z)
        theirs = run(to_onnx(net, dtype="float64"), z)["variable"]
        np.testing.assert_allclose(theirs, ours, rtol=1e-13, atol=0)
        assert (np.abs(naive - ours) / np.abs(ours)).max() > 1e-10, activation


# --------------------------------------------------------------------------- networks and tasks


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", SUPPORTED_ACTIVATIONS)
def test_regression_network_with_each_hidden_activation(activation, dtype, X):
    net = random_net([4, 9, 7, 2], [activation, activation, "identity"], "mse", dtype)
    proto = to_onnx(net, dtype=dtype)
    out = run(proto, X.astype(dtype))
    assert list(out) == ["variable"] and out["variable"].shape == (len(X), 2)
    assert_parity(out["variable"], net.predict_proba(X), dtype)
    assert props(proto)["backprop.task"] == "regression"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_binary_network_gives_two_probability_columns_and_string_labels(activation, dtype, X):
    net = random_net([4, 6, 1], [activation, "sigmoid"], "binary_crossentropy", dtype)
    net.classes_ = np.array(["no", "yes"])
    out = run(to_onnx(net, dtype=dtype), X.astype(dtype))
    p = net.predict_proba(X)[:, 0]
    assert_parity(out["probabilities"], np.column_stack([1 - p, p]), dtype)
    assert out["label"].dtype == object and out["label"].shape == (len(X),)
    np.testing.assert_array_equal(out["label"], net.predict(X))  # the stored labels
    assert 0 < (out["label"] == "yes").mean() < 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_multiclass_network_with_string_labels(activation, dtype, X):
    net = random_net([4, 8, 3], [activation, "softmax"], "categorical_crossentropy", dtype, seed=2)
    net.classes_ = np.array(["ant", "bee", "cat"])
    out = run(to_onnx(net, dtype=dtype), X.astype(dtype))
    assert_parity(out["probabilities"], net.predict_proba(X), dtype)
    np.testing.assert_array_equal(out["label"], net.predict(X))  # the stored labels
    assert len(set(out["label"])) >= 2


@pytest.mark.parametrize("classes, expected_dtype", [(None, np.int64), ([3, 7, 11], np.int64), ([0.0, 1.0, 2.0], np.int64)])
def test_labels_are_the_stored_integer_classes_or_the_class_indices(classes, expected_dtype, X):
    net = random_net([4, 5, 3], ["tanh", "softmax"], "categorical_crossentropy", "float64", seed=4)
    net.classes_ = None if classes is None else np.array(classes)
    proto = to_onnx(net, dtype="float64")
    label = run(proto, X)["label"]
    assert label.dtype == expected_dtype
    np.testing.assert_array_equal(label, net.predict(X))  # the stored classes, or the class indices
    if classes is not None and isinstance(classes[0], float):
        assert "int64" in props(proto)["backprop.preprocessing"]


def test_fractional_float_labels_come_out_as_float64(X):
    net = random_net([4, 3], ["softmax"], "categorical_crossentropy", "float64")
    net.classes_ = np.array([0.5, 1.5, 2.5])
    label = run(to_onnx(net, dtype="float64"), X)["label"]
    assert label.dtype == np.float64
    np.testing.assert_array_equal(label, net.predict(X))  # the stored labels


@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_network_gives_the_zero_one_matrix(dtype, X):
    net = random_net([4, 6, 3], ["relu", "sigmoid"], "binary_crossentropy", dtype, seed=5)
    out = run(to_onnx(net, dtype=dtype), X.astype(dtype))
    assert_parity(out["probabilities"], net.predict_proba(X), dtype)
    assert out["label"].dtype == np.int64 and out["label"].shape == (len(X), 3)
    np.testing.assert_array_equal(out["label"], net.predict(X))


def test_float32_network_exported_in_float64_and_back(X):
    net = random_net([4, 6, 2], ["gelu", "identity"], "mse", "float32")
    assert_parity(run(to_onnx(net, dtype="float64"), X)["variable"], net.predict_proba(X), "float32")
    wide = net.astype(np.float64)
    assert_parity(run(to_onnx(wide, dtype="float32"), X.astype(np.float32))["variable"], wide.predict_proba(X), "float32")


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
def test_opsets_old_and_new(opset, X):
    net = random_net([4, 6, 3], ["softplus", "softmax"], "categorical_crossentropy", "float64")
    proto = to_onnx(net, dtype="float64", opset=opset)
    assert proto.opset_import[0].version == opset
    out = run(proto, X)
    assert_parity(out["probabilities"], net.predict_proba(X), "float64")


def test_graph_metadata_names_what_the_model_holds():
    net = random_net([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", "float64")
    net.classes_, net.feature_names_, net.target_name_ = np.array(["a", "b"]), ["x1", "x2"], "kind"
    net.metadata_ = {"data": "moons", "history": {"loss": [1.0] * 10}, "epochs": 10}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proto = to_onnx(net)
    p = props(proto)
    assert p["backprop.classes"] == '["a", "b"]' and p["backprop.feature_names"] == '["x1", "x2"]'
    assert p["backprop.target_name"] == '"kind"' and p["backprop.not_in_graph"] == "[]"
    assert '"data": "moons"' in p["backprop.metadata"] and "history" not in p["backprop.metadata"]
    assert proto.graph.input[0].name == "X" and "x1, x2" in proto.graph.input[0].doc_string
    assert proto.producer_name == "backprop" and proto.producer_version == bp.__version__


def test_what_the_graph_cannot_include_is_warned_and_listed():
    net = random_net([2, 3, 1], ["tanh", "identity"], "mse", "float64")
    net.metadata_ = {"one_hot": {"columns": ["region"]}, "epochs": 3}
    with pytest.warns(ONNXExportWarning, match=r"metadata entry 'one_hot': unknown to this exporter, not applied"):
        proto = to_onnx(net)
    assert "one_hot" in props(proto)["backprop.not_in_graph"]
    net.metadata_, net.imputer_ = {}, {"median": [0.0, 1.0]}
    with pytest.warns(ONNXExportWarning, match=r"network attribute 'imputer_'"):
        proto = to_onnx(net)
    assert "imputer_" in props(proto)["backprop.not_in_graph"]


# --------------------------------------------------------------------------- files and standardisation


def test_network_method_writes_the_file_atomically(tmp_path, X):
    net = random_net([4, 5, 3], ["elu", "softmax"], "categorical_crossentropy", "float64")
    path = tmp_path / "net.onnx"
    proto = net.to_onnx(path, dtype="float64")
    loaded = onnx.load(str(path))
    assert loaded.SerializeToString() == proto.SerializeToString()
    assert_parity(run(loaded, X)["probabilities"], net.predict_proba(X), "float64")
    assert [p for p in os.listdir(tmp_path)] == ["net.onnx"]  # no temporary file left behind
    with pytest.raises(FileNotFoundError, match="does not exist"):
        net.to_onnx(tmp_path / "missing" / "x.onnx")
    path.write_bytes(b"old")
    with pytest.raises(bp.ValidationError, match="dtype"):
        net.to_onnx(path, dtype="float16")
    assert path.read_bytes() == b"old"


@pytest.fixture(scope="module")
def standardized_run(tmp_path_factory):
    """A CLI run with --standardize on features of very different scales, with a checkpoint at the last epoch."""
    tmp = tmp_path_factory.mktemp("std")
    rng = np.random.default_rng(7)
    X = rng.normal(size=(150, 3)) * [1000.0, 0.01, 1.0] + [5000.0, -3.0, 0.0]
    score = 0.002 * (X[:, 0] - 5000) + 80 * (X[:, 1] + 3) + X[:, 2]
    label = np.where(score > 0.5, "high", np.where(score < -0.5, "low", "mid"))
    with open(tmp / "d.csv", "w") as f:
        f.write("a,b,c,level\n")
        for row, y in zip(X, label):
            f.write(f"{row[0]:.6f},{row[1]:.8f},{row[2]:.6f},{y}\n")
    argv = ["train", str(tmp / "d.csv"), "--layers", "6", "--activation", "tanh", "--standardize", "--epochs", "6",
            "--checkpoint-every", "6", "--checkpoint", str(tmp / "ck.npz"), "--out", str(tmp / "m.npz"), "--quiet"]
    assert main(argv) == 0
    return tmp, X


@pytest.mark.parametrize("dtype", DTYPES)
def test_saved_model_with_standardisation_folded_in(standardized_run, dtype):
    tmp, X = standardized_run
    net = bp.load(tmp / "m.npz")
    assert net.metadata_["standardize"] is not None and list(net.classes_) == ["high", "low", "mid"]
    for source in (tmp / "m.npz", str(tmp / "m.npz"), net):
        proto = to_onnx(source, dtype=dtype)
        out = run(proto, X.astype(dtype))
        assert_parity(out["probabilities"], net.predict_proba(X), dtype)
        np.testing.assert_array_equal(out["label"], net.predict(X))  # the stored labels
        assert "folded into the first layer" in props(proto)["backprop.preprocessing"]
        assert [n.op_type for n in proto.graph.node][:2] == ["MatMul", "Add"]  # raw features straight in
        assert props(proto)["backprop.feature_names"] == '["a", "b", "c"]'


@pytest.mark.parametrize("dtype", DTYPES)
def test_checkpoint_puts_the_scaler_in_the_graph(standardized_run, dtype):
    """The checkpoint holds the network on standardised inputs; its graph, fed raw features, equals the final model."""
    tmp, X = standardized_run
    final = bp.load(tmp / "m.npz")
    proto = to_onnx(tmp / "ck.npz", dtype=dtype)
    assert [n.op_type for n in proto.graph.node][:2] == ["Sub", "Div"]
    assert "(Sub, Div)" in props(proto)["backprop.preprocessing"] and props(proto)["backprop.source"] == "checkpoint"
    out = run(proto, X.astype(dtype))
    assert_parity(out["probabilities"], final.predict_proba(X), dtype)
    np.testing.assert_array_equal(out["label"], final.predict(X))


def test_unknown_model_file_field_is_reported(tmp_path, monkeypatch):
    net = random_net([2, 2], ["softmax"], "categorical_crossentropy", "float64")
    model = bio.ModelFile(net, config={"kind": "model", "format": "backprop-model", "calibration": {"method": "platt"}})
    with pytest.warns(ONNXExportWarning, match=r"model-file field 'calibration'"):
        proto = to_onnx(model)
    assert "calibration" in props(proto)["backprop.not_in_graph"]


# --------------------------------------------------------------------------- errors


def test_errors_name_the_argument():
    net = random_net([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", "float64")
    with pytest.raises(bp.InputTypeError, match=r"model: expected a backprop.Network, a fitted backprop.sklearn "
                                                r"estimator or the path of a model file, received"):
        to_onnx([1, 2, 3])
    with pytest.raises(bp.ValidationError, match=r"dtype: expected 'float32' or 'float64', received 'int32'"):
        to_onnx(net, dtype="int32")
    with pytest.raises(bp.InputTypeError, match=r"dtype: expected 'float32' or 'float64', received 'nonsense'"):
        to_onnx(net, dtype="nonsense")
    with pytest.raises(bp.InputTypeError, match=r"dtype: expected 'float32' or 'float64', received None"):
        to_onnx(net, dtype=None)
    with pytest.raises(bp.ValidationError, match=r"opset: expected an ONNX opset from 13 to \d+ .*received 9"):
        to_onnx(net, opset=9)
    with pytest.raises(bp.InputTypeError, match=r"opset: expected an integer or None"):
        to_onnx(net, opset="17")
    with pytest.raises(bp.InputTypeError, match=r"path: expected a file path"):
        to_onnx(net, 3)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        to_onnx("no-such-model.npz")
    net.classes_ = np.array(["a", "b", "c"])
    with pytest.raises(bp.ValidationError, match=r"classes: expected 2 labels for a binary network with 1 outputs, "
                                                 r"received 3"):
        to_onnx(net)
    regressor = random_net([2, 1], ["identity"], "mse", "float64")
    regressor.classes_ = np.array([0, 1])
    with pytest.raises(bp.ValidationError, match=r"classes: a regression network \(1 outputs\) has no classes"):
        to_onnx(regressor)
    net.classes_, net.metadata_ = None, {"standardize": {"mean": [0.0], "scale": [1.0]}}
    with pytest.raises(bp.ValidationError, match=r"metadata 'standardize' should hold 'mean' and 'scale' lists of 2"):
        to_onnx(net)


def test_a_user_registered_activation_is_refused_by_name():
    try:
        bp.register_activation("cube_test_onnx", lambda z: z**3, lambda z, a: 3 * z**2)
        net = bp.Network([2, 3, 1], ["cube_test_onnx", "identity"], "mse", seed=0)
        with pytest.raises(bp.ValidationError, match=r"layer 1's activation 'cube_test_onnx' has no ONNX form"):
            to_onnx(net)
    finally:
        bp.ACTIVATIONS.pop("cube_test_onnx", None)


def test_importing_the_library_or_the_exporter_imports_no_onnx_package():
    import subprocess

    code = ("import sys, backprop, backprop.export, backprop.cli; "
            "print(sorted(m for m in ('onnx', 'onnxruntime', 'skl2onnx') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    net = random_net([2, 1], ["identity"], "mse", "float64")
    with pytest.raises(ImportError, match=r"pip install 'backprop-mlp\[onnx\]'"):
        net.to_onnx()


def test_missing_skl2onnx_names_the_extra(monkeypatch):
    from backprop.export import register_skl2onnx

    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"needs skl2onnx: pip install 'backprop-mlp\[onnx\]'"):
        register_skl2onnx()


# --------------------------------------------------------------------------- scikit-learn


@pytest.fixture(scope="module")
def sk():
    pytest.importorskip("sklearn")
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.datasets import load_iris
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from backprop.export import register_skl2onnx
    from backprop.sklearn import NeuralNetClassifier, NeuralNetRegressor

    register_skl2onnx()
    register_skl2onnx()  # idempotent
    X, y = load_iris(return_X_y=True)
    return dict(skl2onnx=skl2onnx, Pipeline=Pipeline, StandardScaler=StandardScaler, X=X, y=y,
                Classifier=NeuralNetClassifier, Regressor=NeuralNetRegressor)


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short runs
        return estimator.fit(X, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["relu", "gelu", "elu"])
def test_classifier_pipeline_exports_as_a_whole(sk, activation, dtype):
    X, names = sk["X"], np.array(["setosa", "versicolor", "virginica"])[sk["y"]]
    pipe = _fit(sk["Pipeline"]([("scale", sk["StandardScaler"]()),
                                ("net", sk["Classifier"]((8,), activation=activation, max_iter=40, random_state=0))]),
                X, names)
    proto = sk["skl2onnx"].to_onnx(pipe, X[:1].astype(dtype), options={sk["Classifier"]: {"zipmap": False}})
    out = run(proto, X.astype(dtype))
    assert list(out) == ["label", "probabilities"]
    np.testing.assert_array_equal(out["label"], pipe.predict(X))
    assert_parity(out["probabilities"], pipe.predict_proba(X), dtype)


def test_classifier_pipeline_with_zipmap_like_sklearns_mlp(sk):
    X, names = sk["X"], np.array(["setosa", "versicolor", "virginica"])[sk["y"]]
    pipe = _fit(sk["Pipeline"]([("scale", sk["StandardScaler"]()),
                                ("net", sk["Classifier"]((6,), activation="tanh", max_iter=30, random_state=1))]),
                X, names)
    out = run(sk["skl2onnx"].to_onnx(pipe, X[:1].astype(np.float32)), X.astype(np.float32))
    assert list(out) == ["output_label", "output_probability"]
    np.testing.assert_array_equal(out["output_label"], pipe.predict(X))
    table = np.array([[row[c] for c in ("setosa", "versicolor", "virginica")] for row in out["output_probability"]])
    assert_parity(table, pipe.predict_proba(X), "float32")


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_classifier_with_integer_labels_and_nocl(sk, dtype):
    X = sk["X"]
    y = np.where(sk["y"] == 2, 7, 3)
    est = _fit(sk["Classifier"]((5,), activation="silu", max_iter=40, random_state=0), X, y)
    for options, expected in (({"zipmap": False}, est.predict(X)),
                              ({"zipmap": False, "nocl": True}, np.searchsorted(est.classes_, est.predict(X)))):
        proto = sk["skl2onnx"].to_onnx(est, X[:1].astype(dtype), options={sk["Classifier"]: options})
        out = run(proto, X.astype(dtype))
        assert out["label"].dtype == np.int64
        np.testing.assert_array_equal(out["label"], expected)
        assert_parity(out["probabilities"], est.predict_proba(X), dtype)


def test_multilabel_classifier(sk):
    X = sk["X"]
    Y = np.column_stack([sk["y"] == 0, sk["y"] == 1, X[:, 0] > 5.8]).astype(int)
    est = _fit(sk["Classifier"]((8,), activation="softplus", max_iter=40, random_state=0), X, Y)
    out = run(sk["skl2onnx"].to_onnx(est, X[:1].astype(np.float32), options={sk["Classifier"]: {"zipmap": False}}),
              X.astype(np.float32))
    np.testing.assert_array_equal(out["label"], est.predict(X))
    assert_parity(out["probabilities"], est.predict_proba(X), "float32")


@pytest.mark.parametrize("dtype", DTYPES)
def test_regressor_pipeline_exports_as_a_whole(sk, dtype):
    X = sk["X"]
    for y in (X[:, 3], X[:, 2:]):  # one output and two
        pipe = _fit(sk["Pipeline"]([("scale", sk["StandardScaler"]()),
                                    ("net", sk["Regressor"]((8,), activation="tanh", max_iter=40, random_state=0))]),
                    X[:, :2], y)
        out = run(sk["skl2onnx"].to_onnx(pipe, X[:1, :2].astype(dtype)), X[:, :2].astype(dtype))
        assert list(out) == ["variable"]
        assert_parity(out["variable"], pipe.predict(X[:, :2]).reshape(len(X), -1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_estimators_through_to_onnx_directly(sk, dtype):
    X, names = sk["X"], np.array(["setosa", "versicolor", "virginica"])[sk["y"]]
    clf = _fit(sk["Classifier"]((7,), activation="leaky_relu", max_iter=30, random_state=0), X, names)
    out = run(to_onnx(clf, dtype=dtype), X.astype(dtype))
    np.testing.assert_array_equal(out["label"], clf.predict(X))
    assert_parity(out["probabilities"], clf.predict_proba(X), dtype)
    reg = _fit(sk["Regressor"]((7,), activation="sigmoid", max_iter=30, random_state=0), X[:, :3], X[:, 3])
    out = run(to_onnx(reg, dtype=dtype), X[:, :3].astype(dtype))
    assert_parity(out["variable"][:, 0], reg.predict(X[:, :3]), dtype)
    with pytest.raises(bp.ValidationError, match="NeuralNetClassifier is not fitted"):
        to_onnx(sk["Classifier"]())


def test_skl2onnx_float_labels_become_int64_and_a_wrong_width_is_refused(sk):
    X = sk["X"]
    est = _fit(sk["Classifier"]((4,), max_iter=5, random_state=0), X, sk["y"].astype(np.float64))
    out = run(sk["skl2onnx"].to_onnx(est, X[:1].astype(np.float32), options={sk["Classifier"]: {"zipmap": False}}),
              X.astype(np.float32))
    assert out["label"].dtype == np.int64  # as skl2onnx does for scikit-learn's MLPClassifier
    np.testing.assert_array_equal(out["label"], est.predict(X))
    from skl2onnx.common.data_types import FloatTensorType

    with pytest.raises(RuntimeError, match=r"expected an input with 4 features, received shape \[None, 3\]"):
        sk["skl2onnx"].convert_sklearn(est, initial_types=[("X", FloatTensorType([None, 3]))])


def test_skl2onnx_classifier_options_output_class_labels_and_zipmap_columns(sk):
    X, names = sk["X"], np.array(["a", "b", "c"])[sk["y"]]
    est = _fit(sk["Classifier"]((5,), max_iter=20, random_state=0), X, names)
    proto = sk["skl2onnx"].to_onnx(est, X[:1].astype(np.float32),
                                   options={sk["Classifier"]: {"zipmap": False, "output_class_labels": True}})
    out = run(proto, X.astype(np.float32))
    assert list(out) == ["label", "probabilities", "class_labels"]
    np.testing.assert_array_equal(out["class_labels"], est.classes_)
    out = run(sk["skl2onnx"].to_onnx(est, X[:1].astype(np.float32), options={sk["Classifier"]: {"zipmap": "columns"}}),
              X.astype(np.float32))
    assert list(out) == ["output_label", "sa", "sb", "sc"]
    np.testing.assert_array_equal(out["output_label"], est.predict(X))
    assert_parity(np.column_stack([out["sa"], out["sb"], out["sc"]]), est.predict_proba(X), "float32")
