"""``NeuralNetClassifier``: binary, multi-class and multi-label classification."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels

from . import _docs
from ._base import BaseNeuralNet

__all__ = ["NeuralNetClassifier"]


class NeuralNetClassifier(ClassifierMixin, BaseNeuralNet):
    __doc__ = (
        """A feed-forward neural network classifier trained by backprop, a drop-in for scikit-learn's
    ``MLPClassifier``: the same parameters with the same meaning, the same fitted attributes,
    plus per-layer activations, dropout, ``class_weight``, a learning-rate ``schedule`` for every
    solver, ``dtype`` and ``clip_norm``.

    The output layer follows the target: one sigmoid unit with binary cross-entropy for two
    classes, softmax with categorical cross-entropy for more, one sigmoid unit per label for a
    multi-label indicator matrix y (n_samples, n_labels).
"""
        + _docs.PARAMETERS
        + """    class_weight : dict, "balanced" or None, default=None
        Weights per class label, multiplied into ``sample_weight`` ("balanced":
        n_samples / (n_classes · count)); binary and multi-class targets only.
"""
        + _docs.ATTRIBUTES
        + """    classes_ : ndarray (n_classes,)
        The class labels (for multi-label y, the label indices).
"""
        + _docs.NOTES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from backprop.sklearn import NeuralNetClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuralNetClassifier((16,), solver="lbfgs", random_state=0, max_iter=300).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
"""
    )

    _is_classifier = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        class_weight=None,
        schedule=None,
        optimizer=None,
        clip_norm=None,
        dtype=None,
        init="sklearn",
        backend="auto",
    ):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose, warm_start=warm_start,
            momentum=momentum, nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, dropout=dropout, schedule=schedule,
            optimizer=optimizer, clip_norm=clip_norm, dtype=dtype, init=init, backend=backend,
        )
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,) or a label indicator matrix
        (n_samples, n_labels), for up to ``max_iter`` epochs; ``sample_weight`` (n_samples,)."""
        return self._fit(X, y, sample_weight)

    @available_if(lambda self: not self._is_lbfgs())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> NeuralNetClassifier:
        """One epoch over (X, y), continuing the run (optimizer state included).

        ``classes`` (every label y may ever hold; for multi-label y, the label indices) is
        required on the first call, as in scikit-learn.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (n_samples,), or a 0/1 matrix (n_samples, n_labels) for multi-label y."""
        return self._decode(self._forward(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities (n_samples, n_classes); for multi-label y, each label's (n_samples, n_labels)."""
        out = self._forward(X)
        if self.n_outputs_ == 1:
            p = out[:, 0]
            return np.column_stack([1 - p, p])
        return out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of :meth:`predict_proba`."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    # ------------------------------------------------------------ hooks
    def _output_layer(self) -> tuple[str, str, str]:
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax", "softmax", "categorical_crossentropy"
        return "logistic", "sigmoid", "binary_crossentropy"

    def _encode_targets(self, y: np.ndarray, continuing: bool, incremental: bool, classes: Any) -> np.ndarray:
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if not continuing:
            if incremental and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._label_binarizer = LabelBinarizer().fit(y if (multilabel or not incremental) else classes)
            self.classes_ = self._label_binarizer.classes_
        else:
            if incremental and classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(f"`classes={classes!r}` is not the same as on the first call to partial_fit, "
                                 f"was: {self.classes_!r}")
            labels = unique_labels(y)
            if not incremental and set(labels) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                                 f"call to fit. Previously got {self.classes_}, `y` has {labels}")
            if np.setdiff1d(labels, self.classes_).size:
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {labels}.")
        return self._label_binarizer.transform(y)

    def _weigh_classes(self, y: np.ndarray, sample_weight: np.ndarray | None, incremental: bool) -> np.ndarray | None:
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight: supported for binary and multi-class targets, not multi-label ones")
        if incremental and self.class_weight == "balanced":
            raise ValueError("class_weight 'balanced' is not supported for partial_fit: the class counts of one "
                             "batch are not those of the data; pass a dict of weights")
        if not (self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise ValueError(f"class_weight: expected a dict, 'balanced' or None, received {self.class_weight!r}")
        weights = compute_sample_weight(self.class_weight, y)
        return weights if sample_weight is None else sample_weight * weights

    def _decode(self, out: np.ndarray) -> np.ndarray:
        return self._label_binarizer.inverse_transform(out[:, 0] if self.n_outputs_ == 1 else out)

    def _validation_score(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        out = self._forward(X, validate=False)
        if not np.isfinite(out).all():
            return float("nan")
        return float(accuracy_score(y, self._decode(out), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"multilabel": True}
