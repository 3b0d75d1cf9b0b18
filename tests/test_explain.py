"""backprop.explain against the deeplearning.ai course's own code (course 1, week 3), written out here."""

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main


# ---- the course's code ("Planar data classification with one hidden layer"), plain numpy ----
def load_planar_dataset():
    np.random.seed(1)
    m = 400
    N = int(m / 2)
    D = 2
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    return float(np.squeeze(-np.sum(logprobs) / m))


def backward_propagation(parameters, cache, X, Y):
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


def update_parameters(parameters, grads, learning_rate=1.2):
    return {k: parameters[k] - learning_rate * grads["d" + k] for k in parameters}


@pytest.fixture(scope="module")
def course():
    state = np.random.get_state()
    try:
        X, Y = load_planar_dataset()
        parameters = initialize_parameters(2, 4, 1)
    finally:
        np.random.set_state(state)
    return X, Y, parameters


def test_the_default_is_the_courses_data_network_and_initial_weights(course):
    X, Y, parameters = course
    from backprop.data import planar_flower

    X_ours, y_ours = planar_flower()
    np.testing.assert_array_equal(X_ours.T, X)  # the course's flower, bit for bit
    np.testing.assert_array_equal(y_ours.reshape(1, -1), Y)
    result = bp.explain()
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(result.parameters[0][key], parameters[key])
    # the numbers the course notebook prints for initialize_parameters(2, 4, 1)
    np.testing.assert_allclose(result.parameters[0]["W1"], [[-0.00416758, -0.00056267], [-0.02136196, 0.01640271],
                                                             [-0.01793436, -0.00841747], [0.00502881, -0.01245288]],
                               atol=5e-9)
    np.testing.assert_allclose(result.parameters[0]["W2"], [[-0.01057952, -0.00909008, 0.00551454, 0.02292208]], atol=5e-9)
    A2, cache = forward_propagation(X, parameters)
    assert result.costs[0] == pytest.approx(compute_cost(A2, Y), rel=1e-14)
    assert f"{result.costs[0]:.6f}" == "0.693048"  # "Cost after iteration 0: 0.693048" in the course notebook


def test_the_first_step_equals_the_courses_code(course):
    X, Y, parameters = course
    result = bp.explain()
    _, cache = forward_propagation(X, parameters)
    grads = backward_propagation(parameters, cache, X, Y)
    for key, value in grads.items():
        np.testing.assert_allclose(result.grads[0][key], value, rtol=1e-12, atol=1e-18, err_msg=key)
    updated = update_parameters(parameters, grads)
    for key, value in updated.items():
        np.testing.assert_allclose(result.parameters[1][key], value, rtol=1e-13, atol=1e-18, err_msg=key)
    assert result.costs[1] == pytest.approx(compute_cost(forward_propagation(X, updated)[0], Y), rel=1e-13)
    assert result.passed and result.engine_difference < 1e-13


def test_steps_follow_the_courses_loop(course):
    X, Y, parameters = course
    result = bp.explain(steps=25)
    p, costs = parameters, []
    for _ in range(25):
        A2, cache = forward_propagation(X, p)
        costs.append(compute_cost(A2, Y))
        p = update_parameters(p, backward_propagation(p, cache, X, Y))
    costs.append(compute_cost(forward_propagation(X, p)[0], Y))
    np.testing.assert_allclose(result.costs, costs, rtol=1e-12)
    for key in p:
        np.testing.assert_allclose(result.parameters[-1][key], p[key], rtol=1e-10, atol=1e-15)


def test_text_shows_the_loss_formula_and_the_update_and_stays_short():
    result = bp.explain(steps=30)
    text = str(result)
    assert "J = −(1/m) Σ_i [Y log A[L] + (1 − Y) log(1 − A[L])] = 0.693048" in text
    assert "W[1] = W[1] − α dW[1]" in text and "α = 1.2" in text
    assert "dW[1] = (1/m) dZ[1] A[0]ᵀ" in text and "g'(Z[1]) = 1 − A[1]²" in text
    assert "before step 30" in text and "…" in text
    assert len(text) < 6000
    assert len(repr(result)) < 300 and repr(result).endswith("PASS>")


def test_html_typesets_every_equation_and_stays_bounded():
    page = bp.explain()._repr_html_()
    assert len(page) < 6500
    assert r"\(J = -\frac{1}{m} \sum_{i=1}^{m}" in page
    assert r"\(W^{[1]} = W^{[1]} - \alpha\, dW^{[1]}\)" in page
    assert r"\(dW^{[1]} = \frac{1}{m} dZ^{[1]} A^{[0]T}\)" in page
    assert page.count(r"\(") == page.count(r"\)") >= 20
    assert "<pre" in page and "shape (4, 400)" in page


def test_a_users_network_and_data(rng):
    net = bp.Network([3, 5, 2, 3], ["relu", "tanh", "softmax"], "categorical_crossentropy", seed=0)
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 3, 10)
    before = net.params.copy()
    result = bp.explain(net, X, y, steps=2, learning_rate=0.5)
    np.testing.assert_array_equal(net.params, before)  # the caller's network is not changed
    assert result.passed and len(result.costs) == 3 and "dZ[3] = A[3] − Y" in str(result)
    # the gradient equals the engine's on the same weights
    _, grad = net.cost_and_gradient(X, y)
    dW, db = net.unflatten(grad)
    for l in range(3):
        np.testing.assert_allclose(result.grads[0][f"dW{l + 1}"], dW[l], rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: bp.explain("net"), TypeError, "net: expected a backprop.Network"),
    (lambda: bp.explain(None, np.zeros((3, 2))), ValueError, "X and Y: give both"),
    (lambda: bp.explain(steps=0), ValueError, "steps"),
    (lambda: bp.explain(learning_rate=-1.0), ValueError, "learning_rate"),
    (lambda: bp.explain(bp.Network([3, 1], "sigmoid", "bce")), ValueError, "X: the default flower data has 2 features"),
])
def test_bad_input_is_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_cli_defaults_to_the_course_and_adapts_the_loss(capsys):
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    assert "network 2 → 4 tanh → 1 sigmoid, loss binary_crossentropy, m = 400 examples of flower" in out
    assert "[[-0.00416758 -0.00056267]" in out and "= 0.693048" in out
    assert main(["explain", "--data", "wine", "--examples", "5"]) == 0  # 3 classes: softmax, not a failure
    assert "3 softmax, loss categorical_crossentropy" in capsys.readouterr().out
    assert main(["explain", "--data", "diabetes", "--examples", "6", "--learning-rate", "0.01"]) == 0
    assert "1 identity, loss mse" in capsys.readouterr().out
    assert main(["explain", "--steps", "3", "--examples", "4"]) == 0
    assert "after step 3: J = " in capsys.readouterr().out


def _latex_of(result):
    import html as html_module
    import re

    return [html_module.unescape(m) for m in re.findall(r"\\\((.*?)\\\)", result._repr_html_())]


def test_every_equation_is_valid_latex(tmp_path, rng):
    """KaTeX (the copy shipped with the docs) parses every equation explain and check_backprop produce."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    katex = Path(__file__).resolve().parents[1] / "docs" / "javascripts" / "katex" / "katex.min.js"
    formulas = _latex_of(bp.explain())
    X = rng.normal(size=(6, 3))
    for hidden in ("relu", "leaky_relu", "elu", "softplus", "gelu", "silu", "identity", "sigmoid"):
        for output, loss, Y in (("softmax", "categorical_crossentropy", rng.integers(0, 3, 6)),
                                ("softmax", "mse", np.eye(3)[rng.integers(0, 3, 6)]),
                                ("sigmoid", "mse", rng.random((6, 3))), ("identity", "mae", rng.normal(size=(6, 3))),
                                ("tanh", "huber", rng.normal(size=(6, 3)))):
            net = bp.Network([3, 4, 3], [hidden, output], loss, seed=0)
            formulas += _latex_of(bp.explain(net, X, Y))
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from test_check_backprop import RIGHT, WRONG

    for fn in [*RIGHT, *(w[0] for w in WRONG)]:
        formulas += _latex_of(bp.check_backprop(fn))
    formulas = sorted(set(formulas))
    assert len(formulas) > 60
    script = tmp_path / "parse.js"
    script.write_text(
        f"const katex = require({json.dumps(str(katex))});\n"
        "const formulas = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "const bad = [];\n"
        "for (const f of formulas) { try { katex.renderToString(f, {throwOnError: true}); }"
        " catch (e) { bad.push(f + ' :: ' + e.message); } }\n"
        "console.log(JSON.stringify(bad));\n")
    result = subprocess.run([node, str(script)], input=json.dumps(formulas), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_every_help_example_runs(capsys):
    import shlex

    from backprop.cli.explain import EXAMPLES

    examples = [shlex.split(line.split("#")[0])[2:] for line in EXAMPLES.splitlines()
                if line.strip().startswith("backprop explain")]
    assert len(examples) >= 5
    for args in examples:
        assert main(["explain", *args]) == 0, args
        assert capsys.readouterr().out.count("verdict: PASS") == 1
