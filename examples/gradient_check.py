"""Gradient checking, step by step: what the numbers are, what they look like when a derivative is wrong.

1. Check a network: backpropagation against two-sided finite differences, per layer.
2. The step ε: too large and the difference quotient's own error (∝ ε²) shows; too
   small and floating-point cancellation (∝ 1/ε) does. The check's default is 1e-7.
   Kinks (ReLU at 0) make a large ε look worse still.
3. A bug on purpose: an activation registered with a wrong derivative. The layer that
   uses it fails the check, the layer after it does not (its dW only needs A[l-1]).
4. A float32 network is checked on a float64 copy: the check measures the math, not
   float32 rounding, and leaves the network untouched.

    python examples/gradient_check.py
"""

import numpy as np

import backprop as bp
from backprop.data import moons


def main() -> None:
    X, y = moons(60, noise=0.2, seed=0)                      # small data: the check costs 4 passes per parameter

    net = bp.Network([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], "binary_crossentropy", seed=0)
    print(f"1. A 2 -> 8 tanh -> 8 tanh -> 1 sigmoid network ({net.n_params} parameters)")
    result = bp.check_gradients(net, X, y)
    print(result)
    worst = int(np.argmax(np.abs(result.analytic - result.numeric)))
    print(f"   largest single gap: parameter {worst}, backprop {result.analytic[worst]:.10f}, "
          f"finite differences {result.numeric[worst]:.10f}")

    print("\n2. The finite-difference step ε (same network)")
    for eps in (1e-2, 1e-4, 1e-6, 1e-7, 1e-9, 1e-11):
        d = bp.check_gradients(net, X, y, eps=eps).relative_difference
        print(f"   ε = {eps:.0e}: relative difference {d:.1e}")

    print("\n   ReLU has a kink at 0: a large ε steps over it for some examples and the check looks worse")
    kinked = bp.Network([2, 8, 8, 1], ["relu", "relu", "sigmoid"], "binary_crossentropy", seed=0)
    for eps in (1e-2, 1e-4, 1e-7):
        d = bp.check_gradients(kinked, X, y, eps=eps).relative_difference
        print(f"   relu network, ε = {eps:.0e}: relative difference {d:.1e}")

    print("\n3. A wrong derivative: 'bad_tanh' returns 1 - Z² where tanh' is 1 - A²")
    bad = bp.register_activation("bad_tanh", np.tanh, lambda Z, A: 1 - Z**2, overwrite=True)
    broken = bp.Network([2, 8, 8, 1], [bad, "relu", "sigmoid"], "binary_crossentropy", seed=0)
    result = bp.check_gradients(broken, X, y)
    print(result)
    print("   layer 1 uses the wrong g' and fails; layers 2 and 3 only read A[1], which is right")

    print("\n4. A float32 network is checked in float64, on a copy")
    net32 = bp.Network([2, 8, 1], ["tanh", "sigmoid"], "binary_crossentropy", dtype=np.float32, seed=0)
    before = net32.params.copy()
    print(bp.check_gradients(net32, X, y))
    print(f"   parameters unchanged: {np.array_equal(before, net32.params)}, dtype still {net32.params.dtype}")


if __name__ == "__main__":
    main()
