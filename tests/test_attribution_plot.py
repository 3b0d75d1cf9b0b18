"""backprop.attribution_plot: axes in, axes out, the right bars and arrows, no global state touched."""

import numpy as np
import pytest

import backprop as bp
from backprop.core.validation import InputTypeError, ShapeError, ValidationError

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from backprop.attribution_plot import gradient_field, importance_bar  # noqa: E402


@pytest.fixture
def no_backend_change(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("matplotlib.use must not be called")

    monkeypatch.setattr(matplotlib, "use", refuse)


def test_importance_bar_ranks_the_columns(no_backend_change):
    A = np.array([[0.1, -2.0, 0.5], [0.3, 2.0, -0.5]])
    ax = Figure().add_subplot()
    assert importance_bar(A, ["a", "b", "c"], ax=ax) is ax
    by_height = sorted(ax.patches, key=lambda bar: -bar.get_y())  # the top bar first
    assert [bar.get_width() for bar in by_height] == pytest.approx([2.0, 0.5, 0.2])
    labels = dict(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())))
    assert [labels[round(bar.get_y() + bar.get_height() / 2)] for bar in by_height] == ["b", "c", "a"]
    ax = Figure().add_subplot()
    importance_bar(A, ["a", "b", "c"], ax=ax, top=1)
    assert len(ax.patches) == 1 and ax.patches[0].get_width() == pytest.approx(2.0)
    with pytest.raises(ValidationError, match="names: expected 3 column names, received 1"):
        importance_bar(A, ["a"], ax=Figure().add_subplot())
    with pytest.raises(InputTypeError, match="ax: expected a matplotlib Axes"):
        importance_bar(A, ax="left")


def test_gradient_field_draws_the_engines_input_gradient(no_backend_change):
    from backprop.data import planar_flower

    X, y = planar_flower()
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    net.fit(X, y, optimizer="sgd", learning_rate=1.2, epochs=200, batch_size=None)
    fig = Figure()
    ax = fig.add_subplot()
    assert gradient_field(net, X, y, ax=ax, grid=5) is ax
    quiver = [c for c in ax.collections if type(c).__name__ == "Quiver"][0]
    assert quiver.N == 25
    G = bp.attribute(net, quiver.get_offsets(), method="gradient", target=1)
    U, V = quiver.U, quiver.V
    moving = np.hypot(U, V) > 0
    assert moving.any()
    # each arrow points along ∂p/∂x
    cos = (U * G[:, 0] + V * G[:, 1])[moving] / (np.hypot(U, V) * np.hypot(G[:, 0], G[:, 1]))[moving]
    np.testing.assert_allclose(cos, 1.0, atol=1e-9)
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_gradient_field_errors():
    net3 = bp.Network([3, 2, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    with pytest.raises(ShapeError, match="X: expected shape \\(n_samples, 2\\) for a gradient field"):
        gradient_field(net3, np.zeros((4, 3)), ax=Figure().add_subplot())
    reg = bp.Network([2, 2, 1], ["tanh", "identity"], "mse", seed=0)
    with pytest.raises(ValidationError, match="model: a gradient field needs a classifier"):
        gradient_field(reg, np.zeros((4, 2)), ax=Figure().add_subplot())
    soft = bp.Network([2, 2, 3], ["tanh", "softmax"], "categorical_crossentropy", seed=0)
    with pytest.raises(ValidationError, match="target: a multi-class model needs the class"):
        gradient_field(soft, np.zeros((4, 2)), ax=Figure().add_subplot())
    ax = gradient_field(soft, np.random.default_rng(0).normal(size=(9, 2)), target=2, ax=Figure().add_subplot(), grid=3)
    assert ax.get_xlabel() == "x1"
