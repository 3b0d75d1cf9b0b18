"""The compiled vector math (backprop.kernels.vmath) against numpy, over the whole float64 range.

Skipped only where numba is not installed (the ``fast`` extra; CI installs it with ``test``).
"""

import numpy as np
import pytest

pytest.importorskip("numba")

from backprop.kernels import vmath  # noqa: E402

TINY = np.finfo(np.float64).tiny
EDGES = np.array([
    0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-310, -1e-310, TINY, -TINY, 1e-300, 1e-200,
    1.0, -1.0, 0.5, -0.5, 0.625, -0.625, np.nextafter(0.625, 0), -np.nextafter(0.625, 0), 22.0, -22.0, 19.0,
    709.782712893384, np.nextafter(709.782712893384, np.inf), 709.0, 710.0, -708.4, -745.1332191019411,
    -745.1332191019412, -745.14, -746.0, -800.0, 800.0, 1e300, -1e300, np.finfo(np.float64).max,
    -np.finfo(np.float64).max, 2.0**-30, -(2.0**-30), 1e-17, -1e-17,
])


def whole_range(n: int = 200_000, seed: int = 0) -> np.ndarray:
    """Finite float64s drawn uniformly over their bit patterns (every exponent alike), plus the edges."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 0x7FF0000000000000, n, dtype=np.int64)
    x = bits.view(np.float64) * rng.choice([-1.0, 1.0], n)
    moderate = rng.uniform(-50, 50, n)
    return np.concatenate([x, moderate, rng.standard_normal(n) * 1e-3, EDGES])


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got − want| in units of the spacing at want (0 where both are equal or both NaN)."""
    spacing = np.spacing(np.abs(np.where(np.isfinite(want), want, 1.0))).astype(np.float64)  # in want's dtype
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        error = np.where(same, 0.0, np.abs(got - want) / spacing)
    return np.where(np.isnan(error), np.inf, error)  # a NaN where the other is not: infinitely wrong


def run(kernel, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    kernel(x, out)
    return out


CASES = [
    ("exp", vmath.exp_array, np.exp, 2.0),
    ("expm1", vmath.expm1_array, np.expm1, 3.0),  # Cephes' rational form near 0: 3 ulp at worst
    ("log", vmath.log_array, np.log, 1.0),
    ("log1p", vmath.log1p_array, np.log1p, 2.0),
    ("tanh", vmath.tanh_array, np.tanh, 2.0),
]


@pytest.mark.parametrize("name,kernel,reference,bound", CASES, ids=[c[0] for c in CASES])
def test_float64_within_ulps_of_numpy_over_the_whole_range(name, kernel, reference, bound):
    x = whole_range()
    with np.errstate(all="ignore"):
        want = reference(x)
    got = run(kernel, x)
    error = ulps(got, want)
    worst = int(np.argmax(error))
    assert error.max() <= bound, f"{name}({x[worst]!r}) = {got[worst]!r}, numpy {want[worst]!r}: {error.max()} ulp"
    # the special values exactly: signs of zero, infinities, NaN
    with np.errstate(all="ignore"):
        edge_want = reference(EDGES)
    edge_got = run(kernel, EDGES)
    special = ~np.isfinite(edge_want) | (edge_want == 0)
    np.testing.assert_array_equal(edge_got[special], edge_want[special])
    signed = special & ~np.isnan(edge_want)  # ±0 and ±inf (a NaN's sign bit means nothing)
    np.testing.assert_array_equal(np.signbit(edge_got[signed]), np.signbit(edge_want[signed]))


@pytest.mark.parametrize("name,kernel,reference,bound", CASES, ids=[c[0] for c in CASES])
def test_float32_rounds_within_one_ulp_of_the_exact_value(name, kernel, reference, bound):
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 0x7F800000, 200_000, dtype=np.int32)
    with np.errstate(over="ignore"):  # the float64 edges beyond float32's range become ±inf
        edges = EDGES.astype(np.float32)
    x = np.concatenate([bits.view(np.float32) * rng.choice([-1, 1], 200_000).astype(np.float32),
                        rng.uniform(-100, 100, 100_000).astype(np.float32), edges])
    with np.errstate(all="ignore"):
        want = reference(x.astype(np.float64)).astype(np.float32)  # float64 numpy, rounded: ≤ ½ ulp + a hair
    got = run(kernel, x)
    assert got.dtype == np.float32
    assert ulps(got, want).max() <= 1.0


def test_subnormal_results_of_exp_are_rounded_once():
    x = np.linspace(-745.13, -708.4, 20_001)
    assert ulps(run(vmath.exp_array, x), np.exp(x)).max() <= 1.0


def test_tanh_is_odd_and_saturates_exactly():
    x = whole_range(50_000, seed=3)
    x = x[np.isfinite(x)]
    np.testing.assert_array_equal(run(vmath.tanh_array, -x), -run(vmath.tanh_array, x))
    big = np.array([19.5, 22.0, 40.0, 1e10, np.inf])
    np.testing.assert_array_equal(run(vmath.tanh_array, big), 1.0)


def test_sigmoid_is_the_engines_tanh_form_to_two_ulp_of_one():
    z = whole_range(50_000, seed=4)
    z = z[np.isfinite(z)]
    engine = 0.5 + 0.5 * np.tanh(0.5 * z)
    got = run(vmath.sigmoid_array, z)
    assert np.max(np.abs(got - engine)) <= 2 * np.spacing(1.0)
    assert np.all((got >= 0) & (got <= 1))
    np.testing.assert_array_equal(run(vmath.sigmoid_array, np.array([np.inf, -np.inf])), [1.0, 0.0])
    assert np.isnan(run(vmath.sigmoid_array, np.array([np.nan]))[0])


def test_log1p_is_accurate_near_zero_and_at_its_poles():
    u = np.concatenate([np.geomspace(1e-300, 1e-1, 2000), -np.geomspace(1e-300, 0.999, 2000)])
    assert ulps(run(vmath.log1p_array, u), np.log1p(u)).max() <= 2.0
    with np.errstate(all="ignore"):
        got = run(vmath.log1p_array, np.array([-1.0, -1.5, -np.inf, np.inf]))
    assert got[0] == -np.inf and np.isnan(got[1]) and np.isnan(got[2]) and got[3] == np.inf
