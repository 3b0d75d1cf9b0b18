"""The course's network on the course's data: 2 -> 4 tanh -> 1 sigmoid, cross-entropy, gradient descent.

First with the course's own functions (backprop.shallow: dictionaries, X of shape (2, m)),
the loop written out as in the course; then the same network trained by Network.fit.
Both start from the course's initial weights, so they end at the same parameters.

    python examples/flower.py [--iterations 10000]
"""

import argparse
import time

import numpy as np

import backprop as bp
from backprop import shallow
from backprop.data import planar_flower


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--learning-rate", type=float, default=1.2)
    args = parser.parse_args()

    X, y = planar_flower()                       # X (400, 2), y (400,): the course's data
    X_course, Y_course = X.T, y.reshape(1, -1)       # the course's orientation: (2, 400) and (1, 400)

    # 1. The course's loop, function by function.
    start = time.perf_counter()
    parameters = shallow.initialize_parameters(2, 4, 1)          # 0.01 * randn, the course's seed 2
    for i in range(args.iterations):
        A2, cache = shallow.forward_propagation(X_course, parameters)
        cost = shallow.compute_cost(A2, Y_course)
        grads = shallow.backward_propagation(parameters, cache, X_course, Y_course)
        parameters = shallow.update_parameters(parameters, grads, args.learning_rate)
        if i % 1000 == 0:
            print(f"Cost after iteration {i}: {cost:f}")
    accuracy = float((shallow.predict(parameters, X_course) == Y_course).mean())
    print(f"the course's functions: accuracy {accuracy:.2%} in {time.perf_counter() - start:.2f} s")

    # 2. The same network through Network.fit: full batch (batch_size=None), plain gradient descent.
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    initial = shallow.initialize_parameters(2, 4, 1)
    net.weights[0][...], net.weights[1][...] = initial["W1"], initial["W2"]   # biases start at 0
    start = time.perf_counter()
    history = net.fit(X, y, optimizer="sgd", learning_rate=args.learning_rate, epochs=args.iterations,
                      batch_size=None)
    accuracy = float((net.predict(X) == y).mean())
    print(f"Network.fit:          accuracy {accuracy:.2%} in {time.perf_counter() - start:.2f} s, "
          f"final cost {history['loss'][-1]:.6f}")

    (W1, W2), (b1, b2) = net.weights, net.biases
    gap = max(np.abs(W1 - parameters["W1"]).max(), np.abs(W2 - parameters["W2"]).max(),
              np.abs(b1 - parameters["b1"]).max(), np.abs(b2 - parameters["b2"]).max())
    print(f"largest difference between the two sets of parameters: {gap:.1e}")


if __name__ == "__main__":
    main()
