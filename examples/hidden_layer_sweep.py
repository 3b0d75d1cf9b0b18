"""The course's hidden-layer-size sweep: the flower network with 1, 2, 3, 4, 5, 20 and 50 tanh units.

Each network starts from the course's initial weights (0.01 * randn, seed 2) and takes
5000 full-batch gradient-descent steps at learning rate 1.2, as in the course. One or
two units underfit (about 67 %); from three on the flower's petals are separated (about
90 %), and more units mostly fit the noise. With matplotlib installed the decision
boundaries are drawn into one PNG, in --out DIR, or $BACKPROP_EXAMPLES_OUT, or a new
temporary directory (never the current one unless asked).

    python examples/hidden_layer_sweep.py [--out DIR] [--iterations 5000]
"""

import argparse
import os
import tempfile
import time

import backprop as bp
from backprop import shallow
from backprop.data import planar_flower

SIZES = (1, 2, 3, 4, 5, 20, 50)


def course_network(n_h: int) -> bp.Network:
    """2 -> n_h tanh -> 1 sigmoid with the course's initial weights."""
    net = bp.Network([2, n_h, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    initial = shallow.initialize_parameters(2, n_h, 1)
    net.weights[0][...], net.weights[1][...] = initial["W1"], initial["W2"]
    return net


def output_dir(arg: str | None) -> str:
    path = arg or os.environ.get("BACKPROP_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="backprop-examples-")
    os.makedirs(path, exist_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="directory for the PNG (default: $BACKPROP_EXAMPLES_OUT or a temp dir)")
    parser.add_argument("--iterations", type=int, default=5000)
    args = parser.parse_args()

    X, y = planar_flower()
    nets = {}
    print("hidden units  accuracy  final cost  seconds")
    for n_h in SIZES:
        net = course_network(n_h)
        start = time.perf_counter()
        history = net.fit(X, y, optimizer="sgd", learning_rate=1.2, epochs=args.iterations, batch_size=None)
        accuracy = float((net.predict(X) == y).mean())
        print(f"{n_h:12d}  {accuracy:8.2%}  {history['loss'][-1]:10.4f}  {time.perf_counter() - start:7.2f}")
        nets[n_h] = net

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from backprop.plot import decision_boundary
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    fig, axes = plt.subplots(2, 4, figsize=(16, 8))
    for ax, (n_h, net) in zip(axes.flat, nets.items()):
        accuracy = float((net.predict(X) == y).mean())
        decision_boundary(net, X, y, ax=ax, title=f"{n_h} hidden units: {accuracy:.2%}", resolution=150)
    axes.flat[-1].axis("off")
    fig.tight_layout()
    path = os.path.join(output_dir(args.out), "hidden_layer_sweep.png")
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"decision boundaries: {path}")


if __name__ == "__main__":
    main()
