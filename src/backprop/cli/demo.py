"""``backprop demo``: train the course's network on the course's flower data."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from ..core.validation import check_int, check_positive_float
from ..data import planar_flower
from ..model import Network
from ..shallow import initialize_parameters
from ..train.callbacks import Callback
from ._paths import check_command_paths

EXAMPLES = """examples:
  backprop demo
  backprop demo --iterations 2000 --hidden 8 --plot-out flower.png
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="train the course's 2-4-1 tanh/sigmoid network on the flower data",
        description="Train the course's network (2 -> n_h tanh -> 1 sigmoid, cross-entropy, full-batch "
        "gradient descent) on the planar 'flower' data, print the cost every 1000 iterations and the "
        "training accuracy, and save the decision boundary when matplotlib is installed.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--iterations", type=int, default=10_000, help="gradient-descent steps (default 10000)")
    p.add_argument("--learning-rate", type=float, default=1.2, help="step size α (default 1.2)")
    p.add_argument("--hidden", type=int, default=4, help="hidden units n_h (default 4)")
    p.add_argument("--plot-out", default="backprop-demo.png", help="where to save the decision boundary PNG")
    p.add_argument("--no-plot", action="store_true", help="do not save a plot")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_command_paths(args, outputs=() if args.no_plot else ("plot_out",))
    iterations = check_int(args.iterations, "--iterations")
    learning_rate = check_positive_float(args.learning_rate, "--learning-rate")
    n_h = check_int(args.hidden, "--hidden")
    X, y = planar_flower()
    print(f"flower data: {X.shape[0]} points, 2 classes; network 2 -> {n_h} tanh -> 1 sigmoid")
    net = Network([2, n_h, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    # The course's initialisation (0.01·randn, course seed 2), so the run matches the course.
    course_params = initialize_parameters(2, n_h, 1)
    net.weights[0][...], net.weights[1][...] = course_params["W1"], course_params["W2"]
    start = time.perf_counter()
    net.fit(X, y, optimizer="sgd", learning_rate=learning_rate, epochs=iterations, batch_size=None,
            callbacks=[_PrintCost(every=1000)])
    print(f"{iterations} iterations in {time.perf_counter() - start:.2f} s")
    accuracy = float(np.mean(net.predict(X) == y))
    print(f"training accuracy: {accuracy:.1%}")
    if not args.no_plot:
        _save_plot(net, X, y, args.plot_out)
    return 0


class _PrintCost(Callback):
    """The course's progress line: the cost before iteration i, every ``every`` iterations."""

    def __init__(self, every: int):
        self.every = every

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if epoch % self.every == 0:
            print(f"Cost after iteration {epoch}: {logs['loss']:f}")


def _save_plot(net: Network, X: np.ndarray, y: np.ndarray, path: str) -> None:
    try:
        from ..plot import decision_boundary
    except ImportError as exc:  # matplotlib missing: the demo still succeeds
        print(f"(no plot: {exc})")
        return
    try:
        decision_boundary(net, X, y, path=path, title="the course's network on the flower data")
    except ImportError as exc:
        print(f"(no plot: {exc})")
        return
    print(f"decision boundary saved to {os.path.abspath(path)}")
