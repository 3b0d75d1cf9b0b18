"""backprop.sklearn: scikit-learn's own estimator checks, its MLP as the oracle, and the
warm_start / partial_fit / max_iter semantics pinned down.

The whole file is skipped without scikit-learn. BLAS is limited to one thread here: these
matrices are small, and on a shared machine extra BLAS threads only add contention.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import backprop as bp
from backprop import optim
from backprop.sklearn import NeuralNetClassifier, NeuralNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def _bench():
    spec = importlib.util.spec_from_file_location("bench_sklearn", ROOT / "benchmarks" / "bench_sklearn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ packaging
def test_import_backprop_does_not_import_sklearn_and_a_missing_sklearn_is_named():
    code = (
        "import sys; import backprop; assert 'sklearn' not in sys.modules, 'backprop imported sklearn'\n"
        "sys.modules['sklearn'] = None  # as if scikit-learn were not installed\n"
        "try:\n    import backprop.sklearn\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert "pip install 'backprop-mlp[sklearn]'" in out.stdout


# ------------------------------------------------------------------ scikit-learn's checks
# No check is expected to fail: every one of scikit-learn's estimator checks passes as is
# (those needing pandas or the array API are skipped by scikit-learn itself when absent).
@parametrize_with_checks([NeuralNetClassifier(max_iter=100), NeuralNetRegressor(max_iter=100)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------------------ scikit-learn's MLP as the oracle
# With batch_size="auto" = min(200, n) a data set of at most 200 examples is one full batch, so
# shuffling plays no part: with the same random_state (the same initial weights) the two
# implementations must follow the same trajectory, update for update.
@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", learning_rate_init=0.01, max_iter=60),
        dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.25, max_iter=60),
        dict(solver="sgd", learning_rate="adaptive", nesterovs_momentum=False, learning_rate_init=0.2, max_iter=150,
             tol=1e-3, n_iter_no_change=3),
        dict(solver="sgd", momentum=0.0, learning_rate_init=0.1, max_iter=40, alpha=0.1),
        dict(solver="adam", early_stopping=True, learning_rate_init=0.01, max_iter=200, activation="tanh"),
        dict(solver="adam", activation="logistic", hidden_layer_sizes=(7, 5), max_iter=40, learning_rate_init=0.01),
    ],
    ids=["adam", "sgd-nesterov-invscaling", "sgd-momentum-adaptive", "sgd-plain-l2", "adam-early-stopping",
         "logistic-two-layers"],
)
def test_full_batch_training_follows_sklearn_mlp_update_for_update(iris, params):
    X, y = iris
    ours = NeuralNetClassifier(hidden_layer_sizes=params.pop("hidden_layer_sizes", (10,)), random_state=3,
                               **params).fit(X, y)
    theirs = MLPClassifier(hidden_layer_sizes=ours.hidden_layer_sizes, random_state=3, **params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    if params.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
        assert ours.best_validation_score_ == theirs.best_validation_score_ and ours.best_loss_ is None
    else:
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)


def test_regressor_and_lbfgs_follow_sklearn_mlp(diabetes):
    X, y = diabetes[0][:150], diabetes[1][:150]
    for params in (dict(solver="adam", learning_rate_init=0.01, max_iter=50), dict(solver="lbfgs", max_iter=30)):
        ours = NeuralNetRegressor((12,), activation="tanh", random_state=1, **params).fit(X, y)
        theirs = MLPRegressor(hidden_layer_sizes=(12,), activation="tanh", random_state=1, **params).fit(X, y)
        assert ours.n_iter_ == theirs.n_iter_
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-8)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits", "diabetes"])
def test_cross_validated_scores_match_sklearn_mlp(name):
    """5-fold CV, Pipeline(StandardScaler, model), benchmarks/bench_sklearn.py's settings:
    accuracy within 1 point, R² within 0.02. Both sides' figures and fit times are printed."""
    r = _bench().compare(name)
    o, t = r["ours"], r["theirs"]
    print(f"\n{name}: {r['metric']} ours {o['score']:.4f} ({o['fit_time']:.2f} s), "
          f"scikit-learn {t['score']:.4f} ({t['fit_time']:.2f} s), ratio {r['time_ratio']:.2f}")
    assert abs(r["difference"]) <= (0.01 if r["metric"] == "accuracy" else 0.02)
    assert o["score"] > (0.9 if r["metric"] == "accuracy" else 0.3)  # both learned something


# ------------------------------------------------------------------ in scikit-learn's tools
def test_pipeline_grid_search_and_cross_val_score(iris):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), NeuralNetClassifier((8,), solver="lbfgs", max_iter=200, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9
    search = GridSearchCV(pipe, {"neuralnetclassifier__alpha": [1e-4, 1.0], "neuralnetclassifier__activation":
                                 ["relu", "tanh"]}, cv=3).fit(X, y)
    assert set(search.best_params_) == {"neuralnetclassifier__alpha", "neuralnetclassifier__activation"}
    assert search.best_estimator_[-1].alpha in (1e-4, 1.0) and search.score(X, y) > 0.9
    reg = GridSearchCV(NeuralNetRegressor((8,), solver="lbfgs", max_iter=100, random_state=0),
                       {"hidden_layer_sizes": [(4,), (8, 8)]}, cv=2).fit(*iris[:1], iris[0][:, 0] * 2)
    assert reg.best_score_ > 0.8


# ------------------------------------------------------------------ warm_start, partial_fit, max_iter
def _data(n=90, seed=0):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_classes=3, random_state=seed)
    return StandardScaler().fit_transform(X), y


NO_STOP = dict(n_iter_no_change=10**6, batch_size=16, random_state=0)  # mini-batches, shuffled, never converged


def test_warm_start_continues_weights_and_optimizer_state():
    """k warm-started fits of max_iter=1 equal one fit of max_iter=k: the weights, Adam's moments
    and step count, and the shuffling stream all continue (scikit-learn issue #6091)."""
    X, y = _data()
    once = NeuralNetClassifier((10,), max_iter=4, **NO_STOP).fit(X, y)
    warm = NeuralNetClassifier((10,), max_iter=1, warm_start=True, **NO_STOP)
    for k in range(4):
        warm.fit(X, y)
        assert warm.n_iter_ == 1 and len(warm.loss_curve_) == k + 1 and warm.t_ == (k + 1) * len(X)
    np.testing.assert_array_equal(warm.network_.params, once.network_.params)
    assert warm.loss_curve_ == once.loss_curve_


def test_max_iter_bounds_each_fit_call():
    """n_iter_ counts the epochs of the last call and never exceeds max_iter (#8713, #24764);
    classifier and regressor behave alike (#16812)."""
    X, y = _data()
    for est in (NeuralNetClassifier((5,), warm_start=True, max_iter=3, **NO_STOP),
                NeuralNetRegressor((5,), warm_start=True, max_iter=3, **NO_STOP)):
        est.fit(X, y)
        assert est.n_iter_ == 3
        est.set_params(max_iter=5).fit(X, y)
        assert est.n_iter_ == 5 and len(est.loss_curve_) == 8 and est.t_ == 8 * len(X)
        est.set_params(warm_start=False).fit(X, y)  # a new run
        assert est.n_iter_ == 5 and len(est.loss_curve_) == 5


def test_partial_fit_is_one_epoch_and_n_calls_equal_fit_with_max_iter_n():
    X, y = _data()
    fitted = NeuralNetClassifier((10,), max_iter=5, **NO_STOP).fit(X, y)
    inc = NeuralNetClassifier((10,), max_iter=100, **NO_STOP)
    for k in range(5):
        inc.partial_fit(X, y, classes=np.unique(y) if k == 0 else None)
        assert inc.n_iter_ == 1 and len(inc.loss_curve_) == k + 1
    np.testing.assert_array_equal(inc.network_.params, fitted.network_.params)
    reg_fit = NeuralNetRegressor((6,), max_iter=3, **NO_STOP).fit(X, y.astype(float))
    reg_inc = NeuralNetRegressor((6,), **NO_STOP)
    for _ in range(3):
        reg_inc.partial_fit(X, y.astype(float))
    np.testing.assert_array_equal(reg_inc.network_.params, reg_fit.network_.params)


def test_partial_fit_never_stops_or_warns_while_fit_does():
    X, y = _data()
    stalled = dict(tol=1e9, n_iter_no_change=1, random_state=0)  # no epoch ever improves by tol
    est = NeuralNetClassifier((5,), max_iter=50, **stalled)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)  # converged, no warning: epoch 1 improves on best_loss_ = inf, 2 and 3 do not
        assert est.n_iter_ == 3  # (the count of epochs without improvement must exceed n_iter_no_change)
        for _ in range(4):
            est.partial_fit(X, y)
    assert len(est.loss_curve_) == 7 and est.n_iter_ == 1
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        NeuralNetClassifier((5,), max_iter=3, **NO_STOP).fit(X, y)


def test_partial_fit_continues_a_fit_and_fit_after_partial_fit_reinitialises():
    X, y = _data()
    est = NeuralNetClassifier((10,), max_iter=3, **NO_STOP).fit(X, y)
    continued = NeuralNetClassifier((10,), max_iter=4, **NO_STOP).fit(X, y)
    est.partial_fit(X, y)  # the 4th epoch of the same run
    np.testing.assert_array_equal(est.network_.params, continued.network_.params)
    est.fit(X, y)  # warm_start=False: a new run, as if the estimator were new
    fresh = NeuralNetClassifier((10,), max_iter=3, **NO_STOP).fit(X, y)
    np.testing.assert_array_equal(est.network_.params, fresh.network_.params)
    assert len(est.loss_curve_) == 3 and est.t_ == 3 * len(X)


def test_changing_a_solver_parameter_restarts_the_optimizer_state():
    X, y = _data()
    est = NeuralNetClassifier((10,), warm_start=True, max_iter=2, **NO_STOP).fit(X, y)
    assert est._solver.optimizer.t == 2 * 6  # 90 examples in batches of 16: 6 updates an epoch
    est.fit(X, y)
    assert est._solver.optimizer.t == 4 * 6
    est.set_params(learning_rate_init=0.01).fit(X, y)
    assert est._solver.optimizer.t == 2 * 6 and len(est.loss_curve_) == 6


def test_incremental_errors_are_sklearns():
    X, y = _data()
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        NeuralNetClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        NeuralNetClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(NeuralNetClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(NeuralNetRegressor(optimizer=optim.LBFGS()), "partial_fit")
    est = NeuralNetClassifier((4,), max_iter=2, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same classes"):
        est.fit(X, np.where(y == 2, 1, y))
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        NeuralNetClassifier((4,)).partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="expecting 6 features"):
        est.partial_fit(X[:, :5], y)


# ------------------------------------------------------------------ fitted attributes
def test_coefs_are_sklearn_oriented_views_of_the_network(iris):
    X, y = iris
    est = NeuralNetClassifier((7, 5), activation=["tanh", "relu"], max_iter=20, random_state=0).fit(X, y)
    net = est.network_
    assert isinstance(net, bp.Network) and net.layer_sizes == (4, 7, 5, 3)
    assert [c.shape for c in est.coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in est.intercepts_] == [(7,), (5,), (3,)]
    for c, b, W, bias in zip(est.coefs_, est.intercepts_, net.weights, net.biases):
        np.testing.assert_array_equal(c, W.T)
        np.testing.assert_array_equal(b, bias[:, 0])
        assert np.shares_memory(c, net.params) and np.shares_memory(b, net.params)
    # scikit-learn's forward pass, X @ coefs_[i] + intercepts_[i], gives the probabilities
    A = np.tanh(X @ est.coefs_[0] + est.intercepts_[0])
    A = np.maximum(A @ est.coefs_[1] + est.intercepts_[1], 0)
    Z = A @ est.coefs_[2] + est.intercepts_[2]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(est.predict_proba(X), P / P.sum(axis=1, keepdims=True), atol=1e-12)
    est.coefs_ = [np.zeros_like(c) for c in est.coefs_]  # assigning writes into the network
    assert not net.weights[0].any()
    assert est.n_layers_ == 4 and est.out_activation_ == "softmax" and est.n_outputs_ == 3


def test_fitted_attributes(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = NeuralNetClassifier((6,), max_iter=30, early_stopping=True, random_state=0).fit(X, names)
    assert list(est.classes_) == ["setosa", "versicolor", "virginica"] and est.n_features_in_ == 4
    assert set(est.predict(X)) <= set(est.classes_)
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == len(est.loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_) and est.best_loss_ is None
    assert isinstance(est.history_, bp.History) and est.history_["loss"] == est.loss_curve_
    assert est.history_["val_loss"] == est.validation_loss_curve_
    plain = NeuralNetClassifier((6,), max_iter=30, random_state=0).fit(X, y)
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None
    assert plain.best_loss_ == min(plain.loss_curve_) and plain.loss_ == plain.loss_curve_[-1]
    assert NeuralNetClassifier((3,), max_iter=5).fit(X, y == 1).out_activation_ == "logistic"
    assert NeuralNetRegressor((3,), max_iter=5).fit(X, X[:, 0]).out_activation_ == "identity"


def test_feature_names_in():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    est = NeuralNetClassifier((4,), max_iter=3).fit(frame, y)
    assert list(est.feature_names_in_) == list(frame.columns)


def test_float32_input_trains_in_float32(iris):
    X, y = iris
    X32 = X.astype(np.float32)
    est = NeuralNetClassifier((8,), max_iter=40, random_state=0).fit(X32, y)
    assert est.network_.dtype == np.float32 and est.network_.params.dtype == np.float32
    assert all(c.dtype == np.float32 for c in est.coefs_) and est.predict_proba(X32).dtype == np.float32
    est64 = NeuralNetClassifier((8,), max_iter=40, random_state=0).fit(X, y)
    assert est64.network_.dtype == np.float64
    np.testing.assert_allclose(est.predict_proba(X), est64.predict_proba(X), atol=1e-4)
    assert NeuralNetClassifier((8,), max_iter=2, dtype="float32").fit(X, y).network_.dtype == np.float32
    assert NeuralNetClassifier((8,), max_iter=2, dtype=np.float64).fit(X32, y).network_.dtype == np.float64
    reg = NeuralNetRegressor((8,), max_iter=5, warm_start=True).fit(X32, X32[:, 0])
    reg.fit(X, X[:, 0])  # a continuing call keeps the network's precision
    assert reg.network_.dtype == np.float32


def test_multilabel_classification():
    X, Y = make_multilabel_classification(n_samples=120, n_features=8, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    est = NeuralNetClassifier((20,), learning_rate_init=0.01, max_iter=100, random_state=0).fit(X, Y)
    theirs = MLPClassifier((20,), learning_rate_init=0.01, max_iter=100, random_state=0).fit(X, Y)
    np.testing.assert_allclose(est.predict_proba(X), theirs.predict_proba(X), atol=1e-9)  # one full batch
    np.testing.assert_allclose(est.loss_curve_, theirs.loss_curve_, rtol=1e-10)  # Σ over labels of the BCE
    assert est.out_activation_ == "logistic" and est.n_outputs_ == 4 and est.network_.task == "multilabel"
    assert list(est.classes_) == [0, 1, 2, 3]
    pred, proba = est.predict(X), est.predict_proba(X)
    assert pred.shape == proba.shape == (120, 4) and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert est.score(X, Y) == theirs.score(X, Y) > 0.6  # subset accuracy
    inc = NeuralNetClassifier((20,), random_state=0).partial_fit(X, Y, classes=[0, 1, 2, 3])
    assert inc.predict(X).shape == (120, 4)


def test_multi_output_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 5))
    Y = X @ rng.normal(size=(5, 3)) + 0.05 * rng.normal(size=(150, 3))
    est = NeuralNetRegressor((16,), activation="tanh", solver="lbfgs", max_iter=300, random_state=0).fit(X, Y)
    assert est.n_outputs_ == 3 and est.predict(X).shape == (150, 3) and est.score(X, Y) > 0.95
    assert NeuralNetRegressor((4,), max_iter=2).fit(X, Y[:, 0]).predict(X).shape == (150,)


def test_sample_weight_equals_duplicated_rows():
    X, y = _data(n=60)
    w = np.arange(60) % 3  # 0, 1 or 2 copies of each row
    rows = np.repeat(np.arange(60), w)
    for make in (lambda: NeuralNetClassifier((8,), max_iter=30, random_state=0, learning_rate_init=0.01),
                 lambda: NeuralNetClassifier((8,), solver="lbfgs", max_iter=30, random_state=0),
                 lambda: NeuralNetRegressor((8,), max_iter=30, random_state=0, learning_rate_init=0.01, alpha=0.5)):
        target = y if isinstance(make(), NeuralNetClassifier) else y.astype(float)
        weighted = make().fit(X, target, sample_weight=w)
        repeated = make().fit(X[rows], target[rows])
        np.testing.assert_allclose(weighted.network_.params, repeated.network_.params, rtol=1e-9, atol=1e-12)


def test_class_weight_multiplies_the_sample_weights():
    X, y = _data(n=60)
    balanced = NeuralNetClassifier((6,), max_iter=10, random_state=0, class_weight="balanced").fit(X, y)
    counts = np.bincount(y)
    weights = NeuralNetClassifier((6,), max_iter=10, random_state=0).fit(X, y, sample_weight=60 / (3 * counts[y]))
    np.testing.assert_allclose(balanced.network_.params, weights.network_.params, rtol=1e-12)
    by_dict = NeuralNetClassifier((6,), max_iter=10, random_state=0, class_weight={0: 2.0, 1: 1.0, 2: 0.5})
    by_dict.fit(X, y, sample_weight=np.full(60, 3.0))
    manual = NeuralNetClassifier((6,), max_iter=10, random_state=0).fit(X, y, sample_weight=3 * np.array([2, 1, .5])[y])
    np.testing.assert_allclose(by_dict.network_.params, manual.network_.params, rtol=1e-12)


def test_pickle_round_trip_keeps_predictions_views_and_optimizer_state(iris):
    X, y = iris
    est = NeuralNetClassifier((8,), max_iter=5, batch_size=32, random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert all(np.shares_memory(W, loaded.network_.params) for W in loaded.network_.weights)
    assert all(np.shares_memory(c, loaded.network_.params) for c in loaded.coefs_)
    est.partial_fit(X, y)  # both continue the same run: Adam's moments and the RNG were pickled
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.network_.params, est.network_.params)
    reg = NeuralNetRegressor((4,), max_iter=3).fit(X, y.astype(float))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), reg.predict(X))


# ------------------------------------------------------------------ what scikit-learn's MLP lacks
def test_per_layer_activations_dropout_and_init(iris):
    X, y = iris
    est = NeuralNetClassifier((6, 4), activation=["gelu", "tanh"], dropout=[0.2, 0.0], max_iter=20,
                              random_state=0).fit(X, y)
    assert [a.name for a in est.network_.activations] == ["gelu", "tanh", "softmax"]
    again = clone(est).fit(X, y)  # dropout is seeded by random_state
    np.testing.assert_array_equal(again.network_.params, est.network_.params)
    no_dropout = clone(est).set_params(dropout=0.0).fit(X, y)
    assert not np.array_equal(no_dropout.network_.params, est.network_.params)
    untrained = dict(max_iter=1, learning_rate_init=1e-300, random_state=0)  # the initial weights
    he = NeuralNetClassifier((400,), init="he_normal", **untrained).fit(X, y).network_
    glorot = NeuralNetClassifier((400,), **untrained).fit(X, y).network_  # scikit-learn's U(−r, r)
    assert max(np.abs(b).max() for b in he.biases) < 1e-100  # zero biases, moved by 1e-300 at most
    assert min(np.abs(b).min() for b in glorot.biases) > 1e-100
    assert he.weights[0].std() == pytest.approx(np.sqrt(2 / 4), rel=0.1)
    assert np.abs(glorot.weights[0]).max() <= np.sqrt(6 / 404)
    with pytest.raises(ValueError, match=r"differ from the fitted network's \(\[6, 4\]"):
        est.set_params(warm_start=True, hidden_layer_sizes=(6, 5)).fit(X, y)


def test_schedules_for_every_solver_and_an_optimizer_override(iris):
    X, y = iris
    est = NeuralNetClassifier((6,), solver="adam", schedule="invscaling", power_t=0.5, max_iter=3,
                              learning_rate_init=0.1, random_state=0).fit(X, y)
    # lr = lr0 / (t + 1)^power_t after each epoch, t = examples seen: the epochs' rates
    assert est.history_["lr"] == pytest.approx([0.1, 0.1 / 151**0.5, 0.1 / 301**0.5])
    step = optim.StepDecay(0.2, factor=0.5, step_size=1)
    est = NeuralNetClassifier((6,), solver="sgd", schedule=step, max_iter=3, random_state=0).fit(X, y)
    assert est.history_["lr"] == pytest.approx([0.2, 0.1, 0.05])
    rmsprop = optim.RMSprop(learning_rate=0.01, rho=0.9)
    est = NeuralNetClassifier((6,), optimizer=rmsprop, max_iter=3, random_state=0).fit(X, y)
    assert est._solver.optimizer.name == "rmsprop" and est.history_["lr"] == [0.01] * 3
    assert rmsprop.t == 0 and est.get_params()["optimizer"] is rmsprop  # the parameter is not mutated
    clipped = NeuralNetClassifier((6,), solver="sgd", momentum=0.0, learning_rate_init=1.0, clip_norm=1e-3,
                                  max_iter=1, random_state=0).fit(X, y)
    start = NeuralNetClassifier((6,), max_iter=1, random_state=0, learning_rate_init=1e-12).fit(X, y)
    assert np.linalg.norm(clipped.network_.params - start.network_.params) <= 1e-3 + 1e-9


def test_verbose_prints_sklearns_lines(iris, capsys):
    NeuralNetClassifier((4,), max_iter=2, verbose=True, early_stopping=True).fit(*iris)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out and "Validation score: " in out


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(hidden_layer_sizes=(10, 0)), ValueError, r"hidden_layer_sizes must be > 0, got \[10, 0\]"),
        (dict(activation=["relu"], hidden_layer_sizes=(3, 3)), ValueError, "one name per hidden layer"),
        (dict(activation="swishy"), ValueError, "activation: .*unknown name 'swishy'"),
        (dict(solver="newton"), ValueError, "solver: expected one of"),
        (dict(learning_rate_init=0.0), ValueError, "learning_rate_init: expected a number > 0"),
        (dict(solver="lbfgs", dropout=0.5), ValueError, "dropout: the 'lbfgs' solver"),
        (dict(dropout=[0.1, 0.2]), ValueError, r"dropout: expected one rate per hidden layer \(1\)"),
        (dict(schedule="linear"), ValueError, "schedule: unknown name 'linear'"),
        (dict(dtype="float16"), ValueError, "dtype: expected None, float32 or float64"),
        (dict(batch_size=0), ValueError, "batch_size: expected 'auto' or an int >= 1"),
        (dict(max_iter=2.5), TypeError, "max_iter: expected an int"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, error, match, iris):
    est = NeuralNetClassifier(**params)  # __init__ only stores
    with pytest.raises(error, match=match):
        est.fit(*iris)


def test_bad_regressor_loss_and_class_weight_are_named(iris):
    X, y = iris
    with pytest.raises(ValueError, match="loss: expected one of"):
        NeuralNetRegressor(loss="poisson").fit(X, X[:, 0])
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial_fit"):
        NeuralNetClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero number"):
        NeuralNetClassifier().fit(X, y, sample_weight=np.zeros(len(y)))
    huber = NeuralNetRegressor((4,), loss="huber", max_iter=3).fit(X, X[:, 0])
    assert huber.network_.loss.name == "huber"


def test_get_params_clone_and_deepcopy_keep_parameters():
    est = NeuralNetClassifier((5, 3), activation=["relu", "tanh"], dropout=0.1, class_weight={0: 2},
                              schedule=optim.CosineDecay(0.01), dtype="float32")
    params = est.get_params()
    assert params["hidden_layer_sizes"] == (5, 3) and params["class_weight"] == {0: 2}
    twin = clone(est)
    assert twin.get_params()["activation"] == ["relu", "tanh"] and twin.get_params()["schedule"] is not est.schedule
    assert copy.deepcopy(est).get_params()["dtype"] == "float32"
