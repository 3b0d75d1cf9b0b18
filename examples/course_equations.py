"""The backpropagation equations by hand, next to the engine, and the course's two loose points made concrete.

1. The course's own backward_propagation (its code, verbatim) against
   backprop.shallow.backward_propagation and backprop.Network: the same gradients.
2. Loose point 1, the output error for cross-entropy: equation 1 read literally,
   (1/m)(A - Y) ⊙ σ'(Z), against the cancelled form (1/m)(A - Y), both against finite
   differences of the cross-entropy cost.
3. Loose point 2, where 1/m goes: in dZ[L] (the equations, and backprop) or in dW and
   db (the course's code) give the same gradient; in both, or in neither, do not.

    python examples/course_equations.py
"""

import numpy as np

import backprop as bp
from backprop import shallow
from backprop.data import planar_flower


def course_backward_propagation(parameters, cache, X, Y):
    """The course's function, as the course writes it."""
    m = X.shape[1]
    W1, W2 = parameters["W1"], parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * dZ2 @ A1.T
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)          # tanh'(Z1) = 1 - A1²
    dW1 = (1 / m) * dZ1 @ X.T
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def rel(a, b):
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


def main() -> None:
    X, y = planar_flower()
    X_course, Y = X.T, y.reshape(1, -1)                        # the course's shapes: (2, 400), (1, 400)
    m = X_course.shape[1]
    rng = np.random.default_rng(0)
    parameters = {"W1": rng.standard_normal((4, 2)), "b1": rng.standard_normal((4, 1)),
                  "W2": rng.standard_normal((1, 4)), "b2": rng.standard_normal((1, 1))}

    print("1. The course's code, backprop.shallow and backprop.Network on the same weights")
    A2, cache = shallow.forward_propagation(X_course, parameters)
    course = course_backward_propagation(parameters, cache, X_course, Y)
    ours = shallow.backward_propagation(parameters, cache, X_course, Y)
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "binary_crossentropy", init=None)
    for l, (W, b) in enumerate((("W1", "b1"), ("W2", "b2"))):
        net.weights[l][...], net.biases[l][...] = parameters[W], parameters[b]
    _, grad = net.cost_and_gradient(X, y)                    # X (400, 2): the library's orientation
    (dW1, dW2), (db1, db2) = net.unflatten(grad)
    engine = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    for key in ("dW1", "db1", "dW2", "db2"):
        print(f"   {key} {str(course[key].shape):7s} course vs shallow {rel(course[key], ours[key]):.1e}, "
              f"course vs Network {rel(course[key], engine[key]):.1e}")

    print("\n2. dZ[L] for a sigmoid output and the cross-entropy cost")
    Z2 = cache["Z2"]
    literal = (1 / m) * (A2 - Y) * (A2 * (1 - A2))           # equation 1 as written: (1/m)(Ŷ − Y) ⊙ σ'(Z)
    cancelled = (1 / m) * (A2 - Y)                           # what the course's code and backprop use
    # dJ/dZ2 by central differences of J(Z2) = mean cross-entropy of σ(Z2)
    eps = 1e-6
    J = lambda Z: float(np.mean(np.logaddexp(0, Z) - Y * Z))  # −[y log σ(z) + (1−y) log σ(−z)]
    numeric = np.empty_like(Z2)
    for i in range(m):
        Zp, Zm = Z2.copy(), Z2.copy()
        Zp[0, i] += eps
        Zm[0, i] -= eps
        numeric[0, i] = (J(Zp) - J(Zm)) / (2 * eps)
    print(f"   cancelled (1/m)(A − Y):          relative difference to finite differences {rel(cancelled, numeric):.1e}")
    print(f"   literal (1/m)(A − Y) ⊙ σ'(Z):    relative difference to finite differences {rel(literal, numeric):.1e}")
    print("   the literal form is the chain rule of the squared error ½‖A − Y‖²/m, not of the cross-entropy")

    print("\n3. Where 1/m goes (dW1 of the flower network)")
    dZ2 = A2 - Y
    dZ1_of = lambda dZ2: parameters["W2"].T @ dZ2 * (1 - cache["A1"] ** 2)
    in_dZ = dZ1_of(dZ2 / m) @ X_course.T                       # the equations and backprop
    in_dW = (1 / m) * dZ1_of(dZ2) @ X_course.T                 # the course's code
    twice = (1 / m) * dZ1_of(dZ2 / m) @ X_course.T
    never = dZ1_of(dZ2) @ X_course.T
    print(f"   1/m in dZ[L] vs 1/m in dW: relative difference {rel(in_dZ, in_dW):.1e} (rounding)")
    print(f"   1/m applied twice:  the gradient is {np.linalg.norm(in_dZ) / np.linalg.norm(twice):.0f} times too small")
    print(f"   1/m never applied:  the gradient is {np.linalg.norm(never) / np.linalg.norm(in_dZ):.0f} times too large")


if __name__ == "__main__":
    main()
