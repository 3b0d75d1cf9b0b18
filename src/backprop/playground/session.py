"""One training session of the playground: the data, the network, the optimizer and the last update.

The browser does no learning maths: every number the page shows (losses, accuracies, each
neuron's picture over the input plane, weights, gradients, updates, the equation panel's
plugged-in numbers) is computed here by the engine (:mod:`backprop.core`'s network, its
forward cache and flat gradient, and :mod:`backprop.optim`'s optimizers).

Notation, as in the deeplearning.ai course ("Planar data classification with one hidden
layer"): layer l = 1 … L has ``W[l]`` (n_l, n_{l-1}), ``b[l]`` (n_l, 1),
``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g(Z[l])``; examples are columns, ``A[0] = X`` (n_0, m).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np

from ..core.network import Network
from ..core.validation import DivergenceError, ValidationError
from ..data import train_test_split
from ..optim import get_optimizer
from .config import (
    DEFAULT_CONFIG,
    HIDDEN_ACTIVATIONS,
    INITS,
    LIMITS,
    LOSSES_BY_TASK,
    OPTIMIZER_NAMES,
    _num,
    normalize_config,
)
from .datasets import DATASETS, CsvData, builtin_dataset, parse_csv
from .pictures import heatmaps
from .stepthrough import stepthrough_action

__all__ = ["Session", "DEFAULT_CONFIG", "normalize_config", "LIMITS", "parse_csv"]


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


class Session:
    """The playground's state: one network trained in batches between the page's frames.

    Thread-safe: every public method takes the session's lock.
    """

    def __init__(self, config: dict[str, Any] | None = None, csv: CsvData | None = None):
        self.lock = threading.RLock()
        self.csv = csv
        self.history: list[dict[str, Any]] = []
        self.data_version = 0
        cfg = dict(config or {})
        if csv is not None and "dataset" not in cfg:
            cfg["dataset"] = "csv"
            cfg.setdefault("loss", LOSSES_BY_TASK[csv.task][0])
        self.configure(cfg)

    # ------------------------------------------------------------------ configuration
    def configure(self, raw: dict[str, Any], keep_data: bool = False) -> None:
        """Apply a configuration: new data (unless ``keep_data``), a new network, a fresh start."""
        with self.lock:
            cfg = normalize_config(raw, csv_loaded=self.csv is not None)
            old = getattr(self, "config", None)
            data_keys = ("dataset", "noise", "points", "test_split", "data_seed", "x_column", "y_column")
            new_data = not keep_data or old is None or any(old.get(k) != cfg.get(k) for k in data_keys)
            if new_data:
                self._make_data(cfg)
            task = self.task
            if cfg["loss"] not in LOSSES_BY_TASK[task]:
                cfg["loss"] = LOSSES_BY_TASK[task][0]
            soft = ("learning_rate", "speed", "l2", "batch_size", "dropout", "optimizer")
            if (keep_data and not new_data and old is not None and not self.diverged
                    and all(old.get(k) == cfg.get(k) for k in cfg if k not in soft)):
                # Training settings only: the network keeps its weights and goes on from here.
                self.config = cfg
                if old["optimizer"] != cfg["optimizer"]:
                    self.optimizer = get_optimizer(cfg["optimizer"])
                self.dropout = self.net.dropout_rates(cfg["dropout"]) if len(cfg["hidden"]) and cfg["dropout"] else None
                self._pos = 0
                self.stepthrough = None
                return
            self.config = cfg
            self._build()

    def _make_data(self, cfg: dict[str, Any]) -> None:
        name, n, noise, seed = cfg["dataset"], cfg["points"], cfg["noise"], cfg["data_seed"]
        self.feature_names = ["x₁", "x₂"]
        self.classes: list[Any] | None = None
        self.target_name = "y"
        if name in DATASETS:
            X, y = builtin_dataset(name, n, noise, seed)
        else:  # csv
            X, y = self.csv.X, self.csv.y
            self.feature_names = list(self.csv.feature_names)
            self.target_name = self.csv.target_name
            self.classes = self.csv.classes
        self.task = DATASETS[name][1] if name in DATASETS else self.csv.task
        if self.task == "multiclass":
            self.n_classes = int(y.max()) + 1 if self.classes is None else len(self.classes)
        elif self.task == "binary":
            self.n_classes = 2
        else:
            self.n_classes = 0
        if self.classes is None and self.task != "regression":
            self.classes = list(range(self.n_classes))
        y = y.astype(np.float64) if self.task == "regression" else y.astype(np.int64)
        stratify = self.task != "regression"
        X_train, X_test, y_train, y_test = train_test_split(X, y, cfg["test_split"], seed=seed, stratify=stratify)
        self.scaler = None
        if name == "csv":  # standardize on the training part; the view shows the standardized plane
            from ..data import StandardScaler

            self.scaler = StandardScaler().fit(X_train)
            X_train, X_test = self.scaler.transform(X_train), self.scaler.transform(X_test)
        self.X_train, self.y_train = np.ascontiguousarray(X_train), np.asarray(y_train)
        self.X_test, self.y_test = np.ascontiguousarray(X_test), np.asarray(y_test)
        n_features = X.shape[1]
        px = cfg.get("x_column", 0) or 0
        py = cfg.get("y_column", 1 if n_features > 1 else 0)
        py = 1 if py is None and n_features > 1 else (py or 0)
        self.plot_columns = (int(px) % n_features, int(py) % n_features)
        self._set_extent()
        self.data_version += 1

    def _set_extent(self) -> None:
        both = np.vstack([self.X_train, self.X_test])
        px, py = self.plot_columns
        lo = both[:, [px, py]].min(axis=0)
        hi = both[:, [px, py]].max(axis=0)
        pad = 0.1 * np.maximum(hi - lo, 1e-9) + 0.2
        self.extent = [float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])]

    @property
    def n_outputs(self) -> int:
        loss = self.config["loss"]
        if self.task == "regression":
            return 1
        if self.task == "binary":
            return 2 if loss == "categorical_crossentropy" else 1
        return self.n_classes

    @property
    def output_activation(self) -> str:
        loss = self.config["loss"]
        if self.task == "regression":
            return "identity"
        return "softmax" if loss == "categorical_crossentropy" else "sigmoid"

    def _build(self) -> None:
        """A new network, optimizer and training state from ``self.config``."""
        cfg = self.config
        sizes = [self.X_train.shape[1], *cfg["hidden"], self.n_outputs]
        acts = [*cfg["activations"], self.output_activation]
        init = cfg["init"]
        self.net = Network(sizes, acts, cfg["loss"], init=None if init == "course" else init, seed=cfg["seed"])
        if init == "course":
            # The course's initialize_parameters: np.random.seed(seed); W[l] = randn(n_l, n_{l-1}) * 0.01,
            # drawn layer after layer (a RandomState with the same seed gives the same numbers).
            rs = np.random.RandomState(cfg["seed"])
            for W in self.net.weights:
                W[...] = rs.randn(*W.shape) * 0.01
        self.optimizer = get_optimizer(cfg["optimizer"])
        self.rng = np.random.default_rng(cfg["seed"])
        self.Xc_train = np.ascontiguousarray(self.X_train.T)
        self.Xc_test = np.ascontiguousarray(self.X_test.T)
        self.Yc_train = self._targets(self.y_train)
        self.Yc_test = self._targets(self.y_test)
        self.dropout = self.net.dropout_rates(cfg["dropout"]) if len(cfg["hidden"]) and cfg["dropout"] else None
        self.grad = np.zeros_like(self.net.params)
        self._caches: dict[int, Any] = {}
        self.epoch = 0
        self.iteration = 0
        self._perm = np.arange(self.X_train.shape[0])
        self._pos = 0
        self.diverged: str | None = None
        self.last: dict[str, Any] | None = None  # the last update: batch, cache, gradient, before/after
        self.stepthrough: dict[str, Any] | None = None
        self.history = []
        self.grad_norms = [0.0] * self.net.n_layers
        self._record()

    def _targets(self, y: np.ndarray) -> np.ndarray:
        net = self.net
        m = y.shape[0]
        if self.task == "regression":
            return net.targets(y.reshape(-1, 1), m)
        if net.activations[-1].name == "softmax":
            return net.targets(y, m)  # integer labels: one-hot
        if self.n_outputs == 1:
            return net.targets(y.reshape(-1, 1).astype(np.float64), m)
        one_hot = np.zeros((m, self.n_outputs))
        one_hot[np.arange(m), y] = 1
        return net.targets(one_hot, m)

    # ------------------------------------------------------------------ data edits
    def add_point(self, x: float, y: float, label: float) -> None:
        """Add a training point at plane coordinates (x, y) (other features at their mean, 0)."""
        with self.lock:
            if self.task == "regression":
                value = _num(label, "label", -1e6, 1e6)
            else:
                value = _num(label, "label", 0, self.n_classes - 1, integer=True)
            row = np.zeros((1, self.X_train.shape[1]))
            px, py = self.plot_columns
            row[0, px] = _num(x, "x", -1e6, 1e6)
            row[0, py] = _num(y, "y", -1e6, 1e6)
            self.X_train = np.vstack([self.X_train, row])
            self.y_train = np.append(self.y_train, value).astype(self.y_train.dtype)
            self._data_changed()

    def remove_point(self, x: float, y: float, radius: float) -> bool:
        """Remove the point (training or test) nearest (x, y) within ``radius``; True if one was."""
        with self.lock:
            px, py = self.plot_columns
            best = None
            for part in ("train", "test"):
                X = getattr(self, f"X_{part}")
                if len(X) == 0:
                    continue
                d = np.hypot(X[:, px] - float(x), X[:, py] - float(y))
                k = int(np.argmin(d))
                if d[k] <= float(radius) and (best is None or d[k] < best[2]):
                    best = (part, k, d[k])
            if best is None:
                return False
            part, k, _ = best
            X, yv = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
            if part == "train" and len(X) <= 2:
                raise ValidationError("points: the training set needs at least 2 points")
            if part == "test" and len(X) <= 1:
                raise ValidationError("points: the test set needs at least 1 point")
            setattr(self, f"X_{part}", np.delete(X, k, axis=0))
            setattr(self, f"y_{part}", np.delete(yv, k))
            self._data_changed()
            return True

    def _data_changed(self) -> None:
        """The data changed but the network keeps its weights (training goes on from here)."""
        self.Xc_train = np.ascontiguousarray(self.X_train.T)
        self.Xc_test = np.ascontiguousarray(self.X_test.T)
        self.Yc_train = self._targets(self.y_train)
        self.Yc_test = self._targets(self.y_test)
        self._perm = np.arange(self.X_train.shape[0])
        self._pos = 0
        self._caches = {}
        self.last = None
        self.stepthrough = None
        self.data_version += 1

    def load_csv(self, text: str, target: str | int | None = None) -> None:
        """Use an uploaded CSV as the data (dataset ``"csv"``)."""
        with self.lock:
            self.csv = parse_csv(text, target)
            cfg = dict(self.config)
            cfg.update(dataset="csv", x_column=0, y_column=1 if self.csv.X.shape[1] > 1 else 0)
            if cfg["loss"] not in LOSSES_BY_TASK[self.csv.task]:
                cfg["loss"] = LOSSES_BY_TASK[self.csv.task][0]
            self.configure(cfg)

    # ------------------------------------------------------------------ training
    def _batch_size(self) -> int:
        m = self.X_train.shape[0]
        bs = self.config["batch_size"]
        return m if bs <= 0 or bs >= m else bs

    def _cache(self, m: int):
        cache = self._caches.get(m)
        if cache is None:
            cache = self._caches[m] = self.net.make_cache(m)
        return cache

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The next mini-batch (A0 (n_0, b), Y (n_L, b), indices or None for the whole set)."""
        m = self.X_train.shape[0]
        bs = self._batch_size()
        if bs == m:
            return self.Xc_train, self.Yc_train, None
        if self._pos == 0:
            self._perm = self.rng.permutation(m)
        idx = self._perm[self._pos : self._pos + bs]
        return np.ascontiguousarray(self.Xc_train[:, idx]), np.ascontiguousarray(self.Yc_train[:, idx]), idx

    def _forward_backward(self, A0: np.ndarray, Y: np.ndarray, with_cost: bool = True):
        """Forward (training mode: dropout) and backward on one batch; the gradient into self.grad.

        Returns (cache, J or None, ‖gradient‖²). A gradient that overflowed raises DivergenceError.
        """
        net = self.net
        m = A0.shape[1]
        cost = None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            cache = net.forward_columns(A0, self._cache(m), training=True, dropout=self.dropout, rng=self.rng)
            net.backward_columns(cache, Y, 1.0 / m, out=self.grad)
            if with_cost:  # the cost reads the cache after the backward pass (it may use dA[L] as scratch)
                cost = net.cost_columns(cache, Y, 1.0 / m)
            if self.config["l2"]:
                penalty = net.add_l2(self.grad, self.config["l2"] / m)
                cost = None if cost is None else cost + penalty
        g2 = float(self.grad @ self.grad)
        if not (math.isfinite(g2) and (cost is None or math.isfinite(cost))):
            cost = float("nan") if cost is None else cost
            raise DivergenceError(
                f"at epoch {self.epoch}, iteration {self.iteration + 1} the cost ({cost:.4g}) or the gradient "
                f"overflowed to inf or NaN (|parameters| up to {float(np.max(np.abs(net.params))):.3g}): "
                "lower the learning rate and press reset"
            )
        return cache, cost, g2

    def _iterate(self, record: bool) -> None:
        """One update on the next mini-batch; ``record``: keep what the equation panel shows."""
        A0, Y, idx = self._next_batch()
        cache, cost, g2 = self._forward_backward(A0, Y, with_cost=record)
        before = self.net.params.copy() if record else None
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing step raises DivergenceError
            self.optimizer.step(self.net.params, self.grad, self.config["learning_rate"], grad_sq_norm=g2)
        if not np.isfinite(self.net.params).all():
            np.copyto(self.net.params, before if before is not None else np.nan_to_num(self.net.params))
            raise DivergenceError(f"at iteration {self.iteration + 1} the update made parameters inf or NaN")
        self.iteration += 1
        m_train = self.X_train.shape[0]
        self._pos += A0.shape[1]
        if self._pos >= m_train:
            self._pos = 0
            self.epoch += 1
        if record:
            self.last = {"A0": A0, "Y": Y, "idx": idx, "cache": cache, "grad": self.grad.copy(), "cost": cost,
                         "before": before, "after": self.net.params.copy(), "iteration": self.iteration,
                         "dropout": self.dropout is not None}

    def train(self, epochs: int = 0, iterations: int = 0, budget: float | None = None) -> None:
        """Run ``epochs`` epochs or ``iterations`` updates; ``budget``: stop after that many seconds."""
        deadline = None if budget is None else time.perf_counter() + budget
        with self.lock:
            if self.diverged:
                return
            self.stepthrough = None
            try:
                if iterations:
                    for k in range(iterations):
                        self._iterate(record=k == iterations - 1)
                else:
                    target = self.epoch + epochs
                    while self.epoch < target:
                        last = self.epoch == target - 1 and self._pos + self._batch_size() >= self.X_train.shape[0]
                        if deadline is not None and not last and time.perf_counter() > deadline:
                            last = True
                        self._iterate(record=last)
                        if last and deadline is not None and time.perf_counter() > deadline:
                            break
            except DivergenceError as exc:
                self.diverged = self._diverged_message(exc)
                self.last = None
            self._grad_norms()
            self._record()

    def _diverged_message(self, exc: DivergenceError) -> str:
        """The engine's DivergenceError, said where it happened and what to do."""
        text = str(exc)
        if "lower the learning rate" not in text:
            text = f"at epoch {self.epoch}, iteration {self.iteration + 1}: {text}; lower the learning rate and press reset"
        return text

    def _grad_norms(self) -> None:
        dW, _ = self.net.unflatten(self.grad)
        self.grad_norms = [float(np.sqrt(np.sum(d * d))) if np.isfinite(d).all() else float("nan") for d in dW]

    # ------------------------------------------------------------------ metrics
    def _metrics(self, Xc: np.ndarray, Yc: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
        net = self.net
        m = Xc.shape[1]
        if m == 0:
            return None, None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            cache = net.forward_columns(Xc, self._cache_eval(m))
            cost = net.cost_columns(cache, Yc, 1.0 / m)
            out = cache.A[net.n_layers]
            if self.task == "regression":
                resid = out[0] - y
                total = float(np.sum((y - y.mean()) ** 2))
                acc = 1.0 - float(resid @ resid) / total if total > 0 else None
            elif out.shape[0] == 1:
                acc = float(np.mean((out[0] > 0.5) == (y == 1)))
            else:
                acc = float(np.mean(out.argmax(axis=0) == y))
        return _finite(cost), (None if acc is None else _finite(acc))

    def _cache_eval(self, m: int):
        key = ("eval", m)
        cache = self._caches.get(key)
        if cache is None:
            cache = self._caches[key] = self.net.make_cache(m)
        return cache

    def _record(self) -> None:
        tl, ta = self._metrics(self.Xc_train, self.Yc_train, self.y_train)
        vl, va = self._metrics(self.Xc_test, self.Yc_test, self.y_test)
        if self.diverged is None and (tl is None or (vl is None and self.X_test.shape[0])):
            self.diverged = (f"at epoch {self.epoch} the loss overflowed to inf or NaN: "
                             "lower the learning rate and press reset")
        point = {"epoch": self.epoch, "iteration": self.iteration, "train_loss": tl, "test_loss": vl,
                 "train_accuracy": ta, "test_accuracy": va,
                 "grad_norms": [_finite(g) for g in self.grad_norms]}
        if self.history and self.history[-1]["iteration"] == self.iteration:
            self.history[-1] = point
        else:
            self.history.append(point)
        if len(self.history) > 4000:  # keep the curves light: thin the old half
            self.history = self.history[:2000:2] + self.history[2000:]

    # ------------------------------------------------------------------ pictures
    def grid_resolution(self) -> int:
        units = sum(self.config["hidden"])
        return 48 if units <= 64 else 32 if units <= 256 else 20

    def pictures(self) -> dict[str, Any]:
        """The output over the input plane and every neuron's activation, as byte heatmaps.

        The plane is the two plotted features; other features (a CSV with more columns) are
        held at their training mean (0 after standardization): the view is that slice.
        """
        return heatmaps(self)

    def data_payload(self) -> dict[str, Any]:
        px, py = self.plot_columns
        return {
            "version": self.data_version,
            "train": [[float(a), float(b), float(c)] for a, b, c in zip(self.X_train[:, px], self.X_train[:, py], self.y_train)],
            "test": [[float(a), float(b), float(c)] for a, b, c in zip(self.X_test[:, px], self.X_test[:, py], self.y_test)],
            "task": self.task,
            "classes": self.classes,
            "feature_names": self.feature_names,
            "target_name": self.target_name,
            "plot_columns": list(self.plot_columns),
            "extent": self.extent,
            "csv": None if self.csv is None else {"features": self.csv.feature_names, "target": self.csv.target_name},
        }

    # ------------------------------------------------------------------ state for the page
    def snapshot(self, since: int = 0, data_version: int = -1, select: dict | None = None) -> dict[str, Any]:
        """Everything the page draws, from the engine."""
        with self.lock:
            net = self.net
            since = max(0, min(int(since), len(self.history)))
            snap = {
                "config": self.config,
                "task": self.task,
                "layer_sizes": list(net.layer_sizes),
                "activations": [a.name for a in net.activations],
                "loss": net.loss.name,
                "epoch": self.epoch,
                "iteration": self.iteration,
                "batch_size": self._batch_size(),
                "n_train": int(self.X_train.shape[0]),
                "n_test": int(self.X_test.shape[0]),
                "diverged": self.diverged,
                "metrics": self.history[-1] if self.history else None,
                "history": self.history[since:],
                "history_length": len(self.history),
                "weights": [np.nan_to_num(W).round(6).tolist() for W in net.weights],
                "biases": [np.nan_to_num(b[:, 0]).round(6).tolist() for b in net.biases],
                "pictures": self.pictures(),
                "stepthrough": self._stepthrough_view(),
                "options": {"losses": LOSSES_BY_TASK[self.task], "activations": HIDDEN_ACTIVATIONS,
                            "optimizers": OPTIMIZER_NAMES, "datasets": {k: v[0] for k, v in DATASETS.items()},
                            "dataset_defaults": {k: {"noise": v[2], "points": v[3]} for k, v in DATASETS.items()},
                            "inits": INITS, "limits": LIMITS, "output_activation": self.output_activation},
            }
            if data_version != self.data_version:
                snap["data"] = self.data_payload()
            if select:
                try:
                    from .explain_panel import explain

                    snap["explain"] = explain(self, select)
                except ValidationError as exc:
                    snap["explain"] = {"error": str(exc)}
            return snap

    # ------------------------------------------------------------------ step through
    def stepthrough_action(self, action: str) -> None:
        """'start' a walk through one iteration, go to the 'next' phase, or 'stop'."""
        with self.lock:
            stepthrough_action(self, action)

    def _stepthrough_view(self) -> dict[str, Any] | None:
        st = self.stepthrough
        if st is None:
            return None
        from .explain_panel import stepthrough_phase

        return stepthrough_phase(self, st)
