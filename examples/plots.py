"""Pictures of training: a decision boundary, learning curves, and per-layer gradient norms.

- learning_curves.png: training and validation loss and accuracy per epoch
  (backprop.plot.learning_curves, from the History that fit returns) for a
  2 -> 64 tanh -> 64 tanh -> 1 sigmoid network that overfits 140 noisy points of the moons;
- decision_boundary.png: that network's decision boundary after 300 epochs, next to the
  same network trained with early stopping (backprop.plot.decision_boundary);
- gradient_norms_sigmoid.png, gradient_norms_relu.png: the norm of dW[l] for each layer
  during training, recorded by the GradientNorms callback (backprop.plot.gradient_norms),
  for six sigmoid hidden layers and for six ReLU ones: the vanishing-gradient picture
  (the sigmoid's layers far from the output get gradients orders of magnitude smaller).

PNGs go to --out DIR, or $BACKPROP_EXAMPLES_OUT, or a new temporary directory (never the
current directory unless asked). Needs matplotlib (pip install "backprop-mlp[plot]"); without
it the example says so and exits successfully.

    python examples/plots.py [--out DIR]
"""

import argparse
import os
import tempfile

import numpy as np

import backprop as bp
from backprop.data import moons
from backprop.train import GradientNorms


def output_dir(arg: str | None) -> str:
    path = arg or os.environ.get("BACKPROP_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="backprop-examples-")
    os.makedirs(path, exist_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="directory for the PNGs (default: $BACKPROP_EXAMPLES_OUT or a temp dir)")
    args = parser.parse_args()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from backprop.plot import decision_boundary, gradient_norms, learning_curves
    except ImportError:
        print("skipped: matplotlib is not installed (pip install 'backprop-mlp[plot]')")
        return
    out = output_dir(args.out)

    # A network too big for 140 noisy training points, trained too long: it overfits.
    X, y = moons(200, noise=0.35, seed=0)
    layers, acts = [2, 64, 64, 1], ["tanh", "tanh", "sigmoid"]
    options = dict(optimizer="adam", learning_rate=0.01, batch_size=32, seed=0, validation_split=0.3)
    net = bp.Network(layers, acts, "binary_crossentropy", seed=0)
    history = net.fit(X, y, epochs=300, **options)
    best = int(np.argmin(history["val_loss"]))
    print(f"300 epochs: training loss {history['loss'][-1]:.3f}, validation loss {history['val_loss'][-1]:.3f} "
          f"(lowest {history['val_loss'][best]:.3f} at epoch {best + 1})")
    stopped = bp.Network(layers, acts, "binary_crossentropy", seed=0)
    early = stopped.fit(X, y, epochs=300, early_stopping=True, patience=20, **options)
    print(f"early stopping: ran {len(early)} epochs, restored the weights of epoch {early.best_epoch + 1}")

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    decision_boundary(net, X, y, ax=axes[0], title="300 epochs: the boundary chases the noise")
    decision_boundary(stopped, X, y, ax=axes[1], title=f"early stopping: epoch {early.best_epoch + 1}")
    fig.tight_layout()
    path = os.path.join(out, "decision_boundary.png")
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"decision boundaries: {path}")

    path = os.path.join(out, "learning_curves.png")
    fig = learning_curves(history, title="2 -> 64 tanh -> 64 tanh -> 1 sigmoid, 140 noisy moons")
    fig.axes[0].axvline(best + 1, color="gray", linestyle=":", label="lowest validation loss")
    fig.axes[0].legend()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"learning curves: {path}")

    for hidden in ("sigmoid", "relu"):
        deep = bp.Network([2] + [16] * 6 + [1], [hidden] * 6 + ["sigmoid"], "binary_crossentropy", seed=0)
        norms = GradientNorms()
        deep.fit(X, y, optimizer="sgd", learning_rate=0.1, epochs=40, batch_size=32, seed=0, callbacks=[norms])
        table = np.array(norms.norms)                        # (epochs, L): ‖dW[l]‖ at the end of each epoch
        path = os.path.join(out, f"gradient_norms_{hidden}.png")
        plt.close(gradient_norms(table, path, title=f"six {hidden} hidden layers", figsize=(7, 4.5)))
        print(f"{hidden:7s} layers: ‖dW[1]‖ / ‖dW[7]‖ after the last epoch = {table[-1, 0] / table[-1, -1]:.1e}; "
              f"gradient norms: {path}")


if __name__ == "__main__":
    main()
