"""Plots: real, non-blank PNGs of the expected size; clear errors; a clear message without matplotlib."""

import builtins
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import plot
from backprop.train import History

matplotlib = pytest.importorskip("matplotlib")
from matplotlib import image as mpimg  # noqa: E402


def _check_png(path, size=None):
    """A real PNG (magic bytes), of ``size`` (width, height) pixels when given, with many colours."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(path)
    height, width = pixels.shape[:2]
    if size is not None:
        assert (width, height) == size
    flat = pixels.reshape(-1, pixels.shape[-1])
    colours = np.unique(np.round(flat * 255).astype(np.uint8), axis=0)
    assert len(colours) > 20, "the image is (almost) one colour"
    # Some ink: not only white or the background.
    assert (flat[:, :3].mean(axis=1) < 0.5).mean() > 0.002
    return pixels


def _history(with_validation=True, classifier=True, epochs=12):
    h = History()
    for e in range(epochs):
        logs = {"loss": 1.0 / (e + 1), "lr": 0.01, "seconds": 0.1}
        if classifier:
            logs["accuracy"] = 1 - 0.5 / (e + 1)
        if with_validation:
            logs["val_loss"] = 1.2 / (e + 1) + 0.01 * e
            if classifier:
                logs["val_accuracy"] = 1 - 0.6 / (e + 1)
        h.append(e, logs)
    return h


def test_learning_curves_png(tmp_path):
    fig = plot.learning_curves(_history(), tmp_path / "curves.png", figsize=(8, 3), dpi=50)
    _check_png(tmp_path / "curves.png", (400, 150))
    assert len(fig.axes) == 2
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["training", "validation"]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [1 / (e + 1) for e in range(12)])


def test_learning_curves_accepts_dicts_and_regression(tmp_path):
    h = _history(with_validation=False, classifier=False)
    fig = plot.learning_curves(h.to_dict(), tmp_path / "a.png")
    assert len(fig.axes) == 1  # no accuracy panel for regression
    _check_png(tmp_path / "a.png", (1000, 400))
    fig = plot.learning_curves({"loss": [3, 2, 1]}, tmp_path / "b")  # no extension: PNG
    _check_png(tmp_path / "b", (1000, 400))
    with pytest.raises(bp.ValidationError, match="loss"):
        plot.learning_curves({"accuracy": [0.5]})
    with pytest.raises(bp.InputTypeError, match="history"):
        plot.learning_curves([1, 2, 3])


def test_gradient_norms_png_is_log_scale(tmp_path):
    norms = [np.array([1e-6 * 0.5**e, 1e-2, 1.0]) for e in range(10)]  # layer 1 vanishing
    fig = plot.gradient_norms(norms, tmp_path / "norms.png", figsize=(6, 4), dpi=60)
    _check_png(tmp_path / "norms.png", (360, 240))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [n[0] for n in norms])


def test_gradient_norms_from_training(tmp_path):
    from backprop.data import moons
    from backprop.train import GradientNorms

    X, y = moons(60, seed=0)
    net = bp.Network([2, 8, 8, 1], ["sigmoid", "sigmoid", "sigmoid"], "bce", seed=0)
    recorder = GradientNorms()
    net.fit(X, y, epochs=5, batch_size=None, optimizer="sgd", learning_rate=0.5, callbacks=[recorder], seed=0)
    plot.gradient_norms(recorder.norms, tmp_path / "g.png")
    _check_png(tmp_path / "g.png", (600, 400))


def test_gradient_norms_rejects_bad_input():
    with pytest.raises(bp.ShapeError):
        plot.gradient_norms([1.0, 2.0])
    with pytest.raises(bp.ValidationError, match="finite"):
        plot.gradient_norms([[1.0, np.nan]])
    with pytest.raises(bp.InputTypeError):
        plot.gradient_norms("norms")


def test_decision_boundary_png(tmp_path):
    from backprop.data import planar_flower

    X, y = planar_flower(80)
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "bce", seed=1)
    plot.decision_boundary(net, X, y, path=tmp_path / "db.png", resolution=60)
    _check_png(tmp_path / "db.png")


def test_missing_matplotlib_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    for key in [k for k in sys.modules if k == "matplotlib" or k.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, key)
    with pytest.raises(ImportError, match=r"backprop-mlp\[plot\]"):
        plot.learning_curves({"loss": [1.0]})
