"""Plots never change the user's backend, draw into a given ``ax`` without pyplot, and work headless."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import backprop as bp
from backprop import plot
from backprop.data import planar_flower
from backprop.train import History

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


def _history(epochs=5):
    h = History()
    for e in range(epochs):
        h.append(e, {"loss": 1 / (e + 1), "accuracy": 0.5 + e / 20, "lr": 0.1, "seconds": 0.0})
    return h


def test_drawing_into_given_axes_uses_no_pyplot_and_keeps_the_backend():
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    open_before = plt.get_fignums()
    fig = Figure()  # object-oriented: pyplot never sees this figure
    ax1, ax2, ax3, ax4 = fig.subplots(1, 4)
    X, y = planar_flower(40)
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    assert plot.decision_boundary(net, X, y, ax=ax1, resolution=20) is ax1
    assert plot.learning_curves(_history(), ax=[ax2, ax3]) is fig
    assert plot.gradient_norms(np.ones((4, 2)), ax=ax4) is fig
    assert len(ax1.collections) >= 2 and len(ax2.lines) == 1 and len(ax4.lines) == 2
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == open_before


def test_a_wrong_ax_is_named():
    with pytest.raises(TypeError, match="ax: expected a matplotlib Axes"):
        plot.gradient_norms(np.ones((3, 2)), ax="left")
    with pytest.raises(ValueError, match="ax: expected one Axes or two"):
        fig = Figure()
        plot.learning_curves(_history(), ax=list(fig.subplots(1, 3)))


def test_a_headless_script_saves_pictures_and_keeps_its_backend(tmp_path):
    script = textwrap.dedent("""
        import matplotlib, numpy as np
        import backprop as bp
        from backprop import plot
        from backprop.data import planar_flower
        X, y = planar_flower(60)
        net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
        h = net.fit(X, y, epochs=3, batch_size=None, optimizer="sgd", learning_rate=1.2)
        before = matplotlib.get_backend()
        plot.decision_boundary(net, X, y, "boundary.png", resolution=30)
        plot.learning_curves(h, "curves.png")
        plot.gradient_norms(np.ones((3, 2)), "norms.png")
        import matplotlib.pyplot as plt
        assert matplotlib.get_backend() == before, (before, matplotlib.get_backend())
        assert plt.get_fignums() == [], plt.get_fignums()  # saved figures are closed in a script
        ax = plot.decision_boundary(net, X, y, resolution=30)  # no path: left open for the user's plt.show()
        assert plt.get_fignums() == [ax.figure.number]
        plt.show()  # headless: Agg, returns at once
        print("ok", matplotlib.get_backend())
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
    for name in ("boundary.png", "curves.png", "norms.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
