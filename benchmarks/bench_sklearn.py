"""backprop.sklearn against scikit-learn's own MLP: 5-fold CV score and fit time, same settings.

    PYTHONPATH=src python benchmarks/bench_sklearn.py              # all five data sets
    PYTHONPATH=src python benchmarks/bench_sklearn.py --datasets iris,wine --threads 2
    PYTHONPATH=src python benchmarks/bench_sklearn.py --backends numpy,numba   # + the compiled kernels

Each data set runs ``Pipeline(StandardScaler, model)`` with identical hyperparameters and
``random_state`` on both sides (so identical initial weights), on the same folds. The two
sides alternate within each fold (which goes first alternates too), so machine noise hits
both alike. Reported per data set: mean CV accuracy (R² for diabetes) of each side, the
difference, the summed fit time of the five folds, the ratio ours/theirs (target ≤ 0.7),
and the mean epochs run. Needs scikit-learn (``pip install 'backprop-mlp[sklearn]'``).

``CASES`` is shared with ``tests/sklearn/test_estimators.py``, which asserts the score agreement
(1 point of accuracy, 0.02 of R²) on smaller budgets; no test asserts a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from typing import Any

# Settings where both sides converge (or stop on tol) within max_iter. Full-batch cases (a
# fold of at most 200 examples with batch_size="auto") follow the same trajectory on both
# sides to rounding; the others differ only in the shuffling order.
CASES: dict[str, dict[str, Any]] = {
    "iris": dict(kind="classifier", params=dict(hidden_layer_sizes=(50,), learning_rate_init=0.01, max_iter=500)),
    "wine": dict(kind="classifier", params=dict(hidden_layer_sizes=(50,), learning_rate_init=0.01, max_iter=500)),
    "breast_cancer": dict(kind="classifier", params=dict(hidden_layer_sizes=(50,), learning_rate_init=0.001,
                                                         max_iter=300)),
    "digits": dict(kind="classifier", params=dict(hidden_layer_sizes=(100,), learning_rate_init=0.001,
                                                  max_iter=200)),
    "diabetes": dict(kind="regressor", params=dict(hidden_layer_sizes=(50,), learning_rate_init=0.01, max_iter=1000)),
}


def load(name: str):
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(return_X_y=True)


def models(name: str, random_state: int = 0, backend: str = "numpy", **overrides: Any):
    """(ours, theirs): the two pipelines of data set ``name`` with identical settings (``backend``: ours only;
    always named, since the default, "auto", would pick numba when it is installed)."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from backprop.sklearn import NeuralNetClassifier, NeuralNetRegressor

    case = CASES[name]
    params = {**case["params"], "random_state": random_state, **overrides}
    ours, theirs = ((NeuralNetClassifier, MLPClassifier) if case["kind"] == "classifier"
                    else (NeuralNetRegressor, MLPRegressor))
    mine = ours(**params, backend=backend)
    return make_pipeline(StandardScaler(), mine), make_pipeline(StandardScaler(), theirs(**params))


def compare(name: str, n_splits: int = 5, random_state: int = 0, backends: tuple[str, ...] = (),
            **overrides: Any) -> dict[str, Any]:
    """Cross-validate both sides on the same folds; scores, fit times and epochs per side.

    ``backends``: extra sides "ours_<backend>" (e.g. "numba"), ours with that backend, interleaved
    with the other two."""
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold

    X, y = load(name)
    ours, theirs = models(name, random_state, **overrides)
    extra = [(f"ours_{b}", models(name, random_state, backend=b, **overrides)[0]) for b in backends]
    sides = ["ours", "theirs"] + [side for side, _ in extra]
    splitter = (StratifiedKFold if CASES[name]["kind"] == "classifier" else KFold)(
        n_splits, shuffle=True, random_state=random_state)
    out: dict[str, Any] = {side: {"scores": [], "fit_seconds": [], "epochs": []} for side in sides}
    for _, model in extra:  # compile (or load) the kernels outside the timed fits, on the real shapes and batches
        warm = clone(model)
        warm[-1].set_params(max_iter=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warm.fit(X, y)
    for fold, (train, test) in enumerate(splitter.split(X, y)):
        order = [("ours", ours), ("theirs", theirs)] + extra
        for side, model in order if fold % 2 == 0 else order[::-1]:
            model = clone(model)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                started = time.perf_counter()
                model.fit(X[train], y[train])
                seconds = time.perf_counter() - started
            out[side]["scores"].append(float(model.score(X[test], y[test])))
            out[side]["fit_seconds"].append(seconds)
            out[side]["epochs"].append(int(model[-1].n_iter_))
    for side in sides:
        r = out[side]
        r["score"] = sum(r["scores"]) / n_splits
        r["fit_time"] = sum(r["fit_seconds"])
    out["metric"] = "accuracy" if CASES[name]["kind"] == "classifier" else "R²"
    out["difference"] = out["ours"]["score"] - out["theirs"]["score"]
    out["time_ratio"] = out["ours"]["fit_time"] / out["theirs"]["fit_time"]
    for side, _ in extra:
        out[side]["difference"] = out[side]["score"] - out["theirs"]["score"]
        out[side]["time_ratio"] = out[side]["fit_time"] / out["theirs"]["fit_time"]
    return out


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| data set | metric | ours | scikit-learn | ours − theirs | fit s ours | fit s theirs | ratio | epochs ours / theirs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        o, t = r["ours"], r["theirs"]
        lines.append(
            f"| {name} | {r['metric']} | {o['score']:.4f} | {t['score']:.4f} | {r['difference']:+.4f} | "
            f"{o['fit_time']:.2f} | {t['fit_time']:.2f} | {r['time_ratio']:.2f} | "
            f"{sum(o['epochs']) / len(o['epochs']):.0f} / {sum(t['epochs']) / len(t['epochs']):.0f} |"
        )
    extra = sorted({k for r in results.values() for k in r if k.startswith("ours_")})
    for side in extra:
        lines += ["", f"{side}: backprop with backend={side[5:]!r}, interleaved with the two above in the same folds", "",
                  "| data set | metric | ours | scikit-learn | ours − theirs | fit s ours | fit s theirs | ratio | epochs |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, r in results.items():
            o, t = r[side], r["theirs"]
            lines.append(
                f"| {name} | {r['metric']} | {o['score']:.4f} | {t['score']:.4f} | {o['difference']:+.4f} | "
                f"{o['fit_time']:.2f} | {t['fit_time']:.2f} | {o['time_ratio']:.2f} | "
                f"{sum(o['epochs']) / len(o['epochs']):.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for both sides (threadpoolctl; 0: leave as is). These matrices are small: "
                             "one thread is the fastest for both, and extra threads only add contention")
    parser.add_argument("--json", default=None, help="also write the full results here")
    parser.add_argument("--backends", default="numpy",
                        help="backprop backends to time, comma-separated: numpy (always, the 'ours' column) "
                             "and/or numba (extra rows, interleaved)")
    args = parser.parse_args(argv)
    names = [n for n in args.datasets.split(",") if n]
    unknown = set(names) - set(CASES)
    if unknown:
        parser.error(f"unknown data sets {sorted(unknown)}; expected some of {list(CASES)}")
    limiter = None
    if args.threads:
        import numpy  # noqa: F401 - loads the BLAS, so that the limit below finds it
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(limits=args.threads)  # noqa: F841 - kept alive for the run
    results = {}
    for name in names:
        results[name] = compare(name, backends=tuple(b for b in args.backends.split(",") if b and b != "numpy"))
        print(f"{name}: done", file=sys.stderr, flush=True)
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
