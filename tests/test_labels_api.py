"""Labels end to end in Python (issue 16): Network.fit on labels, predict labels, evaluate's numbers,
fit_table on a DataFrame, and the estimators' save/load without pickle."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

import backprop as bp
from backprop import metrics
from backprop.core.validation import ShapeError, ValidationError
from backprop.io import ModelFileError

pd = pytest.importorskip("pandas")


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [4, 0], [0, 4]])
    y = np.repeat(np.arange(3), 40)
    X = centres[y] + rng.normal(0, 0.7, (120, 2))
    return X, y


def test_fit_on_text_labels_remembers_classes_and_predict_gives_labels(tmp_path):
    X, y = _blobs()
    names = np.array(["cat", "dog", "emu"])[y]
    net = bp.Network([2, 8, 3], ["tanh", "softmax"], "categorical_crossentropy", seed=0)
    net.fit(X, names, epochs=80, seed=0, optimizer="adam", learning_rate=0.05)
    assert net.classes_.tolist() == ["cat", "dog", "emu"]
    prediction = net.predict(X)
    assert prediction.dtype.kind == "U" and set(prediction) <= {"cat", "dog", "emu"}
    assert np.mean(prediction == names) > 0.9
    P = net.predict_proba(X)
    np.testing.assert_array_equal(net.classes_[P.argmax(axis=1)], prediction)
    net.save(tmp_path / "n.npz")
    loaded = bp.load(tmp_path / "n.npz")
    np.testing.assert_array_equal(loaded.predict(X), prediction)
    # evaluate on labels: accuracy equals the share of labels predicted right
    assert net.evaluate(X, names)["accuracy"] == pytest.approx(np.mean(prediction == names))


def test_integer_labels_not_codes_and_unknown_labels():
    X, y = _blobs()
    labels = np.array([10, 20, 30])[y]
    net = bp.Network([2, 3], ["softmax"], "categorical_crossentropy", seed=0)
    with pytest.raises(ValidationError, match=r"Y"):  # integers are class codes unless classes_ says otherwise
        net.fit(X, labels, epochs=1, seed=0)
    net.classes_ = [10, 20, 30]
    net.fit(X, labels, epochs=5, seed=0)
    assert set(net.predict(X)) <= {10, 20, 30}
    with pytest.raises(ValidationError, match=r"the label 40 is not one of the model's classes"):
        net.evaluate(X, np.full(120, 40))
    codes_net = bp.Network([2, 3], ["softmax"], "categorical_crossentropy", seed=0)
    codes_net.fit(X, y, epochs=1, seed=0)  # codes stay codes
    assert codes_net.classes_.tolist() == [0, 1, 2]
    wrong = bp.Network([2, 3], ["softmax"], "categorical_crossentropy", seed=0)
    with pytest.raises(ValidationError, match=r"expected 3 distinct labels .* received 2"):
        wrong.fit(X, np.where(y == 0, "a", "b"), epochs=1)


def test_evaluate_report_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    X, y = _blobs(1)
    net = bp.Network([2, 3], ["softmax"], "categorical_crossentropy", seed=0)
    net.fit(X, y, epochs=3, seed=0, learning_rate=0.01)  # half trained: some errors to count
    report = net.evaluate(X, y, report=True)
    predicted = net.predict(X)
    p, r, f, s = precision_recall_fscore_support(y, predicted, labels=[0, 1, 2], zero_division=0)
    np.testing.assert_allclose(report["precision"], p)
    np.testing.assert_allclose(report["recall"], r)
    np.testing.assert_allclose(report["f1"], f)
    assert report["support"] == s.tolist()
    np.testing.assert_array_equal(report["confusion_matrix"], confusion_matrix(y, predicted, labels=[0, 1, 2]))
    assert report["accuracy"] == pytest.approx(np.mean(predicted == y))


def test_regression_evaluate_gives_mse_rmse_mae_r2():
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=80)
    net = bp.Network([3, 1], ["identity"], "mse", seed=0)
    net.fit(X, y, epochs=20, seed=0, learning_rate=0.05)
    scores = net.evaluate(X, y)
    predicted = net.predict(X)
    assert scores["mse"] == pytest.approx(mean_squared_error(y, predicted))
    assert scores["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, predicted)))
    assert scores["mae"] == pytest.approx(mean_absolute_error(y, predicted))
    assert scores["r2"] == pytest.approx(r2_score(y, predicted))
    assert scores["loss"] == pytest.approx(scores["mse"] / 2)  # the loss of mse is ½·MSE


def _messy_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 70, n)
    region = rng.choice(["east", "west", "north"], n).astype(object)
    bmi = rng.normal(27, 4, n).round(1)
    cost = (100 + 2 * age + 30 * (region == "east") + 3 * (bmi - 27) + rng.normal(0, 5, n)).astype(int)
    bmi[rng.random(n) < 0.1] = np.nan
    region[rng.random(n) < 0.05] = None
    return pd.DataFrame({"id": np.arange(1000, 1000 + n), "age": age, "region": region, "bmi": bmi, "cost": cost})


def test_fit_table_on_a_dataframe_and_the_saved_model(tmp_path):
    frame = _messy_frame()
    train, test = frame.iloc[:160], frame.iloc[160:]
    net = bp.fit_table(train, "cost", task="regression", drop=["id"], epochs=300)
    assert net.preprocessor_.columns_ == ["age", "region", "bmi"]
    assert net.evaluate(test, test["cost"])["r2"] > 0.8
    net.save(tmp_path / "cost.npz")
    loaded = bp.load(tmp_path / "cost.npz")
    raw = test.drop(columns=["cost", "id"]).iloc[:, ::-1]  # columns in another order, no target
    np.testing.assert_allclose(loaded.predict(raw), net.predict(test), rtol=1e-12)
    assert loaded.target_name_ == "cost"
    raw.to_csv(tmp_path / "new.csv", index=False)  # a raw CSV of new rows: read and preprocessed by name
    np.testing.assert_allclose(loaded.predict(tmp_path / "new.csv"), net.predict(test), rtol=1e-9)
    np.testing.assert_allclose(loaded.predict_proba(str(tmp_path / "new.csv")), net.predict_proba(test), rtol=1e-9)


def test_fit_table_warns_like_the_cli():
    frame = _messy_frame(60)
    with pytest.warns(UserWarning) as record:
        bp.fit_table(frame, "cost", epochs=1)
    text = " ".join(str(w.message) for w in record)
    assert "column 'id' holds a different value in every row" in text
    assert "task='regression'" in text


def test_fit_table_text_target_gives_labels():
    frame = _messy_frame()
    frame["band"] = np.where(frame.cost > 220, "high", "low")
    net = bp.fit_table(frame.drop(columns=["cost"]), "band", drop="id", epochs=150)
    assert net.classes_.tolist() == ["high", "low"]
    assert set(net.predict(frame)) <= {"high", "low"}
    assert net.evaluate(frame, frame["band"], report=True)["accuracy"] > 0.8


def test_dataframes_without_a_preprocessor():
    net = bp.Network([2, 1], ["identity"], "mse", seed=0)
    numbers = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]})
    np.testing.assert_array_equal(net.predict(numbers), net.predict(numbers.to_numpy()))  # as an array
    net.fit(numbers, np.array([1.0, 2.0]), epochs=1)
    assert net.preprocessor_ is None
    with pytest.raises(ValidationError, match=r"X: a DataFrame with text or missing cells needs the network's "
                                              r"preprocessor_"):
        net.predict(pd.DataFrame({"a": [1.0], "b": ["x"]}))
    fitted = bp.Network([3, 1], ["identity"], "mse", seed=0)  # a = number, b = one-hot of 2 values
    fitted.fit(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), np.array([1.0, 2.0]), epochs=1)
    assert fitted.preprocessor_.feature_names_ == ["a", "b=x", "b=y"]
    with pytest.raises(bp.InputTypeError, match=r"X: a file path is read only by a network trained on a table"):
        net.predict("new.csv")
    wrong = bp.Network([2, 1], ["identity"], "mse", seed=0)
    with pytest.raises(ShapeError, match=r"preprocessing: gives 3 features, the network takes 2"):
        wrong.fit(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), np.array([1.0, 2.0]), epochs=1)


# ------------------------------------------------------------------ estimators: save and load
def test_estimators_save_and_load_without_pickle(tmp_path):
    pytest.importorskip("sklearn")
    import warnings

    from sklearn.datasets import load_iris

    from backprop.sklearn import NeuralNetClassifier, NeuralNetRegressor

    X, y = load_iris(return_X_y=True, as_frame=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = NeuralNetClassifier((8,), max_iter=60, random_state=0, learning_rate_init=0.01).fit(X, labels)
        reg = NeuralNetRegressor((8,), max_iter=20, random_state=0).fit(X.iloc[:, :3], X.iloc[:, 3])
    clf.save(tmp_path / "clf.npz")
    reg.save(tmp_path / "reg.npz")
    clf2, reg2 = bp.load(tmp_path / "clf.npz"), bp.load(tmp_path / "reg.npz")
    assert type(clf2) is NeuralNetClassifier and type(reg2) is NeuralNetRegressor
    np.testing.assert_array_equal(clf2.predict(X), clf.predict(X))
    np.testing.assert_array_equal(clf2.predict_proba(X), clf.predict_proba(X))
    assert clf2.get_params() == clf.get_params() and clf2.classes_.tolist() == clf.classes_.tolist()
    assert list(clf2.feature_names_in_) == list(X.columns) and clf2.loss_curve_ == clf.loss_curve_
    np.testing.assert_array_equal(reg2.predict(X.iloc[:, :3]), reg.predict(X.iloc[:, :3]))
    with zipfile.ZipFile(tmp_path / "clf.npz") as archive:  # two arrays and JSON: nothing to unpickle
        assert sorted(archive.namelist()) == ["config.npy", "params.npy"]


def _rewrite_config(path, edit):
    """Rewrite a model file's JSON config (params unchanged, so its hash still matches)."""
    with np.load(path) as archive:
        config = json.loads(archive["config"].tobytes().decode())
        params = archive["params"]
    edit(config)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, array in (("params.npy", params),
                            ("config.npy", np.frombuffer(json.dumps(config).encode(), dtype=np.uint8))):
            buffer = io.BytesIO()
            np.save(buffer, array)
            z.writestr(name, buffer.getvalue())


def test_a_hand_edited_estimator_file_fails_with_the_field_named(tmp_path):
    pytest.importorskip("sklearn")
    import warnings

    from backprop.sklearn import NeuralNetRegressor

    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NeuralNetRegressor((4,), max_iter=2, random_state=0).fit(X, y.astype(float)).save(tmp_path / "r.npz")
    path = tmp_path / "r.npz"
    _rewrite_config(path, lambda c: c["metadata"]["estimator"]["params"].update(evil=1))
    with pytest.raises(ModelFileError, match=r"metadata\.estimator': unknown parameters \['evil'\]"):
        bp.load(path)
    _rewrite_config(path, lambda c: c["metadata"]["estimator"]["params"].pop("evil"))
    _rewrite_config(path, lambda c: c["metadata"]["estimator"]["fitted"].update(n_features_in_=5))
    with pytest.raises(ModelFileError, match=r"'fitted.n_features_in_' is 5, the network takes 2 inputs"):
        bp.load(path)
    _rewrite_config(path, lambda c: c["metadata"]["estimator"].update({"class": "os.system"}))
    with pytest.raises(ModelFileError, match=r"expected the class 'NeuralNetClassifier' or 'NeuralNetRegressor'"):
        bp.load(path)


def test_metrics_confusion_matrix_by_hand():
    C = metrics.confusion_matrix(["a", "b", "b", "c"], ["a", "c", "b", "c"], labels=["a", "b", "c"])
    np.testing.assert_array_equal(C, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    report = metrics.classification_report(["a", "b", "b", "c"], ["a", "c", "b", "c"])
    assert report["precision"] == [1.0, 1.0, 0.5] and report["recall"] == [1.0, 0.5, 1.0]
    assert report["f1"] == pytest.approx([1.0, 2 / 3, 2 / 3])
