"""The notebooks in notebooks/, executed in a real Jupyter kernel (nbclient + ipykernel).

Asserts: every cell runs; each plot comes out as exactly one image/png; a user's own later
plt.show() still shows; the rich reprs stay a few thousand characters; and the key numbers
are what the notebooks' text says.
"""

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _run(name, tmp_path):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return {cell.id: cell for cell in nb.cells}, nb


def _text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _pngs(cell):
    return sum("image/png" in o.get("data", {}) for o in cell.outputs)


def _markdown(nb, cell_id):
    return next(c.source for c in nb.cells if c.id == cell_id)


def _rich(cell):
    """(text/plain, text/html) of the cell's result."""
    result = next(o for o in cell.outputs if o.output_type == "execute_result")
    return result["data"]["text/plain"], result["data"].get("text/html", "")


def test_planar_data_notebook(tmp_path):
    cells, nb = _run("01_planar_data.ipynb", tmp_path)
    # the course's numbers, as the text says
    out = _text(cells["shallow"])
    assert "[[-0.00416758 -0.00056267]" in out and "-0.00416758 -0.00056267" in _markdown(nb, "shallow-md")
    for number in ("0.693048", "0.288083"):
        assert f"Cost after iteration {'0' if number == '0.693048' else '1000'}: {number}" in out
        assert number in _markdown(nb, "shallow-md")
    assert "layer_sizes: (2, 4, 1)" in _text(cells["data"])
    fit = _text(cells["fit"])
    assert re.search(r"^epoch 1000/5000 ", fit, re.M) and len(re.findall(r"^epoch ", fit, re.M)) == 5
    accuracy = float(re.search(r"accuracy ([\d.]+)%", fit.splitlines()[-1]).group(1))
    assert "first loss 0.693048" in fit and 88 <= accuracy <= 92 and "about **90 %**" in _markdown(nb, "network-md")
    sweep = {int(k): float(v) for k, v in re.findall(r"(\d+): ([\d.]+)", _text(cells["sweep"]))}
    assert sweep[1] < 0.72 and sweep[2] < 0.72 and sweep[4] > 0.87 and sweep[20] > 0.87  # "about 60–70 %", "about 90 %"
    # pictures: one image each, also the user's own plt.show() after ours
    for cell_id in ("boundary", "curves", "sweep", "own"):
        assert _pngs(cells[cell_id]) == 1, cell_id
    # rich output, short
    text, page = _rich(cells["network"])
    assert len(text) < 300 and 500 < len(page) < 5000 and "W[1]: (4, 2)" in page
    text, page = _rich(cells["fit"])
    assert text.startswith("History(5000 epochs") and len(text) < 400 and "<svg" in page and len(page) < 6000


def test_write_backprop_yourself_notebook(tmp_path):
    cells, nb = _run("02_write_backprop_yourself.ipynb", tmp_path)
    text, page = _rich(cells["explain"])
    assert "J 0.693048 → 0.692981; PASS" in text and len(text) < 400
    assert r"\(J = -\frac{1}{m}" in page and len(page) < 6500
    text, page = _rich(cells["attempt"])
    assert "FAIL, first wrong array dW1" in text and "wrong tanh derivative: 1 − A instead of 1 − A²" in text
    assert "**dW1**" in _markdown(nb, "fix-md") and "1 − A instead of 1 − A²" in _markdown(nb, "fix-md")
    assert len(page) < 3000 and "\\(dW^{[1]}" in page
    assert "PASS on 4 cases" in _rich(cells["fixed"])[0]
    out = _text(cells["linear"])
    assert "first wrong array: db" in out and "keepdims lost" in out and "shape $(n,)$" in _markdown(nb, "deep-md")
    assert _text(cells["lmodel"]).count(": PASS on") == 3
    assert "def L_model_backward(AL, Y, caches" in _text(cells["reference"])
    text, page = _rich(cells["gradcheck"])
    assert text.startswith("GradientCheck(PASS") and "<table" in page and len(page) < 4000


def test_what_goes_wrong_notebook(tmp_path):
    cells, nb = _run("03_what_goes_wrong.ipynb", tmp_path)
    out = _text(cells["zero"])
    assert "all weights still zero: True, accuracy 50.0%" in out and "**50 %**" in _markdown(nb, "zero-md")
    out = _text(cells["large"])
    saturated = float(re.search(r"saturated at the start: (\d+)%", out).group(1))
    first = float(re.search(r"first cost ([\d.]+)", out).group(1))
    small, large = map(float, re.search(r"course init ([\d.]+), large init ([\d.]+)", out).groups())
    assert saturated > 90 and first > 30 and 1.6 < large / small < 2.5  # "more than 90 %", "over 30", "about twice"
    out = _text(cells["lr"])
    good, bad = map(float, re.search(r"α = 1.2 → ([\d.]+), α = 30 → ([\d.]+)", out).groups())
    assert bad > 2 * good
    out = _text(cells["deep"])
    ratio_sigmoid, ratio_relu = map(float, re.search(r"= (\d+);.*= ([\d.]+)", out).groups())
    assert ratio_sigmoid > 100 and ratio_relu < 10  # "more than 100 times", "within a factor of about 10"
    assert "more than 100 times" in _markdown(nb, "deep-md")
    for cell_id in ("large-plot", "lr", "deep-plot", "deep-relu-plot"):
        assert _pngs(cells[cell_id]) == 1, cell_id


def test_notebooks_are_stored_without_outputs():
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
        assert "the seed" not in path.read_text()
