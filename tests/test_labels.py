"""backprop.labels: original labels to class codes and targets, and predictions back to labels."""

import numpy as np
import pytest

import backprop as bp
from backprop.core.validation import ValidationError
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
