"""The bad-input catalogue: every public entry point against the mistakes users really make.

Each row of the tables below is one call with one bad argument. The call must raise the
library's documented exception (:class:`ValidationError`, :class:`ShapeError`,
:class:`InputTypeError`, or ``FileNotFoundError``/``IsADirectoryError`` for paths) and its
message must name the argument and echo the received value (the ``needles``). A second
table lists inputs that look odd but must work (ints for floats, bools, a batch larger
than the data, one sample, one class). ``test_catalogue_size`` counts the rows.

Entry points later issues add (``backprop.io``, more CLI commands, ``backprop.sklearn``)
extend these tables in the same form.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import backprop as bp
import backprop.data as bd
import backprop.optim as bo
from backprop import shallow
from backprop.cli import main as cli_main
from backprop.core.validation import (
    BackpropError,
    InputTypeError,
    ShapeError,
    ValidationError,
)
from backprop.train import Callback

VE, SE, TE = ValidationError, ShapeError, InputTypeError

# ---------------------------------------------------------------------------------- data
_rng = np.random.default_rng(8)
X = _rng.normal(size=(12, 3))
y = (X[:, 0] > 0).astype(np.int64)  # binary labels
y3 = np.arange(12) % 3  # three classes
Yr = _rng.normal(size=(12, 2))  # regression targets, two outputs
X_nan = X.copy()
X_nan[2, 1] = np.nan
X_inf = X.copy()
X_inf[0, 0] = np.inf


def binary(dtype=np.float64) -> bp.Network:
    return bp.Network([3, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", seed=0, dtype=dtype)


def multi() -> bp.Network:
    return bp.Network([3, 5, 3], ["relu", "softmax"], "categorical_crossentropy", seed=0)


def regressor() -> bp.Network:
    return bp.Network([3, 4, 2], ["tanh", "identity"], "mse", seed=0)


SEED_PARAMS = shallow.initialize_parameters(2, 4, 1)
XS = _rng.normal(size=(2, 7))  # the course's layout: (n_x, m)
YS = (XS[0:1] > 0).astype(np.int64)


@dataclass
class Case:
    id: str
    call: Callable[[Any], Any]  # receives the ``files`` fixture (paths of prepared files)
    exc: type[BaseException]
    needles: tuple[str, ...]


CASES: list[Case] = []


def bad(id: str, exc: type[BaseException], needles, call: Callable[[Any], Any]) -> None:
    CASES.append(Case(id, call, exc, tuple(needles)))


# ============================================================ X: every entry point taking one
X_BAD = [
    ("None", None, TE, ["X", "None"]),
    ("1-D", X[0], SE, ["X", "(3,)", "reshape"]),
    ("3-D", X[None], SE, ["X", "(1, 12, 3)"]),
    ("scalar", 5.0, SE, ["X", "()"]),
    ("transposed", X.T, SE, ["X", "(3, 12)", "transposed"]),
    ("wrong-features", X[:, :2], SE, ["X", "(12, 2)", "3 features"]),
    ("empty", X[:0], VE, ["X", "(0, 3)"]),
    ("NaN", X_nan, VE, ["X", "NaN"]),
    ("inf", X_inf, VE, ["X", "inf"]),
    ("strings", X.astype(str), TE, ["X", "dtype <U"]),
    ("object", X.astype(object), TE, ["X", "object"]),
    ("complex", X + 0j, TE, ["X", "complex"]),
    ("ragged", [[1.0, 2.0, 3.0], [4.0, 5.0]], TE, ["X", "rectangular"]),
    ("dict", {"a": [1, 2, 3]}, TE, ["X", "{'a': [1, 2, 3]}"]),
    ("str", "train.csv", TE, ["X", "'train.csv'"]),
]
X_ENTRY_POINTS = {
    "forward": lambda Xb: binary().forward(Xb),
    "predict": lambda Xb: binary().predict(Xb),
    "predict_proba": lambda Xb: binary().predict_proba(Xb),
    "cost": lambda Xb: binary().cost(Xb, y),
    "cost_and_gradient": lambda Xb: binary().cost_and_gradient(Xb, y),
    "fit": lambda Xb: binary().fit(Xb, y, epochs=1),
    "partial_fit": lambda Xb: binary().partial_fit(Xb, y),
    "evaluate": lambda Xb: binary().evaluate(Xb, y),
    "check_gradients": lambda Xb: bp.check_gradients(binary(), Xb, y),
    "fit.validation_data": lambda Xb: binary().fit(X, y, epochs=1, validation_data=(Xb, y)),
}
for entry, fn in X_ENTRY_POINTS.items():
    for name, value, exc, needles in X_BAD:
        if entry == "fit.validation_data":
            if name in ("transposed", "wrong-features", "empty", "None"):
                needles = ["validation_data[0]"] + needles[1:]
            else:
                continue  # the same check as X itself; its name is tested above
        bad(f"{entry}/X={name}", exc, needles, lambda f, fn=fn, v=value: fn(v))

# ============================================================ Y, the targets
Y_BAD_BINARY = [
    ("None", None, TE, ["Y", "None"]),
    ("short", y[:11], SE, ["Y", "12", "11"]),
    ("NaN", np.where(y == 1, np.nan, 0.0), VE, ["Y", "NaN"]),
    ("strings", np.where(y == 1, "yes", "no"), TE, ["Y", "dtype <U"]),
    ("three-classes-for-binary", y3, VE, ["Y", "[0, 1]", "2.0"]),
    ("negative", -y, VE, ["Y", "[0, 1]", "-1.0"]),
    ("two-columns", np.c_[y, y], SE, ["Y", "(12, 2)"]),
    ("3-D", y[None, :, None], SE, ["Y", "(1, 12, 1)"]),
]
Y_BAD_MULTI = [
    ("unseen-label", np.r_[y3[:-1], 3], VE, ["Y", "[0, 2]", "3.0"]),
    ("negative-label", np.r_[y3[:-1], -1], VE, ["Y", "[0, 2]", "-1.0"]),
    ("fractional-label", np.r_[y3[:-1], 0.5], VE, ["Y", "0.5"]),
    ("one-hot-too-narrow", bd.one_hot(y3 % 2), SE, ["Y", "(12, 2)"]),
    ("probabilities-above-1", bd.one_hot(y3) * 2, VE, ["Y", "[0, 1]", "2.0"]),
]
Y_BAD_REGRESSION = [
    ("1-D-for-two-outputs", Yr[:, 0], SE, ["Y", "(12,)", "(12, 2)"]),
    ("1-D-ints-for-two-outputs", y, SE, ["Y", "(12,)", "(12, 2)"]),
    ("transposed", Yr.T, SE, ["Y", "(2, 12)"]),
]
Y_ENTRY_POINTS = {
    "cost_and_gradient": lambda net, Yb: net.cost_and_gradient(X, Yb),
    "cost": lambda net, Yb: net.cost(X, Yb),
    "backward": lambda net, Yb: net.backward(net.forward(X)[1], Yb),
    "fit": lambda net, Yb: net.fit(X, Yb, epochs=1),
    "partial_fit": lambda net, Yb: net.partial_fit(X, Yb),
    "evaluate": lambda net, Yb: net.evaluate(X, Yb),
    "check_gradients": lambda net, Yb: bp.check_gradients(net, X, Yb),
}
for entry, fn in Y_ENTRY_POINTS.items():
    for make, table in ((binary, Y_BAD_BINARY), (multi, Y_BAD_MULTI), (regressor, Y_BAD_REGRESSION)):
        for name, value, exc, needles in table:
            if entry in ("fit", "partial_fit") and name == "strings":
                continue  # text labels are labels since issue 16 (tests/test_labels_api.py)
            bad(f"{entry}/{make.__name__}/Y={name}", exc, needles, lambda f, fn=fn, m=make, v=value: fn(m(), v))
bad("fit/validation_data/Y=unseen-label", VE, ["validation_data[1]", "3.0"],
    lambda f: multi().fit(X, y3, epochs=1, validation_data=(X, np.r_[y3[:-1], 3])))
bad("fit/validation_data/Y=short", SE, ["validation_data[1]", "11"],
    lambda f: multi().fit(X, y3, epochs=1, validation_data=(X, y3[:-1])))

# ============================================================ sample_weight
W_BAD = [
    ("short", np.ones(11), SE, ["sample_weight", "12", "11"]),
    ("negative", np.r_[np.ones(11), -1.0], VE, ["sample_weight", "-1.0"]),
    ("all-zero", np.zeros(12), VE, ["sample_weight", "0.0"]),
    ("NaN", np.r_[np.ones(11), np.nan], VE, ["sample_weight", "NaN"]),
    ("2-D", np.ones((12, 1)), SE, ["sample_weight", "(12, 1)"]),
    ("strings", np.array(["1"] * 12), TE, ["sample_weight", "dtype <U"]),
]
for entry, fn in {
    "cost_and_gradient": lambda w: binary().cost_and_gradient(X, y, sample_weight=w),
    "backward": lambda w: (lambda n: n.backward(n.forward(X)[1], y, sample_weight=w))(binary()),
    "fit": lambda w: binary().fit(X, y, epochs=1, sample_weight=w),
    "evaluate": lambda w: binary().evaluate(X, y, sample_weight=w),
    "check_gradients": lambda w: bp.check_gradients(binary(), X, y, sample_weight=w),
}.items():
    for name, value, exc, needles in W_BAD:
        bad(f"{entry}/sample_weight={name}", exc, needles, lambda f, fn=fn, v=value: fn(v))

# ============================================================ Network construction
NET_BAD = [
    ("layer_sizes=None", dict(layer_sizes=None), TE, ["layer_sizes", "None"]),
    ("layer_sizes=str", dict(layer_sizes="3,4,1"), TE, ["layer_sizes", "'3,4,1'"]),
    ("layer_sizes=dict", dict(layer_sizes={"in": 3}), TE, ["layer_sizes", "{'in': 3}"]),
    ("layer_sizes=int", dict(layer_sizes=3), TE, ["layer_sizes", "3"]),
    ("layer_sizes=one", dict(layer_sizes=[3]), VE, ["layer_sizes", "[3]"]),
    ("layer_sizes=empty", dict(layer_sizes=[]), VE, ["layer_sizes", "[]"]),
    ("layer_sizes=zero", dict(layer_sizes=[3, 0, 1]), VE, ["layer_sizes[1]", "0"]),
    ("layer_sizes=negative", dict(layer_sizes=[3, -4, 1]), VE, ["layer_sizes[1]", "-4"]),
    ("layer_sizes=float", dict(layer_sizes=[3, 2.5, 1]), TE, ["layer_sizes[1]", "2.5"]),
    ("layer_sizes=bool", dict(layer_sizes=[3, True, 1]), TE, ["layer_sizes[1]", "True"]),
    ("layer_sizes=str-entry", dict(layer_sizes=[3, "4", 1]), TE, ["layer_sizes[1]", "'4'"]),
    ("layer_sizes=None-entry", dict(layer_sizes=[3, None, 1]), TE, ["layer_sizes[1]", "None"]),
    ("activations=unknown", dict(activations="tanhh"), VE, ["activation", "'tanhh'"]),
    ("activations=count", dict(activations=["tanh"]), VE, ["activations", "(2)", "1"]),
    ("activations=None", dict(activations=None), TE, ["activations", "None"]),
    ("activations=int", dict(activations=5), TE, ["activations", "5"]),
    ("activations=None-entry", dict(activations=[None, "sigmoid"]), TE, ["activation", "None"]),
    ("activations=dict", dict(activations={"tanh": 1}), TE, ["activations", "{'tanh': 1}"]),
    ("loss=unknown", dict(loss="mse2"), VE, ["loss", "'mse2'"]),
    ("loss=None", dict(loss=None), TE, ["loss", "None"]),
    ("loss=int", dict(loss=1), TE, ["loss", "1"]),
    ("loss=bce-with-identity-output", dict(activations=["tanh", "identity"]), VE,
     ["loss", "'binary_crossentropy'", "'identity'"]),
    ("softmax-with-one-unit", dict(layer_sizes=[3, 1], activations="softmax", loss="cce"), VE, ["softmax", "1"]),
    ("dtype=int32", dict(dtype="int32"), VE, ["dtype", "int32"]),
    ("dtype=float16", dict(dtype=np.float16), VE, ["dtype", "float16"]),
    ("dtype=bogus", dict(dtype="bogus"), TE, ["dtype", "'bogus'"]),
    ("init=unknown", dict(init="zeros"), VE, ["init", "'zeros'"]),
    ("init=int", dict(init=5), TE, ["init", "5"]),
    ("init=count", dict(init=["he_normal"] * 3), VE, ["init", "(2)", "3"]),
    ("init=wrong-shape", dict(init=lambda o, i, rng, dt: np.zeros((2, 2))), SE, ["init", "(4, 3)", "(2, 2)"]),
    ("seed=str", dict(seed="abc"), TE, ["seed", "'abc'"]),
    ("seed=negative", dict(seed=-1), VE, ["seed", "-1"]),
    ("seed=float", dict(seed=1.5), TE, ["seed", "1.5"]),
]
for name, kwargs, exc, needles in NET_BAD:
    args = {"layer_sizes": [3, 4, 1], "activations": ["tanh", "sigmoid"], "loss": "binary_crossentropy", **kwargs}
    bad(f"Network/{name}", exc, needles, lambda f, a=args: bp.Network(**a))


def _set_params(value):
    net = binary()
    net.params = value


bad("Network.params=wrong-size", SE, ["params", "(21,)", "(3,)"], lambda f: _set_params(np.zeros(3)))
bad("Network.params=NaN", VE, ["params", "NaN"], lambda f: _set_params(np.full(21, np.nan)))
bad("Network.params=strings", TE, ["params", "dtype <U"], lambda f: _set_params(np.full(21, "0")))
bad("Network.astype=int", VE, ["dtype", "int64"], lambda f: binary().astype(np.int64))
bad("Network.initialize/seed=str", TE, ["seed", "'x'"], lambda f: binary().initialize(seed="x"))

# ============================================================ forward/backward options
bad("forward/dropout-without-rng", VE, ["rng", "None"],
    lambda f: bp.Network([3, 4, 4, 1], "tanh", "mse").forward(X, training=True, dropout=[0.5, 0.5]))
bad("forward/rng=int", TE, ["rng", "5"],
    lambda f: bp.Network([3, 4, 4, 1], "tanh", "mse").forward(X, training=True, dropout=[0.5, 0.5], rng=5))
bad("forward/dropout=1.0", VE, ["dropout[0]", "1.0"],
    lambda f: bp.Network([3, 4, 1], "tanh", "mse").forward(X, training=True, dropout=[1.0], rng=np.random.default_rng()))
bad("forward/dropout=negative", VE, ["dropout[0]", "-0.5"],
    lambda f: bp.Network([3, 4, 1], "tanh", "mse").forward(X, training=True, dropout=[-0.5], rng=np.random.default_rng()))
bad("forward/dropout=too-few", VE, ["dropout", "(2)", "1"],
    lambda f: bp.Network([3, 4, 4, 1], "tanh", "mse").forward(X, training=True, dropout=[0.5], rng=np.random.default_rng()))
bad("forward/dropout=str", TE, ["dropout", "'0.5'"],
    lambda f: bp.Network([3, 4, 1], "tanh", "mse").forward(X, training=True, dropout="0.5", rng=np.random.default_rng()))
bad("backward/cache=dict", TE, ["cache", "{}"], lambda f: binary().backward({}, y))
bad("backward/cache=None", TE, ["cache", "None"], lambda f: binary().backward(None, y))
bad("backward/cache-of-other-batch", SE, ["Y", "5", "12"], lambda f: binary().backward(binary().forward(X[:5])[1], y))
for name, l2, exc, needles in [
    ("negative", -1.0, VE, ["l2", "-1.0"]),
    ("NaN", float("nan"), VE, ["l2", "nan"]),
    ("str", "0.1", TE, ["l2", "'0.1'"]),
    ("None", None, TE, ["l2", "None"]),
]:
    bad(f"cost_and_gradient/l2={name}", exc, needles, lambda f, v=l2: binary().cost_and_gradient(X, y, l2=v))
    bad(f"cost/l2={name}", exc, needles, lambda f, v=l2: binary().cost(X, y, l2=v))
    bad(f"check_gradients/l2={name}", exc, needles, lambda f, v=l2: bp.check_gradients(binary(), X, y, l2=v))
    bad(f"fit/l2={name}", exc, needles, lambda f, v=l2: binary().fit(X, y, epochs=1, l2=v))

# ============================================================ check_gradients
bad("check_gradients/net=str", TE, ["net", "str"], lambda f: bp.check_gradients("net", X, y))
bad("check_gradients/net=None", TE, ["net", "None"], lambda f: bp.check_gradients(None, X, y))
for name, kw, exc, needles in [
    ("eps=0", dict(eps=0), VE, ["eps", "0.0"]),
    ("eps=negative", dict(eps=-1e-7), VE, ["eps", "-1e-07"]),
    ("eps=str", dict(eps="1e-7"), TE, ["eps", "'1e-7'"]),
    ("tolerance=0", dict(tolerance=0), VE, ["tolerance", "0.0"]),
    ("tolerance=NaN", dict(tolerance=float("nan")), VE, ["tolerance", "nan"]),
]:
    bad(f"check_gradients/{name}", exc, needles, lambda f, k=kw: bp.check_gradients(binary(), X, y, **k))

# ============================================================ fit options
FIT_BAD = [
    ("epochs=0", dict(epochs=0), VE, ["epochs", "0"]),
    ("epochs=negative", dict(epochs=-5), VE, ["epochs", "-5"]),
    ("epochs=float", dict(epochs=2.5), TE, ["epochs", "2.5"]),
    ("epochs=str", dict(epochs="10"), TE, ["epochs", "'10'"]),
    ("epochs=None", dict(epochs=None), TE, ["epochs", "None"]),
    ("epochs=bool", dict(epochs=True), TE, ["epochs", "True"]),
    ("batch_size=0", dict(batch_size=0), VE, ["batch_size", "0"]),
    ("batch_size=negative", dict(batch_size=-1), VE, ["batch_size", "-1"]),
    ("batch_size=float", dict(batch_size=2.5), TE, ["batch_size", "2.5"]),
    ("batch_size=str", dict(batch_size="32"), TE, ["batch_size", "'32'"]),
    ("batch_size=bool", dict(batch_size=True), TE, ["batch_size", "True"]),
    ("learning_rate=0", dict(learning_rate=0), VE, ["learning_rate", "0.0"]),
    ("learning_rate=negative", dict(learning_rate=-0.1), VE, ["learning_rate", "-0.1"]),
    ("learning_rate=NaN", dict(learning_rate=float("nan")), VE, ["learning_rate", "nan"]),
    ("learning_rate=inf", dict(learning_rate=float("inf")), VE, ["learning_rate", "inf"]),
    ("learning_rate=str", dict(learning_rate="fast"), TE, ["learning_rate", "'fast'"]),
    ("learning_rate=bool", dict(learning_rate=True), TE, ["learning_rate", "True"]),
    ("learning_rate=10**400", dict(learning_rate=10**400), VE, ["learning_rate", "finite", "1000000"]),
    ("dropout=10**400", dict(dropout=10**400), VE, ["dropout", "1000000"]),
    ("learning_rate=schedule-returns-NaN", dict(learning_rate=lambda step: float("nan")), VE,
     ["learning_rate", "nan", "step 0"]),
    ("learning_rate=schedule-returns-negative", dict(learning_rate=lambda step: -0.1), VE,
     ["learning_rate", "-0.1"]),
    ("learning_rate=schedule-returns-str", dict(learning_rate=lambda step: "fast"), TE,
     ["learning_rate", "'fast'"]),
    ("optimizer=unknown", dict(optimizer="adamm"), VE, ["optimizer", "'adamm'"]),
    ("optimizer=int", dict(optimizer=5), TE, ["optimizer", "5"]),
    ("optimizer=None", dict(optimizer=None), TE, ["optimizer", "None"]),
    ("optimizer=class-not-instance", dict(optimizer=bo.Adam), TE, ["optimizer", "Adam"]),
    ("lbfgs-with-mini-batches", dict(optimizer="lbfgs", batch_size=4), VE, ["lbfgs", "batch_size"]),
    ("learning_rate-given-twice", dict(optimizer=bo.Adam(learning_rate=0.1), learning_rate=0.2), VE,
     ["learning_rate"]),
    ("validation_split=1.0", dict(validation_split=1.0), VE, ["validation_split", "1.0"]),
    ("validation_split=negative", dict(validation_split=-0.1), VE, ["validation_split", "-0.1"]),
    ("validation_split=str", dict(validation_split="0.2"), TE, ["validation_split", "'0.2'"]),
    ("validation_split=tiny", dict(validation_split=0.01), VE, ["validation_split", "0.01", "12"]),
    ("validation_split-and-data", dict(validation_split=0.2, validation_data=(X, y)), VE,
     ["validation_data", "validation_split"]),
    ("validation_data=array", dict(validation_data=X), TE, ["validation_data", "(12, 3)"]),
    ("validation_data=one", dict(validation_data=(X,)), TE, ["validation_data", "tuple"]),
    ("dropout=1.0", dict(dropout=1.0), VE, ["dropout", "1.0"]),
    ("dropout=negative", dict(dropout=-0.1), VE, ["dropout", "-0.1"]),
    ("dropout=str", dict(dropout="0.5"), TE, ["dropout", "'0.5'"]),
    ("dropout=count", dict(dropout=[0.5, 0.5]), VE, ["dropout", "(1)", "2"]),
    ("patience=negative", dict(patience=-1, early_stopping=True), VE, ["patience", "-1"]),
    ("min_delta=negative", dict(min_delta=-1.0, early_stopping=True), VE, ["min_delta", "-1.0"]),
    ("monitor=None", dict(monitor=None), TE, ["monitor", "None"]),
    ("monitor=unknown", dict(monitor="val_acc", early_stopping=True, validation_data=(X, y)), VE,
     ["monitor", "'val_acc'"]),
    ("monitor=accuracy-without-validation", dict(monitor="val_accuracy", early_stopping=True), VE,
     ["monitor", "'val_accuracy'"]),
    ("class_weight=unknown", dict(class_weight="auto"), VE, ["class_weight", "'auto'"]),
    ("class_weight=bad-class", dict(class_weight={5: 1.0}), VE, ["class_weight", "5"]),
    ("class_weight=negative", dict(class_weight={0: -1.0}), VE, ["class_weight[0]", "-1.0"]),
    ("class_weight=list", dict(class_weight=[1.0, 2.0]), TE, ["class_weight", "[1.0, 2.0]"]),
    ("clip_norm=0", dict(clip_norm=0), VE, ["clip_norm", "0.0"]),
    ("clip_norm=negative", dict(clip_norm=-1), VE, ["clip_norm", "-1.0"]),
    ("seed=str", dict(seed="abc"), TE, ["seed", "'abc'"]),
    ("seed=negative", dict(seed=-1), VE, ["seed", "-1"]),
    ("seed=str-with-validation_split", dict(seed="abc", validation_split=0.25), TE, ["seed", "'abc'"]),
    ("callbacks=function", dict(callbacks=[print]), TE, ["callbacks[0]", "print"]),
    ("callbacks=None", dict(callbacks=None), TE, ["callbacks", "None"]),
    ("callbacks=bare-callback", dict(callbacks=Callback()), TE, ["callbacks", "Callback"]),
    ("callbacks=class-not-instance", dict(callbacks=[Callback]), TE, ["callbacks[0]", "Callback"]),
    ("comm=int", dict(comm=5), TE, ["comm", "5"]),
]
for name, kwargs, exc, needles in FIT_BAD:
    bad(f"fit/{name}", exc, needles, lambda f, k=kwargs: binary().fit(X, y, **{"epochs": 1, **k}))
bad("fit/class_weight-for-regression", VE, ["class_weight", "regression"],
    lambda f: regressor().fit(X, Yr, epochs=1, class_weight="balanced"))
bad("fit/one-sample-with-validation_split", VE, ["validation_split", "1"],
    lambda f: binary().fit(X[:1], y[:1], epochs=1, validation_split=0.5))
bad("partial_fit/unknown-option", VE, ["partial_fit", "epochs"], lambda f: binary().partial_fit(X, y, epochs=3))
bad("partial_fit/changed-option", VE, ["partial_fit", "learning_rate"],
    lambda f: (lambda n: (n.partial_fit(X, y, learning_rate=0.1), n.partial_fit(X, y, learning_rate=0.2)))(binary()))
bad("partial_fit/features-change", SE, ["X", "(12, 2)"],
    lambda f: (lambda n: (n.partial_fit(X, y), n.partial_fit(X[:, :2], y)))(binary()))
bad("partial_fit/bad-learning_rate", VE, ["learning_rate", "-1.0"], lambda f: binary().partial_fit(X, y, learning_rate=-1))

# ============================================================ optimizers and schedules
OPT_BAD = [
    ("get_optimizer=unknown", lambda: bo.get_optimizer("adamm"), VE, ["optimizer", "'adamm'"]),
    ("get_optimizer=None", lambda: bo.get_optimizer(None), TE, ["optimizer", "None"]),
    ("get_optimizer=typo-kwarg", lambda: bo.get_optimizer("adam", beta1=0.9), TE, ["adam", "beta1"]),
    ("Adam/learning_rate=negative", lambda: bo.Adam(learning_rate=-1), VE, ["learning_rate", "-1.0"]),
    ("Adam/learning_rate=str", lambda: bo.Adam(learning_rate="fast"), TE, ["learning_rate", "'fast'"]),
    ("Adam/beta_1=1", lambda: bo.Adam(beta_1=1.0), VE, ["beta_1", "1.0"]),
    ("Adam/beta_2=negative", lambda: bo.Adam(beta_2=-0.1), VE, ["beta_2", "-0.1"]),
    ("Adam/eps=0", lambda: bo.Adam(eps=0), VE, ["eps", "0.0"]),
    ("AdamW/weight_decay=negative", lambda: bo.AdamW(weight_decay=-1), VE, ["weight_decay", "-1.0"]),
    ("RMSprop/rho=1", lambda: bo.RMSprop(rho=1), VE, ["rho", "1.0"]),
    ("Momentum/momentum=1.5", lambda: bo.Momentum(momentum=1.5), VE, ["momentum", "1.5"]),
    ("Nesterov/momentum=str", lambda: bo.Nesterov(momentum="0.9"), TE, ["momentum", "'0.9'"]),
    ("GradientDescent/learning_rate=0", lambda: bo.GradientDescent(learning_rate=0), VE, ["learning_rate", "0.0"]),
    ("LBFGS/memory=0", lambda: bo.LBFGS(memory=0), VE, ["memory", "0"]),
    ("LBFGS/tol=negative", lambda: bo.LBFGS(tol=-1e-9), VE, ["tol", "-1e-09"]),
    ("step/grad-shape", lambda: bo.Adam().step(np.zeros(3), np.zeros(4), 0.1), SE, ["grad", "(4,)", "(3,)"]),
    ("step/params-2-D", lambda: bo.Adam().step(np.zeros((3, 1)), np.zeros((3, 1)), 0.1), SE, ["params", "(3, 1)"]),
    ("step/lr=NaN", lambda: bo.GradientDescent().step(np.zeros(3), np.zeros(3), float("nan")), VE, ["lr", "nan"]),
    ("step/lr=negative", lambda: bo.GradientDescent().step(np.zeros(3), np.zeros(3), -1.0), VE, ["lr", "-1.0"]),
    ("step/params-int", lambda: bo.GradientDescent().step(np.zeros(3, int), np.zeros(3), 0.1), TE, ["params", "int64"]),
    ("load_state_dict/other-optimizer", lambda: bo.Adam().load_state_dict(bo.RMSprop().state_dict()), VE,
     ["state", "'rmsprop'"]),
    ("load_state_dict=None", lambda: bo.Adam().load_state_dict(None), TE, ["state", "None"]),
    ("get_schedule=unknown", lambda: bo.get_schedule("linear", 0.1), VE, ["schedule", "'linear'"]),
    ("get_schedule=typo-kwarg", lambda: bo.get_schedule("step", 0.1, gamma=0.5), TE, ["step", "gamma"]),
    ("Constant=0", lambda: bo.Constant(0), VE, ["learning_rate", "0.0"]),
    ("Constant=str", lambda: bo.Constant("0.1"), TE, ["learning_rate", "'0.1'"]),
    ("StepDecay/factor=0", lambda: bo.StepDecay(0.1, factor=0), VE, ["factor", "0.0"]),
    ("StepDecay/step_size=0", lambda: bo.StepDecay(0.1, step_size=0), VE, ["step_size", "0"]),
    ("ExponentialDecay/decay_rate=negative", lambda: bo.ExponentialDecay(0.1, decay_rate=-0.5), VE,
     ["decay_rate", "-0.5"]),
    ("InverseTimeDecay/decay_steps=float", lambda: bo.InverseTimeDecay(0.1, decay_steps=1.5), TE,
     ["decay_steps", "1.5"]),
    ("CosineDecay/decay_steps=0", lambda: bo.CosineDecay(0.1, decay_steps=0), VE, ["decay_steps", "0"]),
    ("CosineDecay/alpha=2", lambda: bo.CosineDecay(0.1, alpha=2.0), VE, ["alpha", "2.0"]),
    ("ReduceOnPlateau/factor=1.5", lambda: bo.ReduceOnPlateau(0.1, factor=1.5), VE, ["factor", "1.5"]),
    ("ReduceOnPlateau/patience=negative", lambda: bo.ReduceOnPlateau(0.1, patience=-1), VE, ["patience", "-1"]),
    ("ReduceOnPlateau/monitor=None", lambda: bo.ReduceOnPlateau(0.1, monitor=None), TE, ["monitor", "None"]),
]
OPT_BAD += [
    ("register_activation/name=empty", lambda: bp.register_activation("", np.tanh, lambda Z, A: 1 - A * A), TE,
     ["name", "''"]),
    ("register_activation/name-taken", lambda: bp.register_activation("tanh", np.tanh, lambda Z, A: 1 - A * A), VE,
     ["name", "'tanh'"]),
    ("register_activation/not-callable", lambda: bp.register_activation("mine", 5, None), TE,
     ["function", "derivative"]),
    ("get_activation=int", lambda: bp.get_activation(5), TE, ["activation", "5"]),
    ("get_loss=unknown", lambda: bp.get_loss("hinge"), VE, ["loss", "'hinge'"]),
    ("fit/lbfgs-with-dropout", lambda: binary().fit(X, y, optimizer=bo.LBFGS(), batch_size=None, dropout=0.5), VE,
     ["lbfgs", "dropout"]),
    ("fit/class_weight=float-key", lambda: binary().fit(X, y, epochs=1, class_weight={0.5: 1.0}), VE,
     ["class_weight", "0.5"]),
    ("fit/class_weight=str-value", lambda: binary().fit(X, y, epochs=1, class_weight={0: "2"}), TE,
     ["class_weight[0]", "'2'"]),
    ("fit/validation_data-sample_weight=negative",
     lambda: binary().fit(X, y, epochs=1, validation_data=(X, y, -np.ones(12))), VE, ["sample_weight", "-1.0"]),
]
for name, fn, exc, needles in OPT_BAD:
    bad(f"optim/{name}", exc, needles, lambda f, fn=fn: fn())

# ============================================================ backprop.shallow (the course's functions)
P = SEED_PARAMS


def _with(**changes):
    return {**P, **changes}


SHALLOW_BAD = [
    ("initialize_parameters/n_x=0", lambda: shallow.initialize_parameters(0, 4, 1), VE, ["n_x", "0"]),
    ("initialize_parameters/n_h=negative", lambda: shallow.initialize_parameters(2, -1, 1), VE, ["n_h", "-1"]),
    ("initialize_parameters/n_y=float", lambda: shallow.initialize_parameters(2, 4, 1.0), TE, ["n_y", "1.0"]),
    ("initialize_parameters/seed=str", lambda: shallow.initialize_parameters(2, 4, 1, seed="abc"), TE,
     ["seed", "'abc'"]),
    ("initialize_parameters/seed=negative", lambda: shallow.initialize_parameters(2, 4, 1, seed=-1), VE,
     ["seed", "-1"]),
    ("initialize_parameters/seed=2**32", lambda: shallow.initialize_parameters(2, 4, 1, seed=2**32), VE,
     ["seed", str(2**32)]),
    ("forward_propagation/X=transposed", lambda: shallow.forward_propagation(XS.T, P), SE, ["X", "(7, 2)"]),
    ("forward_propagation/X=NaN", lambda: shallow.forward_propagation(np.full((2, 3), np.nan), P), VE, ["X", "NaN"]),
    ("forward_propagation/X=None", lambda: shallow.forward_propagation(None, P), TE, ["X", "None"]),
    ("forward_propagation/parameters=list", lambda: shallow.forward_propagation(XS, [1, 2]), TE,
     ["parameters", "list"]),
    ("forward_propagation/parameters=None", lambda: shallow.forward_propagation(XS, None), TE,
     ["parameters", "None"]),
    ("forward_propagation/parameters-missing-b2",
     lambda: shallow.forward_propagation(XS, {k: v for k, v in P.items() if k != "b2"}), VE,
     ["parameters", "['W1', 'W2', 'b1']"]),
    ("forward_propagation/b1=wrong-shape", lambda: shallow.forward_propagation(XS, _with(b1=np.zeros(4))), SE,
     ["parameters['b1']", "(4,)", "(4, 1)"]),
    ("forward_propagation/b1=NaN", lambda: shallow.forward_propagation(XS, _with(b1=np.full((4, 1), np.nan))), VE,
     ["parameters['b1']", "NaN"]),
    ("forward_propagation/b2=strings", lambda: shallow.forward_propagation(XS, _with(b2=np.full((1, 1), "0"))), TE,
     ["parameters['b2']", "dtype <U"]),
    ("forward_propagation/W1=1-D", lambda: shallow.forward_propagation(XS, _with(W1=np.zeros(8))), SE,
     ["parameters['W1']", "(8,)"]),
    ("forward_propagation/W2=wrong-shape", lambda: shallow.forward_propagation(XS, _with(W2=np.zeros((1, 3)))), SE,
     ["parameters['W2']", "(1, 3)", "(1, 4)"]),
    ("compute_cost/Y=short", lambda: shallow.compute_cost(np.full((1, 7), 0.5), YS[:, :6]), SE, ["Y", "(1, 6)"]),
    ("compute_cost/Y=None", lambda: shallow.compute_cost(np.full((1, 7), 0.5), None), TE, ["Y", "None"]),
    ("compute_cost/A2=logits", lambda: shallow.compute_cost(np.array([[3.0, -2.0]]), np.array([[1, 0]])), VE,
     ["A2", "[0, 1]", "-2.0", "3.0"]),
    ("compute_cost/Y=labels-1-2", lambda: shallow.compute_cost(np.full((1, 2), 0.5), np.array([[1, 2]])), VE,
     ["Y", "[0, 1]", "2.0"]),
    ("backward_propagation/cache=None", lambda: shallow.backward_propagation(P, None, XS, YS), TE,
     ["cache", "None"]),
    ("backward_propagation/cache-missing-key",
     lambda: shallow.backward_propagation(P, {"Z1": 0}, XS, YS), VE, ["cache", "['Z1']"]),
    ("backward_propagation/cache-other-batch",
     lambda: shallow.backward_propagation(P, shallow.forward_propagation(XS[:, :3], P)[1], XS, YS), SE,
     ["cache['Z1']", "(4, 7)", "(4, 3)"]),
    ("backward_propagation/Y=1-D", lambda: shallow.backward_propagation(P, shallow.forward_propagation(XS, P)[1],
                                                                       XS, YS[0]), SE, ["Y", "(7,)"]),
    ("update_parameters/grads=None", lambda: shallow.update_parameters(P, None), TE, ["grads", "None"]),
    ("update_parameters/grads-missing-key", lambda: shallow.update_parameters(P, {"dW1": P["W1"]}), VE,
     ["grads", "['dW1']"]),
    ("update_parameters/grads=NaN",
     lambda: shallow.update_parameters(P, {"d" + k: np.full_like(v, np.nan) for k, v in P.items()}), VE,
     ["grads['dW1']", "NaN"]),
    ("update_parameters/grads=wrong-shape",
     lambda: shallow.update_parameters(P, {**{"d" + k: v for k, v in P.items()}, "dW2": np.zeros((4, 1))}), SE,
     ["grads['dW2']", "(4, 1)", "(1, 4)"]),
    ("update_parameters/learning_rate=0", lambda: shallow.update_parameters(P, {"d" + k: v for k, v in P.items()}, 0),
     VE, ["learning_rate", "0.0"]),
    ("update_parameters/learning_rate=str",
     lambda: shallow.update_parameters(P, {"d" + k: v for k, v in P.items()}, "1.2"), TE, ["learning_rate", "'1.2'"]),
    ("nn_model/n_h=0", lambda: shallow.nn_model(XS, YS, 0, num_iterations=1), VE, ["n_h", "0"]),
    ("nn_model/num_iterations=negative", lambda: shallow.nn_model(XS, YS, 4, num_iterations=-1), VE,
     ["num_iterations", "-1"]),
    ("nn_model/learning_rate=negative", lambda: shallow.nn_model(XS, YS, 4, num_iterations=0, learning_rate=-1), VE,
     ["learning_rate", "-1.0"]),
    ("nn_model/X=transposed", lambda: shallow.nn_model(XS.T, YS, 4, num_iterations=1), SE,
     ["(7, 2)", "transposed"]),
    ("nn_model/Y=1-D", lambda: shallow.nn_model(XS, YS[0], 4, num_iterations=1), SE, ["Y", "(7,)"]),
    ("nn_model/Y=labels-0-1-2", lambda: shallow.nn_model(XS, np.arange(7)[None] % 3, 4, num_iterations=1), VE,
     ["Y", "[0, 1]", "2.0"]),
    ("nn_model/seed=str", lambda: shallow.nn_model(XS, YS, 4, num_iterations=1, seed="abc"), TE, ["seed", "'abc'"]),
    ("predict/X=transposed", lambda: shallow.predict(P, XS.T), SE, ["X", "(7, 2)"]),
    ("predict/parameters=None", lambda: shallow.predict(None, XS), TE, ["parameters", "None"]),
]
for name, fn, exc, needles in SHALLOW_BAD:
    bad(f"shallow/{name}", exc, needles, lambda f, fn=fn: fn())

# ============================================================ data generators
GENERATORS = {
    "planar_flower": bd.planar_flower,
    "moons": bd.moons,
    "circles": bd.circles,
    "spirals": bd.spirals,
    "xor": bd.xor,
    "blobs": bd.blobs,
}
GEN_BAD = [
    ("n_samples=0", dict(n_samples=0), VE, ["n_samples", "0"]),
    ("n_samples=negative", dict(n_samples=-10), VE, ["n_samples", "-10"]),
    ("n_samples=float", dict(n_samples=100.0), TE, ["n_samples", "100.0"]),
    ("n_samples=str", dict(n_samples="100"), TE, ["n_samples", "'100'"]),
    ("n_samples=None", dict(n_samples=None), TE, ["n_samples", "None"]),
    ("n_samples=bool", dict(n_samples=True), TE, ["n_samples", "True"]),
    ("seed=str", dict(seed="abc"), TE, ["seed", "'abc'"]),
    ("seed=negative", dict(seed=-1), VE, ["seed", "-1"]),
    ("seed=float", dict(seed=1.5), TE, ["seed", "1.5"]),
]
NOISE_BAD = [
    ("noise=negative", -0.1, VE, ["-0.1"]),
    ("noise=NaN", float("nan"), VE, ["nan"]),
    ("noise=str", "0.1", TE, ["'0.1'"]),
]
for gname, gen in GENERATORS.items():
    for name, kwargs, exc, needles in GEN_BAD:
        bad(f"data.{gname}/{name}", exc, needles, lambda f, g=gen, k=kwargs: g(**k))
    noise_arg = "cluster_std" if gname == "blobs" else "noise"
    for name, value, exc, needles in NOISE_BAD:
        bad(f"data.{gname}/{name.replace('noise', noise_arg)}", exc, [noise_arg, *needles],
            lambda f, g=gen, a=noise_arg, v=value: g(**{a: v}))
for name, fn, exc, needles in [
    ("planar_flower/n_samples=1", lambda: bd.planar_flower(1), VE, ["n_samples", "1"]),
    ("planar_flower/seed=2**32", lambda: bd.planar_flower(seed=2**32), VE, ["seed", str(2**32)]),
    ("moons/n_samples=1", lambda: bd.moons(1), VE, ["n_samples", "1"]),
    ("circles/factor=1", lambda: bd.circles(factor=1.0), VE, ["factor", "1.0"]),
    ("circles/factor=0", lambda: bd.circles(factor=0), VE, ["factor", "0.0"]),
    ("spirals/n_classes=1", lambda: bd.spirals(n_classes=1), VE, ["n_classes", "1"]),
    ("spirals/fewer-samples-than-classes", lambda: bd.spirals(n_samples=3, n_classes=4), VE, ["n_samples", "3"]),
    ("xor/n_samples=3", lambda: bd.xor(3), VE, ["n_samples", "3"]),
    ("blobs/centers=0", lambda: bd.blobs(centers=0), VE, ["centers", "0"]),
    ("blobs/centers=str", lambda: bd.blobs(centers="3"), TE, ["centers", "'3'"]),
    ("blobs/centers=None", lambda: bd.blobs(centers=None), TE, ["centers", "None"]),
    ("blobs/centers=NaN", lambda: bd.blobs(centers=[[0.0, np.nan]]), VE, ["centers", "NaN"]),
    ("blobs/centers=1-D", lambda: bd.blobs(centers=[1.0, 2.0]), SE, ["centers", "(2,)"]),
    ("blobs/n_features-mismatch", lambda: bd.blobs(centers=[[0.0, 1.0]], n_features=3), SE, ["centers", "(1, 2)"]),
    ("blobs/n_features=0", lambda: bd.blobs(n_features=0), VE, ["n_features", "0"]),
    ("blobs/fewer-samples-than-centers", lambda: bd.blobs(n_samples=2, centers=3), VE, ["n_samples", "2"]),
]:
    bad(f"data.{name}", exc, needles, lambda f, fn=fn: fn())

# ============================================================ loaders (files prepared by the fixture)
LOADER_BAD = [
    ("load_csv/path=None", lambda f: bd.load_csv(None), TE, ["path", "None"]),
    ("load_csv/path=int", lambda f: bd.load_csv(5), TE, ["path", "5"]),
    ("load_csv/path=missing", lambda f: bd.load_csv(f["missing"]), FileNotFoundError, ["path", "missing.csv"]),
    ("load_csv/path=directory", lambda f: bd.load_csv(f["dir"]), IsADirectoryError, ["path", "adir"]),
    ("load_csv/empty-file", lambda f: bd.load_csv(f["empty"]), VE, ["path", "empty.csv"]),
    ("load_csv/header-only", lambda f: bd.load_csv(f["header_only"]), VE, ["header_only.csv", "no data rows"]),
    ("load_csv/one-column", lambda f: bd.load_csv(f["one_column"]), VE, ["path", "1"]),
    ("load_csv/ragged", lambda f: bd.load_csv(f["ragged"]), VE, ["line 3", "2 fields"]),
    ("load_csv/NaN-feature", lambda f: bd.load_csv(f["nan"]), VE, ["line 1", "'nan'"]),
    ("load_csv/string-feature", lambda f: bd.load_csv(f["string_feature"]), VE, ["line 3", "'abc'"]),
    ("load_csv/empty-cell", lambda f: bd.load_csv(f["empty_cell"]), VE, ["line 1", "missing value"]),
    ("load_csv/binary-file", lambda f: bd.load_csv(f["binary"]), VE, ["path", "UTF-8"]),
    ("load_csv/target=unknown", lambda f: bd.load_csv(f["good_csv"], target="nope"), VE, ["target", "'nope'"]),
    ("load_csv/target=out-of-range", lambda f: bd.load_csv(f["good_csv"], target=10), VE, ["target", "10"]),
    ("load_csv/target=bool", lambda f: bd.load_csv(f["good_csv"], target=True), TE, ["target", "True"]),
    ("load_csv/target=float", lambda f: bd.load_csv(f["good_csv"], target=1.0), TE, ["target", "1.0"]),
    ("load_csv/delimiter=two-chars", lambda f: bd.load_csv(f["good_csv"], delimiter=";;"), TE,
     ["delimiter", "';;'"]),
    ("load_csv/delimiter=None", lambda f: bd.load_csv(f["good_csv"], delimiter=None), TE, ["delimiter", "None"]),
    ("load_csv/header=str", lambda f: bd.load_csv(f["good_csv"], header="yes"), VE, ["header", "'yes'"]),
    ("load_csv/dtype=int", lambda f: bd.load_csv(f["good_csv"], dtype=int), TE, ["dtype", "int64"]),
    ("load_csv/shard=out-of-range", lambda f: bd.load_csv(f["good_csv"], shard=(2, 2)), VE, ["shard", "(2, 2)"]),
    ("load_csv/shard=str", lambda f: bd.load_csv(f["good_csv"], shard="0/2"), TE, ["shard", "'0/2'"]),
    ("load_npz/path=None", lambda f: bd.load_npz(None), TE, ["path", "None"]),
    ("load_npz/path=missing", lambda f: bd.load_npz(f["missing"]), FileNotFoundError, ["path", "missing.csv"]),
    ("load_npz/not-an-archive", lambda f: bd.load_npz(f["good_csv"]), VE, ["path", "good.csv"]),
    ("load_npz/truncated", lambda f: bd.load_npz(f["truncated_npz"]), VE, ["path", "truncated.npz"]),
    ("load_npz/npy-file", lambda f: bd.load_npz(f["npy"]), VE, ["path", "single.npy"]),
    ("load_npz/pickled-objects", lambda f: bd.load_npz(f["pickled"]), TE, ["x_key", "'X'", "pickle"]),
    ("load_npz/x_key=missing", lambda f: bd.load_npz(f["good_npz"], x_key="features"), VE, ["x_key", "'features'"]),
    ("load_npz/x_key=int", lambda f: bd.load_npz(f["good_npz"], x_key=0), TE, ["x_key", "0"]),
    ("load_npz/X=1-D", lambda f: bd.load_npz(f["x_1d"]), SE, ["x_key", "(5,)"]),
    ("load_npz/X=strings", lambda f: bd.load_npz(f["x_str"]), TE, ["x_key", "dtype <U"]),
    ("load_npz/X=NaN", lambda f: bd.load_npz(f["x_nan"]), VE, ["x_key", "NaN"]),
    ("load_npz/y=short", lambda f: bd.load_npz(f["y_short"]), SE, ["y_key", "5", "4"]),
    ("load_npz/y=NaN", lambda f: bd.load_npz(f["y_nan"]), VE, ["y_key", "NaN"]),
    ("load_npz/y=3-D", lambda f: bd.load_npz(f["y_3d"]), SE, ["y_key", "(5, 1, 1)"]),
    ("load_npz/y=complex", lambda f: bd.load_npz(f["y_complex"]), TE, ["y_key", "complex"]),
]
for name, fn, exc, needles in LOADER_BAD:
    bad(f"data.{name}", exc, needles, fn)

# ============================================================ preprocessing
_fitted = bd.StandardScaler().fit(X)
PRE_BAD = [
    ("train_test_split/X=None", lambda: bd.train_test_split(None, y), TE, ["X", "None"]),
    ("train_test_split/y=None", lambda: bd.train_test_split(X, None), TE, ["y", "None"]),
    ("train_test_split/rows-mismatch", lambda: bd.train_test_split(X, y[:10]), SE, ["y", "12", "10"]),
    ("train_test_split/X=1-D", lambda: bd.train_test_split(X[:, 0], y), SE, ["X", "(12,)"]),
    ("train_test_split/y=3-D", lambda: bd.train_test_split(X, y[:, None, None]), SE, ["y", "(12, 1, 1)"]),
    ("train_test_split/test_size=0", lambda: bd.train_test_split(X, y, 0), VE, ["test_size", "0"]),
    ("train_test_split/test_size=1.0", lambda: bd.train_test_split(X, y, 1.0), VE, ["test_size", "1.0"]),
    ("train_test_split/test_size=1.5", lambda: bd.train_test_split(X, y, 1.5), VE, ["test_size", "1.5"]),
    ("train_test_split/test_size=negative", lambda: bd.train_test_split(X, y, -3), VE, ["test_size", "-3"]),
    ("train_test_split/test_size=all", lambda: bd.train_test_split(X, y, 12), VE, ["test_size", "12"]),
    ("train_test_split/test_size=str", lambda: bd.train_test_split(X, y, "0.2"), TE, ["test_size", "'0.2'"]),
    ("train_test_split/test_size=bool", lambda: bd.train_test_split(X, y, True), TE, ["test_size", "True"]),
    ("train_test_split/test_size=NaN", lambda: bd.train_test_split(X, y, float("nan")), VE, ["test_size", "nan"]),
    ("train_test_split/stratify-singleton-class", lambda: bd.train_test_split(X, np.r_[np.zeros(11), 1], stratify=True),
     VE, ["y", "1"]),
    ("train_test_split/stratify=str", lambda: bd.train_test_split(X, y, stratify="yes"), TE, ["stratify", "'yes'"]),
    ("train_test_split/seed=str", lambda: bd.train_test_split(X, y, seed="abc"), TE, ["seed", "'abc'"]),
    ("StandardScaler.transform/unfitted", lambda: bd.StandardScaler().transform(X), VE,
     ["StandardScaler.transform", "fit"]),
    ("StandardScaler.inverse_transform/unfitted", lambda: bd.StandardScaler().inverse_transform(X), VE,
     ["StandardScaler.inverse_transform", "fit"]),
    ("StandardScaler.transform/wrong-features", lambda: _fitted.transform(X[:, :2]), SE, ["X", "(12, 2)", "3"]),
    ("StandardScaler.transform/NaN", lambda: _fitted.transform(X_nan), VE, ["X", "NaN"]),
    ("StandardScaler.fit/empty", lambda: bd.StandardScaler().fit(X[:0]), VE, ["X", "(0, 3)"]),
    ("StandardScaler.fit/strings", lambda: bd.StandardScaler().fit(X.astype(str)), TE, ["X", "dtype <U"]),
    ("StandardScaler.fit/1-D", lambda: bd.StandardScaler().fit(X[:, 0]), SE, ["X", "(12,)"]),
    ("one_hot/negative", lambda: bd.one_hot([0, -1]), VE, ["y", "-1"]),
    ("one_hot/fractional", lambda: bd.one_hot([0, 0.5]), VE, ["y", "0.5"]),
    ("one_hot/strings", lambda: bd.one_hot(["a", "b"]), TE, ["y", "dtype <U"]),
    ("one_hot/n_classes=too-few", lambda: bd.one_hot([0, 2], n_classes=2), VE, ["n_classes", "2"]),
    ("one_hot/n_classes=0", lambda: bd.one_hot([0, 1], n_classes=0), VE, ["n_classes", "0"]),
    ("one_hot/2-D", lambda: bd.one_hot(np.zeros((2, 2), int)), SE, ["y", "(2, 2)"]),
    ("one_hot/empty", lambda: bd.one_hot([]), VE, ["y", "(0,)"]),
    ("one_hot/NaN", lambda: bd.one_hot([0.0, np.nan]), VE, ["y", "NaN"]),
    ("one_hot/None", lambda: bd.one_hot(None), TE, ["y", "None"]),
    ("one_hot/dtype=int", lambda: bd.one_hot([0, 1], dtype=int), TE, ["dtype", "int64"]),
    ("encode_labels/2-D", lambda: bd.encode_labels(np.zeros((2, 2))), SE, ["y", "(2, 2)"]),
    ("encode_labels/empty", lambda: bd.encode_labels([]), VE, ["y", "(0,)"]),
    ("encode_labels/None", lambda: bd.encode_labels(None), TE, ["y", "None"]),
    ("encode_labels/incomparable-objects", lambda: bd.encode_labels(np.array([1, "a", None], dtype=object)), TE,
     ["y", "object"]),
]
for name, fn, exc, needles in PRE_BAD:
    bad(f"data.{name}", exc, needles, lambda f, fn=fn: fn())


# ============================================================ model files (backprop.io)
from backprop import io as bio  # noqa: E402


def _diverged():
    net = binary()
    net.params[0] = np.nan  # written through the view, as a diverged update would
    return net


IO_BAD = [
    ("save/net=None", lambda f: bio.save(None, f["out"]), TE, ["net", "None"]),
    ("save/arguments-swapped", lambda f: bio.save(f["out"], binary()), TE, ["net", "model_out.npz"]),
    ("save/path=int", lambda f: bio.save(binary(), 5), TE, ["path", "5"]),
    ("save/path=None", lambda f: bio.save(binary(), None), TE, ["path", "None"]),
    ("save/path=directory", lambda f: bio.save(binary(), f["dir"]), IsADirectoryError, ["path", "adir"]),
    ("save/path=missing-directory", lambda f: bio.save(binary(), f["dir"] + "/no/such/m.npz"), FileNotFoundError,
     ["path", "no/such"]),
    ("save/metadata=object", lambda f: bio.save(binary(), f["out"], metadata=object()), TE, ["metadata", "object"]),
    ("save/metadata=unserialisable", lambda f: bio.save(binary(), f["out"], metadata={"a": object()}), TE,
     ["metadata", "object"]),
    ("save/classes=three-for-binary", lambda f: bio.save(binary(), f["out"], classes=["a", "b", "c"]), VE,
     ["classes", "2", "3"]),
    ("save/classes=duplicates", lambda f: bio.save(binary(), f["out"], classes=["a", "a"]), VE, ["classes", "'a'"]),
    ("save/classes=mixed-types", lambda f: bio.save(binary(), f["out"], classes=["a", 1]), TE, ["classes", "int", "str"]),
    ("save/classes-for-regression", lambda f: bio.save(regressor(), f["out"], classes=[0, 1]), VE, ["classes", "regression"]),
    ("save/feature_names=count", lambda f: bio.save(binary(), f["out"], feature_names=["a"]), VE,
     ["feature_names", "3", "1"]),
    ("save/feature_names=str", lambda f: bio.save(binary(), f["out"], feature_names="abc"), TE, ["feature_names", "'abc'"]),
    ("save/target_name=int", lambda f: bio.save(binary(), f["out"], target_name=5), TE, ["target_name", "5"]),
    ("save/diverged-network", lambda f: bio.save(_diverged(), f["out"]), VE, ["net", "NaN"]),
    ("Network.save/path=int", lambda f: binary().save(7), TE, ["path", "7"]),
    ("save_checkpoint/trainer=None", lambda f: bio.save_checkpoint(f["out"], None), TE, ["trainer", "None"]),
    ("load/path=None", lambda f: bio.load(None), TE, ["path", "None"]),
    ("load/path=int", lambda f: bio.load(3), TE, ["path", "3"]),
    ("load/path=missing", lambda f: bio.load(f["missing"]), FileNotFoundError, ["path", "missing.csv"]),
    ("load/path=directory", lambda f: bio.load(f["dir"]), IsADirectoryError, ["path", "adir"]),
    ("load/text-file", lambda f: bio.load(f["good_csv"]), bio.ModelFileError, ["good.csv", "not a backprop model file"]),
    ("load/empty-file", lambda f: bio.load(f["empty"]), bio.ModelFileError, ["empty.csv", "not a backprop model file"]),
    ("load/data-npz", lambda f: bio.load(f["good_npz"]), bio.ModelFileError, ["good_npz.npz", "config.npy"]),
    ("load/npy-file", lambda f: bio.load(f["npy"]), bio.ModelFileError, ["single.npy", "not a backprop model file"]),
    ("load/truncated-model", lambda f: bio.load(f["model_truncated"]), bio.ModelFileError, ["model_truncated.npz"]),
    ("load/pickled-params", lambda f: bio.load(f["model_pickled"]), bio.ModelFileError, ["params.npy", "object"]),
    ("load_checkpoint/model-file", lambda f: bio.load_checkpoint(f["model"]), bio.ModelFileError,
     ["model.npz", "not a checkpoint"]),
    ("to_torch_state_dict/str", lambda f: bio.to_torch_state_dict("net"), TE, ["net", "'net'"]),
    ("from_torch_state_dict/list", lambda f: bio.from_torch_state_dict([1], "relu", "mse"), TE, ["state_dict", "[1]"]),
    ("from_torch_state_dict/wrong-keys", lambda f: bio.from_torch_state_dict({"w": np.zeros((2, 2))}, "relu", "mse"),
     VE, ["state_dict", "['w']"]),
    ("from_torch_state_dict/bias-shape",
     lambda f: bio.from_torch_state_dict({"0.weight": np.zeros((2, 3)), "0.bias": np.zeros(3)}, "identity", "mse"), SE,
     ["state_dict['0.bias']", "(2,)", "(3,)"]),
    ("from_torch_state_dict/NaN",
     lambda f: bio.from_torch_state_dict({"0.weight": np.full((2, 3), np.nan), "0.bias": np.zeros(2)}, "identity", "mse"),
     VE, ["state_dict['0.weight']", "NaN"]),
    ("from_torch_state_dict/unknown-activation",
     lambda f: bio.from_torch_state_dict({"0.weight": np.zeros((2, 3)), "0.bias": np.zeros(2)}, "relux", "mse"), VE,
     ["activation", "'relux'"]),
]
for name, fn, exc, needles in IO_BAD:
    bad(f"io.{name}", exc, needles, fn)


# ============================================================ plots (matplotlib is an optional extra)
try:
    import matplotlib  # noqa: F401

    import backprop.plot as bplot
except ImportError:
    bplot = None
_X2, _y2 = X[:, :2], y
_net2 = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
PLOT_BAD = [] if bplot is None else [
    ("decision_boundary/model=None", lambda f: bplot.decision_boundary(None, _X2, _y2), TE, ["model", "None"]),
    ("decision_boundary/X=3-columns", lambda f: bplot.decision_boundary(_net2, X, _y2), SE, ["X", "(12, 3)"]),
    ("decision_boundary/X=NaN", lambda f: bplot.decision_boundary(_net2, X_nan[:, 1:], _y2), VE, ["X", "1 NaN"]),
    ("decision_boundary/X=strings", lambda f: bplot.decision_boundary(_net2, _X2.astype(str), _y2), TE, ["X", "<U"]),
    ("decision_boundary/y=short", lambda f: bplot.decision_boundary(_net2, _X2, _y2[:5]), SE, ["y", "12", "(5,)"]),
    ("decision_boundary/y=None", lambda f: bplot.decision_boundary(_net2, _X2, None), SE, ["y", "None"]),
    ("decision_boundary/model-with-3-inputs", lambda f: bplot.decision_boundary(binary(), _X2, _y2), SE,
     ["model", "3"]),
    ("decision_boundary/path=int", lambda f: bplot.decision_boundary(_net2, _X2, _y2, path=5), TE, ["path", "5"]),
    ("learning_curves/history=None", lambda f: bplot.learning_curves(None), TE, ["history", "None"]),
    ("learning_curves/no-loss", lambda f: bplot.learning_curves({"lr": [0.1]}), VE, ["history", "['lr']"]),
    ("learning_curves/strings", lambda f: bplot.learning_curves({"loss": ["a"]}), TE, ["history", "'a'"]),
    ("gradient_norms/1-D", lambda f: bplot.gradient_norms([1.0, 2.0]), SE, ["norms", "(2,)"]),
    ("gradient_norms/negative", lambda f: bplot.gradient_norms([[1.0, -2.0]]), VE, ["norms", "non-negative"]),
    ("gradient_norms/ragged", lambda f: bplot.gradient_norms([[1.0], [1.0, 2.0]]), TE, ["norms", "rectangular"]),
    ("gradient_norms/str", lambda f: bplot.gradient_norms("norms"), TE, ["norms", "'norms'"]),
]
for name, fn, exc, needles in PLOT_BAD:
    bad(f"plot.{name}", exc, needles, fn)


# ============================================================ backprop.distributed (single process)
import backprop.distributed as bdist  # noqa: E402

DIST_BAD = [
    ("load_shard/path=None", lambda f: bdist.load_shard(None), TE, ["path", "None"]),
    ("load_shard/path=missing", lambda f: bdist.load_shard(f["missing"]), FileNotFoundError, ["path", "missing.csv"]),
    ("load_shard/comm=int", lambda f: bdist.load_shard(f["good_csv"], comm=5), TE, ["comm", "5"]),
    ("evaluate/comm=int", lambda f: bdist.evaluate(binary(), X, y, comm=5), TE, ["comm", "5"]),
    ("root_print/comm=str", lambda f: bdist.root_print("x", comm="world"), TE, ["comm", "'world'"]),
    ("get_comm/mpi=str", lambda f: bdist.get_comm("yes"), TE, ["mpi", "'yes'"]),
    ("fit_scaler/X=str", lambda f: bdist.fit_scaler("abc"), TE, ["X", "'abc'"]),
]
for name, fn, exc, needles in DIST_BAD:
    bad(f"distributed.{name}", exc, needles, fn)


# ============================================================ the fixture and the test
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    paths = {"missing": str(d / "missing.csv"), "dir": str(d / "adir")}
    (d / "adir").mkdir()
    texts = {
        "empty": "",
        "header_only": "a,b,c\n",
        "one_column": "1\n2\n",
        "ragged": "a,b,c\n1,2,0\n3,1\n",
        "nan": "1,nan,0\n2,3,1\n",
        "string_feature": "a,b,c\n1,2,0\nabc,3,1\n",
        "empty_cell": "1,,0\n2,3,1\n",
        "good_csv": "a,b,c\n1,2,0\n3,4,1\n5,6,0\n",
    }
    for key, text in texts.items():
        name = "good.csv" if key == "good_csv" else f"{key}.csv"
        (d / name).write_text(text)
        paths[key] = str(d / name)
    (d / "binary.csv").write_bytes(b"\xff\xfe\x00\x81garbage\x00\xc3\x28\n")
    paths["binary"] = str(d / "binary.csv")
    Xg, yg = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    arrays = {
        "good_npz": dict(X=Xg, y=yg),
        "pickled": dict(X=np.array([{"a": 1}] * 5, dtype=object), y=yg),
        "x_1d": dict(X=np.arange(5.0), y=yg),
        "x_str": dict(X=Xg.astype(str), y=yg),
        "x_nan": dict(X=np.where(Xg > 4, np.nan, Xg), y=yg),
        "y_short": dict(X=Xg, y=yg[:4]),
        "y_nan": dict(X=Xg, y=np.r_[0.0, 1.0, np.nan, 0.0, 1.0]),
        "y_3d": dict(X=Xg, y=yg.reshape(5, 1, 1)),
        "y_complex": dict(X=Xg, y=yg + 1j),
    }
    for key, arrs in arrays.items():
        np.savez(d / f"{key}.npz", **arrs)
        paths[key] = str(d / f"{key}.npz")
    raw = (d / "good_npz.npz").read_bytes()
    (d / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    paths["truncated_npz"] = str(d / "truncated.npz")
    np.save(d / "single.npy", Xg)
    paths["npy"] = str(d / "single.npy")
    paths["out"] = str(d / "model_out.npz")
    paths["model"] = bio.save(binary(), str(d / "model.npz"), classes=[0, 1])
    raw = (d / "model.npz").read_bytes()
    (d / "model_truncated.npz").write_bytes(raw[:-40])
    paths["model_truncated"] = str(d / "model_truncated.npz")
    with zipfile.ZipFile(d / "model.npz") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    pickled = io.BytesIO()
    np.lib.format.write_array(pickled, np.array([{"a": 1}] * 21, dtype=object), allow_pickle=True)
    members["params.npy"] = pickled.getvalue()
    with zipfile.ZipFile(d / "model_pickled.npz", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    paths["model_pickled"] = str(d / "model_pickled.npz")
    paths["regression_model"] = bio.save(bp.Network([2, 3, 1], ["tanh", "identity"], "mse", seed=0),
                                         str(d / "regression.npz"))
    paths["model2"] = bio.save(bp.Network([2, 4, 1], ["tanh", "sigmoid"], "bce", seed=0), str(d / "model2.npz"),
                               classes=[0, 1])
    (d / "text.npz").write_text("hello")
    paths["text_npz"] = str(d / "text.npz")
    paths["missing_dir"] = str(d / "no" / "such")
    for key, text in {"one_class_csv": "a,b,c\n1,2,x\n3,4,x\n", "three_features_csv": "a,b,c,class\n1,2,3,0\n",
                      "features_only_csv": "a,b\n1,2\n3,4\n"}.items():
        (d / f"{key}.csv").write_text(text)
        paths[key] = str(d / f"{key}.csv")
    return paths


LIBRARY_ERRORS = (BackpropError, FileNotFoundError, IsADirectoryError)  # ModelFileError is a BackpropError


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_the_documented_error(case, files):
    with pytest.raises(case.exc) as info:
        case.call(files)
    err = info.value
    assert isinstance(err, LIBRARY_ERRORS), f"{type(err).__name__} is not one of the library's errors: {err}"
    message = str(err)
    missing = [needle for needle in case.needles if needle not in message]
    assert not missing, f"message {message!r} lacks {missing}"


# ============================================================ inputs that look odd but must work
def _fit_history(net, Xf, Yf, **kw):
    h = net.fit(Xf, Yf, **{"epochs": 2, **kw})
    assert np.isfinite(h["loss"]).all() and np.isfinite(net.params).all()
    return h


OK_CASES = [
    ("X=ints", lambda: binary().predict(np.round(X * 3).astype(np.int32))),
    ("X=bools", lambda: binary().predict(X > 0)),
    ("X=nested-lists", lambda: binary().predict(X.tolist())),
    ("X=float32-into-float64-network", lambda: binary().predict_proba(X.astype(np.float32)).dtype == np.float64),
    ("X=float64-into-float32-network", lambda: binary(np.float32).predict_proba(X).dtype == np.float32),
    ("X=one-sample", lambda: binary().predict(X[:1]).shape == (1,)),
    ("X=Fortran-order", lambda: binary().predict(np.asfortranarray(X))),
    ("X=non-contiguous-view", lambda: binary().predict(np.c_[X, X][:, ::2][:, :3])),
    ("Y=bools", lambda: binary().cost_and_gradient(X, y.astype(bool))),
    ("Y=column", lambda: binary().cost_and_gradient(X, y[:, None])),
    ("Y=float-labels-for-softmax", lambda: multi().cost_and_gradient(X, y3.astype(float))),
    ("Y=one-hot-for-softmax", lambda: multi().cost_and_gradient(X, bd.one_hot(y3))),
    ("Y=soft-labels", lambda: binary().cost_and_gradient(X, np.full(12, 0.3))),
    ("fit/batch_size>n_samples", lambda: _fit_history(binary(), X, y, batch_size=1000)),
    ("fit/batch_size=None", lambda: _fit_history(binary(), X, y, batch_size=None)),
    ("fit/one-sample", lambda: _fit_history(binary(), X[:1], y[:1])),
    ("fit/one-class", lambda: _fit_history(binary(), X, np.zeros(12, int))),
    ("fit/one-class-balanced", lambda: _fit_history(binary(), X, np.zeros(12, int), class_weight="balanced")),
    ("fit/missing-class-softmax", lambda: _fit_history(multi(), X, y3 % 2)),
    ("fit/numpy-int-options", lambda: _fit_history(binary(), X, y, epochs=np.int64(2), batch_size=np.int32(4))),
    ("fit/int-learning-rate", lambda: _fit_history(binary(), X, y, optimizer="sgd", learning_rate=1)),
    ("fit/ints-and-bools", lambda: _fit_history(binary(), (X > 0).astype(int), y.astype(bool))),
    ("fit/float32", lambda: _fit_history(binary(np.float32), X, y)),
    ("fit/zero-weights-for-some", lambda: _fit_history(binary(), X, y, sample_weight=np.r_[np.zeros(6), np.ones(6)])),
    ("fit/generator-seed", lambda: _fit_history(binary(), X, y, seed=np.random.default_rng(0), validation_split=0.25)),
    ("fit/numpy-int-seed", lambda: _fit_history(binary(), X, y, seed=np.int64(3))),
    ("fit/LBFGS-object", lambda: _fit_history(binary(), X, y, optimizer=bo.LBFGS(memory=5), batch_size=None)),
    ("fit/Optimizer-object", lambda: _fit_history(binary(), X, y, optimizer=bo.Nesterov(0.1, momentum=0.5))),
    ("fit/dropout-numpy-array", lambda: _fit_history(bp.Network([3, 4, 4, 1], "tanh", "mse"), X, Yr[:, 0],
                                                     dropout=np.array([0.2, 0.1]), seed=0)),
    ("Network/numpy-int-sizes", lambda: bp.Network(np.array([3, 4, 1]), "sigmoid", "bce")),
    ("Network/tuple-sizes", lambda: bp.Network((3, 4, 1), ("tanh", "sigmoid"), "bce")),
    ("Network/numpy-int-seed", lambda: bp.Network([3, 4, 1], "sigmoid", "bce", seed=np.int64(3))),
    ("shallow/int-X", lambda: shallow.forward_propagation(np.round(XS).astype(int), P)),
    ("shallow/one-example", lambda: shallow.nn_model(XS[:, :1], YS[:, :1], 2, num_iterations=3)),
    ("data/one-sample-blob", lambda: bd.blobs(n_samples=1, centers=1)),
    ("data/int-noise", lambda: bd.moons(10, noise=0)),
    ("data/numpy-int-n_samples", lambda: bd.xor(np.int64(8))),
    ("data/scaler-one-sample", lambda: bd.StandardScaler().fit_transform(X[:1])),
    ("data/one_hot-bools", lambda: bd.one_hot(np.array([True, False]))),
    ("data/encode-one-class", lambda: bd.encode_labels(["a", "a"])),
    ("plot/string-labels", lambda: bplot is None or bplot.decision_boundary(_net2, _X2, np.where(_y2, "yes", "no"),
                                                                          resolution=20) is not None),
]


@pytest.mark.parametrize("call", [c for _, c in OK_CASES], ids=[i for i, _ in OK_CASES])
def test_odd_but_valid_input_works(call):
    result = call()
    assert result is not False


# ============================================================ the CLI's arguments
# ============================================================ the scikit-learn estimators
# They follow scikit-learn's conventions: ValueError/TypeError (NotFittedError before fit), with
# scikit-learn's own messages for what its validate_data checks (NaN, shapes, sample counts).
try:
    from backprop.sklearn import NeuralNetClassifier as _Clf, NeuralNetRegressor as _Reg, SolverDivergedError
    from sklearn.exceptions import NotFittedError
except ImportError:  # scikit-learn is an optional extra
    _Clf = _Reg = None


def _clf(**kw):
    return _Clf(**{"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0, **kw})


def _reg(**kw):
    return _Reg(**{"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0, **kw})


SK_BAD = [] if _Clf is None else [
    ("fit/X=NaN", lambda: _clf().fit(X_nan, y), ValueError, ["Input X contains NaN"]),
    ("fit/X=inf", lambda: _clf().fit(X_inf, y), ValueError, ["Input X contains infinity"]),
    ("fit/X=1-D", lambda: _clf().fit(X[:, 0], y), ValueError, ["Expected 2D array, got 1D array"]),
    ("fit/X=dict", lambda: _clf().fit({"a": 1}, y), TypeError, ["dict"]),
    ("fit/X=empty", lambda: _clf().fit(X[:0], y[:0]), ValueError, ["0 sample(s)", "(0, 3)"]),
    ("fit/y=short", lambda: _clf().fit(X, y[:11]), ValueError, ["[12, 11]"]),
    ("fit/y=NaN-regression", lambda: _reg().fit(X, np.where(y == 1, np.nan, 0.0)), ValueError, ["Input y contains NaN"]),
    ("fit/sample_weight=negative", lambda: _clf().fit(X, y, sample_weight=-np.ones(12)), ValueError,
     ["sample_weight", "negative"]),
    ("fit/sample_weight=short", lambda: _clf().fit(X, y, sample_weight=np.ones(5)), ValueError,
     ["sample_weight", "(5,)", "(12,)"]),
    ("hidden_layer_sizes=0", lambda: _clf(hidden_layer_sizes=(0,)).fit(X, y), ValueError, ["hidden_layer_sizes", "[0]"]),
    ("hidden_layer_sizes=str", lambda: _clf(hidden_layer_sizes="10").fit(X, y), TypeError,
     ["hidden_layer_sizes", "'10'"]),
    ("activation=unknown", lambda: _clf(activation="relux").fit(X, y), ValueError, ["activation", "'relux'"]),
    ("activation=softmax", lambda: _clf(activation="softmax").fit(X, y), ValueError, ["activation", "'softmax'"]),
    ("solver=unknown", lambda: _clf(solver="newton").fit(X, y), ValueError, ["solver", "'newton'"]),
    ("alpha=negative", lambda: _clf(alpha=-1).fit(X, y), ValueError, ["alpha", "-1"]),
    ("alpha=NaN", lambda: _clf(alpha=float("nan")).fit(X, y), TypeError, ["alpha", "nan"]),
    ("alpha=10**400", lambda: _clf(alpha=10**400).fit(X, y), TypeError, ["alpha", "1000000"]),
    ("max_iter=0", lambda: _clf(max_iter=0).fit(X, y), ValueError, ["max_iter", "0"]),
    ("max_iter=float", lambda: _clf(max_iter=2.5).fit(X, y), TypeError, ["max_iter", "2.5"]),
    ("learning_rate_init=0", lambda: _clf(learning_rate_init=0).fit(X, y), ValueError, ["learning_rate_init", "0"]),
    ("learning_rate=unknown", lambda: _clf(learning_rate="fast").fit(X, y), ValueError, ["learning_rate", "'fast'"]),
    ("batch_size=0", lambda: _clf(batch_size=0).fit(X, y), ValueError, ["batch_size", "0"]),
    ("momentum=2", lambda: _clf(momentum=2.0).fit(X, y), ValueError, ["momentum", "2.0"]),
    ("beta_1=1", lambda: _clf(beta_1=1.0).fit(X, y), ValueError, ["beta_1", "1.0"]),
    ("epsilon=0", lambda: _clf(epsilon=0).fit(X, y), ValueError, ["epsilon", "0"]),
    ("tol=negative", lambda: _clf(tol=-1.0).fit(X, y), ValueError, ["tol", "-1.0"]),
    ("validation_fraction=1", lambda: _clf(validation_fraction=1.0, early_stopping=True).fit(X, y), ValueError,
     ["validation_fraction", "1.0"]),
    ("n_iter_no_change=0", lambda: _clf(n_iter_no_change=0).fit(X, y), ValueError, ["n_iter_no_change", "0"]),
    ("shuffle=str", lambda: _clf(shuffle="yes").fit(X, y), TypeError, ["shuffle", "'yes'"]),
    ("dropout=1", lambda: _clf(dropout=1.0).fit(X, y), ValueError, ["dropout", "1.0"]),
    ("dropout=count", lambda: _clf(dropout=[0.1, 0.1]).fit(X, y), ValueError, ["dropout", "[0.1, 0.1]"]),
    ("dropout-with-lbfgs", lambda: _clf(dropout=0.5, solver="lbfgs").fit(X, y), ValueError, ["dropout", "lbfgs"]),
    ("clip_norm=0", lambda: _clf(clip_norm=0).fit(X, y), ValueError, ["clip_norm", "0"]),
    ("dtype=int", lambda: _clf(dtype=np.int32).fit(X, y), ValueError, ["dtype", "int32"]),
    ("dtype=bogus", lambda: _clf(dtype="bogus").fit(X, y), TypeError, ["dtype", "'bogus'"]),
    ("schedule=unknown", lambda: _clf(schedule="linear").fit(X, y), ValueError, ["schedule", "'linear'"]),
    ("schedule=int", lambda: _clf(schedule=5).fit(X, y), TypeError, ["schedule", "5"]),
    ("schedule-returns-NaN", lambda: _clf(schedule=lambda step: float("nan")).fit(X, y), ValueError,
     ["learning_rate", "nan"]),
    ("optimizer=int", lambda: _clf(optimizer=5).fit(X, y), TypeError, ["optimizer", "5"]),
    ("init=unknown", lambda: _clf(init="zeros").fit(X, y), ValueError, ["init", "'zeros'"]),
    ("class_weight=unknown", lambda: _clf(class_weight="auto").fit(X, y), ValueError, ["class_weight", "'auto'"]),
    ("early_stopping-tiny-data", lambda: _reg(early_stopping=True).fit(X[:5], Yr[:5, 0]), ValueError,
     ["validation set is too small"]),
    ("huge-learning-rate", lambda: _reg(learning_rate_init=1e300, max_iter=20).fit(X * 1e3, Yr[:, 0]),
     SolverDivergedError, ["non-finite", "learning rate"]),
    ("predict/unfitted", lambda: _clf().predict(X), NotFittedError, ["not fitted"]),
    ("predict/wrong-features", lambda: _clf().fit(X, y).predict(X[:, :2]), ValueError, ["2 features", "3 features"]),
    ("predict/NaN", lambda: _clf().fit(X, y).predict(X_nan), ValueError, ["Input X contains NaN"]),
    ("predict_proba/transposed", lambda: _clf().fit(X, y).predict_proba(X.T), ValueError, ["12 features", "3 features"]),
    ("partial_fit/no-classes", lambda: _clf().partial_fit(X, y), ValueError, ["classes"]),
    ("partial_fit/unseen-label", lambda: _clf().partial_fit(X, y, classes=[0, 1]).partial_fit(X, y + 1), ValueError,
     ["[0 1]", "[1 2]"]),
    ("partial_fit/early_stopping", lambda: _clf(early_stopping=True).partial_fit(X, y, classes=[0, 1]), ValueError,
     ["partial_fit", "early_stopping"]),
    ("warm_start/architecture-changed",
     lambda: _clf(warm_start=True).fit(X, y).set_params(hidden_layer_sizes=(7,)).fit(X, y), ValueError,
     ["hidden_layer_sizes=[7]", "[4]"]),
]
SK_OK = [] if _Clf is None else [
    ("X=ints", lambda: _clf().fit(np.round(X * 3).astype(int), y).predict(X).shape == (12,)),
    ("X=bools", lambda: _clf().fit(X > 0, y).predict(X > 0).shape == (12,)),
    ("y=strings", lambda: set(_clf().fit(X, np.where(y == 1, "yes", "no")).predict(X)) <= {"yes", "no"}),
    ("y=one-class", lambda: _clf().fit(X, np.zeros(12, int)).predict(X).tolist() == [0] * 12),
    ("one-sample", lambda: _clf().fit(X[:1], y[:1]).predict(X[:1]).shape == (1,)),
    ("batch_size>n_samples", lambda: _clf(batch_size=1000).fit(X, y).n_iter_ == 3),
    ("float32-stays-float32", lambda: _clf().fit(X.astype(np.float32), y).predict_proba(X.astype(np.float32)).dtype
     == np.float32),
    ("regressor-int-targets", lambda: _reg().fit(X, y).predict(X).dtype == np.float64),
    ("huge-learning-rate-keeps-finite-weights",
     lambda: _raises_and_keeps_finite(_reg(learning_rate_init=1e300, max_iter=20), X * 1e3, Yr[:, 0])),
]


def _raises_and_keeps_finite(estimator, Xf, yf):
    with pytest.raises(ValueError):
        estimator.fit(Xf, yf)
    return bool(np.isfinite(estimator.network_.params).all())


@pytest.mark.skipif(_Clf is None, reason="scikit-learn is not installed")
@pytest.mark.parametrize("call,exc,needles", [c[1:] for c in SK_BAD], ids=[c[0] for c in SK_BAD])
def test_estimator_bad_input_gives_scikit_learns_error(call, exc, needles):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as info:
            call()
    assert isinstance(info.value, (ValueError, TypeError))
    message = str(info.value)
    missing = [needle for needle in needles if needle not in message]
    assert not missing, f"message {message!r} lacks {missing}"


@pytest.mark.skipif(_Clf is None, reason="scikit-learn is not installed")
@pytest.mark.parametrize("call", [c for _, c in SK_OK], ids=[i for i, _ in SK_OK])
def test_estimator_odd_but_valid_input_works(call):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert call() is True


# argv items may name the fixture's files: {model}, {good_csv}, {dir}, {missing}, {text_npz}, {out}
CLI_BAD = [
    ("demo/iterations=0", ["demo", "--iterations", "0", "--no-plot"], 2, ["--iterations", "0"]),
    ("demo/iterations=negative", ["demo", "--iterations", "-5", "--no-plot"], 2, ["--iterations", "-5"]),
    ("demo/iterations=text", ["demo", "--iterations", "many", "--no-plot"], 2, ["--iterations", "'many'"]),
    ("demo/hidden=0", ["demo", "--hidden", "0", "--no-plot"], 2, ["--hidden", "0"]),
    ("demo/learning-rate=NaN", ["demo", "--learning-rate", "nan", "--no-plot"], 2, ["--learning-rate", "nan"]),
    ("demo/learning-rate=negative", ["demo", "--learning-rate", "-1", "--no-plot"], 2, ["--learning-rate", "-1"]),
    ("demo/unknown-option", ["demo", "--epochs", "5"], 2, ["--epochs"]),
    ("unknown-command", ["train2"], 2, ["'train2'"]),
    ("train/epochs=0", ["train", "moons", "--epochs", "0"], 2, ["--epochs", "0"]),
    ("train/epochs=text", ["train", "moons", "--epochs", "ten"], 2, ["--epochs", "'ten'"]),
    ("train/layers=text", ["train", "moons", "--layers", "16,x"], 2, ["--layers", "'16,x'"]),
    ("train/layers=0", ["train", "moons", "--layers", "0"], 2, ["--layers", "'0'"]),
    ("train/learning-rate=0", ["train", "moons", "--learning-rate", "0"], 2, ["--learning-rate", "0.0"]),
    ("train/learning-rate=NaN", ["train", "moons", "--learning-rate", "nan"], 2, ["--learning-rate", "nan"]),
    ("train/batch-size=0", ["train", "moons", "--batch-size", "0"], 2, ["--batch-size", "'0'"]),
    ("train/batch-size=text", ["train", "moons", "--batch-size", "abc"], 2, ["--batch-size", "'abc'"]),
    ("train/optimizer=unknown", ["train", "moons", "--optimizer", "adamm"], 2, ["optimizer", "'adamm'"]),
    ("train/activation=unknown", ["train", "moons", "--activation", "relux"], 2, ["activation", "'relux'"]),
    ("train/activations=count", ["train", "moons", "--activations", "relu,tanh,tanh"], 2, ["--activations", "3"]),
    ("train/loss=unknown", ["train", "moons", "--loss", "hinge"], 2, ["loss", "'hinge'"]),
    ("train/loss-incompatible", ["train", "moons", "--task", "regression", "--loss", "bce"], 2,
     ["binary_crossentropy", "'identity'"]),
    ("train/dropout=1", ["train", "moons", "--dropout", "1"], 2, ["--dropout", "1.0"]),
    ("train/validation-split=1.5", ["train", "moons", "--validation-split", "1.5"], 2, ["--validation-split", "1.5"]),
    ("train/l2=negative", ["train", "moons", "--l2", "-1"], 2, ["--l2", "-1.0"]),
    ("train/patience=negative", ["train", "moons", "--patience", "-1"], 2, ["--patience", "-1"]),
    ("train/clip-norm=0", ["train", "moons", "--clip-norm", "0"], 2, ["--clip-norm", "0.0"]),
    ("train/seed=negative", ["train", "moons", "--seed", "-1"], 2, ["--seed", "-1"]),
    ("train/samples=0", ["train", "moons", "--samples", "0"], 2, ["--samples", "0"]),
    ("train/samples=1", ["train", "moons", "--samples", "1"], 2, ["n_samples", "1"]),
    ("train/schedule=unknown", ["train", "moons", "--schedule", "linear"], 2, ["schedule", "'linear'"]),
    ("train/schedule=bad-value", ["train", "moons", "--schedule", "cosine:decay_steps=0"], 2, ["decay_steps", "0"]),
    ("train/schedule=typo", ["train", "moons", "--schedule", "step:gamma=2"], 2, ["step", "gamma"]),
    ("train/checkpoint-every=0", ["train", "moons", "--checkpoint-every", "0"], 2, ["--checkpoint-every", "0"]),
    ("train/dtype=float16", ["train", "moons", "--dtype", "float16"], 2, ["--dtype", "'float16'"]),
    ("train/data=unknown", ["train", "nodata"], 2, ["data", "'nodata'"]),
    ("train/data=missing-file", ["train", "{missing}"], 2, ["data", "missing.csv"]),
    ("train/data=one-class", ["train", "{one_class_csv}"], 2, ["classes", "1"]),
    ("train/target-for-builtin", ["train", "moons", "--target", "nope"], 2, ["--target", "'nope'"]),
    ("train/target=unknown-column", ["train", "{good_csv}", "--target", "nope"], 2, ["target", "'nope'"]),
    ("train/out=missing-directory", ["train", "moons", "--out", "{missing_dir}/m.npz"], 2, ["--out", "does not exist"]),
    ("train/out=directory", ["train", "moons", "--out", "{dir}"], 2, ["--out", "adir"]),
    ("train/checkpoint=missing-directory", ["train", "moons", "--checkpoint-every", "1", "--checkpoint",
                                            "{missing_dir}/c.npz"], 2, ["--checkpoint", "does not exist"]),
    ("train/resume=model-file", ["train", "--resume", "{model}"], 2, ["model.npz", "not a checkpoint"]),
    ("train/resume=missing", ["train", "--resume", "{missing}"], 1, ["path", "missing.csv"]),
    ("train/resume=text", ["train", "--resume", "{text_npz}"], 2, ["text.npz", "not a backprop model file"]),
    ("train/no-data", ["train"], 2, ["data"]),
    ("evaluate/model=missing", ["evaluate", "{missing}", "moons"], 1, ["path", "missing.csv"]),
    ("evaluate/model=text", ["evaluate", "{text_npz}", "moons"], 2, ["text.npz", "not a backprop model file"]),
    ("evaluate/unseen-label", ["evaluate", "{model2}", "spirals"], 2, ["label 2", "[0, 1]"]),
    ("evaluate/wrong-features", ["evaluate", "{model2}", "{three_features_csv}"], 2, ["2 features", "3"]),
    ("evaluate/no-target", ["evaluate", "{model2}", "{features_only_csv}"], 2, ["no target column"]),
    ("evaluate/missing-args", ["evaluate"], 2, ["model"]),
    ("predict/model=text", ["predict", "{text_npz}", "moons"], 2, ["text.npz", "not a backprop model file"]),
    ("predict/data=missing", ["predict", "{model}", "{missing}"], 2, ["data", "missing.csv"]),
    ("predict/out=missing-directory", ["predict", "{model}", "moons", "--out", "{missing_dir}/p.csv"], 2,
     ["--out", "does not exist"]),
    ("predict/proba-for-regression", ["predict", "{regression_model}", "{features_only_csv}", "--proba"], 2,
     ["--proba", "regression"]),
    ("gradcheck/eps=0", ["gradcheck", "--eps", "0"], 2, ["--eps", "0.0"]),
    ("gradcheck/examples=0", ["gradcheck", "--examples", "0"], 2, ["--examples", "0"]),
    ("gradcheck/tolerance=negative", ["gradcheck", "--tolerance", "-1"], 2, ["--tolerance", "-1.0"]),
    ("gradcheck/model=text", ["gradcheck", "{text_npz}"], 2, ["text.npz"]),
    ("info/model=missing", ["info", "{missing}"], 1, ["path", "missing.csv"]),
    ("info/model=csv", ["info", "{good_csv}"], 2, ["good.csv", "not a backprop model file"]),
    ("info/model=directory", ["info", "{dir}"], 1, ["path", "adir"]),
    ("plot/model=text", ["plot", "{text_npz}"], 2, ["text.npz"]),
    ("explain/layers=0", ["explain", "--layers", "0"], 2, ["--layers", "'0'"]),
    ("explain/examples=0", ["explain", "--examples", "0"], 2, ["--examples", "0"]),
    ("explain/precision=negative", ["explain", "--precision", "-1"], 2, ["--precision", "-1"]),
    ("explain/activation=unknown", ["explain", "--activation", "nope"], 2, ["activation", "'nope'"]),
    ("explain/eps=0", ["explain", "--eps", "0"], 2, ["--eps", "0.0"]),
]


@pytest.mark.parametrize("argv,code,needles", [c[1:] for c in CLI_BAD], ids=[c[0] for c in CLI_BAD])
def test_cli_bad_arguments_exit_with_a_one_line_error(argv, code, needles, files, capsys):
    argv = [a.format(**files) for a in argv]
    try:
        returned = cli_main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        returned = exit_.code
    captured = capsys.readouterr()
    err = captured.err
    assert returned == code, err
    assert "Traceback" not in err
    assert "data:" not in captured.out or "network:" not in captured.out, "training started before the check"
    missing = [needle.format(**files) for needle in needles if needle.format(**files) not in err]
    assert not missing, f"stderr {err!r} lacks {missing}"


def test_catalogue_size():
    """The figure reported in the closing note of the hardening issue."""
    total = len(CASES) + len(OK_CASES) + len(CLI_BAD) + len(SK_BAD) + len(SK_OK)
    print(f"\nbad-input catalogue: {len(CASES)} error cases, {len(OK_CASES)} must-work cases, "
          f"{len(CLI_BAD)} CLI cases, {len(SK_BAD) + len(SK_OK)} estimator cases; {total} in all")
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert len(CASES) >= 400
