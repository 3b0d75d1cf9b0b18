"""fold_standardization: the scaler folded into the first layer gives the same outputs on raw inputs."""

import numpy as np
import pytest

import backprop as bp
from backprop.core.validation import ShapeError
from backprop.data import StandardScaler, fold_standardization


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
