"""Numerically stable elementwise pieces shared by activations, outputs and losses.

Private module. Every function here stays finite (no overflow, no nan, no RuntimeWarning)
for any finite float64 input, in particular for ``|z|`` up to 1000. Results that are
smaller than the smallest float64 silently underflow to 0 (numpy ignores underflow by
default); that is the correct rounding, not an error.

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


def sigmoid(z):
    """1/(1+e^{-z}) computed through e^{-|z|}, which never overflows."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(z):
    """ln(1 + e^z) = logaddexp(0, z)."""
    return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))


def log_sigmoid(z):
    """ln sigmoid(z) = -softplus(-z); and ln(1 - sigmoid(z)) = log_sigmoid(-z)."""
    return -softplus(-np.asarray(z, dtype=np.float64))


def logsumexp(z, axis=0):
    """ln sum_i e^{z_i} along ``axis`` (shifted by the max; -inf rows stay -inf)."""
    z = np.asarray(z, dtype=np.float64)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    s = np.sum(np.exp(z - m), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):  # an all -inf slice gives ln 0 = -inf, on purpose
        out = np.log(s) + m
    return np.squeeze(out, axis=axis)


def log_softmax(z):
    """ln softmax(z) over the rows (axis 0 = neurons, one example per column)."""
    z = np.asarray(z, dtype=np.float64)
    return z - logsumexp(z, axis=0)[None, :]


def softmax(z):
    """e^{z_j} / sum_i e^{z_i} per column, via log-sum-exp."""
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
    z = np.asarray(z, dtype=np.float64)
    if z.shape[0] == 1:
        return np.full(z.shape, -np.inf)
    return logsumexp(_masked(z), axis=1) - logsumexp(z, axis=0)[None, :]


def softmax_without(z):
    """Q[j, k, :] = softmax of z with row j removed, evaluated at row k (Q[j, j] = 0).

    Used for d ln(1 - a_j)/dz = -a_j (e_j - Q[j]), which stays bounded even when
    a_j rounds to 1. With a single row there is nothing left and Q is 0.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.shape[0] == 1:
        return np.zeros((1,) + z.shape)
    masked = _masked(z)
    return np.exp(masked - logsumexp(masked, axis=1)[:, None, :])


def xlog(coef, log_value):
    """coef * log_value with the convention 0 * (-inf) = 0 (as scipy.special.xlogy)."""
    coef, log_value = np.broadcast_arrays(
        np.asarray(coef, dtype=np.float64), np.asarray(log_value, dtype=np.float64)
    )
    out = np.zeros(coef.shape)
    np.multiply(coef, log_value, out=out, where=coef != 0)
    return out
