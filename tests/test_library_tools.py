"""What moved from the CLI into the library: label mapping, folding the scaler into the first layer,
and the checkpoint-every-N callback."""

import numpy as np
import pytest

import backprop as bp
from backprop import io as bio
from backprop.core.validation import ShapeError, ValidationError
from backprop.data import StandardScaler, fold_standardization
from backprop.labels import label_codes, predicted_labels, targets_for


def test_labels_round_trip(rng):
    classes = np.array(["cat", "dog", "eel"])
    y = classes[rng.integers(0, 3, 20)]
    codes = label_codes(y, classes)
    np.testing.assert_array_equal(classes[codes], y)
    net = bp.Network([2, 3, 3], ["tanh", "softmax"], "cce", seed=0)
    np.testing.assert_array_equal(targets_for(net, classes, y), codes)
    X = rng.normal(size=(20, 2))
    np.testing.assert_array_equal(predicted_labels(net, classes, X), classes[net.predict(X)])
    with pytest.raises(ValidationError, match="the label 'fox' is not one of the model's classes"):
        label_codes(["fox"], classes)
    with pytest.raises(ValidationError, match="integer class codes"):
        targets_for(net, None, np.array([0.5, 1.5]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_folded_standardization_equals_the_network_on_scaled_inputs(dtype, rng):
    X = rng.normal(3.0, 5.0, size=(40, 3))
    scaler = StandardScaler().fit(X)
    net = bp.Network([3, 5, 2], ["relu", "softmax"], "cce", seed=1, dtype=dtype)
    folded = fold_standardization(net, scaler.mean_, scaler.scale_)
    assert type(folded) is type(net) and folded.dtype == net.dtype and folded is not net
    tol = 1e-12 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(folded.predict_proba(X), net.predict_proba(scaler.transform(X)), rtol=tol, atol=tol)
    with pytest.raises(ShapeError, match=r"expected shape \(3,\)"):
        fold_standardization(net, np.zeros(2), np.ones(2))


def test_save_checkpoints_every_n_epochs(tmp_path, rng):
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, 30)
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    calls = []
    saver = bio.SaveCheckpoints(2, str(tmp_path / "ckpt-{epoch}.npz"), classes=np.array(["no", "yes"]),
                                metadata=lambda: calls.append(1) or {"saves": len(calls)})
    net.fit(X, y, epochs=5, callbacks=[saver], seed=0)
    assert saver.saved == [str(tmp_path / "ckpt-2.npz"), str(tmp_path / "ckpt-4.npz")]
    loaded, state = bio.load_checkpoint(tmp_path / "ckpt-4.npz")
    assert state["epoch"] == 4 and loaded.metadata_ == {"saves": 2} and list(loaded.classes_) == ["no", "yes"]
    with pytest.raises(ValidationError, match="every: expected an integer >= 1"):
        bio.SaveCheckpoints(0, "x.npz")
