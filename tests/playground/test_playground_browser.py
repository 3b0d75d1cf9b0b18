"""The playground driven as a user drives it: Debian's headless Chromium through Selenium.

The server runs in a thread of this process, so each test can compare what the page shows with
an independent computation by the engine. Chromium comes from the system packages
(``sh scripts/install-system-test-deps.sh``); without it these tests are skipped on a
developer's machine, and fail under CI (``CI`` set), where skipping them is not allowed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import numpy as np
import pytest

import backprop
from backprop.playground import Session, make_server, serve_in_thread

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMEDRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - selenium is in the test extra
    webdriver = None

MISSING = None
if webdriver is None:
    MISSING = "selenium is not installed (pip install 'backprop-mlp[test]')"
elif CHROMIUM is None or CHROMEDRIVER is None:
    MISSING = "Chromium and chromedriver are not installed (sh scripts/install-system-test-deps.sh)"

if MISSING:
    if IN_CI:
        pytest.fail(f"browser tests cannot run under CI: {MISSING}", pytrace=False)
    pytest.skip(MISSING, allow_module_level=True)

SCREENSHOTS = os.environ.get("PLAYGROUND_SCREENSHOTS")  # a folder: the tests save what they see there


@pytest.fixture(scope="module")
def browser():
    downloads = tempfile.mkdtemp(prefix="playground-downloads-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1500,1100",
                f"--user-data-dir={tempfile.mkdtemp(prefix='playground-chromium-')}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver.downloads = downloads
    yield driver
    driver.quit()
    shutil.rmtree(downloads, ignore_errors=True)


@pytest.fixture()
def page(browser):
    """A fresh server (a fresh session) and the page loaded from it."""
    session = Session()
    server = make_server("127.0.0.1", 0, session)
    serve_in_thread(server)
    browser.session_obj = session
    browser.url = server.url
    browser.get(server.url)
    wait_for(browser, lambda d: tid(d, "epoch").text.strip() != "" and d.execute_script(
        "return window.playground && window.playground.snap !== null"))
    yield browser
    browser.execute_script("window.playground.playing = false")
    server.shutdown()
    server.server_close()


def tid(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid="{name}"]')


def click(driver, name):
    """Click the element with this data-testid, finding it again if a redraw replaced it."""
    for _ in range(20):
        try:
            return tid(driver, name).click()
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise AssertionError(f"{name} kept being redrawn")


def wait_for(driver, condition, timeout=20.0, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, message)


def shot(driver, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))


def pct(text: str) -> float:
    return float(text.strip().rstrip("%")) / 100


# ---------------------------------------------------------------------------------------- tests
def test_opens_with_the_course_preset(page):
    assert Select(tid(page, "dataset")).first_selected_option.get_attribute("value") == "flower"
    assert int(tid(page, "epoch").text) == 0
    for name in ("play", "step", "reset", "train-loss", "test-loss", "train-accuracy", "test-accuracy",
                 "equation-panel", "weight-1-3-1", "weight-2-0-3", "neuron-1-3", "bias-2-0"):
        assert tid(page, name).is_displayed() or name == "pause"
    assert len(page.find_elements(By.CSS_SELECTOR, '[data-testid^="weight-1-"]')) == 8
    assert len(page.find_elements(By.CSS_SELECTOR, '[data-testid^="weight-2-"]')) == 4
    assert not tid(page, "pause").is_displayed()
    # the readouts are the engine's numbers
    net = page.session_obj.net
    loss = net.cost(page.session_obj.X_train, page.session_obj.y_train.reshape(-1, 1))
    assert float(tid(page, "train-loss").get_attribute("data-value")) == pytest.approx(loss, rel=1e-12)
    assert "data=flower" in page.current_url and "h=4" in page.current_url and "lr=1.2" in page.current_url
    shot(page, "01-preset")


def test_circles_trains_to_90_percent_test_accuracy_within_30_s(page):
    Select(tid(page, "dataset")).select_by_value("circles")
    wait_for(page, lambda d: page.session_obj.config["dataset"] == "circles"
             and d.execute_script("return window.playground.config.dataset") == "circles")
    tid(page, "play").click()
    start = time.monotonic()
    try:
        wait_for(page, lambda d: pct(tid(d, "test-accuracy").text or "0%") >= 0.90, timeout=30,
                 message="test accuracy did not reach 90% within 30 s")
    finally:
        elapsed = time.monotonic() - start
        fps = float(tid(page, "fps").get_attribute("data-value") or 0)
        print(f"\ncircles: {tid(page, 'test-accuracy').text} test accuracy after {elapsed:.1f} s, "
              f"epoch {tid(page, 'epoch').text}, {fps:.1f} frames/s")
    tid(page, "pause").click()
    shot(page, "02-circles-trained")
    epoch = int(tid(page, "epoch").text)
    assert epoch > 0
    session = page.session_obj
    wait_for(page, lambda d: int(tid(d, "epoch").text) == session.epoch)  # the frame in flight is drawn
    accuracy = float(np.mean(session.net.predict(session.X_test) == session.y_test))
    assert pct(tid(page, "test-accuracy").text) == pytest.approx(accuracy, abs=0.0005)


def test_click_a_weight_and_read_the_engines_numbers(page):
    session = page.session_obj
    for k in range(3):
        tid(page, "step").click()
        wait_for(page, lambda d, k=k: int(d.execute_script("return window.playground.snap.iteration")) == k + 1)
    tid(page, "weight-2-0-1").click()
    panel = tid(page, "equation-panel")
    wait_for(page, lambda d: panel.get_attribute("data-id") == "weight-2-0-1")
    assert "weight W[2]₀₁: from unit 1 of layer 1 to unit 0 of layer 2" in panel.text
    for formula in ("Z[2] = W[2] A[1] + b[2]", "A[2] = σ(Z[2])", "dZ[2] = (A[2] − Y) / m", "dW[2] = dZ[2] A[1]ᵀ"):
        assert formula in panel.text
    shot(page, "03-equation-panel")

    # the engine, independently: the course's network after two full-batch steps, then the third's gradient
    from backprop.shallow import initialize_parameters

    params = initialize_parameters(2, 4, 1)
    net = backprop.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    net.weights[0][...], net.weights[1][...] = params["W1"], params["W2"]
    X, y = session.X_train, session.y_train.reshape(-1, 1)
    for _ in range(2):
        net.params = net.params - 1.2 * net.cost_and_gradient(X, y)[1]
    _, grad = net.cost_and_gradient(X, y)
    before = net.weights[1][0, 1]
    dW, _ = net.unflatten(grad)
    after = before - 1.2 * dW[1][0, 1]

    def shown(name):
        el = panel.find_element(By.CSS_SELECTOR, f'[data-testid="{name}"]')
        return float(el.get_attribute("data-value")), el.text

    gradient, text = shown("eq-gradient")
    assert gradient == pytest.approx(dW[1][0, 1], rel=1e-12)
    value, text_value = shown("eq-value")
    assert value == pytest.approx(after, rel=1e-12)
    assert f"= {after:.7g}".replace("-", "−") in text_value  # the number a learner reads, 7 digits
    update, _ = shown("eq-update")
    assert update == pytest.approx(after - before, rel=1e-9)
    assert "(1.2)" in text_value  # α plugged into W ← W − α dW


def test_csv_upload_trains_on_its_columns(page, tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    path = tmp_path / "mine.csv"
    path.write_text("height,width,depth,kind\n" + "\n".join(f"{a:.4f},{b:.4f},{c:.4f},{k}" for (a, b, c), k in zip(X, y)))
    tid(page, "csv-upload").send_keys(str(path))
    wait_for(page, lambda d: d.execute_script("return window.playground.config.dataset") == "csv")
    assert Select(tid(page, "dataset")).first_selected_option.get_attribute("value") == "csv"
    assert tid(page, "neuron-0-2").is_displayed()  # three inputs: every feature is trained on
    assert page.session_obj.net.layer_sizes[0] == 3
    assert Select(tid(page, "csv-x")).first_selected_option.text == "height"
    Select(tid(page, "csv-y")).select_by_visible_text("width")
    wait_for(page, lambda d: d.execute_script("return window.playground.data.plot_columns[1]") == 1)
    tid(page, "step").click()
    wait_for(page, lambda d: d.execute_script("return window.playground.snap.iteration") == 1)
    loss = float(tid(page, "train-loss").get_attribute("data-value"))
    assert np.isfinite(loss)
    shot(page, "04-csv")


def test_divergence_shows_a_message_and_no_nan(page):
    # the configuration comes from the URL, as a shared link would give it
    page.get(page.url + "#data=wave&h=8,8&act=relu,relu&loss=mse&opt=sgd&lr=10&init=auto&speed=20")
    wait_for(page, lambda d: d.execute_script("return window.playground.config && window.playground.config.dataset") == "wave")
    assert page.session_obj.config["learning_rate"] == 10 and page.session_obj.net.layer_sizes == (2, 8, 8, 1)
    tid(page, "play").click()
    banner = tid(page, "divergence")
    wait_for(page, lambda d: banner.is_displayed(), timeout=30)
    assert "Training diverged" in banner.text and "lower the learning rate" in banner.text
    wait_for(page, lambda d: tid(d, "play").is_displayed())  # training stopped by itself
    for name in ("train-loss", "test-loss", "train-accuracy", "test-accuracy", "epoch", "equation-panel"):
        assert "NaN" not in tid(page, name).text and "Infinity" not in tid(page, name).text
    body = page.find_element(By.TAG_NAME, "body").text.replace(banner.text, "")
    assert "NaN" not in body and "Infinity" not in body
    shot(page, "05-divergence")


def test_export_a_model_and_load_it_in_python(page):
    tid(page, "play").click()
    wait_for(page, lambda d: int(tid(d, "epoch").text) >= 50)
    tid(page, "pause").click()
    session = page.session_obj
    wait_for(page, lambda d: int(tid(d, "epoch").text) == session.epoch)
    target = os.path.join(page.downloads, "playground-model.npz")
    if os.path.exists(target):
        os.remove(target)
    tid(page, "export-model").click()
    wait_for(page, lambda d: os.path.exists(target) and os.path.getsize(target) > 0, timeout=20)
    time.sleep(0.2)
    net = backprop.load(target)
    np.testing.assert_array_equal(net.params, session.net.params)
    np.testing.assert_array_equal(net.predict(session.X_test), session.net.predict(session.X_test))
    # the PNG of the view
    png = os.path.join(page.downloads, "playground.png")
    tid(page, "export-png").click()
    wait_for(page, lambda d: os.path.exists(png) and os.path.getsize(png) > 1000, timeout=20)
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_step_through_highlights_forward_then_backward(page):
    tid(page, "stepthrough").click()
    seen = []
    for _ in range(6):
        phase = wait_for(page, lambda d: tid(d, "stepthrough-phase"))
        kind, layer = phase.get_attribute("data-phase"), int(phase.get_attribute("data-layer"))
        seen.append((kind, layer))
        if kind in ("forward", "backward"):
            classes = tid(page, f"neuron-{layer}-0").get_attribute("class")
            assert ("hl-fwd" if kind == "forward" else "hl-bwd") in classes
            assert ("hl-fwd" if kind == "forward" else "hl-bwd") in tid(page, f"weight-{layer}-0-0").get_attribute("class")
        if kind == "backward" and layer == 1:
            shot(page, "06-step-through-backward")
        tid(page, "stepthrough-next").click()
        wait_for(page, lambda d, n=len(seen): not tid(d, "stepthrough-panel").is_displayed()
                 or tid(d, "stepthrough-phase").text.startswith(f"{n + 1} /"))
    assert seen == [("forward", 1), ("forward", 2), ("cost", 2), ("backward", 2), ("backward", 1), ("update", 0)]
    assert page.session_obj.iteration == 1


def test_click_on_the_plane_adds_a_point(page):
    session = page.session_obj
    n = session.X_train.shape[0]
    tid(page, "click-1").click()
    plot = tid(page, "plot")
    plot.click()  # the centre of the plane
    wait_for(page, lambda d: session.X_train.shape[0] == n + 1)
    x0, x1, y0, y1 = session.extent
    assert session.X_train[-1] == pytest.approx([(x0 + x1) / 2, (y0 + y1) / 2], abs=0.05 * (x1 - x0))
    assert session.y_train[-1] == 1


def test_bigger_network_from_the_controls(page):
    tid(page, "add-layer").click()
    wait_for(page, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="neuron-2-3"]'))
    for _ in range(3):
        count = page.session_obj.net.layer_sizes[2]
        click(page, "add-unit-2")
        wait_for(page, lambda d, c=count: d.execute_script("return window.playground.snap.layer_sizes[2]") == c + 1)
    Select(tid(page, "activation-2")).select_by_value("relu")
    wait_for(page, lambda d: [a.name for a in page.session_obj.net.activations] == ["tanh", "relu", "sigmoid"])
    assert page.session_obj.net.layer_sizes == (2, 4, 7, 1)
    assert "h=4%2C7" in page.current_url or "h=4,7" in page.current_url
