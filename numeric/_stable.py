"""Numerically stable elementwise pieces shared by activations, outputs and losses.

Private module. Every function here stays finite (no overflow, no nan, no RuntimeWarning)
for any finite float64 input, in particular for ``|z|`` up to 1000. Results that are
smaller than the smallest float64 silently underflow to 0 (numpy ignores underflow by
default); that is the correct rounding, not an error.

**Complex inputs** (for complex-step differentiation, ``numeric.check_layer``): every
function also accepts complex128 and is then analytic (branches and max-shifts are chosen
on the real part, no ``abs``), so ``Im f(x + ih) / h`` is the derivative. Float inputs
are converted to float64 and give exactly the results of the real formulas.

>>> import numpy as np
>>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
array([0. , 0.5, 1. ])
>>> softplus(np.array([-1000.0, 0.0, 1000.0]))
array([0.00000000e+00, 6.93147181e-01, 1.00000000e+03])
>>> log_sigmoid(np.array([-1000.0]))
array([-1000.])
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "sigmoid",
    "softplus",
    "log_sigmoid",
    "logsumexp",
    "softmax",
    "log_softmax",
    "log1m_softmax",
    "softmax_without",
    "xlog",
]


def _arr(z):
    """``z`` as complex128 if it is complex, else as float64."""
    z = np.asarray(z)
    return z.astype(np.complex128 if np.iscomplexobj(z) else np.float64, copy=False)


def _real(z):
    return z.real if np.iscomplexobj(z) else z


def sigmoid(z):
    """1/(1+e^{-z}) computed through e^{-|z|}, which never overflows.

    (For complex ``z``: e^{-z} or e^{z}, whichever has a real part <= 0.)
    """
    z = _arr(z)
    pos = _real(z) >= 0
    e = np.exp(np.where(pos, -z, z))  # |e| in (0, 1]; = e^{-|z|} for real z
    return np.where(pos, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(z):
    """ln(1 + e^z) = logaddexp(0, z) (complex: max(z, 0) + log1p(e^{-|z|}) on the real part)."""
    z = _arr(z)
    if not np.iscomplexobj(z):
        return np.logaddexp(0.0, z)
    pos = z.real >= 0
    return np.where(pos, z, 0.0) + np.log1p(np.exp(np.where(pos, -z, z)))


def log_sigmoid(z):
    """ln sigmoid(z) = -softplus(-z); and ln(1 - sigmoid(z)) = log_sigmoid(-z)."""
    return -softplus(-_arr(z))


def _shift(z, axis):
    """The entry of largest real part along ``axis`` (keepdims), 0 where it is not finite.

    For real ``z`` this is ``max(z)``; for complex ``z`` the complex entry itself, so that
    ``z - m`` is exactly 0 there, imaginary part included.
    """
    i = np.expand_dims(np.argmax(_real(z), axis=axis), axis)
    m = np.take_along_axis(z, i, axis=axis)
    return np.where(np.isfinite(m), m, 0.0)


def _log_sum_shifted(z, axis):
    """(m, ln sum_i e^{z_i - m}) along ``axis``, both keepdims."""
    m = _shift(z, axis)
    s = np.sum(np.exp(z - m), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):  # an all -inf slice gives ln 0 = -inf, on purpose
        return m, np.log(s)


def logsumexp(z, axis=0):
    """ln sum_i e^{z_i} along ``axis`` (shifted by the max; -inf rows stay -inf)."""
    m, ls = _log_sum_shifted(_arr(z), axis)
    return np.squeeze(ls + m, axis=axis)


def log_softmax(z):
    """ln softmax(z) over the rows (axis 0 = neurons, one example per column).

    Computed as ``(z - m) - ln sum e^{z - m}``, not ``z - logsumexp(z)``: at the largest
    entry ``z - m`` is exactly 0, so ``ln a`` of a dominant output (``a = 1 - 4.5e-12``
    at logits ~34) is exact to an ulp of itself instead of an ulp of ``|z|`` (which made
    ``1 - a``, hence the MSE gradient through softmax, wrong by ~1e-3 relative).
    """
    z = _arr(z)
    m, ls = _log_sum_shifted(z, 0)
    return (z - m) - ls


def softmax(z):
    """e^{z_j} / sum_i e^{z_i} per column, via log-softmax."""
    return np.exp(log_softmax(z))


def _masked(z):
    """(n, n, N) array whose slice j is z with row j replaced by -inf."""
    n = z.shape[0]
    stacked = np.broadcast_to(z, (n,) + z.shape).copy()
    idx = np.arange(n)
    stacked[idx, idx, :] = -np.inf
    return stacked


def log1m_softmax(z):
    """ln(1 - softmax(z)_j) = logsumexp_{i != j}(z_i) - logsumexp(z), finite for n >= 2.

    With a single row softmax is identically 1 and the result is -inf.
    """
    z = _arr(z)
    if z.shape[0] == 1:
        return np.full(z.shape, -np.inf)
    return logsumexp(_masked(z), axis=1) - logsumexp(z, axis=0)[None, :]


def softmax_without(z):
    """Q[j, k, :] = softmax of z with row j removed, evaluated at row k (Q[j, j] = 0).

    Used for d ln(1 - a_j)/dz = -a_j (e_j - Q[j]), which stays bounded even when
    a_j rounds to 1. With a single row there is nothing left and Q is 0.
    """
    z = _arr(z)
    if z.shape[0] == 1:
        return np.zeros((1,) + z.shape)
    masked = _masked(z)
    return np.exp(masked - logsumexp(masked, axis=1)[:, None, :])


def xlog(coef, log_value):
    """coef * log_value with the convention 0 * (-inf) = 0 (as scipy.special.xlogy)."""
    coef, log_value = np.broadcast_arrays(_arr(coef), _arr(log_value))
    out = np.zeros(coef.shape, np.result_type(coef, log_value))
    np.multiply(coef, log_value, out=out, where=coef != 0)
    return out
