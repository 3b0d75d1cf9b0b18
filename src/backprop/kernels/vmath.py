"""Vector math for the compiled kernels: exp, log, log1p, tanh, sigmoid as short kernels LLVM vectorises.

numba's ``math.tanh``/``math.exp`` call the scalar libm functions, which no compiler
vectorises (Intel SVML is not usable with the llvmlite wheels of the package index), and a
W1 step spends most of its time there. These functions are written instead as a range
reduction and a short rational approximation (S. L. Moshier's Cephes library), branch-free,
with 2**n built from its bits, so each loop over an array runs 4 float64 lanes at a time
(AVX2):

- ``exp(x)``: x = n ln 2 + r (ln 2 in two parts, so r is exact), e^r = 1 + 2r P(r²)/(Q(r²) − r P(r²)),
  times 2^n applied as two factors 2^⌊n/2⌋ 2^(n−⌊n/2⌋), so results in the subnormal range are
  rounded once;
- ``log(x)``: x = m 2^e with m in [√½, √2), log m = z − z²/2 + z³ P(z)/Q(z) (z = m − 1), plus e ln 2;
- ``expm1(x)``: the same rational form without reduction for |x| ≤ ½, e^x − 1 beyond;
- ``log1p(u) = log(w) + (u − (w − 1))/w`` with w = 1 + u (the rounding of w corrected);
- ``tanh(x)``: |x| < 0.625: x + x·z P(z)/Q(z) (z = x²); otherwise 1 − 2/(e^{2|x|} + 1), sign copied;
- ``sigmoid(z) = ½ + ½ tanh(z/2)`` (the engine's form: no overflow for any z).

Every function is float64; float32 kernels compute in float64 and round once, which keeps them
within 1 ulp of the correctly rounded float32 result. Measured against numpy (``tests/kernels/test_kernels_vmath.py``)
over the whole float64 range, including ±0, ±inf, NaN, subnormals and the overflow and underflow
edges: at most 2 ulp from numpy's float64 functions.
"""

from __future__ import annotations

import math

from ._jit import bits_to_float64, float64_to_bits, inline, jit

__all__ = ["exp", "expm1", "log", "log1p", "tanh", "sigmoid", "exp_array", "expm1_array", "log_array", "log1p_array", "tanh_array",
           "sigmoid_array"]

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93145751953125e-1  # ln 2 = _LN2_HI + _LN2_LO; n · _LN2_HI is exact for |n| < 2^11
_LN2_LO = 1.42860682030941723212e-6
_EXP_P0, _EXP_P1, _EXP_P2 = 1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1
_EXP_Q0, _EXP_Q1, _EXP_Q2, _EXP_Q3 = (3.00198505138664455042e-6, 2.52448340349684104192e-3,
                                      2.27265548208155028766e-1, 2.00000000000000000009e0)
_MAGIC = 6755399441055744.0  # 1.5 · 2^52: adding it leaves an integer-valued float's value in the low bits
_TWO52 = 4503599627370496.0

_LOG_P = (1.01875663804580931796e-4, 4.97494994976747001425e-1, 4.70579119878881725854e0,
          1.44989225341610930846e1, 1.79368678507819816313e1, 7.70838733755885391666e0)
_LOG_Q = (1.12873587189167450590e1, 4.52279145837532221105e1, 8.29875266912776603211e1,
          7.11544750618563894466e1, 2.31251620126765340583e1)
_LOG_LN2_HI = 0.693359375  # ln 2 = _LOG_LN2_HI − _LOG_LN2_LO
_LOG_LN2_LO = 2.121944400546905827679e-4
_SQRT_HALF = 0.70710678118654752440
_TINY = 2.2250738585072014e-308  # smallest normal float64

_TANH_P0, _TANH_P1, _TANH_P2 = -9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3
_TANH_Q0, _TANH_Q1, _TANH_Q2 = 1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3
_MAGIC_BITS = 0x4338000000000000  # the bits of _MAGIC
_TWO52_BITS = 0x4330000000000000  # the bits of 2^52
_EXPONENT_MASK = 0x7FF
_MANTISSA_MASK = 0x000FFFFFFFFFFFFF
_HALF_BITS = 0x3FE0000000000000


@inline
def _pow2(k):
    """2^k for an integer-valued float k in [−1022, 1023] (from the exponent bits)."""
    n = float64_to_bits(k + _MAGIC) - _MAGIC_BITS  # the integer k, without a float→int conversion
    return bits_to_float64((n + 1023) << 52)


@inline
def exp(x):
    """e^x for a float64 x: within 1 ulp of the correctly rounded value (2 in the subnormal range)."""
    xc = x if x < 710.0 else 710.0  # beyond, e^x is inf (or 0): clamped so 2^n stays in range
    xc = xc if xc > -746.0 else -746.0
    n = math.floor(xc * _LOG2E + 0.5)
    r = xc - n * _LN2_HI
    r = r - n * _LN2_LO
    rr = r * r
    px = r * ((_EXP_P0 * rr + _EXP_P1) * rr + _EXP_P2)
    qx = ((_EXP_Q0 * rr + _EXP_Q1) * rr + _EXP_Q2) * rr + _EXP_Q3
    e = 1.0 + 2.0 * (px / (qx - px))
    half = math.floor(0.5 * n)
    y = e * _pow2(half) * _pow2(n - half)
    return y if x == x else x  # NaN stays NaN (the clamps above turned it into 710)


@inline
def expm1(x):
    """e^x − 1 for a float64, accurate near 0: |x| ≤ ½ by exp's own rational form 2rP/(Q − rP) (no
    reduction needed), beyond by exp(x) − 1."""
    xc = x if x < 0.5 else 0.5
    xc = xc if xc > -0.5 else -0.5
    xx = xc * xc
    px = xc * ((_EXP_P0 * xx + _EXP_P1) * xx + _EXP_P2)
    qx = ((_EXP_Q0 * xx + _EXP_Q1) * xx + _EXP_Q2) * xx + _EXP_Q3
    small = 2.0 * (px / (qx - px))
    y = small if abs(x) <= 0.5 else exp(x) - 1.0
    return y if x == x else x


@inline
def _log_positive(x):
    """log x for a positive, finite, normal float64 x."""
    bits = float64_to_bits(x)
    exponent = bits_to_float64(((bits >> 52) & _EXPONENT_MASK) | _TWO52_BITS) - _TWO52  # the biased exponent, as a float
    m = bits_to_float64((bits & _MANTISSA_MASK) | _HALF_BITS)  # x = m 2^(exponent − 1022), m in [½, 1)
    big = m > _SQRT_HALF
    fe = exponent - 1022.0 if big else exponent - 1023.0
    z = (m if big else m + m) - 1.0  # in (−0.293, 0.414)
    p = ((((_LOG_P[0] * z + _LOG_P[1]) * z + _LOG_P[2]) * z + _LOG_P[3]) * z + _LOG_P[4]) * z + _LOG_P[5]
    q = ((((z + _LOG_Q[0]) * z + _LOG_Q[1]) * z + _LOG_Q[2]) * z + _LOG_Q[3]) * z + _LOG_Q[4]
    zz = z * z
    y = z * zz * (p / q)
    y = y - fe * _LOG_LN2_LO
    y = y - 0.5 * zz
    return (z + y) + fe * _LOG_LN2_HI


@inline
def log(x):
    """Natural logarithm of a float64: −inf at ±0, NaN below 0, inf at inf, subnormals exact in scale."""
    sub = x < _TINY
    xs = x * 18014398509481984.0 if sub else x  # 2^54 lifts subnormals into the normal range
    xs = xs if xs > 0.0 else 1.0  # 0, negatives, NaN: computed on 1, replaced below
    xs = xs if xs < math.inf else 1.0
    y = _log_positive(xs)
    y = y - 37.42994775023704 if sub else y  # 54 ln 2
    y = y if x < math.inf else x
    y = y if x > 0.0 else (-math.inf if x == 0.0 else math.nan)
    return y if x == x else x


@inline
def log1p(u):
    """log(1 + u) for a float64, accurate for tiny u: log(w) + (u − (w − 1))/w with w = 1 + u."""
    w = 1.0 + u
    wc = w if w > 0.0 else 1.0
    wc = wc if wc < math.inf else 1.0
    y = _log_positive(wc) + (u - (wc - 1.0)) / wc  # w is never subnormal: it is 0 or at least 2^−53
    y = y if u != 0.0 else u  # log1p(±0) = ±0
    y = y if u < math.inf else u
    y = y if w > 0.0 else (-math.inf if w == 0.0 else math.nan)
    return y if u == u else u


@inline
def tanh(x):
    """tanh of a float64: odd, ±1 beyond |x| = 22 (as rounded), within 2 ulp of the correctly rounded value."""
    a = abs(x)
    zz = a * a
    p = ((_TANH_P0 * zz + _TANH_P1) * zz + _TANH_P2) * zz
    q = ((zz + _TANH_Q0) * zz + _TANH_Q1) * zz + _TANH_Q2
    small = a + a * (p / q)
    ac = a if a < 22.0 else 22.0  # tanh(22) is 1 in float64; keeps e^{2a} finite
    big = 1.0 - 2.0 / (exp(ac + ac) + 1.0)
    t = small if a < 0.625 else big
    t = math.copysign(t, x)
    return t if x == x else x


@inline
def sigmoid(z):
    """σ(z) = ½ + ½ tanh(z/2): no overflow for any z (the engine's form)."""
    return 0.5 + 0.5 * tanh(0.5 * z)


# ---------------------------------------------------------------- array forms (tests, benchmarks)
@jit
def exp_array(x, out):
    """out[i] = e^{x[i]} for 1-D arrays (float32 arrays computed in float64, rounded once)."""
    for i in range(x.shape[0]):
        out[i] = exp(float(x[i]))


@jit
def expm1_array(x, out):
    for i in range(x.shape[0]):
        out[i] = expm1(float(x[i]))


@jit
def log_array(x, out):
    for i in range(x.shape[0]):
        out[i] = log(float(x[i]))


@jit
def log1p_array(x, out):
    for i in range(x.shape[0]):
        out[i] = log1p(float(x[i]))


@jit
def tanh_array(x, out):
    for i in range(x.shape[0]):
        out[i] = tanh(float(x[i]))


@jit
def sigmoid_array(x, out):
    for i in range(x.shape[0]):
        out[i] = sigmoid(float(x[i]))
