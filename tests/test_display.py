"""Short text reprs and bounded HTML reprs for Network, History and gradient checks; verbose=N and 'bar'."""

import re

import numpy as np
import pytest

import backprop as bp
from backprop.data import planar_flower
from backprop.train import History


@pytest.fixture(scope="module")
def trained():
    X, y = planar_flower()
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    history = net.fit(X, y, epochs=3000, batch_size=None, optimizer="sgd", learning_rate=1.2,
                      validation_data=(X[:50], y[:50]))
    return net, history


def test_history_repr_is_a_few_words_whatever_the_length(trained):
    _, history = trained
    text = repr(history)
    assert len(text) < 400, text
    assert text.startswith("History(3000 epochs")
    last = history["loss"][-1]
    assert f"loss {last:.6g}" in text
    best = min(history["val_loss"])
    assert f"val_loss {history['val_loss'][-1]:.6g} (best {best:.6g} at epoch {history['val_loss'].index(best) + 1})" in text
    assert repr(History()) == "History(no epochs yet)"


def test_history_html_has_a_table_and_a_picture_of_bounded_size(trained):
    _, history = trained
    page = history._repr_html_()
    assert "<table" in page and "<svg" in page and "<polyline" in page
    assert len(page) < 6000
    assert page.count("<polyline") == 2  # loss and val_loss
    # at most 120 points per curve, however many epochs
    assert max(len(m.split()) for m in re.findall(r'points="([^"]*)"', page)) <= 120


def test_network_repr_and_html(trained):
    net, _ = trained
    assert len(repr(net)) < 200
    page = net._repr_html_()
    assert "W[1]: (4, 2)" in page and "b[2]: (1, 1)" in page and "tanh" in page and "sigmoid" in page
    assert "17 parameters" in page and page.count("<circle") == 2 + 4 + 1
    big = bp.Network([784, 512, 512, 10], ["relu", "relu", "softmax"], "categorical_crossentropy", seed=0)
    page = big._repr_html_()
    assert len(page) < 8000 and "669,706 parameters" in page
    assert page.count("<circle") == 6 + 6 + 6 + 6  # at most 6 drawn per layer


def test_verbose_n_prints_every_nth_epoch(capsys):
    X, y = planar_flower(40)
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    net.fit(X, y, epochs=25, verbose=10)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["10/25", "20/25", "25/25"]
    assert all(line.startswith("epoch ") and " loss " in line for line in lines)


def test_verbose_bar_uses_tqdm_auto(capsys):
    pytest.importorskip("tqdm")
    X, y = planar_flower(40)
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0)
    net.fit(X, y, epochs=5, verbose="bar")
    err = capsys.readouterr().err
    assert "5/5" in err and "loss=" in err


@pytest.mark.parametrize("bad, exc", [("lines", ValueError), (-1, TypeError), (1.5, TypeError)])
def test_bad_verbose_is_named(bad, exc):
    net = bp.Network([2, 1], "sigmoid", "binary_crossentropy", seed=0)
    with pytest.raises(exc, match="verbose: expected"):
        net.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=bad)
