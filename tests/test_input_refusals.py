"""Inputs that used to give silent wrong results or someone else's error are refused up front,
by the one shared check of each kind, at every public entry point that takes them:

- masked arrays (the mask would be dropped and the values under it used);
- finite values beyond a float32 network's range (they would become inf and be reported as
  "NaN or inf entries" the data does not contain);
- per-example weights whose sum overflows (every coefficient would be 0: loss 0, nothing learnt);
- networks and data sets that need more memory than the machine has (numpy's MemoryError or
  ValueError before);
- prediction runs in bounded chunks without gradient buffers;
- CSV targets beyond 64-bit integers and non-UTF-8 CSVs name the file (and line and column).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import backprop as bp
from backprop import data as bd
from backprop.core.validation import ValidationError, as_float_matrix, check_memory

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 3))
Y_BIN = (X[:, 0] > 0).astype(np.int64)
Y_REG = X @ np.array([1.0, -2.0, 0.5])


def _binary(dtype="float64"):
    return bp.Network([3, 4, 1], ["tanh", "sigmoid"], "bce", dtype=dtype, seed=0)


def _regression(dtype="float64"):
    return bp.Network([3, 4, 1], ["tanh", "identity"], "mse", dtype=dtype, seed=0)


def _masked(a, n=2):
    mask = np.zeros(a.shape, bool)
    mask.flat[:n] = True
    return np.ma.masked_array(a, mask=mask)


# ------------------------------------------------------------------ masked arrays, every entry point
def _sklearn():
    return pytest.importorskip("backprop.sklearn")


MASKED_CASES = {
    "Network.predict X": lambda: _binary().predict(_masked(X)),
    "Network.predict_proba X": lambda: _binary().predict_proba(_masked(X)),
    "Network.forward X": lambda: _binary().forward(_masked(X)),
    "Network.cost X": lambda: _binary().cost(_masked(X), Y_BIN),
    "Network.cost Y": lambda: _regression().cost(X, _masked(Y_REG)),
    "Network.cost_and_gradient Y": lambda: _regression().cost_and_gradient(X, _masked(Y_REG)),
    "Network.cost_and_gradient sample_weight": lambda: _binary().cost_and_gradient(X, Y_BIN, _masked(np.ones(24))),
    "Network.fit X": lambda: _binary().fit(_masked(X), Y_BIN, epochs=1, verbose=0),
    "Network.fit Y": lambda: _binary().fit(X, _masked(Y_BIN), epochs=1, verbose=0),
    "Network.fit Y with validation_split": lambda: _binary().fit(X, _masked(Y_BIN), epochs=1, verbose=0,
                                                                  validation_split=0.25),
    "Network.fit sample_weight": lambda: _binary().fit(X, Y_BIN, sample_weight=_masked(np.ones(24)), epochs=1,
                                                       verbose=0),
    "Network.evaluate X": lambda: _binary().evaluate(_masked(X), Y_BIN),
    "StandardScaler.fit X": lambda: bd.StandardScaler().fit(_masked(X)),
    "encode_labels y": lambda: bd.encode_labels(_masked(Y_BIN)),
    "train_test_split X": lambda: bd.train_test_split(_masked(X), Y_BIN, seed=0),
    "NeuralNetClassifier.fit X": lambda: _sklearn().NeuralNetClassifier(max_iter=2).fit(_masked(X), Y_BIN),
    "NeuralNetRegressor.fit y": lambda: _sklearn().NeuralNetRegressor(max_iter=2).fit(X, _masked(Y_REG)),
}


@pytest.mark.parametrize("call", MASKED_CASES.values(), ids=MASKED_CASES.keys())
def test_masked_entries_are_refused_never_used(call):
    with pytest.raises(ValueError, match=r"masked array with 2 masked entries.*filled"):
        call()


def test_a_masked_array_with_nothing_masked_is_plain_data():
    net = _binary()
    np.testing.assert_array_equal(net.predict_proba(np.ma.masked_array(X)), net.predict_proba(X))
    np.testing.assert_array_equal(net.predict_proba(np.ma.masked_array(X, mask=False)), net.predict_proba(X))


# ------------------------------------------------------------ values beyond a float32 network's range
@pytest.mark.parametrize("value", [1e39, -1e39, 3.5e38, 1e300])
@pytest.mark.parametrize("entry", ["predict", "fit", "cost", "evaluate"])
def test_values_beyond_float32_are_named_as_such_not_as_nan(entry, value, recwarn):
    big = X.copy()
    big[3, 1] = value
    net = _binary("float32")
    call = {"predict": lambda: net.predict(big), "fit": lambda: net.fit(big, Y_BIN, epochs=1, verbose=0),
            "cost": lambda: net.cost(big, Y_BIN), "evaluate": lambda: net.evaluate(big, Y_BIN)}[entry]
    with pytest.raises(ValidationError, match=r"X: 1 values exceed the float32 range .*dtype='float64'"):
        call()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # no numpy overflow warnings


def test_float32_limit_itself_and_float64_networks_are_fine():
    edge = X.copy()
    edge[0, 0] = float(np.finfo(np.float32).max)
    converted = as_float_matrix(edge, dtype=np.float32)
    assert converted.dtype == np.float32 and converted[0, 0] == np.finfo(np.float32).max
    big = X.copy()
    big[0, 0] = 1e39
    assert as_float_matrix(big, dtype=np.float64)[0, 0] == 1e39  # float64 holds it


def test_real_nan_is_still_reported_as_nan_in_float32():
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValidationError, match="1 NaN or inf entries"):
        _binary("float32").predict(bad)


# ----------------------------------------------------------------- weight sums that overflow
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind, kwargs, name", [
    ("sample 1e38", {"sample_weight": np.full(24, 1e38)}, "sample_weight"),
    ("sample 1e307", {"sample_weight": np.full(24, 1e307)}, "sample_weight"),
    ("class 1e307", {"class_weight": {0: 1e307, 1: 1e307}}, "class_weight"),
    ("both", {"sample_weight": np.full(24, 1e20), "class_weight": {0: 1e20, 1: 1e20}},
     "sample_weight and class_weight"),
])
def test_weights_whose_sum_overflows_are_refused(dtype, kind, kwargs, name):
    if dtype == "float64" and kind in ("sample 1e38", "both"):
        # representable sums in float64: training runs and learns (weights only matter by ratio)
        net = _binary(dtype)
        before = net.cost(X, Y_BIN)
        net.fit(X, Y_BIN, epochs=30, verbose=0, optimizer="adam", learning_rate=0.05, **kwargs)
        assert net.cost(X, Y_BIN) < before
        return
    with pytest.raises(ValidationError, match=rf"{name}.*(sum to inf|exceeds the {dtype} range).*"):
        _binary(dtype).fit(X, Y_BIN, epochs=1, verbose=0, **kwargs)


def test_coefficients_of_huge_but_summable_weights_are_their_ratios():
    w = np.r_[np.full(12, 1e300), np.full(12, 3e300)]
    coef = bp.Network.coefficients(24, w)
    np.testing.assert_allclose(coef, w / w.sum(), rtol=1e-15)
    with pytest.raises(ValidationError, match=r"sample_weight: the per-example weights sum to inf in float64"):
        bp.Network.coefficients(24, np.full(24, 1e308))
    with pytest.raises(ValidationError, match="sample_weight: the per-example weights sum to inf"):
        _binary().cost_and_gradient(X, Y_BIN, np.full(24, 1e308))


# ------------------------------------------------------------------ memory refused up front
@pytest.mark.parametrize("sizes", [[10**6, 10**6], [2**70, 1], [4, 10**7, 10**6, 1], [10**9, 10**4]])
def test_networks_that_need_more_memory_than_the_machine_are_refused(sizes):
    with pytest.raises(ValidationError, match=r"layer_sizes: .* parameters in float64 would need .* more than "
                                              r"this machine's memory"):
        bp.Network(sizes, "tanh", "mse")


@pytest.mark.parametrize("make", [bd.planar_flower, bd.moons, bd.circles, bd.spirals, bd.xor, bd.blobs])
def test_data_sets_that_need_more_memory_are_refused(make):
    with pytest.raises(ValidationError, match=r"n_samples: 1000000000000 samples .* would need .* TiB"):
        make(10**12)


def test_blobs_counts_its_features_in_the_memory_it_needs():
    with pytest.raises(ValidationError, match="n_samples: 1000000000 samples of 1000 features"):
        bd.blobs(10**9, n_features=1000)


def test_check_memory_bound_is_the_physical_memory():
    check_memory(1 << 20, "x", "a MiB")
    with pytest.raises(ValidationError, match=r"^x: a lot would need 1024 PiB"):
        check_memory(1 << 60, "x", "a lot")


def test_estimator_with_a_huge_layer_is_refused():
    sk = _sklearn()
    with pytest.raises(ValidationError, match="layer_sizes: .* would need"):
        sk.NeuralNetRegressor(hidden_layer_sizes=(10**7, 10**6), max_iter=1).fit(X, Y_REG)


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize("args, named", [
    (["train", "moons", "--layers", "1000000,1000000", "--epochs", "1"], "layer_sizes"),
    (["train", "moons", "--samples", str(10**12), "--epochs", "1"], "n_samples"),
    (["gradcheck", "--data", "moons", "--layers", "1000000,1000000"], "layer_sizes"),
])
def test_cli_refuses_sizes_beyond_memory_in_one_line(args, named, tmp_path):
    proc = _cli(*args, cwd=tmp_path)
    assert proc.returncode in (1, 2), proc.stderr
    assert proc.stderr.count("\n") == 1 and named in proc.stderr and "would need" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------- prediction in bounded chunks
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chunked_prediction_equals_one_pass(dtype):
    net = bp.Network([5, 64, 3], ["relu", "softmax"], "cce", dtype=dtype, seed=1)
    data = np.random.default_rng(2).normal(size=(1001, 5))
    whole = net.forward(data)[0]
    net.PREDICT_CHUNK_BYTES = 2 * (64 + 3) * np.dtype(dtype).itemsize * 100  # 100 rows a chunk, 11 chunks
    chunked = net.predict_proba(data)
    np.testing.assert_allclose(chunked, whole, rtol=1e-12 if dtype == "float64" else 1e-5)
    assert chunked.dtype == np.dtype(dtype) and chunked.flags.c_contiguous
    np.testing.assert_array_equal(net.predict(data), chunked.argmax(axis=1))


def test_prediction_memory_stays_bounded_for_a_large_input():
    # 16 MB of float32 input through a 512-unit layer: one pass held ~1.6 GB of buffers before.
    net = bp.Network([256, 512, 10], ["relu", "softmax"], "cce", dtype="float32", seed=0)
    data = np.random.default_rng(0).normal(size=(16_000, 256)).astype(np.float32)
    tracemalloc.start()
    try:
        net.predict_proba(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * net.PREDICT_CHUNK_BYTES + 16 * 10 * 4 * 1000, peak


# -------------------------------------------------------------------- CSV files name what is wrong
def test_a_target_beyond_64_bit_integers_names_file_line_and_column(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("a,b,y\n1,2,3\n3,4,123456789012345678901234567890\n")
    with pytest.raises(ValidationError, match=r"ids.csv: line 3, column 'y' .*123456789012345678901234567890 "
                                              r"does not fit in 64 bits"):
        bd.load_csv(path, target="y")
    proc = _cli("train", path, "--target", "y", "--epochs", "1", cwd=tmp_path)
    assert proc.returncode == 2 and "line 3, column 'y'" in proc.stderr and "Traceback" not in proc.stderr


def test_non_utf8_csv_is_named_by_predict(tmp_path):
    model = tmp_path / "m.npz"
    assert _cli("train", "moons", "--layers", "3", "--epochs", "1", "--out", model, cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"x0,x1\n1.0,2.0\n0.5,\xff3\n")
    proc = _cli("predict", model, bad, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "bad.csv" in proc.stderr and "not UTF-8" in proc.stderr and proc.stderr.count("\n") == 1
