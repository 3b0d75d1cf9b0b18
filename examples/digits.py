"""Handwritten digits (scikit-learn's bundled 8x8 images): 64 -> 64 relu -> 10 softmax, Adam, mini-batches.

Shows a multi-class network trained with integer labels (one-hot encoded by the
network), a stratified split, feature scaling fitted on the training part only,
a validation split with early stopping, and per-class results. Needs scikit-learn
only for the data (``pip install "backprop-mlp[sklearn]"``); without it the example says
so and exits successfully.

    python examples/digits.py [--epochs 60] [--seed 0]
"""

import argparse
import time

import numpy as np

import backprop as bp
from backprop.data import StandardScaler, train_test_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("skipped: scikit-learn is not installed (pip install 'backprop-mlp[sklearn]')")
        return

    digits = load_digits()                                   # 1797 images, 64 pixels in 0..16
    X_train, X_test, y_train, y_test = train_test_split(digits.data, digits.target, test_size=0.25,
                                                        seed=args.seed, stratify=True)
    scaler = StandardScaler().fit(X_train)                   # statistics of the training part only
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    net = bp.Network([64, 64, 10], ["relu", "softmax"], "categorical_crossentropy", seed=args.seed)
    start = time.perf_counter()
    history = net.fit(X_train, y_train, optimizer="adam", learning_rate=0.003, epochs=args.epochs,
                      batch_size=32, seed=args.seed, validation_split=0.15, early_stopping=True, patience=8)
    seconds = time.perf_counter() - start
    best = history.best_epoch            # early stopping restores this epoch's weights however the run ends
    ended = "stopped early" if history.stopped_early else "ran every epoch"
    print(f"{len(history)} epochs in {seconds:.2f} s ({ended}); best epoch {best + 1}: "
          f"validation loss {history['val_loss'][best]:.4f}, accuracy {history['val_accuracy'][best]:.2%}")

    scores = net.evaluate(X_test, y_test)
    print(f"test: loss {scores['loss']:.4f}, accuracy {scores['accuracy']:.2%} on {len(y_test)} images")

    predicted = net.predict(X_test)                          # class indices, shape (n_test,)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test, predicted), 1)
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("     " + " ".join(f"{k:3d}" for k in range(10)))
    for k, row in enumerate(confusion):
        print(f"{k:3d}  " + " ".join(f"{v:3d}" for v in row))


if __name__ == "__main__":
    main()
