import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _registered_activations_restored():
    """A test that registers an activation (a deliberately wrong one, say) leaves the registry as it
    found it, so later tests (the docs' list of every registered name) do not depend on the order."""
    from backprop.core.activations import ACTIVATIONS

    saved = dict(ACTIVATIONS)
    yield
    ACTIVATIONS.clear()
    ACTIVATIONS.update(saved)
