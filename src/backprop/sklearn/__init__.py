"""scikit-learn estimators backed by backprop: ``NeuralNetClassifier`` and ``NeuralNetRegressor``.

Drop-ins for scikit-learn's ``MLPClassifier``/``MLPRegressor`` (same parameters, same fitted
attributes, scikit-learn's estimator checks pass) with what those lack: per-layer activations,
dropout, class weights, learning-rate schedules for every solver, float32 training, gradient
clipping, and the :class:`backprop.Network` itself as ``network_``.

Needs scikit-learn, the optional extra: ``pip install 'backprop-mlp[sklearn]'``. ``import backprop``
never imports it.
"""

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without scikit-learn
    raise ImportError(
        "backprop.sklearn needs scikit-learn, which is not installed: pip install 'backprop-mlp[sklearn]'"
    ) from exc

from ._base import SolverDivergedError
from .classifier import NeuralNetClassifier
from .regressor import NeuralNetRegressor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor", "SolverDivergedError"]


def _estimator_from_model(model, path):
    """The fitted estimator a model file written by ``est.save`` holds (``backprop.load`` calls this)."""
    from ._persist import estimator_from_model

    return estimator_from_model(model, path, {"NeuralNetClassifier": NeuralNetClassifier,
                                              "NeuralNetRegressor": NeuralNetRegressor})
