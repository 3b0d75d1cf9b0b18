"""backprop.metrics against scikit-learn's metrics, and over simulated ranks against one process."""

import numpy as np
import pytest
from sklearn import metrics as skm

import backprop as bp
from backprop import metrics
from backprop.core.validation import ShapeError


@pytest.mark.parametrize("shape", [(40,), (40, 3)])
def test_regression_scores_equal_scikit_learn(shape, rng):
    y, p = rng.normal(size=shape), rng.normal(size=shape)
    got = metrics.regression_scores(y, p)
    assert got["mse"] == pytest.approx(skm.mean_squared_error(y, p), rel=1e-12)
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)), rel=1e-12)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, p), rel=1e-12)
    # scikit-learn averages R² over outputs; over all entries together it is the flattened one
    assert got["r2"] == pytest.approx(skm.r2_score(y.ravel(), p.ravel()), rel=1e-12)
    assert metrics.r2_score(y, y) == 1.0 and metrics.mean_squared_error(y, y) == 0.0


def test_r2_of_a_constant_target_is_nan_and_shapes_are_checked():
    assert np.isnan(metrics.r2_score([1.0, 1.0], [1.0, 2.0]))
    assert metrics.mean_absolute_error([[1.0], [3.0]], [1.5, 2.0]) == pytest.approx(0.75)  # (n,) against (n, 1)
    with pytest.raises(ShapeError, match="y_pred: expected shape"):
        metrics.mean_squared_error([1.0, 2.0], [1.0, 2.0, 3.0])


def test_accuracy_counts_whole_rows(rng):
    y = rng.integers(0, 3, 50)
    p = np.where(rng.random(50) < 0.3, (y + 1) % 3, y)
    assert metrics.accuracy(y, p) == skm.accuracy_score(y, p)
    assert metrics.accuracy([[1, 0], [1, 1]], [[1, 0], [1, 0]]) == 0.5


class _Ranks:
    """Simulated communicator of ``size`` ranks run one after the other: allreduce_ returns the
    sums recorded in a first pass (every rank's buffers), as MPI would."""

    def __init__(self, totals):
        self.rank, self.size, self._totals = 0, 2, iter(totals)

    def allreduce_(self, buffer):
        buffer[...] = next(self._totals)

    def bcast_(self, buffer, root=0):
        pass


def test_scores_over_shards_equal_one_process(rng):
    y, p = rng.normal(size=30), rng.normal(size=30)
    whole = metrics.regression_scores(y, p)
    halves = [(y[:12], p[:12]), (y[12:], p[12:])]
    first = [np.array([np.sum((t - q) ** 2), np.sum(np.abs(t - q)), np.sum(t), t.size]) for t, q in halves]
    total = sum(first)
    second = [np.array([np.sum((t - total[2] / total[3]) ** 2)]) for t, _ in halves]
    got = metrics.regression_scores(*halves[0], comm=_Ranks([total, sum(second)]))
    for key in whole:
        assert got[key] == pytest.approx(whole[key], rel=1e-12)


def test_scores_of_a_network(rng):
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    net = bp.Network([2, 4, 1], ["tanh", "identity"], "mse", seed=0)
    got = metrics.scores(net, X, y)
    assert got["loss"] == pytest.approx(net.evaluate(X, y)["loss"])
    assert got["r2"] == pytest.approx(skm.r2_score(y, net.predict(X)), rel=1e-12)
    assert set(metrics.scores(net, X, y, regression=("mse",))) == {"loss", "mse"}
    clf = bp.Network([2, 4, 3], ["tanh", "softmax"], "cce", seed=0)
    labels = rng.integers(0, 3, 30)
    assert metrics.scores(clf, X, labels)["accuracy"] == metrics.accuracy(labels, clf.predict(X))
