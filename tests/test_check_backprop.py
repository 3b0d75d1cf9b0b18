"""check_backprop against a collection of learners' implementations: the right ones pass, each wrong one
is caught, its first wrong array named, and its mistake diagnosed."""

import os
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp


# ============================================================ course 1, week 3: backward_propagation
def bp_right(parameters, cache, X, Y):  # the course's solution
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def bp_no_one_over_m(parameters, cache, X, Y):
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)
    return {"dW1": np.dot(dZ1, X.T), "db1": np.sum(dZ1, axis=1, keepdims=True), "dW2": dW2, "db2": db2}


def bp_double_one_over_m(parameters, cache, X, Y):
    m = X.shape[1]
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    dZ2 = (A2 - Y) / m
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m, "dW2": dW2, "db2": db2}


def bp_transpose(parameters, cache, X, Y):
    m = X.shape[1]
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)
    return {"dW1": np.dot(X, dZ1.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def bp_tanh_one_minus_a(parameters, cache, X, Y):
    m = X.shape[1]
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def bp_tanh_of_z(parameters, cache, X, Y):
    m = X.shape[1]
    W2, Z1, A1, A2 = parameters["W2"], cache["Z1"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - Z1**2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def bp_keepdims_lost(parameters, cache, X, Y):
    m = X.shape[1]
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def bp_in_place(parameters, cache, X, Y):
    m = X.shape[1]
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    dZ2 = A2
    dZ2 -= Y  # changes the caller's cache["A2"]
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def bp_z_for_a(parameters, cache, X, Y):
    m = X.shape[1]
    W2, Z1, A1, A2 = parameters["W2"], cache["Z1"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1**2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, Z1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def bp_sigmoid_derivative_for_tanh(parameters, cache, X, Y):
    m = X.shape[1]
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * A1 * (1 - A1)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


# ============================================================ course 1, week 4: the L-layer building blocks
def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def relu_backward(dA, cache):
    dZ = np.array(dA, copy=True)
    dZ[cache <= 0] = 0
    return dZ


def linear_backward(dZ, cache):  # the course's solution
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_backward_keepdims_lost(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1) / m


def linear_backward_no_one_over_m(dZ, cache):
    A_prev, W, b = cache
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T), np.sum(dZ, axis=1, keepdims=True)


def linear_activation_backward(dA, cache, activation):  # the course's solution
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def lab_sigmoid_one_minus_a(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = relu_backward(dA, Z)
    else:
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * (1 - s)
    return linear_backward(dZ, linear_cache)


def lab_relu_times_z(dA, cache, activation):
    linear_cache, Z = cache
    dZ = dA * np.maximum(Z, 0) if activation == "relu" else sigmoid_backward(dA, Z)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches):  # the course's solution
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, "sigmoid")
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "relu")
        grads["dA" + str(l)] = dA_prev
        grads["dW" + str(l + 1)] = dW
        grads["db" + str(l + 1)] = db
    return grads


def lmb_dal_sign(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)  # the minus forgotten
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l], "relu")
    return grads


def lmb_dal_is_dz(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = AL - Y
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l], "relu")
    return grads


def lmb_key_off_by_one(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l + 1)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 2)], caches[l], "relu")
    return grads


def lmb_cache_off_by_one(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l + 1], "relu")  # should be caches[l]
    return grads


# ============================================================ course 2, week 1: L2 regularisation and dropout
def reg_right(X, Y, cache, lambd):  # the course's solution
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T) + lambd / m * W3
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T) + lambd / m * W2
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T) + lambd / m * W1
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def _reg(X, Y, cache, lambd, factor):
    grads = reg_right(X, Y, cache, 0.0)
    m = X.shape[1]
    for l, W in ((1, cache[2]), (2, cache[6]), (3, cache[10])):
        grads[f"dW{l}"] = grads[f"dW{l}"] + factor * lambd / m * W
    return grads


def reg_missing_term(X, Y, cache, lambd):
    return _reg(X, Y, cache, lambd, 0.0)


def reg_half(X, Y, cache, lambd):
    return _reg(X, Y, cache, lambd, 0.5)


def drop_right(X, Y, cache, keep_prob):  # the course's solution
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T)
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dA2 = dA2 * D2
    dA2 = dA2 / keep_prob
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T)
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dA1 = dA1 * D1
    dA1 = dA1 / keep_prob
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T)
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def drop_no_keep_prob(X, Y, cache, keep_prob):
    return drop_right(X, Y, cache, 1.0)


def drop_no_mask(X, Y, cache, keep_prob):
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    ones = (Z1, np.ones_like(D1), A1, W1, b1, Z2, np.ones_like(D2), A2, W2, b2, Z3, A3, W3, b3)
    return drop_right(X, Y, ones, keep_prob)


RIGHT = [bp_right, linear_backward, linear_activation_backward, L_model_backward, reg_right, drop_right]

# (implementation, the first wrong array, words the diagnosis must contain)
WRONG = [
    (bp_no_one_over_m, "dW2", "1/m is missing"),
    (bp_double_one_over_m, "dW2", "1/m is applied twice"),
    (bp_transpose, "dW1", "transpose"),
    (bp_tanh_one_minus_a, "dW1", "wrong tanh derivative: 1 − A instead of 1 − A²"),
    (bp_tanh_of_z, "dW1", "1 − Z² instead of 1 − A²"),
    (bp_sigmoid_derivative_for_tanh, "dW1", "sigmoid's derivative, instead of tanh's"),
    (bp_keepdims_lost, "db1", "keepdims lost"),
    (bp_z_for_a, "dW2", "Z of the layer below used where the equation has its activation A"),
    (linear_backward_keepdims_lost, "db", "keepdims lost"),
    (linear_backward_no_one_over_m, "dW", "1/m is missing"),
    (lab_sigmoid_one_minus_a, "dW", "wrong sigmoid derivative: 1 − A instead of A(1 − A)"),
    (lab_relu_times_z, "dW", "Z or relu(Z) instead of the step"),
    (lmb_dal_sign, "dA2", "sign of dAL"),
    (lmb_dal_is_dz, "dA2", "dAL = AL − Y is dZ[L]"),
    (lmb_key_off_by_one, "dA0", "off-by-one layer index in the keys"),
    (reg_missing_term, "dW3", "L2 term (λ/m) W is missing"),
    (reg_half, "dW3", "(λ/2m) W"),
    (drop_no_keep_prob, "dA2", "not divided by keep_prob"),
    (drop_no_mask, "dA2", "mask D is not applied"),
]


@pytest.mark.parametrize("fn", RIGHT, ids=lambda f: f.__name__)
def test_the_courses_right_implementations_pass(fn):
    report = bp.check_backprop(fn)
    assert report.passed, str(report)
    assert "PASS" in str(report) and repr(report).endswith("PASS on %d cases>" % len(report.cases))
    assert any("m=1" in c or ", 1)" in c for c in report.cases)  # m = 1 is among the cases


@pytest.mark.parametrize("fn, first, words", WRONG, ids=lambda v: getattr(v, "__name__", ""))
def test_each_wrong_implementation_is_caught_and_named(fn, first, words):
    report = bp.check_backprop(fn)
    assert not report.passed
    assert report.name == first, str(report)
    assert report.diagnosis and words in report.diagnosis, str(report)
    text = str(report)
    assert f"first wrong array: {first}" in text and "equation:" in text and "FAIL" in text
    assert len(text) < 2000 and len(report._repr_html_()) < 3000 and len(repr(report)) < 400


def test_a_wrong_element_shows_expected_and_received():
    report = bp.check_backprop(bp_tanh_one_minus_a)
    assert report.index is not None and report.expected != report.received
    assert f"expected {report.expected:.10g}, received {report.received:.10g}" in str(report)
    assert "dW1 = (1/m) dZ1 Xᵀ" in report.equation
    assert r"\(dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T" in report._repr_html_()


def test_in_place_changes_of_the_callers_arrays_are_caught():
    report = bp.check_backprop(bp_in_place)
    assert not report.passed and report.name is None  # the numbers are right …
    assert report.in_place == ["cache['A2']"]  # … but the caller's A2 was overwritten
    assert "changed the caller's cache['A2'] in place" in str(report)


def test_an_off_by_one_cache_index_is_caught():
    report = bp.check_backprop(lmb_cache_off_by_one)
    assert not report.passed
    # on most shapes the wrong cache does not even fit: the error and its line are reported
    assert report.error and "caches[l + 1]" in report.error or "off-by-one" in (report.diagnosis or "")


def test_an_exception_is_reported_with_its_line():
    def backward_propagation(parameters, cache, X, Y):
        return {"dW1": np.dot(cache["A1"], X)}

    report = bp.check_backprop(backward_propagation)
    assert not report.passed and "ValueError" in report.error and "np.dot(cache[\"A1\"], X)" in report.error


def test_unknown_signatures_and_non_functions_are_named():
    with pytest.raises(ValueError, match=r"\(a, b\) has none of the course's signatures"):
        bp.check_backprop(lambda a, b: None)  # noqa: ARG005
    with pytest.raises(TypeError, match="fn: expected a function"):
        bp.check_backprop(3)


LEARNER_FILE = '''
import numpy as np

def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - cache["A1"] {op})
    return {{"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}}
'''


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "backprop", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def test_cli_check_exits_0_on_pass_and_1_on_fail(tmp_path):
    (tmp_path / "right.py").write_text(LEARNER_FILE.format(op="** 2"))
    (tmp_path / "wrong.py").write_text(LEARNER_FILE.format(op=""))
    result = _cli("check", "right.py:backward_propagation", cwd=tmp_path)
    assert result.returncode == 0 and "PASS" in result.stdout, result.stderr
    result = _cli("check", "wrong.py:backward_propagation", cwd=tmp_path)
    assert result.returncode == 1
    assert "first wrong array: dW1" in result.stdout and "1 − A instead of 1 − A²" in result.stdout
    for bad, words in (("nofile.py:f", "no such file"), ("right.py:nothing", "has no function 'nothing'"),
                       ("right.py", "FILE.py:FUNCTION")):
        result = _cli("check", bad, cwd=tmp_path)
        assert result.returncode in (1, 2) and words in result.stderr and "Traceback" not in result.stderr


def test_cli_check_has_help_with_examples(tmp_path):
    result = _cli("check", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "backprop check my_planar.py:backward_propagation" in result.stdout
    assert "L_model_backward(AL, Y, caches)" in result.stdout


def test_the_expected_arrays_come_from_backprop_reference_and_the_diagnoses_share_them():
    """Every case's expected arrays are backprop.reference's; the mistake-free diagnosis run equals them."""
    from backprop import check

    for signature, make in check._CASES.items():
        for case in make(np.random.default_rng(0)):
            again = case.redo({})
            assert list(again) == list(case.expected), signature
            for key, value in case.expected.items():
                np.testing.assert_allclose(again[key], value, rtol=1e-9, atol=1e-12, err_msg=f"{signature} {key}")
