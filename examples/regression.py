"""Regression: fit y = sin(3x) + noise with 1 -> 32 tanh -> 32 tanh -> 1 identity, then add outliers.

An identity output with the squared error ("mse") is a canonical pair, like sigmoid with
binary cross-entropy: the output error is dZ = c (A - Y). The second part corrupts 10 %
of the training targets with large errors and compares "mse" with "huber", whose
gradient is clipped at delta, on clean test data: the squared error chases the
outliers, the Huber loss mostly ignores them.

    python examples/regression.py [--epochs 300] [--seed 0]
"""

import argparse

import numpy as np

import backprop as bp
from backprop.data import train_test_split


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination, 1 - SS_res / SS_tot."""
    return 1.0 - float(((y_true - y_pred) ** 2).sum() / ((y_true - y_true.mean()) ** 2).sum())


def train(loss: str, X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> bp.Network:
    net = bp.Network([1, 32, 32, 1], ["tanh", "tanh", "identity"], loss, seed=seed)
    net.fit(X, y, optimizer="adam", learning_rate=0.01, epochs=epochs, batch_size=64, seed=seed)
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    X = rng.uniform(-2, 2, size=(600, 1))                    # (n_samples, 1)
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(600)  # (n_samples,): one output
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=args.seed)

    net = train("mse", X_train, y_train, args.epochs, args.seed)
    y_hat = net.predict(X_test)                              # (n_test,) for one output
    print(f"clean targets, mse:   test R² {r2(y_test, y_hat):.3f}, "
          f"RMSE {np.sqrt(np.mean((y_test - y_hat) ** 2)):.3f} (the noise is 0.1)")

    corrupted = y_train.copy()
    hit = rng.choice(len(corrupted), size=len(corrupted) // 10, replace=False)
    corrupted[hit] += rng.choice([-1, 1], size=hit.size) * rng.uniform(3, 6, size=hit.size)
    for loss in ("mse", "huber"):
        net = train(loss, X_train, corrupted, args.epochs, args.seed)
        y_hat = net.predict(X_test)
        print(f"10 % outliers, {loss + ':':6s} test R² {r2(y_test, y_hat):.3f}, "
              f"RMSE {np.sqrt(np.mean((y_test - y_hat) ** 2)):.3f}")


if __name__ == "__main__":
    main()
