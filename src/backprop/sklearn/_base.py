"""What the classifier and the regressor share: parameters, checks, the network, the fit loop.

The fit loop is backprop's own :class:`~backprop.train.Trainer` (mini-batches, L2, dropout,
clipping, the flat-vector optimizers); this module only maps scikit-learn's parameters onto it
and keeps scikit-learn's per-epoch bookkeeping (:mod:`._monitor`).
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..core.activations import get_activation
from ..core.init import get_initializer
from ..core.validation import DivergenceError, reject_masked
from ..model import Network
from ..optim import LBFGS, SCHEDULES, Optimizer, Schedule, get_optimizer, get_schedule
from ..train import History, Trainer, TrainingData
from ._checks import _assign, _check_int, _check_number, _check_sample_weight
from ._monitor import SKLEARN_RATES, EpochMonitor, SklearnRate
from ._optimizers import SklearnAdam, SklearnSGD

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def validate_data(estimator, X="no_validation", y="no_validation", reset=True, **kwargs):
        return estimator._validate_data(X, y, reset=reset, **kwargs)


__all__ = ["BaseNeuralNet", "SolverDivergedError"]


class SolverDivergedError(DivergenceError, ValueError):
    """Training diverged: a :class:`~backprop.DivergenceError` that is also the ``ValueError`` scikit-learn's
    MLP estimators raise for non-finite weights. The network keeps its last finite parameters."""

_SCIPY_FTOL = 2.220446049250313e-09  # scipy's default ftol for L-BFGS-B, which scikit-learn keeps
_SOLVERS = ("sgd", "adam", "lbfgs")
# The parameters only the optimizer and its learning rate see: changing one between the calls of a
# run starts a new optimizer state (see _solver_state).
_SOLVER_PARAMS = ("solver", "learning_rate", "learning_rate_init", "power_t", "momentum", "nesterovs_momentum",
                  "beta_1", "beta_2", "epsilon", "schedule", "optimizer")
_LBFGS_PARAMS = ("solver", "tol", "max_fun", "optimizer")


@dataclass
class _SolverState:
    """What a continuing fit (warm start, partial_fit) with unchanged solver parameters keeps."""

    key: str  # the solver parameters it was made for
    optimizer: Any
    learning_rate: Any  # what the Trainer gets as ``learning_rate``
    rate: Any  # the scikit-learn rate the monitor drives, or None
    rng: np.random.Generator
    step: int = 0
    epoch: int = 0


class BaseNeuralNet(BaseEstimator):
    """Base class of :class:`NeuralNetClassifier` and :class:`NeuralNetRegressor`; not for direct use."""

    _is_classifier = False

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
        schedule=None,
        optimizer=None,
        clip_norm=None,
        dtype=None,
        init="sklearn",
        backend="auto",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.schedule = schedule
        self.optimizer = optimizer
        self.clip_norm = clip_norm
        self.dtype = dtype
        self.init = init
        self.backend = backend

    # ------------------------------------------------------------ fitted views
    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weights per layer in scikit-learn's orientation: ``coefs_[i]`` (n_in, n_out) = ``W[i+1]ᵀ``.

        Views of ``network_.params``: writing into them changes the network.
        """
        return [W.T for W in self.network_.weights]

    @coefs_.setter
    def coefs_(self, value: Sequence[Any]) -> None:
        _assign(self.network_.weights, [np.asarray(c).T for c in value], "coefs_")

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Biases per layer, ``intercepts_[i]`` of shape (n_out,): views of ``network_.params``."""
        return [b[:, 0] for b in self.network_.biases]

    @intercepts_.setter
    def intercepts_(self, value: Sequence[Any]) -> None:
        _assign(self.network_.biases, [np.asarray(b).reshape(-1, 1) for b in value], "intercepts_")

    def save(self, path: Any) -> str:
        """Write the fitted estimator to a model file (atomic, never pickled); ``backprop.load(path)``
        gives it back: labels, parameters, column names (see :mod:`backprop.sklearn._persist`)."""
        from ._persist import save_estimator

        return save_estimator(self, path)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    # ------------------------------------------------------------ parameters
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        if isinstance(sizes, str) or not hasattr(sizes, "__iter__"):
            raise TypeError(f"hidden_layer_sizes: expected an int or a sequence of ints, received {sizes!r}")
        sizes = list(sizes)
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(n) for n in sizes]

    def _hidden_activations(self, n_hidden: int) -> list[str]:
        spec = self.activation
        names = [spec] * n_hidden if isinstance(spec, str) else list(spec) if isinstance(spec, Sequence) else None
        if names is None or len(names) != n_hidden:
            raise ValueError(f"activation: expected a name or one name per hidden layer ({n_hidden}), received {spec!r}")
        for name in names:
            try:
                get_activation(name)
            except (TypeError, ValueError) as exc:
                raise ValueError(str(exc)) from None  # "activation: unknown name ..."
            if get_activation(name).name == "softmax":
                raise ValueError("activation: 'softmax' is an output activation, not a hidden one")
        return names

    def _is_lbfgs(self) -> bool:
        spec = self.optimizer
        if spec is None:
            return self.solver == "lbfgs"
        return isinstance(spec, LBFGS) or (isinstance(spec, str) and spec.lower() == "lbfgs")

    def _check_params(self) -> None:
        """Validate every parameter (at fit time, as scikit-learn requires); errors name the value."""
        _check_number(self.alpha, "alpha", low=0)
        _check_number(self.learning_rate_init, "learning_rate_init", low=0, low_open=True)
        _check_number(self.power_t, "power_t", low=0)
        _check_int(self.max_iter, "max_iter", 1)
        _check_int(self.max_fun, "max_fun", 1)
        _check_number(self.tol, "tol", low=0)
        _check_number(self.momentum, "momentum", low=0, high=1)
        _check_number(self.validation_fraction, "validation_fraction", low=0, high=1, high_open=True)
        _check_number(self.beta_1, "beta_1", low=0, high=1, high_open=True)
        _check_number(self.beta_2, "beta_2", low=0, high=1, high_open=True)
        _check_number(self.epsilon, "epsilon", low=0, low_open=True)
        if self.n_iter_no_change != np.inf:
            _check_int(self.n_iter_no_change, "n_iter_no_change", 1)
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver: expected one of {_SOLVERS}, received {self.solver!r}")
        if self.learning_rate not in SKLEARN_RATES:
            raise ValueError(f"learning_rate: expected one of {SKLEARN_RATES}, received {self.learning_rate!r}")
        if not (self.batch_size == "auto" or (isinstance(self.batch_size, numbers.Integral)
                                              and not isinstance(self.batch_size, bool) and self.batch_size >= 1)):
            raise ValueError(f"batch_size: expected 'auto' or an int >= 1, received {self.batch_size!r}")
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name}: expected a bool, received {getattr(self, name)!r}")
        self._check_network_params()
        spec = self.schedule
        if isinstance(spec, str):
            if spec not in SKLEARN_RATES and spec.lower() not in SCHEDULES:
                raise ValueError(f"schedule: unknown name {spec!r}; expected one of {sorted(SKLEARN_RATES + tuple(SCHEDULES))}")
        elif spec is not None and not callable(spec):
            raise TypeError(f"schedule: expected None, a name, a backprop.optim Schedule or a function of the step, "
                            f"received {spec!r}")
        if self.optimizer is not None and not isinstance(self.optimizer, (str, Optimizer, LBFGS)):
            raise TypeError(f"optimizer: expected None, a name or a backprop.optim optimizer, received {self.optimizer!r}")
        if not (self.init == "sklearn" or callable(self.init)):
            try:
                get_initializer(self.init)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"init: expected 'sklearn' or a backprop initializer; {exc}") from None

    # ------------------------------------------------------------ building blocks

    def _check_network_params(self) -> None:
        """The hidden layers, their activations and dropout rates, the clipping norm, the dtype."""
        n_hidden = len(self._hidden_sizes())
        self._hidden_activations(n_hidden)
        rates = self.dropout if isinstance(self.dropout, Sequence) else [self.dropout]
        for r in rates:
            _check_number(r, "dropout", low=0, high=1, high_open=True)
        if isinstance(self.dropout, Sequence) and len(self.dropout) != n_hidden:
            raise ValueError(f"dropout: expected one rate per hidden layer ({n_hidden}), received {list(self.dropout)}")
        if self._is_lbfgs() and any(rates):
            raise ValueError("dropout: the 'lbfgs' solver is full-batch and deterministic; use dropout=0")
        if self.clip_norm is not None:
            _check_number(self.clip_norm, "clip_norm", low=0, low_open=True)
        if self.dtype is not None:
            try:
                dtype = np.dtype(self.dtype)
            except TypeError:
                raise TypeError(f"dtype: expected None, float32 or float64, received {self.dtype!r}") from None
            if dtype not in (np.float32, np.float64):
                raise ValueError(f"dtype: expected None, float32 or float64, received {self.dtype!r}")

    def _new_network(self, n_features: int, n_outputs: int, dtype: np.dtype, rs: np.random.RandomState) -> Network:
        hidden = self._hidden_sizes()
        activations = self._hidden_activations(len(hidden))
        out_name, out_activation, loss = self._output_layer()
        net = Network([n_features, *hidden, n_outputs], [*activations, out_activation], loss, init=None, dtype=dtype)
        if self.init == "sklearn":
            # scikit-learn's draw, in its order: per layer, W then b from U(−r, r), r = √(f / (fan_in + fan_out)),
            # f = 2 for logistic layers and 6 otherwise; the same random_state gives MLP*'s initial weights.
            factors = [2.0 if get_activation(a).name == "sigmoid" else 6.0 for a in activations]
            factors.append(factors[-1] if factors else 6.0)
            for W, b, factor in zip(net.weights, net.biases, factors):
                fan_out, fan_in = W.shape
                bound = math.sqrt(factor / (fan_in + fan_out))
                W[...] = rs.uniform(-bound, bound, (fan_in, fan_out)).T
                b[:, 0] = rs.uniform(-bound, bound, fan_out)
        else:
            net.initialize(init=self.init, seed=np.random.default_rng(rs.randint(2**31 - 1)))
        self.n_outputs_ = n_outputs
        self.n_layers_ = net.n_layers + 1
        self.out_activation_ = out_name
        return net

    def _make_optimizer(self) -> Optimizer | LBFGS:
        if self.optimizer is not None:
            return get_optimizer(copy.deepcopy(self.optimizer))
        if self.solver == "lbfgs":
            return LBFGS(memory=10, tol=self.tol, ftol=_SCIPY_FTOL, max_fun=self.max_fun)
        if self.solver == "adam":
            return SklearnAdam(beta_1=self.beta_1, beta_2=self.beta_2, eps=self.epsilon)
        return SklearnSGD(momentum=self.momentum, nesterov=self.nesterovs_momentum)

    def _make_learning_rate(self, optimizer: Any) -> tuple[Any, SklearnRate | None]:
        """(what the Trainer gets as ``learning_rate``, the scikit-learn rate the monitor drives or None)."""
        if isinstance(optimizer, LBFGS):
            return None, None
        spec = self.schedule
        if spec is None:
            if self.optimizer is not None and getattr(optimizer, "explicit_learning_rate", False):
                return None, None  # the optimizer object's own rate
            kind = self.learning_rate if (self.optimizer is None and self.solver == "sgd") else "constant"
            rate = SklearnRate(self.learning_rate_init, kind, self.power_t)
            return rate, rate
        if isinstance(spec, str):
            if spec in SKLEARN_RATES:
                rate = SklearnRate(self.learning_rate_init, spec, self.power_t)
                return rate, rate
            return get_schedule(spec, self.learning_rate_init), None
        if isinstance(spec, Schedule):
            return copy.deepcopy(spec), None
        return spec, None  # a function of the step

    def _solver_state(self, continuing: bool, rs: np.random.RandomState) -> _SolverState:
        """The optimizer, learning rate, RNG and counters of this run: kept when continuing.

        A continuing call (warm start, partial_fit) whose solver parameters are unchanged goes on
        with the same optimizer state (Adam's moments, the velocity), schedule position, RNG
        stream and step count; changed solver parameters start a new optimizer state.
        """
        names = _LBFGS_PARAMS if self._is_lbfgs() else _SOLVER_PARAMS
        key = repr([(name, getattr(self, name)) for name in names])
        previous = getattr(self, "_solver", None) if continuing else None
        if previous is not None and previous.key == key:
            return previous
        optimizer = self._make_optimizer()
        learning_rate, rate = self._make_learning_rate(optimizer)
        self._solver = _SolverState(
            key=key, optimizer=optimizer, learning_rate=learning_rate, rate=rate,
            rng=previous.rng if previous else np.random.default_rng(rs.randint(2**31 - 1)),
            step=previous.step if previous else 0, epoch=previous.epoch if previous else 0,
        )
        return self._solver

    def _batch_size(self, n: int) -> int | None:
        if self._is_lbfgs():
            return None
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped")
        return int(np.clip(self.batch_size, 1, n))

    def _reset_fit_state(self, early_stopping: bool) -> None:
        """The run's bookkeeping, as scikit-learn's ``_initialize``."""
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_ = None
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._best_params = None
        self.history_ = History()
        self._solver = None
        self.validation_scores_ = [] if early_stopping else None
        self.validation_loss_curve_ = [] if early_stopping else None
        self.best_validation_score_ = -np.inf if early_stopping else None
        self.best_loss_ = None if early_stopping else np.inf

    # ------------------------------------------------------------ the fit
    def _fit(self, X: Any, y: Any, sample_weight: Any = None, *, incremental: bool = False, classes: Any = None):
        self._check_params()
        continuing = hasattr(self, "network_") and (incremental or self.warm_start)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        # The network's precision: a continuing call keeps it; else ``dtype``, or float32 input stays
        # float32 and anything else becomes float64.
        dtype = self.network_.dtype if continuing else self.dtype
        for value, name in ((X, "X"), (y, "y"), (sample_weight, "sample_weight")):
            reject_masked(value, name)  # scikit-learn's checks would drop the mask and use what it hides
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=not self._is_classifier,
                             dtype=(np.float64, np.float32) if dtype is None else dtype, reset=not continuing)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        dtype = X.dtype
        Y = self._encode_targets(y, continuing, incremental, classes).astype(dtype, copy=False)
        sample_weight = _check_sample_weight(sample_weight, X.shape[0])
        sample_weight = self._weigh_classes(y, sample_weight, incremental)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(dtype)

        rs = check_random_state(self.random_state)
        stochastic = not self._is_lbfgs()
        early_stopping = self.early_stopping and stochastic
        if not continuing:
            self._reset_fit_state(early_stopping)
            self.network_ = self._new_network(X.shape[1], Y.shape[1], dtype, rs)
        else:
            self._check_architecture()
        if continuing and early_stopping and self.validation_scores_ is None:
            self.validation_scores_, self.validation_loss_curve_ = [], []
            self.best_validation_score_, self.best_loss_ = -np.inf, None
        elif continuing and not early_stopping and self.best_loss_ is None:
            self.best_loss_ = min(self.loss_curve_, default=np.inf)
        if not incremental:
            self._no_improvement_count = 0  # every fit call gets its n_iter_no_change epochs
        if not early_stopping:
            self._best_params = None

        validation = val_data = None
        if early_stopping:
            stratify = y if (self._is_classifier and Y.shape[1] == 1) else None  # binary only, as scikit-learn
            train, val = train_test_split(np.arange(X.shape[0]), random_state=rs, test_size=self.validation_fraction,
                                          stratify=stratify)
            if val.size < 2:
                raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of "
                                 "your dataset.")
            sw_val = None if sample_weight is None else sample_weight[val]
            validation = (X[val], y[val], sw_val)
            val_data = TrainingData(self.network_, X[val], Y[val], sw_val)
            X, Y = X[train], Y[train]
            sample_weight = None if sample_weight is None else sample_weight[train]

        solver = self._solver_state(continuing, rs)
        trainer = Trainer(self.network_, optimizer=solver.optimizer, learning_rate=solver.learning_rate,
                          batch_size=self._batch_size(X.shape[0]), shuffle=self.shuffle, seed=solver.rng,
                          l2=self.alpha, dropout=self.dropout, clip_norm=self.clip_norm, backend=self.backend)
        trainer.step, trainer.epoch = solver.step, solver.epoch
        monitor = EpochMonitor(self, X.shape[0], validation, solver.rate, incremental, stochastic)
        epochs = 1 if incremental else self.max_iter
        try:
            trainer.run(TrainingData(self.network_, X, Y, sample_weight), epochs, validation=val_data,
                        callbacks=[monitor], history=self.history_)
        except DivergenceError as exc:  # scikit-learn's contract: a ValueError (this one is both)
            raise SolverDivergedError(
                "Solver produced non-finite parameter weights. The input data may contain large values and need "
                f"to be preprocessed, or the learning rate is too high ({exc})"
            ) from None
        finally:
            solver.step, solver.epoch = trainer.step, trainer.epoch
            self.n_iter_ = monitor.epochs
            if self._best_params is not None:  # early stopping: the best validation score's weights
                self.network_.params = self._best_params
        if not np.isfinite(self.network_.params).all():
            raise ValueError("Solver produced non-finite parameter weights. The input data may contain large values "
                             "and need to be preprocessed.")
        self._warn_if_unconverged(trainer, monitor, incremental)
        return self

    def _check_architecture(self) -> None:
        """A continuing call trains the existing network: its hidden layers must still be the parameters'."""
        net = self.network_
        hidden = self._hidden_sizes()
        names = [get_activation(a).name for a in self._hidden_activations(len(hidden))]
        if list(net.layer_sizes[1:-1]) != hidden or [a.name for a in net.activations[:-1]] != names:
            raise ValueError(
                f"hidden_layer_sizes={hidden} and activation={self.activation!r} differ from the fitted network's "
                f"({list(net.layer_sizes[1:-1])}, {[a.name for a in net.activations[:-1]]}): warm_start and "
                "partial_fit continue that network; fit with warm_start=False to start a new one"
            )

    def _warn_if_unconverged(self, trainer: Trainer, monitor: EpochMonitor, incremental: bool) -> None:
        if self.history_.interrupted:
            warnings.warn("Training interrupted by user.")
        elif isinstance(trainer.optimizer, LBFGS):
            result = trainer.optimizer.result
            if result is not None and result.status != 0:
                message = result.message.decode() if isinstance(result.message, bytes) else result.message
                warnings.warn(f"lbfgs failed to converge after {monitor.epochs} iteration(s) (status={result.status}):"
                              f"\n{message}.\n\nIncrease the number of iterations to improve the convergence "
                              f"(max_iter={self.max_iter}).", ConvergenceWarning)
        elif not incremental and not monitor.converged and monitor.epochs == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the optimization "
                          "hasn't converged yet.", ConvergenceWarning)

    # ------------------------------------------------------------ prediction
    def _forward(self, X: Any, validate: bool = True) -> np.ndarray:
        """The network's outputs (n_samples, n_outputs_) in inference mode."""
        check_is_fitted(self)
        if validate:
            reject_masked(X, "X")
            X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.network_.predict_proba(X)

    def attribute(self, X: Any, **kwargs: Any) -> np.ndarray:
        """Attributions (n_samples, n_features[, n_outputs]) of the predictions on X to its features,
        by backpropagation to the input: see :func:`backprop.attribute` for the keywords."""
        from ..attribute import attribute

        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return attribute(self, X, **kwargs)

    # ------------------------------------------------------------ subclass hooks
    def _output_layer(self) -> tuple[str, str, str]:
        """(scikit-learn's name of the output activation, backprop's activation, backprop's loss)."""
        raise NotImplementedError

    def _encode_targets(self, y: np.ndarray, continuing: bool, incremental: bool, classes: Any) -> np.ndarray:
        """Targets (n_samples, n_outputs) for the network."""
        raise NotImplementedError

    def _weigh_classes(self, y: np.ndarray, sample_weight: np.ndarray | None, incremental: bool) -> np.ndarray | None:
        return sample_weight

    def _validation_score(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        raise NotImplementedError
