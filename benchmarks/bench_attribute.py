"""backprop.attribute's integrated gradients against SHAP's KernelExplainer on the same MLP.

    PYTHONPATH=src python benchmarks/bench_attribute.py
    PYTHONPATH=src python benchmarks/bench_attribute.py --dataset breast_cancer --shap-rows 20 --repeats 3 --threads 1

The model is a scikit-learn-sized ``Pipeline(StandardScaler, NeuralNetClassifier(hidden_layer_sizes=(50,)))``
trained on 80 % of the data. Both explain the same output (the probability of class 1) of the
same pipeline on the same held-out rows, on the original columns:

- ours: ``backprop.attribute(pipe, X, target=1)``: integrated gradients from the training mean,
  64 Gauss-Legendre steps, one batched forward/backward pass (the scaler by the chain rule);
- SHAP: ``shap.KernelExplainer(lambda X: pipe.predict_proba(X)[:, 1], background)`` with
  ``--background`` k-means centres of the training rows and ``nsamples="auto"``
  (2·n_features + 2048 coalitions per row), the model-agnostic route scikit-learn MLPs have today.

Reported: time per 100 rows of each (KernelSHAP is timed on ``--shap-rows`` rows and scaled,
as its cost is linear in the rows), the ratio, and the rank agreement (Spearman) of the two
global importances (mean |attribution| per feature over the explained rows), plus each
method's completeness error. The two sides alternate within each repeat; medians are reported.
Needs scikit-learn, scipy and shap (``pip install shap``); no test asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="breast_cancer", choices=("breast_cancer", "wine", "digits"))
    parser.add_argument("--rows", type=int, default=100, help="held-out rows explained by integrated gradients")
    parser.add_argument("--shap-rows", type=int, default=20, help="of those, rows explained by KernelSHAP")
    parser.add_argument("--background", type=int, default=20, help="k-means background rows for KernelSHAP")
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both sides (set before numpy loads)")
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)

    import numpy as np
    from scipy.stats import spearmanr
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import backprop
    from backprop.attribute import importance
    from backprop.sklearn import NeuralNetClassifier

    try:
        import shap
    except ImportError:
        print("shap is not installed (pip install shap): only our side can run", file=sys.stderr)
        shap = None

    X, y = getattr(datasets, f"load_{args.dataset}")(return_X_y=True)
    if args.dataset != "breast_cancer":
        y = (y == 1).astype(int)  # class 1 against the rest: the same one output on both sides
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    pipe = make_pipeline(StandardScaler(), NeuralNetClassifier(hidden_layer_sizes=(50,), learning_rate_init=0.001,
                                                               max_iter=300, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(X_train, y_train)
    rows = X_test[: args.rows]
    n_shap = min(args.shap_rows, len(rows))
    print(f"{args.dataset}: {X.shape[1]} features, model {X.shape[1]}-50-1 (relu, sigmoid), "
          f"accuracy {pipe.score(X_test, _):.3f}; explaining p(class 1) on {len(rows)} held-out rows "
          f"(KernelSHAP: {n_shap} rows, {args.background} k-means background rows, nsamples=auto)")

    def ours():
        return backprop.attribute(pipe, rows, target=1, steps=args.steps, return_delta=True)

    f = lambda Z: pipe.predict_proba(Z)[:, 1]  # noqa: E731
    explainer = None
    if shap is not None:
        background = shap.kmeans(X_train, args.background)
        explainer = shap.KernelExplainer(f, background)

    def theirs():
        return np.asarray(explainer.shap_values(rows[:n_shap], nsamples="auto", silent=True))

    t_ours, t_theirs = [], []
    ig = values = None
    for repeat in range(args.repeats):
        order = (ours, theirs) if repeat % 2 == 0 else (theirs, ours)
        for side in order:
            if side is theirs and explainer is None:
                continue
            start = time.perf_counter()
            result = side()
            elapsed = time.perf_counter() - start
            if side is ours:
                t_ours.append(elapsed * 100 / len(rows))
                ig, delta = result
            else:
                t_theirs.append(elapsed * 100 / n_shap)
                values = result
    ours_s = statistics.median(t_ours)
    print(f"integrated gradients ({args.steps} steps): {ours_s * 1e3:.2f} ms per 100 rows "
          f"(median of {len(t_ours)}: {', '.join(f'{t * 1e3:.2f}' for t in t_ours)}); "
          f"completeness error max {np.abs(delta).max():.1e} of p")
    if explainer is None:
        return 0
    theirs_s = statistics.median(t_theirs)
    print(f"KernelSHAP: {theirs_s:.2f} s per 100 rows (median of {len(t_theirs)}: "
          f"{', '.join(f'{t:.2f}' for t in t_theirs)}; measured on {n_shap} rows)")
    print(f"ratio: KernelSHAP / ours = {theirs_s / ours_s:,.0f}x")
    gap = np.abs(values.sum(axis=1) + explainer.expected_value - f(rows[:n_shap])).max()
    print(f"KernelSHAP completeness (sum + expected value - f(x)): max {gap:.1e}")
    rho_all = spearmanr(importance(ig[:n_shap]), importance(values)).statistic
    rho_ig = spearmanr(importance(ig), importance(values)).statistic
    print(f"rank agreement of the global importances (Spearman): {rho_all:.3f} on the same {n_shap} rows, "
          f"{rho_ig:.3f} with integrated gradients on all {len(rows)} rows")
    top_ig = np.argsort(-importance(ig[:n_shap]))[:5].tolist()
    top_shap = np.argsort(-importance(values))[:5].tolist()
    print(f"top 5 features: ours {top_ig}, KernelSHAP {top_shap}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
