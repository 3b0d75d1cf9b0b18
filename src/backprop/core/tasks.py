"""What a network is for, and the output layer that follows: one table for every command.

A network's *task* follows from its loss and its number of outputs; the output layer of a
fresh network follows from the task, the number of classes and the loss asked for. Losses
are compared by their canonical name (``get_loss(spec).name``), so every alias of a loss
("bce", "log_loss", "binary_cross_entropy" …) builds the same network everywhere: in
``backprop train``, ``gradcheck`` and ``explain``, in model files and in the estimators.

=========================  ==========  ========================  =====================
loss (canonical name)      outputs     task                      output activation
=========================  ==========  ========================  =====================
binary_crossentropy        1           binary                    sigmoid
binary_crossentropy        n > 1       multilabel                sigmoid
categorical_crossentropy   k classes   multiclass                softmax
mse, mae, huber            any         regression                identity
=========================  ==========  ========================  =====================
"""

from __future__ import annotations

from typing import NamedTuple

from .losses import Loss, get_loss
from .validation import ValidationError

__all__ = [
    "BINARY", "MULTILABEL", "MULTICLASS", "REGRESSION", "TASKS",
    "OutputLayer", "loss_name", "is_classification_loss", "task_of", "n_classes_of", "problem_of", "output_layer",
]

BINARY, MULTILABEL, MULTICLASS, REGRESSION = "binary", "multilabel", "multiclass", "regression"
TASKS = (BINARY, MULTILABEL, MULTICLASS, REGRESSION)

_BINARY_LOSS = "binary_crossentropy"
_MULTICLASS_LOSS = "categorical_crossentropy"
_REGRESSION_LOSS = "mse"


class OutputLayer(NamedTuple):
    """The last layer of a fresh network: its size, its activation and the loss (canonical names)."""

    n_outputs: int
    activation: str
    loss: str


def loss_name(loss: str | Loss) -> str:
    """The canonical name of ``loss`` (a name, an alias or a :class:`Loss`)."""
    return get_loss(loss).name


def is_classification_loss(loss: str | Loss) -> bool:
    """True for the cross-entropies (whatever alias names them)."""
    return loss_name(loss) in (_BINARY_LOSS, _MULTICLASS_LOSS)


def task_of(loss: str | Loss, n_outputs: int) -> str:
    """'binary', 'multilabel', 'multiclass' or 'regression', from the loss and the number of outputs."""
    name = loss_name(loss)
    if name == _BINARY_LOSS:
        return BINARY if n_outputs == 1 else MULTILABEL
    if name == _MULTICLASS_LOSS:
        return MULTICLASS
    return REGRESSION


def n_classes_of(task: str, n_outputs: int) -> int:
    """How many classes a network of this task and output size tells apart (its labels' count)."""
    return 2 if task == BINARY else n_outputs


def problem_of(loss: str | Loss | None, categorical: bool, task: str = "auto") -> str:
    """'classification' or 'regression' for a fresh network: ``task`` when given, else from the
    loss (a cross-entropy classifies, any other loss regresses), else from the target
    (``categorical``: text or integer labels)."""
    if task != "auto":
        return task
    if loss is not None:
        return "classification" if is_classification_loss(loss) else "regression"
    return "classification" if categorical else "regression"


def output_layer(n_classes: int | None, loss: str | Loss | None = None, activation: str | None = None) -> OutputLayer:
    """The output layer of a fresh network for ``n_classes`` classes (None: a regression target).

    Two classes with binary cross-entropy (the default for two) give one sigmoid unit; more
    classes, or categorical cross-entropy, one softmax unit per class; a regression target
    one identity unit with squared error. ``loss`` and ``activation`` replace the defaults
    (the size still follows the rule above).
    """
    name = None if loss is None else loss_name(loss)
    if n_classes is None:
        return OutputLayer(1, activation or "identity", name or _REGRESSION_LOSS)
    if n_classes < 2:
        raise ValidationError(f"data: classification needs at least 2 classes, the target has {n_classes}")
    if name == _BINARY_LOSS and n_classes != 2:
        raise ValidationError(
            f"--loss: binary_crossentropy needs 2 classes, the target has {n_classes}; use categorical_crossentropy"
        )
    if n_classes == 2 and name in (None, _BINARY_LOSS):
        return OutputLayer(1, activation or "sigmoid", _BINARY_LOSS)
    return OutputLayer(n_classes, activation or "softmax", name or _MULTICLASS_LOSS)
