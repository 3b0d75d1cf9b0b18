"""The playground's server through HTTP: every number it sends equals the engine's.

The server runs in a thread of the test process (port 0); the expected numbers come from a
separate ``backprop.Network`` built from the same configuration and the course's own functions
(``backprop.shallow``), never from the session's own code path.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest

import backprop
from backprop.optim import get_optimizer
from backprop.playground import Session, make_server, serve_in_thread
from backprop.shallow import initialize_parameters


@pytest.fixture()
def served():
    session = Session()
    server = make_server("127.0.0.1", 0, session)
    serve_in_thread(server)
    yield server, session
    server.shutdown()
    server.server_close()


class Client:
    def __init__(self, server):
        self.port = server.server_address[1]

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = None if body is None else json.dumps(body)
        conn.request(method, path, data, {"Content-Type": "application/json"} if data else {})
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        return response.status, response.getheader("Content-Type"), payload

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body, expect=200):
        status, _, payload = self.request("POST", path, body)
        data = json.loads(payload)
        assert status == expect, data
        return data


@pytest.fixture()
def client(served):
    return Client(served[0])


def course_network(session: Session) -> backprop.Network:
    """The course's 2-4-1 network with the course's initialisation, built independently."""
    params = initialize_parameters(2, 4, 1)  # the course's function: np.random.seed(2), 0.01·randn
    net = backprop.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    net.weights[0][...] = params["W1"]
    net.weights[1][...] = params["W2"]
    return net


def engine_values(body: dict) -> dict[str, float]:
    """The full-precision numbers the equation panel tags (testid -> value)."""
    values = {}
    for section in body["sections"]:
        for line in section["lines"]:
            if "testid" in line:
                values[line["testid"]] = float(line["value"])
    return values


# ---------------------------------------------------------------------- the page and its assets
def test_page_and_assets_are_served_without_any_cdn(client):
    status, ctype, html = client.get("/")
    assert status == 200 and ctype.startswith("text/html")
    text = html.decode()
    for testid in ("dataset", "play", "pause", "step", "reset", "epoch", "train-loss", "test-loss",
                   "train-accuracy", "test-accuracy", "equation-panel"):
        assert f'data-testid="{testid}"' in text
    assert "weight-${l}-${i}-${j}" in client.get("/static/app.js")[2].decode()
    for name in ("app.js", "style.css"):
        status, ctype, body = client.get(f"/static/{name}")
        assert status == 200 and body
    # every asset is local: no script, style or font from another host
    static = resources.files("backprop.playground").joinpath("static")
    for item in static.iterdir():
        content = item.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']https?://""", content), item.name
        assert "@import" not in content and "cdn" not in content.lower(), item.name
    assert client.get("/static/../session.py")[0] == 404
    assert client.get("/nope")[0] == 404


def test_opens_with_the_course_network_on_the_flower(client, served):
    _, session = served
    state = json.loads(client.get("/api/state")[2])
    assert state["layer_sizes"] == [2, 4, 1]
    assert state["activations"] == ["tanh", "sigmoid"]
    assert state["loss"] == "binary_crossentropy"
    assert state["config"]["dataset"] == "flower" and state["config"]["learning_rate"] == 1.2
    assert state["epoch"] == 0
    # the course's initial weights, from the course's own initialize_parameters
    net = course_network(session)
    for got, want in zip(state["weights"], net.weights):
        np.testing.assert_allclose(got, want, atol=5e-7)
    # the course's flower data (planar_flower reproduces load_planar_dataset)
    X, y = backprop.data.planar_flower(400, noise=0.2, seed=1)
    sent = np.array(state["data"]["train"] + state["data"]["test"])
    order = np.lexsort(sent[:, :2].T)
    order_x = np.lexsort(X.T)
    np.testing.assert_array_equal(sent[order, :2], X[order_x])
    np.testing.assert_array_equal(sent[order, 2], y[order_x])


def test_one_step_equals_one_gradient_descent_step_of_the_engine(client, served):
    _, session = served
    net = course_network(session)
    X, y = session.X_train, session.y_train.reshape(-1, 1)
    cost0 = net.cost(X, y)
    _, grad = net.cost_and_gradient(X, y)
    body = client.post("/api/frame", {"iterations": 1})
    net.params = net.params - 1.2 * grad  # θ ← θ − α ∇J, full batch
    assert body["epoch"] == 1 and body["iteration"] == 1
    for got, want in zip(body["weights"], net.weights):
        np.testing.assert_allclose(got, want, atol=5e-7)
    np.testing.assert_array_equal(session.net.params, net.params)
    metrics = body["metrics"]
    assert metrics["train_loss"] == pytest.approx(net.cost(X, y), rel=1e-12)
    assert metrics["test_loss"] == pytest.approx(net.cost(session.X_test, session.y_test.reshape(-1, 1)), rel=1e-12)
    accuracy = float(np.mean(net.predict(session.X_test) == session.y_test))
    assert metrics["test_accuracy"] == pytest.approx(accuracy)
    assert body["history"][0]["train_loss"] == pytest.approx(cost0, rel=1e-12)
    # gradient norms per layer: ‖dW[l]‖ of that step
    dW, _ = net.unflatten(grad)
    assert metrics["grad_norms"] == pytest.approx([np.linalg.norm(d) for d in dW], rel=1e-12)


def test_equation_panel_numbers_are_the_engines(client, served):
    _, session = served
    client.post("/api/frame", {"iterations": 3})
    net = course_network(session)
    X, y = session.X_train, session.y_train.reshape(-1, 1)
    for _ in range(2):
        _, grad = net.cost_and_gradient(X, y)
        net.params = net.params - 1.2 * grad
    before = net.params.copy()
    _, grad = net.cost_and_gradient(X, y)
    dW, db = net.unflatten(grad)
    Wb, bb = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    _, cache = net.forward(X)
    after = before - 1.2 * grad
    Wa, ba = net.unflatten(after)

    body = client.post("/api/frame", {"select": {"kind": "weight", "l": 2, "i": 0, "j": 3}})
    panel = body["explain"]
    assert panel["id"] == "weight-2-0-3"
    v = engine_values(panel)
    assert v["eq-gradient"] == pytest.approx(dW[1][0, 3], rel=1e-12)
    assert v["eq-value"] == pytest.approx(Wa[1][0, 3], rel=1e-12)
    assert v["eq-update"] == pytest.approx(Wa[1][0, 3] - Wb[1][0, 3], rel=1e-9)
    x0 = X[0]  # example 1 of the (full) batch
    a1 = np.tanh(Wb[0] @ x0 + bb[0][:, 0])
    z2 = float(Wb[1][0] @ a1 + bb[1][0, 0])
    assert v["eq-z"] == pytest.approx(z2, rel=1e-12)
    assert v["eq-a"] == pytest.approx(1 / (1 + np.exp(-z2)), rel=1e-12)
    assert v["eq-dz"] == pytest.approx((1 / (1 + np.exp(-z2)) - y[0, 0]) / X.shape[0], rel=1e-10)
    text = json.dumps(panel, ensure_ascii=False)
    for formula in ("Z[2] = W[2] A[1] + b[2]", "A[2] = σ(Z[2])", "dZ[2] = (A[2] − Y) / m", "dW[2] = dZ[2] A[1]ᵀ"):
        assert formula in text
    assert "(1, 4) · (4, 320)" in text  # the shapes plugged in

    # a hidden weight: dZ[1] = W[2]ᵀ dZ[2] ⊙ g′(Z[1]) with tanh′ = 1 − a²
    v = engine_values(client.post("/api/frame", {"select": {"kind": "weight", "l": 1, "i": 2, "j": 1}})["explain"])
    assert v["eq-gradient"] == pytest.approx(dW[0][2, 1], rel=1e-12)
    dz2 = (1 / (1 + np.exp(-z2)) - y[0, 0]) / X.shape[0]
    assert v["eq-da"] == pytest.approx(Wb[1][0, 2] * dz2, rel=1e-10)
    assert v["eq-gprime"] == pytest.approx(1 - a1[2] ** 2, rel=1e-12)
    assert v["eq-dz"] == pytest.approx(Wb[1][0, 2] * dz2 * (1 - a1[2] ** 2), rel=1e-10)

    v = engine_values(client.post("/api/frame", {"select": {"kind": "bias", "l": 1, "i": 1}})["explain"])
    assert v["eq-gradient"] == pytest.approx(db[0][1, 0], rel=1e-12)
    assert v["eq-value"] == pytest.approx(ba[0][1, 0], rel=1e-12)
    neuron = client.post("/api/frame", {"select": {"kind": "neuron", "l": 1, "i": 0}})["explain"]
    assert engine_values(neuron)["eq-a"] == pytest.approx(a1[0], rel=1e-12)
    assert cache.A[1].shape == (4, X.shape[0])

    bad = client.post("/api/frame", {"select": {"kind": "weight", "l": 3, "i": 0, "j": 0}})["explain"]
    assert "l: expected a layer in [1, 2], received 3" in bad["error"]


def test_l2_and_adam_panel_matches_the_engine_and_its_optimizer(client, served):
    _, session = served
    cfg = dict(session.config, optimizer="adam", learning_rate=0.03, l2=0.1)
    client.post("/api/config", {"config": cfg})
    net = course_network(session)
    X, y = session.X_train, session.y_train.reshape(-1, 1)
    opt = get_optimizer("adam")
    for _ in range(4):
        _, grad = net.cost_and_gradient(X, y, l2=0.1)
        before = net.params.copy()
        opt.step(net.params, grad, 0.03)
    body = client.post("/api/frame", {"iterations": 4, "select": {"kind": "weight", "l": 1, "i": 0, "j": 0}})
    np.testing.assert_allclose(session.net.params, net.params, rtol=1e-12, atol=1e-15)
    v = engine_values(body["explain"])
    dW, _ = net.unflatten(grad)
    assert v["eq-gradient"] == pytest.approx(dW[0][0, 0], rel=1e-10)
    assert v["eq-update"] == pytest.approx(net.params[0] - before[0], rel=1e-9)
    assert "(λ/m) W" in json.dumps(body["explain"], ensure_ascii=False)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_every_optimizer_with_minibatches_trains_like_the_engine(client, served, optimizer):
    _, session = served
    client.post("/api/config", {"config": dict(session.config, optimizer=optimizer, learning_rate=0.01,
                                               batch_size=320)})
    net = course_network(session)
    opt = get_optimizer(optimizer)
    X, y = session.X_train, session.y_train.reshape(-1, 1)
    for _ in range(3):
        _, grad = net.cost_and_gradient(X, y)
        opt.step(net.params, grad, 0.01)
    client.post("/api/frame", {"epochs": 3})
    np.testing.assert_allclose(session.net.params, net.params, rtol=1e-12, atol=1e-15)


def test_multiclass_softmax_and_regression_tasks(client):
    body = client.post("/api/config", {"config": {"dataset": "spirals", "hidden": [16, 16],
                                                  "activations": ["relu", "relu"], "loss": "categorical_crossentropy",
                                                  "optimizer": "adam", "learning_rate": 0.01, "init": "auto"}})
    assert body["layer_sizes"] == [2, 16, 16, 3] and body["activations"] == ["relu", "relu", "softmax"]
    assert body["pictures"]["output"]["kind"] == "multiclass"
    R = body["pictures"]["resolution"]
    assert len(base64.b64decode(body["pictures"]["output"]["classes"])) == R * R
    body = client.post("/api/frame", {"epochs": 30})
    assert body["metrics"]["train_accuracy"] > 0.5
    body = client.post("/api/config", {"config": {"dataset": "wave", "loss": "huber", "hidden": [8],
                                                  "activations": ["tanh"], "init": "auto", "learning_rate": 0.1}})
    assert body["task"] == "regression" and body["activations"][-1] == "identity" and body["loss"] == "huber"
    body = client.post("/api/frame", {"epochs": 20})
    assert body["metrics"]["train_loss"] is not None and body["pictures"]["output"]["kind"] == "regression"
    # big networks are allowed (well beyond 6 x 8)
    body = client.post("/api/config", {"config": {"dataset": "circles", "hidden": [32] * 8, "activations": ["relu"] * 8,
                                                  "init": "auto"}})
    assert body["layer_sizes"] == [2] + [32] * 8 + [1]


def test_divergence_is_a_message_never_nan(client, served):
    _, session = served
    body = client.post("/api/config", {"config": {"dataset": "wave", "hidden": [8, 8], "activations": ["relu", "relu"],
                                                  "loss": "mse", "optimizer": "sgd", "learning_rate": 10,
                                                  "init": "auto"}})
    for _ in range(50):
        body = client.post("/api/frame", {"epochs": 10})
        if body["diverged"]:
            break
    assert "overflow" in body["diverged"] and body["diverged"].endswith("lower the learning rate and press reset")
    epoch = body["epoch"]
    assert client.post("/api/frame", {"epochs": 10})["epoch"] == epoch  # training stopped
    assert np.isfinite(session.net.params).all()
    # reset brings training back
    body = client.post("/api/reset", {})
    assert body["diverged"] is None and body["epoch"] == 0


def test_an_update_that_overflows_is_reported_by_the_optimizer(client):
    body = client.post("/api/config", {"config": {"learning_rate": 1e300}})
    body = client.post("/api/frame", {"iterations": 1})
    assert "overflows" in body["diverged"]


def test_csv_upload_trains_on_every_feature_and_plots_two(client, served, tmp_path):
    _, session = served
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    label = np.where(X[:, 0] + X[:, 2] > 0, "yes", "no")
    text = "a,b,c,d,label\n" + "\n".join(f"{r[0]},{r[1]},{r[2]},{r[3]},{lab}" for r, lab in zip(X, label))
    body = client.post("/api/csv", {"text": text})
    assert body["config"]["dataset"] == "csv" and body["layer_sizes"][0] == 4
    assert body["data"]["feature_names"] == ["a", "b", "c", "d"] and body["data"]["classes"] == ["no", "yes"]
    body = client.post("/api/config", {"config": dict(session.config, x_column=0, y_column=2), "keep_data": True})
    assert body["data"]["plot_columns"] == [0, 2]
    # the page's points are the standardized training data of the plotted columns
    Xs = (X - session.scaler.mean_) / session.scaler.scale_
    shown = np.array(body["data"]["train"])[:, :2]
    assert np.isin(np.round(shown[:, 0], 9), np.round(Xs[:, 0], 9)).all()
    body = client.post("/api/frame", {"epochs": 200})
    assert body["metrics"]["test_accuracy"] >= 0.85
    bad = client.post("/api/csv", {"text": "x,y\n1,2\n"}, expect=400)
    assert bad["error"].startswith("csv: expected at least 10 rows")


def test_clicking_points_adds_and_removes_them(client, served):
    _, session = served
    n = session.X_train.shape[0]
    body = client.post("/api/point", {"x": 0.25, "y": -0.5, "label": 1})
    assert body["n_train"] == n + 1 and body["data"]["train"][-1] == [0.25, -0.5, 1.0]
    body = client.post("/api/point", {"x": 0.25, "y": -0.5, "remove": True, "radius": 1e-9})
    assert body["n_train"] == n
    assert "label: expected" in client.post("/api/point", {"x": 0, "y": 0, "label": 5}, expect=400)["error"]


def test_step_through_walks_forward_then_backward_then_updates(client, served):
    _, session = served
    net = course_network(session)
    X, y = session.X_train, session.y_train.reshape(-1, 1)
    _, grad = net.cost_and_gradient(X, y)
    phases = []
    body = client.post("/api/stepthrough", {"action": "start"})
    while body["stepthrough"] is not None:
        st = body["stepthrough"]
        phases.append((st["phase"], st["layer"]))
        if st["phase"] == "cost":
            assert float(st["lines"][0]["value"]) == pytest.approx(net.cost(X, y), rel=1e-12)
        assert body["iteration"] == (1 if st["phase"] == "update" else 0)
        body = client.post("/api/stepthrough", {"action": "next"})
    assert phases == [("forward", 1), ("forward", 2), ("cost", 2), ("backward", 2), ("backward", 1), ("update", 0)]
    np.testing.assert_allclose(session.net.params, net.params - 1.2 * grad, rtol=1e-12)


def test_model_file_export_loads_with_backprop_load(client, served, tmp_path):
    _, session = served
    client.post("/api/frame", {"epochs": 50})
    status, _, payload = client.get("/api/model.npz")
    assert status == 200
    path = tmp_path / "m.npz"
    path.write_bytes(payload)
    net = backprop.load(path)
    np.testing.assert_array_equal(net.params, session.net.params)
    assert net.layer_sizes == (2, 4, 1) and [a.name for a in net.activations] == ["tanh", "sigmoid"]
    np.testing.assert_array_equal(net.predict(session.X_test), session.net.predict(session.X_test))
    assert net.metadata_["config"]["dataset"] == "flower"


def test_python_script_rebuilds_and_trains_the_network(client, served, tmp_path):
    _, session = served
    client.post("/api/config", {"config": dict(session.config, dataset="moons", points=200, noise=0.1,
                                               hidden=[6, 3], activations=["relu", "tanh"], optimizer="adam",
                                               learning_rate=0.03, batch_size=32, l2=0.001, init="auto")})
    status, _, script = client.get("/api/script.py")
    assert status == 200
    path = tmp_path / "train.py"
    path.write_bytes(script)
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "test:" in done.stdout
    net = backprop.load(tmp_path / "playground-model.npz")
    assert net.layer_sizes == (2, 6, 3, 1) and [a.name for a in net.activations] == ["relu", "tanh", "sigmoid"]
    # the script's data are the page's data
    X, y = backprop.data.moons(200, noise=0.1, seed=session.config["data_seed"])
    assert np.isin(np.round(session.X_train[:, 0], 12), np.round(X[:, 0], 12)).all()


def test_bad_requests_answer_one_line_errors(client):
    error = client.post("/api/config", {"config": {"hidden": [4, 0]}}, expect=400)["error"]
    assert error == "hidden[1]: expected a number in [1, 64], received 0"
    error = client.post("/api/config", {"config": {"optimizer": "bogus"}}, expect=400)["error"]
    assert error.startswith("optimizer: expected one of ['sgd'")
    error = client.post("/api/config", {"config": {"colour": 1}}, expect=400)["error"]
    assert error.startswith("config: unknown keys ['colour']")
    status, _, payload = client.request("POST", "/api/frame", None)
    assert status == 200
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10)
    conn.request("POST", "/api/frame", "{not json", {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 400 and "invalid JSON" in json.loads(response.read())["error"]


# ---------------------------------------------------------------------- the command
def _command(*args, **kwargs):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "backprop", "playground", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


def test_command_serves_the_page_and_stops_cleanly_on_ctrl_c():
    proc = _command("--port", "0", "--no-browser")
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_busy_port_is_one_line_and_exit_code_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _command("--port", str(port), "--no-browser")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip() == (f"backprop playground: error: port {port} on 127.0.0.1 is busy (address already in use); "
                           "choose another with --port (0 picks a free one)")


def test_command_with_a_missing_csv_fails_in_one_line():
    proc = _command("--data", "no-such-file.csv", "--no-browser", "--port", "0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and len(err.strip().splitlines()) == 1 and "no-such-file.csv" in err


def test_command_starts_with_a_csv_file(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    path = tmp_path / "d.csv"
    path.write_text("p,q,r,t\n" + "\n".join(f"{a},{b},{c},{a * 2 - c:.5f}" for a, b, c in X))
    proc = _command("--port", "0", "--no-browser", "--data", str(path))
    try:
        line = proc.stdout.readline()
        port = int(re.search(r":(\d+)/", line).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/state")
        state = json.loads(conn.getresponse().read())
        conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert state["config"]["dataset"] == "csv" and state["task"] == "regression"
    assert state["layer_sizes"][0] == 3 and state["loss"] == "mse"
    assert state["data"]["feature_names"] == ["p", "q", "r"] and state["data"]["csv"]["target"] == "t"


def test_help_lists_the_options():
    done = subprocess.run([sys.executable, "-m", "backprop", "playground", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    for option in ("--port", "--host", "--no-browser", "--data"):
        assert option in done.stdout
    top = subprocess.run([sys.executable, "-m", "backprop", "--help"], capture_output=True, text=True, timeout=60)
    assert "playground" in top.stdout


@pytest.mark.parametrize("dataset", ["flower", "circles", "moons", "xor", "spirals", "blobs", "wave"])
def test_every_data_set_loads_trains_and_draws(client, dataset):
    body = client.post("/api/config", {"config": {"dataset": dataset, "points": 120, "noise": 0.1, "hidden": [6],
                                                  "activations": ["tanh"], "init": "auto", "optimizer": "adam",
                                                  "learning_rate": 0.03}})
    n_train, n_test = body["n_train"], body["n_test"]
    assert n_train + n_test == 120 and n_test == 24
    classes = {"spirals": 3, "blobs": 3}.get(dataset, 2)
    if dataset == "wave":
        assert body["task"] == "regression" and body["layer_sizes"][-1] == 1
    else:
        assert len(body["data"]["classes"]) == classes
        assert {int(p[2]) for p in body["data"]["train"]} == set(range(classes))
    before = body["metrics"]["train_loss"]
    body = client.post("/api/frame", {"epochs": 40})
    assert body["epoch"] == 40 and body["metrics"]["train_loss"] < before
    R = body["pictures"]["resolution"]
    for layer in body["pictures"]["neurons"]:
        for unit in layer:
            assert len(base64.b64decode(unit["data"])) == R * R and unit["hi"] >= 0


def test_dropout_panel_names_the_mask_and_matches_the_cache(client, served):
    _, session = served
    client.post("/api/config", {"config": {"dataset": "moons", "hidden": [8, 8], "activations": ["relu", "relu"],
                                           "dropout": 0.5, "init": "auto", "optimizer": "sgd", "learning_rate": 0.1}})
    body = client.post("/api/frame", {"iterations": 2, "select": {"kind": "weight", "l": 2, "i": 1, "j": 3}})
    panel = body["explain"]
    v = engine_values(panel)
    # the engine, on the recorded batch with the recorded masks: dW[2] = dZ[2] A[1]ᵀ, A[1] = G[1] ⊙ mask
    cache = session.last["cache"]
    assert cache.mask[1] is not None
    assert v["eq-gradient"] == pytest.approx(float(cache.dZ[2][1] @ (cache.G[1][3] * cache.mask[1][3])), rel=1e-12)
    assert "mask" in json.dumps(panel, ensure_ascii=False)


@pytest.mark.parametrize("config", [
    {"dataset": "spirals", "loss": "mse"}, {"dataset": "circles", "loss": "mse"},
    {"dataset": "circles", "loss": "categorical_crossentropy"}, {"dataset": "spirals"}, {"dataset": "wave"},
], ids=lambda c: "-".join(c.values()))
def test_model_file_of_every_task_loads(client, served, tmp_path, config):
    _, session = served
    client.post("/api/config", {"config": config})
    client.post("/api/frame", {"epochs": 3})
    path = tmp_path / "m.npz"
    path.write_bytes(client.get("/api/model.npz")[2])
    net = backprop.load(path)
    np.testing.assert_array_equal(net.params, session.net.params)
    assert net.metadata_["classes"] == session.classes
